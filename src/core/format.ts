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
