/** Rendering lives here and only here: tables for people, JSON for machines. */
import Table from 'cli-table3';
import type { CliContext, GlobalOptions, Out } from './context.js';

export function useColor(ctx: CliContext, g: GlobalOptions): boolean {
  return g.color !== false && ctx.isTTY && !('NO_COLOR' in ctx.env) && ctx.env.TERM !== 'dumb';
}

export function paint(on: boolean, code: 'red' | 'yellow' | 'green' | 'bold' | 'dim', s: string): string {
  if (!on) return s;
  const codes = { red: [31, 39], yellow: [33, 39], green: [32, 39], bold: [1, 22], dim: [2, 22] }[code];
  return `\u001b[${codes[0]}m${s}\u001b[${codes[1]}m`;
}

// ---------------------------------------------------------------------------------------------
// Text from the ledger never drives the terminal. Names, places, notes and file names are typed
// by people or read from drives; one holding an escape sequence could clear the screen, set the
// window title or hide a line. Every byte the CLI writes passes `terminalSafe` (runCli wraps
// the output streams), and every table cell and detail passes `cellText`.

/** Escape sequences: CSI (7-bit and 8-bit), OSC, DCS/SOS/PM/APC strings, and two-byte ESC codes. */
const ESCAPES =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
/** The colours and weights `paint` and the tables use: kept; every other escape is removed. */
const OWN_STYLE = /^\u001b\[(?:0|1|2|22|31|32|33|39|90)?m$/;
/** Control characters other than tab, line feed and carriage return; bidirectional overrides. */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** What may reach a terminal: escape sequences (but the styles custody itself paints) and control characters removed. */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE, (m) => (OWN_STYLE.test(m) ? m : ''));
}
/** Escapes first (so a kept style's ESC is not taken for a lone control character), then controls. */
const UNSAFE = new RegExp(`${ESCAPES.source}|${CONTROLS.source}`, 'g');

/** One cell or value on one line: escapes and control characters removed, line breaks and tabs as spaces. */
export function cellText(s: string): string {
  return terminalSafe(s).replace(/[\t\r\n]+/g, ' ');
}

/** An output stream whose every write is `terminalSafe`. */
export function safeOut(out: Out): Out {
  if ((out as { [SAFE]?: true })[SAFE]) return out;
  return { write: (s: string) => out.write(terminalSafe(String(s))), [SAFE]: true } as Out;
}
const SAFE = Symbol('terminalSafe');

/**
 * JSON for machines: exact values, with the control characters JSON leaves raw (C1, bidirectional
 * overrides) written as \u escapes, so the output is safe on a terminal and parses to the same data.
 */
export function printJson(ctx: CliContext, data: unknown): void {
  const text = JSON.stringify(data, null, 2).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  ctx.stdout.write(`${text}\n`);
}

/**
 * CSV (RFC 4180) that a spreadsheet cannot be tricked by: a text cell starting with `=`, `+`,
 * `-`, `@`, a tab or a carriage return is prefixed with `'` (read as text, never as a formula),
 * and every cell holding a quote, comma, line break or leading/trailing space is quoted.
 */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = v.replace(ESCAPES, '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(headers: readonly string[], rows: Cell[][]): string {
  return [headers, ...rows].map((r) => `${r.map(csvCell).join(',')}\n`).join('');
}

export type Cell = string | number | boolean | null | undefined;

export function table(headers: string[], rows: Cell[][], color = false): string {
  if (rows.length === 0) return '(none)\n';
  const t = new Table({
    head: headers,
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [], compact: true },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
  });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : cellText(String(c)))));
  return `${t
    .toString()
    .split('\n')
    .map((l) => l.replace(/^ /, '').trimEnd())
    .join('\n')}\n`;
}

/** Key–value block for `show` commands. */
export function details(pairs: [string, Cell][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${v === null ? '—' : cellText(String(v))}`)
    .join('\n')}\n`;
}

export { formatBytes as bytes } from '../core/format.js';
