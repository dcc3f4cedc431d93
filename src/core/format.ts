/** How numbers are written for people: one home for each, on the terminal and on paper. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units (1 KB = 1000 B), as drive makers and operating systems print them: "1.2 MB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[i]}`;
}

/** For documents: the exact count, then the rounded size: "1,234,567 bytes (1.23 MB)". */
export function formatBytesExact(n: number): string {
  const exact = `${n.toLocaleString('en-US')} bytes`;
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? exact : `${exact} (${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]})`;
}

/**
 * How long the free space lasts at the present rate of imports, as a person would say it:
 * "about 12 days", "about 14 months", "more than 10 years" (a rate near zero gives absurd day
 * counts, which say nothing more than that).
 */
export function formatDaysLeft(days: number): string {
  if (!Number.isFinite(days)) return 'more than 10 years';
  if (days < 1) return 'less than a day';
  if (days < 90) return `about ${countOf(Math.floor(days), 'day')}`;
  if (days < 730) return `about ${countOf(Math.round(days / 30.44), 'month')}`;
  if (days < 3653) return `about ${countOf(Math.floor(days / 365.25), 'year')}`;
  return 'more than 10 years';
}

function countOf(n: number, one: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : `${one}s`}`;
}
