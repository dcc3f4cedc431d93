/**
 * Limits on the text people type (issue 18): every flag, argument and prompt answer passes
 * `checkText` before anything is read or written, so a 100,000-character officer name or a name
 * holding a terminal escape sequence is refused at once with one line (exit 2), never stored.
 */
import { CustodyError } from './errors.js';

/** File and folder paths: as long as a path may be. */
export const PATH_MAX = 4096;
/** The paragraphs of a breach notice. */
export const PARAGRAPH_MAX = 4000;
/** Notes, reasons, descriptions, corrective actions, lists of outlets, addresses. */
export const NOTE_MAX = 1000;
/** Names, ids, officers, badges, case numbers, places, purposes, labels, dates: everything else. */
export const SHORT_MAX = 200;

const PATHS = new Set([
  'home',
  'out',
  'to',
  'source',
  'bag',
  'certificate',
  'document',
  'pdf',
  'receipt',
  'receipts',
  'scan',
  'witness',
  'password-file',
  'new-password-file',
  'file',
  'dir',
  'path',
]);
const PARAGRAPHS = new Set(['what-happened', 'information', 'doing', 'you-can-do', 'more-info']);
const NOTES = new Set([
  'description',
  'note',
  'reason',
  'action',
  'scope',
  'outlets',
  'information-type',
  'contact',
  'address',
  'part',
  'method',
  'purposes',
  'value',
]);

/** The longest value a flag (`--officer`, or `officer`) or argument may take. */
export function textLimit(name: string): number {
  const n = name.replace(/^--?/, '');
  if (PATHS.has(n)) return PATH_MAX;
  if (PARAGRAPHS.has(n)) return PARAGRAPH_MAX;
  if (NOTES.has(n)) return NOTE_MAX;
  return SHORT_MAX;
}

/** Control characters (line breaks and tabs only in paragraphs), escapes, bidirectional overrides. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LINE_BREAK = /[\t\n]/;

/**
 * Refuse a value too long for its flag or holding a control character (a path may hold anything
 * a file name may, and is checked only for its length). `what` names it as the user typed it:
 * `--officer`, or an argument's name.
 */
export function checkText(what: string, value: string): void {
  const limit = textLimit(what);
  const label = what.startsWith('-') ? what : `the ${what}`;
  const length = [...value].length;
  if (length > limit)
    throw new CustodyError(
      'usage',
      `${label} is too long: ${length.toLocaleString('en-US')} characters, at most ${limit.toLocaleString('en-US')}.`,
      'Shorten it.',
    );
  if (limit === PATH_MAX) return;
  const bad = CONTROL.exec(value) ?? (limit === PARAGRAPH_MAX ? null : LINE_BREAK.exec(value));
  if (bad)
    throw new CustodyError(
      'usage',
      `${label} holds a control character (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}) at position ${bad.index + 1}.`,
      'Type plain text: no escape sequences, tabs or line breaks.',
    );
}
