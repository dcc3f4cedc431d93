/** Rendering lives here and only here: tables for people, JSON for machines. */
import Table from 'cli-table3';
import type { CliContext, GlobalOptions } from './context.js';

export function useColor(ctx: CliContext, g: GlobalOptions): boolean {
  return g.color !== false && ctx.isTTY && !('NO_COLOR' in ctx.env) && ctx.env.TERM !== 'dumb';
}

export function paint(on: boolean, code: 'red' | 'yellow' | 'green' | 'bold' | 'dim', s: string): string {
  if (!on) return s;
  const codes = { red: [31, 39], yellow: [33, 39], green: [32, 39], bold: [1, 22], dim: [2, 22] }[code];
  return `\u001b[${codes[0]}m${s}\u001b[${codes[1]}m`;
}

export function printJson(ctx: CliContext, data: unknown): void {
  ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
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
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
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
    .map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${v === null ? '—' : String(v)}`)
    .join('\n')}\n`;
}

export { formatBytes as bytes } from '../core/format.js';
