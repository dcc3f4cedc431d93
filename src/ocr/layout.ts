/**
 * US plate layout knowledge: which serials are plausible, and the letter/digit
 * confusions a recogniser makes that a layout can settle (O/0, I/1, B/8, S/5...).
 * Pure functions: no I/O.
 */

/** Keeps A–Z and 0–9 only, upper-cased. */
export const cleanPlate = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

/**
 * Serial layouts in use in many states (9 = digit, A = letter), most common first.
 * Vanity plates exist, so a serial outside these is not wrong, only less likely.
 */
export const US_LAYOUTS: readonly string[] = [
  '9AAA999',
  'AAA9999',
  'AAA999',
  '999AAA',
  '9AA9999',
  'AA99999',
  '999A999',
  'A999999',
  '99A9999',
  '9AAA99',
  'AAA99A',
  '999999',
  // Common among the car photos of the development set's source (25 of 70), absent from its crops.
  'AA9A9A',
  '9999AA',
  'AA9999',
  'AA999A',
  'AAA9A99',
  '9A99999',
  'AA9999A',
  'A99AAA',
  '99AA99',
  'AAA9A9',
  'A9AAA9',
  '9AA999',
  'AA99AA',
  'A999AA',
  '99999A',
  'AAA99',
  'AA999',
  '9999A',
  '99A999',
  'A9999',
  '99999',
  'AAAA99',
  '999AA9',
  '9AAA9999',
];

/** The layouts common enough that a look-alike swap into them is worth trying (the first 13). */
export const COMMON_LAYOUTS = 13;

export const layoutOf = (s: string): string => s.replace(/[0-9]/g, '9').replace(/[A-Z]/g, 'A');

/** 0..1: how usual this serial's shape is for a US plate. */
export function layoutPrior(s: string, four = 0.15, other = 0.7): number {
  // Most states leave O, I and Q out of serials (they read as 0 and 1).
  const rare = s.replace(/[^OIQ]/g, '').length;
  return shapePrior(s, four, other) * 0.8 ** rare;
}

/**
 * `four`: the prior of a four-character serial (short plates exist, beside stacked letters);
 * `other`: of a serial of letters and digits in no listed layout.
 */
function shapePrior(s: string, four: number, other: number): number {
  if (s.length < 4 || s.length > 8) return 0.05;
  const i = US_LAYOUTS.indexOf(layoutOf(s));
  if (i >= 0) return i < 8 ? 1 : 0.85;
  const digits = s.replace(/[^0-9]/g, '').length;
  if (s.length === 4) return four;
  // All letters: a vanity plate, or a word (a state name, a badge, a sign).
  if (digits === 0) return 0.3;
  // Eight or more digits are dates, times and phone numbers more often than serials; some
  // states issue numeric serials of up to seven digits.
  if (digits === s.length) return s.length >= 8 ? 0.2 : s.length === 7 ? 0.6 : 0.5;
  return other;
}

const TO_DIGIT: Record<string, string> = {
  O: '0',
  D: '0',
  Q: '0',
  U: '0',
  I: '1',
  L: '1',
  J: '1',
  Z: '2',
  B: '8',
  S: '5',
  G: '6',
  A: '4',
  T: '7',
};
// Not 0 → O or 1 → I: most states leave O and I out of serials, so a 0 or 1 where a layout
// wants a letter is likelier a numeric or vanity serial than a misread letter.
const TO_LETTER: Record<string, string> = { '2': 'Z', '8': 'B', '5': 'S', '6': 'G', '4': 'A', '7': 'T' };
/** Look-alikes within one class, for alternatives. */
const LOOKALIKE: Record<string, string[]> = {
  '0': ['8', 'D', 'O', '6', '9'],
  O: ['0', 'D', 'Q'],
  D: ['0', 'O'],
  Q: ['O', '0'],
  '1': ['7', 'I', 'T', '4'],
  I: ['1', 'T'],
  '8': ['B', '6', '3', '9', '0'],
  B: ['8', 'E', 'R', 'D'],
  '5': ['S', '6', '3'],
  S: ['5', '8'],
  '2': ['Z', '7'],
  Z: ['2', '7'],
  '6': ['G', '8', '5', '0'],
  G: ['6', 'C', 'O'],
  '4': ['A', '1'],
  A: ['4'],
  '7': ['T', '1', '2'],
  T: ['7', '1', 'I'],
  '3': ['8', '9', '5'],
  '9': ['8', '0', '3'],
  M: ['N', 'H', 'W'],
  N: ['M', 'H', 'W'],
  W: ['M', 'N', 'V'],
  H: ['N', 'M'],
  V: ['Y', 'U', 'W'],
  U: ['V', '0', 'J'],
  C: ['G', '0'],
  E: ['F', 'B'],
  F: ['E', 'P'],
  P: ['F', 'R'],
  R: ['P', 'B'],
  K: ['X', 'R'],
  X: ['K', 'Y'],
  Y: ['V', 'X'],
  J: ['3', '1'],
  L: ['1', 'E'],
};

/** Pairs that look the same on most plates, so the layout alone should settle them. */
const TWINS = new Set(['O0', '0O', 'Q0', 'D0', 'I1', '1I']);

/**
 * Variants of a reading that fit a common layout by swapping look-alike letters and
 * digits, as `[text, cost]`, cheapest first: a swap of twins (O/0, I/1) costs 0.25, any
 * other swap 1.
 */
export function layoutFixes(s: string): Array<[string, number]> {
  const out = new Map<string, number>();
  for (const layout of US_LAYOUTS.slice(0, COMMON_LAYOUTS)) {
    if (layout.length !== s.length) continue;
    let t = '';
    let swaps = 0;
    let ok = true;
    for (let i = 0; i < s.length && ok; i++) {
      const c = s[i]!;
      const isDigit = c >= '0' && c <= '9';
      if (layout[i] === '9' && !isDigit) {
        const d = TO_DIGIT[c];
        if (d) {
          t += d;
          swaps += TWINS.has(c + d) ? 0.25 : 1;
        } else ok = false;
      } else if (layout[i] === 'A' && isDigit) {
        const l = TO_LETTER[c];
        if (l) {
          t += l;
          swaps += TWINS.has(c + l) ? 0.25 : 1;
        } else ok = false;
      } else t += c;
    }
    if (ok && swaps > 0 && swaps <= 2) {
      const prev = out.get(t);
      if (prev === undefined || swaps < prev) out.set(t, swaps);
    }
  }
  return [...out.entries()].sort((a, b) => a[1] - b[1]);
}

/** One-character look-alike variants, at the given positions (the least certain first). */
export function lookalikeVariants(s: string, positions: number[]): string[] {
  const out: string[] = [];
  for (const i of positions) {
    for (const alt of LOOKALIKE[s[i]!] ?? []) out.push(s.slice(0, i) + alt + s.slice(i + 1));
  }
  return out;
}
