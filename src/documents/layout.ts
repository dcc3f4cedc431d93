/**
 * Shared page furniture for custody documents (receipts, certificates, notices): letterhead,
 * section headings, label/value tables, signature lines, footers, and the template loader.
 * The fonts are DejaVu Sans Condensed and DejaVu Sans Mono from the `dejavu-fonts-ttf` package,
 * embedded (subset) in every document, so a document prints the same in every reader and
 * nothing depends on the fonts of the machine that opens it. `printable` still escapes what lies
 * outside Windows-1252, so names print unambiguously (no look-alike letters from other scripts).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustodyError } from '../core/errors.js';
import { MONTH_NAMES } from '../core/time.js';

/** Names under which the embedded fonts are registered on every document (`registerFonts`). */
export const FONT = {
  regular: 'CustodySans',
  bold: 'CustodySans-Bold',
  italic: 'CustodySans-Oblique',
  mono: 'CustodyMono',
  monoBold: 'CustodyMono-Bold',
} as const;

const FONT_FILES: Record<keyof typeof FONT, string> = {
  regular: 'DejaVuSansCondensed.ttf',
  bold: 'DejaVuSansCondensed-Bold.ttf',
  italic: 'DejaVuSansCondensed-Oblique.ttf',
  mono: 'DejaVuSansMono.ttf',
  monoBold: 'DejaVuSansMono-Bold.ttf',
};

let fontBytes: Map<string, Buffer> | undefined;

/** The font files, read once per process from the installed `dejavu-fonts-ttf` package. */
function fontData(): Map<string, Buffer> {
  if (fontBytes) return fontBytes;
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  } catch (e) {
    throw new CustodyError(
      'internal',
      'The fonts that custody embeds in its documents (package dejavu-fonts-ttf) are not installed.',
      'Run npm ci in the custody folder.',
      { cause: e },
    );
  }
  const m = new Map<string, Buffer>();
  for (const [k, file] of Object.entries(FONT_FILES)) {
    m.set(FONT[k as keyof typeof FONT], fs.readFileSync(path.join(dir, file)));
  }
  fontBytes = m;
  return m;
}

/** Path of the regular font, for pdfkit's constructor (so no standard font is ever loaded). */
export function defaultFontFile(): string {
  fontData();
  return path.join(
    path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    'ttf',
    FONT_FILES.regular,
  );
}

/** Register the embedded fonts under the names in `FONT`, and make the regular one current. */
export function registerFonts(doc: Doc): void {
  for (const [name, bytes] of fontData()) doc.registerFont(name, bytes);
  doc.font(FONT.regular);
}

/** Nothing on a custody document is set smaller than this (points). */
export const MIN_PT = 9;

export const INK = '#111111';
export const MUTED = '#4a4a4a';
export const RULE = '#9a9a9a';
export const TINT = '#eef1f5';
export const ACCENT = '#1f3a5f';

type Doc = PDFKit.PDFDocument;

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Characters of Windows-1252 beyond Latin-1 that the standard PDF fonts can show. */
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Make text safe for the standard fonts: CR, LF and tab become `\r` `\n` `\t`, other control
 * characters and anything outside Windows-1252 become `\u{…}`. Used for data that came from
 * outside (file names, names typed by a user), so what is printed is unambiguous.
 */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if ((cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xff) || CP1252_EXTRA.has(ch)) out += ch;
    else out += `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** Replace `{name}` with `vars[name]`; unknown placeholders are left as they are. */
export function fill(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (m, k: string) =>
    vars[k] === undefined ? m : String(vars[k]),
  );
}

/** A count with its noun, singular or plural as the count asks: "1 file", "24 files", "1,204 batches". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * Glue a short run of text (a phone number, an id) so a line is never broken inside it: its
 * spaces become no-break spaces, which the line breaker does not break at (UAX #14 class GL),
 * and text extractors still read as white space.
 */
export function noBreak(s: string): string {
  return s.replace(/ /g, '\u00a0');
}

// How long the free space lasts, in words: one function for the terminal and for paper.
export { formatDaysLeft } from '../core/format.js';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** True for `YYYY-MM-DD` or an ISO-8601 date-time with an offset (`Z` or `±hh:mm`). */
export function isIsoWithOffset(s: string): boolean {
  const m = ISO_RE.exec(s);
  return !!m && (m[4] === undefined || m[7] !== undefined) && !Number.isNaN(Date.parse(s));
}

/**
 * "November 26, 2026, 12:30:05 (UTC-08:00)" from an ISO string, in the string's own offset:
 * the document shows the wall-clock time the ledger recorded, not the printing machine's.
 */
export function formatIso(iso: string, o: { dateOnly?: boolean } = {}): string {
  const m = ISO_RE.exec(iso);
  if (!m) return printable(iso);
  const date = `${MONTH_NAMES[+m[2]! - 1]} ${+m[3]!}, ${m[1]}`;
  if (o.dateOnly || m[4] === undefined) return date;
  const off = m[7] === 'Z' || m[7] === undefined ? 'UTC' : `UTC${m[7]}`;
  return `${date}, ${m[4]}:${m[5]}:${m[6] ?? '00'} (${off})`;
}

/** A span of two ISO times; the date is written once when both fall on the same day, the offset once when they share it. */
export function formatIsoRange(from: string, to: string): string {
  const a = ISO_RE.exec(from);
  const b = ISO_RE.exec(to);
  if (
    a &&
    b &&
    a[4] !== undefined &&
    b[4] !== undefined &&
    a.slice(1, 4).join() === b.slice(1, 4).join() &&
    a[7] === b[7]
  ) {
    const off = a[7] === 'Z' || a[7] === undefined ? 'UTC' : `UTC${a[7]}`;
    return `${formatIso(from, { dateOnly: true })}, ${a[4]}:${a[5]}:${a[6] ?? '00'} to ${b[4]}:${b[5]}:${b[6] ?? '00'} (${off})`;
  }
  if (a && b && a[4] !== undefined && b[4] !== undefined && a[7] !== undefined && a[7] === b[7]) {
    // Different days, same offset: the offset once, at the end.
    const off = a[7] === 'Z' ? 'UTC' : `UTC${a[7]}`;
    const time = (m: RegExpExecArray) => `${m[4]}:${m[5]}:${m[6] ?? '00'}`;
    return `${formatIso(from, { dateOnly: true })}, ${time(a)} to ${formatIso(to, { dateOnly: true })}, ${time(b)} (${off})`;
  }
  return `${formatIso(from)} to ${formatIso(to)}`;
}

/** Glue what is in parentheses: "8,076,879 bytes (8.08 MB)" may break before "(8.08 MB)", never inside it. */
export function glueParens(s: string): string {
  return s.replace(/\(([^)]*)\)/g, (_, inner: string) => `(${noBreak(inner)})`);
}

// ---------------------------------------------------------------------------------------------
// Templates

/**
 * Directory holding the templates shipped with custody. Found by walking up from this module,
 * so it works from `src/` (tsx, vitest) and from `dist/src/` (the built CLI).
 */
export function defaultTemplatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'templates');
    if (fs.existsSync(path.join(candidate, 'receipt.json'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new CustodyError('internal', 'The templates folder shipped with custody was not found.');
}

/**
 * Read `<dir>/<name>.json` and check that every key of `shape` is present with a string value
 * (nested objects likewise). A city edits these files, so a mistake is a usage error naming the key.
 */
export function loadTemplate<T>(name: string, shape: T, dir?: string): T {
  const file = path.join(dir ?? defaultTemplatesDir(), `${name}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CustodyError(
      'usage',
      `Cannot read the template ${file}: ${e instanceof Error ? e.message : String(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  const check = (want: unknown, got: unknown, at: string) => {
    if (typeof want === 'string') {
      if (typeof got !== 'string')
        throw new CustodyError(
          'usage',
          `Template ${file}: "${at}" must be text.`,
          'Restore it from the shipped template.',
        );
      return;
    }
    if (!got || typeof got !== 'object')
      throw new CustodyError('usage', `Template ${file}: "${at}" is missing.`, 'Restore it from the shipped template.');
    for (const k of Object.keys(want as object)) {
      check((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
    }
  };
  check(shape, parsed, '');
  return parsed as T;
}

// ---------------------------------------------------------------------------------------------
// Page furniture

export function contentWidth(doc: Doc): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right;
}

/** Points left above the bottom margin of the current page. */
export function spaceLeft(doc: Doc): number {
  return doc.page.height - doc.page.margins.bottom - doc.y;
}

/** Start a new page unless `height` points still fit above the bottom margin; true if it did. */
export function ensureSpace(doc: Doc, height: number): boolean {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
    return true;
  }
  return false;
}

/**
 * Keep a block of `height` points together: start a new page unless it fits on this one. A block
 * taller than a fresh page cannot be kept together; it then starts on a fresh page (unless this
 * one is still empty) and flows on from there.
 */
export function keepTogether(doc: Doc, height: number): void {
  if (height <= spaceLeft(doc)) return;
  if (doc.y <= doc.page.margins.top + 1) return; // already at the top of a page
  doc.addPage();
}

export interface LetterheadOptions {
  organization: string;
  office: string;
  /** Large label at the right, e.g. RECEIPT. */
  label: string;
  /** Shown under the label, e.g. the receipt number. */
  number?: string;
}

export function letterhead(doc: Doc, o: LetterheadOptions): void {
  const x = doc.page.margins.left;
  const top = doc.page.margins.top - 18;
  const w = contentWidth(doc);
  // A seal-like mark: a ring with the organisation's initials.
  const initials = o.organization
    .split(/\s+/)
    .filter((p) => /^[A-Z]/.test(p) && !['Of', 'The', 'And'].includes(p))
    .map((p) => p[0])
    .join('')
    .slice(0, 3);
  doc.save();
  doc
    .lineWidth(1.5)
    .strokeColor(ACCENT)
    .circle(x + 22, top + 22, 21)
    .stroke();
  doc
    .lineWidth(0.5)
    .circle(x + 22, top + 22, 17.5)
    .stroke();
  doc.fillColor(ACCENT).font(FONT.bold).fontSize(12);
  doc.text(printable(initials), x, top + 16, { width: 44, align: 'center', lineBreak: false });
  doc.restore();

  const textX = x + 56;
  const rightW = 150;
  doc.fillColor(INK).font(FONT.bold).fontSize(16);
  doc.text(printable(o.organization), textX, top + 4, { width: w - 56 - rightW - 10 });
  doc.fillColor(MUTED).font(FONT.regular).fontSize(10);
  doc.text(printable(o.office), textX, doc.y + 1, { width: w - 56 - rightW - 10 });
  const leftBottom = doc.y;

  doc.fillColor(ACCENT).font(FONT.bold).fontSize(15);
  doc.text(printable(o.label), x + w - rightW, top + 4, { width: rightW, align: 'right', characterSpacing: 1.5 });
  if (o.number) {
    doc.fillColor(INK).font(FONT.mono).fontSize(10.5);
    doc.text(printable(o.number), x + w - rightW, doc.y + 2, { width: rightW, align: 'right' });
  }
  const y = Math.max(leftBottom, doc.y, top + 44) + 6;
  doc
    .moveTo(x, y)
    .lineTo(x + w, y)
    .lineWidth(2)
    .strokeColor(ACCENT)
    .stroke();
  doc
    .moveTo(x, y + 3)
    .lineTo(x + w, y + 3)
    .lineWidth(0.5)
    .stroke();
  doc.x = x;
  doc.y = y + 10;
  doc.fillColor(INK);
}

export function title(doc: Doc, text: string, subtitle?: string): void {
  const x = doc.page.margins.left;
  doc
    .fillColor(INK)
    .font(FONT.bold)
    .fontSize(15)
    .text(printable(text), x, doc.y, { width: contentWidth(doc) });
  if (subtitle)
    doc
      .fillColor(MUTED)
      .font(FONT.italic)
      .fontSize(10)
      .text(printable(subtitle), { width: contentWidth(doc) });
  doc.fillColor(INK);
  doc.moveDown(0.4);
}

const HEADING_PT = 11;

/** Height that `sectionHeading` takes, from the current y to where the next text starts. */
export function sectionHeadingHeight(doc: Doc, text: string): number {
  doc.font(FONT.bold).fontSize(HEADING_PT);
  return 3 + doc.heightOfString(printable(text).toUpperCase(), { width: contentWidth(doc), characterSpacing: 0.4 }) + 6;
}

/** A section heading in capitals with a rule under it; never alone at the foot of a page. */
export function sectionHeading(doc: Doc, text: string): void {
  ensureSpace(doc, sectionHeadingHeight(doc, text) + 30);
  const x = doc.page.margins.left;
  doc.y += 3;
  doc
    .fillColor(ACCENT)
    .font(FONT.bold)
    .fontSize(HEADING_PT)
    .text(printable(text).toUpperCase(), x, doc.y, {
      width: contentWidth(doc),
      characterSpacing: 0.4,
    });
  const y = doc.y + 1;
  doc
    .moveTo(x, y)
    .lineTo(x + contentWidth(doc), y)
    .lineWidth(0.5)
    .strokeColor(RULE)
    .stroke();
  doc.y = y + 5;
  doc.fillColor(INK);
}

export interface Row {
  label: string;
  value: string;
  /** Set the value in the monospaced font (hashes, serial numbers). */
  mono?: boolean;
  /** Font size of the value. @default 10 (9 for mono) */
  size?: number;
}

export interface TableOptions {
  /** @default 96 with pairs, else 150 */
  labelWidth?: number;
  /** Two label/value pairs on a line, for short fields. */
  pairs?: boolean;
  /** @default 9 */
  labelSize?: number;
  /** @default 10 */
  valueSize?: number;
  /** Space after the table; 0 joins the next table to this one. @default 6 */
  gapAfter?: number;
}

const CELL_PAD = 3.5;

function tableGeometry(doc: Doc, o: TableOptions) {
  const cols = o.pairs ? 2 : 1;
  const colW = contentWidth(doc) / cols;
  const labelW = o.labelWidth ?? (o.pairs ? 96 : 150);
  return {
    cols,
    colW,
    labelW,
    valueW: colW - labelW - CELL_PAD * 2,
    labelSize: o.labelSize ?? 9,
    valueSize: o.valueSize ?? 10,
  };
}

const valueFont = (r: Row, valueSize: number) => ({
  font: r.mono ? FONT.mono : FONT.regular,
  size: r.size ?? (r.mono ? valueSize - 0.5 : valueSize),
});

/** Heights of the table's lines, each measured in the fonts its cells are printed in. */
function tableLineHeights(doc: Doc, rows: Row[], o: TableOptions): number[] {
  const g = tableGeometry(doc, o);
  const out: number[] = [];
  for (let i = 0; i < rows.length; i += g.cols) {
    const heights = rows.slice(i, i + g.cols).map((r) => {
      const v = valueFont(r, g.valueSize);
      doc.font(v.font).fontSize(v.size);
      const hv = doc.heightOfString(printable(r.value) || '—', { width: g.valueW }) + (r.mono ? 0.5 : 0);
      doc.font(FONT.bold).fontSize(g.labelSize);
      const hl = doc.heightOfString(printable(r.label), { width: g.labelW - CELL_PAD * 2 }) + 0.5;
      return Math.max(hv, hl);
    });
    out.push(Math.max(...heights) + CELL_PAD * 2);
  }
  return out;
}

/** Height of `table` with these rows, space after included. */
export function tableHeight(doc: Doc, rows: Row[], o: TableOptions = {}): number {
  return tableLineHeights(doc, rows, o).reduce((a, h) => a + h, 0) + (o.gapAfter ?? 6);
}

/**
 * A two-column table of label and value with hairline rules. Pairs of rows may share a line
 * (`pairs: true`): label/value/label/value, for short fields. Cells wrap; a line is never split
 * over two pages.
 */
export function table(doc: Doc, rows: Row[], o: TableOptions = {}): void {
  const g = tableGeometry(doc, o);
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const pad = CELL_PAD;
  const heights = tableLineHeights(doc, rows, o);
  for (let i = 0; i < rows.length; i += g.cols) {
    const line = rows.slice(i, i + g.cols);
    const h = heights[i / g.cols]!;
    const moved = ensureSpace(doc, h);
    const first = i === 0 || moved; // a rule over the first line on each page
    const y = doc.y;
    line.forEach((r, j) => {
      const cx = x + j * g.colW;
      doc.rect(cx, y, g.labelW, h).fill(TINT);
      doc
        .fillColor(MUTED)
        .font(FONT.bold)
        .fontSize(g.labelSize)
        .text(printable(r.label), cx + pad, y + pad + 0.5, { width: g.labelW - pad * 2 });
      const v = valueFont(r, g.valueSize);
      doc.fillColor(INK).font(v.font).fontSize(v.size);
      doc.text(printable(r.value) || '—', cx + g.labelW + pad, y + pad + (r.mono ? 0.5 : 0), { width: g.valueW });
    });
    doc
      .moveTo(x, y + h)
      .lineTo(x + w, y + h)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    if (first)
      doc
        .moveTo(x, y)
        .lineTo(x + w, y)
        .lineWidth(0.4)
        .strokeColor(RULE)
        .stroke();
    doc.x = x;
    doc.y = y + h;
  }
  doc.fillColor(INK);
  doc.y += o.gapAfter ?? 6;
}

export interface ParagraphOptions {
  size?: number;
  italic?: boolean;
}

/** Height that `paragraph` takes, space after it included. */
export function paragraphHeight(doc: Doc, text: string, o: ParagraphOptions = {}): number {
  const size = o.size ?? 10;
  doc.font(o.italic ? FONT.italic : FONT.regular).fontSize(size);
  return doc.heightOfString(printable(text), { width: contentWidth(doc), lineGap: 1 }) + size * 0.5;
}

/** A justified paragraph; a new page first unless its first lines fit on this one. */
export function paragraph(doc: Doc, text: string, o: ParagraphOptions = {}): void {
  const x = doc.page.margins.left;
  const size = o.size ?? 10;
  doc
    .font(o.italic ? FONT.italic : FONT.regular)
    .fontSize(size)
    .fillColor(INK);
  const h = doc.heightOfString(printable(text), { width: contentWidth(doc), lineGap: 1 });
  ensureSpace(doc, Math.min(h, 60));
  doc.text(printable(text), x, doc.y, { width: contentWidth(doc), align: 'justify', lineGap: 1 });
  doc.y += size * 0.5;
}

export interface SignatureColumn {
  /** Heading above the lines, e.g. "Recipient". */
  heading?: string;
  /** Caption under the signature line. */
  signature: string;
  /** Caption under the printed-name line (omitted if absent); `printedName` prefills it. */
  name?: string;
  printedName?: string;
  /** Caption under the date line. */
  date: string;
}

const SIG_GAP = 28;
const SIG_DATE_W = 78;
/** Space above a line for the handwriting, and between the two rows of lines. */
const SIG_ABOVE = 27;
const SIG_ROW_GAP = 20;
/** Space after the block. */
const SIG_AFTER = 8;

/**
 * Where the lines of one column go, relative to the block's top: the same arithmetic serves
 * drawing and measuring, so a block measured as fitting is drawn as measured.
 */
function signatureColumnLayout(doc: Doc, c: SignatureColumn, colW: number) {
  const captionH = (text: string, width: number) => {
    doc.font(FONT.regular).fontSize(9);
    return 2.5 + doc.heightOfString(printable(text), { width });
  };
  let y = 0;
  if (c.heading) {
    doc.font(FONT.bold).fontSize(10);
    y += doc.heightOfString(printable(c.heading), { width: colW });
  }
  const signatureY = y + SIG_ABOVE;
  y = signatureY + captionH(c.signature, colW);
  const nameW = colW - SIG_DATE_W - 12;
  const secondY = y + SIG_ROW_GAP;
  const dateW = c.name !== undefined ? SIG_DATE_W : Math.min(colW, 150);
  const nameBottom = c.name !== undefined ? secondY + captionH(c.name, nameW) : secondY;
  const dateBottom = secondY + captionH(c.date, dateW);
  return { signatureY, secondY, nameW, dateW, bottom: Math.max(nameBottom, dateBottom) };
}

/** Height of `signatureLines` for these columns, space after included. */
export function signatureLinesHeight(doc: Doc, columns: SignatureColumn[]): number {
  const colW = (contentWidth(doc) - SIG_GAP * (columns.length - 1)) / columns.length;
  return Math.max(...columns.map((c) => signatureColumnLayout(doc, c, colW).bottom)) + SIG_AFTER;
}

/**
 * Wet-signature lines, one column per party: a signature line, then the printed-name line
 * and a date line side by side. Never split: the whole block moves to a new page if needed
 * (callers keep it with the statement it signs through `keepTogether`).
 */
export function signatureLines(doc: Doc, columns: SignatureColumn[]): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const colW = (w - SIG_GAP * (columns.length - 1)) / columns.length;
  ensureSpace(doc, signatureLinesHeight(doc, columns) - SIG_AFTER);
  const top = doc.y;
  let bottom = top;
  columns.forEach((c, i) => {
    const cx = x + i * (colW + SIG_GAP);
    const at = signatureColumnLayout(doc, c, colW);
    if (c.heading) {
      doc.font(FONT.bold).fontSize(10).fillColor(INK).text(printable(c.heading), cx, top, { width: colW });
    }
    const line = (lx: number, ly: number, width: number, caption: string, prefill?: string): void => {
      if (prefill) {
        doc
          .font(FONT.regular)
          .fontSize(10)
          .fillColor(INK)
          .text(printable(prefill), lx + 2, ly - 13, { width: width - 2, height: 12, ellipsis: true });
      }
      doc
        .moveTo(lx, ly)
        .lineTo(lx + width, ly)
        .lineWidth(0.7)
        .strokeColor(INK)
        .stroke();
      doc
        .font(FONT.regular)
        .fontSize(9)
        .fillColor(MUTED)
        .text(printable(caption), lx, ly + 2.5, { width });
    };
    line(cx, top + at.signatureY, colW, c.signature);
    if (c.name !== undefined) line(cx, top + at.secondY, at.nameW, c.name, c.printedName);
    line(c.name !== undefined ? cx + at.nameW + 12 : cx, top + at.secondY, at.dateW, c.date);
    bottom = Math.max(bottom, top + at.bottom);
  });
  doc.x = x;
  doc.y = bottom + SIG_AFTER;
  doc.fillColor(INK);
}

/** A statement and the lines of those who sign it: printed as one block, never split over pages. */
export interface SignedStatement {
  heading: string;
  paragraphs: { text: string; italic?: boolean; size?: number }[];
  /** Heading over the signature lines, if any. */
  signaturesHeading?: string;
  signatures: SignatureColumn[];
}

/** Height of `signedStatement`'s block, down to the last caption (the space after it may fall off the page). */
export function signedStatementHeight(doc: Doc, b: SignedStatement): number {
  let h = sectionHeadingHeight(doc, b.heading);
  for (const p of b.paragraphs) h += paragraphHeight(doc, p.text, p);
  if (b.signaturesHeading) h += sectionHeadingHeight(doc, b.signaturesHeading);
  return h + signatureLinesHeight(doc, b.signatures) - SIG_AFTER;
}

/**
 * The statement, then its signature lines, on one page: on this page if the whole block fits,
 * else at the top of the next. The lines never sit on another page than the words they sign.
 */
export function signedStatement(doc: Doc, b: SignedStatement): void {
  keepTogether(doc, signedStatementHeight(doc, b));
  sectionHeading(doc, b.heading);
  for (const p of b.paragraphs) paragraph(doc, p.text, p);
  if (b.signaturesHeading) sectionHeading(doc, b.signaturesHeading);
  signatureLines(doc, b.signatures);
}

/**
 * Write a footer on every buffered page: a rule, the text (with {page} and {pages}) and an
 * optional marking line above it. Bottom margin is lifted while writing, or pdfkit would start
 * a new page for text below it.
 */
export function footers(doc: Doc, text: string, marking?: string, /** @default 9 */ size = 9): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const x = doc.page.margins.left;
    const w = contentWidth(doc);
    let y = doc.page.height - bottom + 8;
    if (marking) {
      doc.font(FONT.bold).fontSize(size).fillColor(MUTED);
      const h = doc.heightOfString(printable(marking), { width: w });
      doc.text(printable(marking), x, y, { width: w, align: 'center' });
      y += h + 3;
    }
    doc
      .moveTo(x, y)
      .lineTo(x + w, y)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    doc.font(FONT.regular).fontSize(size).fillColor(MUTED);
    // Wraps (a long organization name) rather than running off the page.
    doc.text(printable(fill(text, { page: i + 1 - range.start, pages: range.count })), x, y + 4, {
      width: w,
      align: 'center',
    });
    doc.page.margins.bottom = bottom;
  }
  doc.fillColor(INK);
}

export interface VerificationBlock {
  /** PNG of the QR code. */
  qr: Buffer;
  heading: string;
  body: string;
  /** Label and value of the digest printed under the text (e.g. the ledger head). */
  label: string;
  value: string;
}

const QR_SIZE = 72;

/** Height of the verification block: the QR code or the text beside it, whichever is taller. */
export function verificationHeight(doc: Doc, b: VerificationBlock): number {
  const tw = contentWidth(doc) - QR_SIZE - 14;
  doc.font(FONT.bold).fontSize(9.5);
  let h = doc.heightOfString(printable(b.heading), { width: tw }) + 1;
  doc.font(FONT.regular).fontSize(9);
  h += doc.heightOfString(printable(b.body), { width: tw, lineGap: 0.5 }) + 2;
  doc.font(FONT.bold).fontSize(9);
  h += doc.heightOfString(`${printable(b.label)}:`, { width: tw }) + 11;
  return Math.max(QR_SIZE, h) + 8;
}

/** QR code at the left; heading, explanation and the digest beside it; a hairline above. */
export function drawVerification(doc: Doc, b: VerificationBlock): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const tx = x + QR_SIZE + 14;
  const tw = w - QR_SIZE - 14;
  const saved = doc.page.margins.bottom;
  doc.page.margins.bottom = 0; // the block is placed by the caller; never let it flow to a new page
  doc
    .moveTo(x, doc.y)
    .lineTo(x + w, doc.y)
    .lineWidth(0.5)
    .strokeColor(RULE)
    .stroke();
  const top = doc.y + 6;
  doc.image(b.qr, x, top, { width: QR_SIZE, height: QR_SIZE });
  doc.font(FONT.bold).fontSize(9.5).fillColor(ACCENT).text(printable(b.heading), tx, top, { width: tw });
  doc
    .font(FONT.regular)
    .fontSize(9)
    .fillColor(INK)
    .text(printable(b.body), tx, doc.y + 1, { width: tw, lineGap: 0.5 });
  doc
    .font(FONT.bold)
    .fontSize(9)
    .fillColor(MUTED)
    .text(`${printable(b.label)}:`, tx, doc.y + 2, { width: tw });
  doc.font(FONT.mono).fontSize(9).fillColor(INK).text(printable(b.value), tx, doc.y, { width: tw, lineBreak: false });
  doc.page.margins.bottom = saved;
  doc.x = x;
  doc.y = Math.max(doc.y + 11, top + QR_SIZE) + 6;
  doc.fillColor(INK);
}

/**
 * Draw the verification block at the foot of the current page and keep the page's other
 * content above it (so it stays on page 1 however long the rest is). Call the returned
 * function when that page's content is done: it restores the page's bottom margin, which the
 * footers rely on.
 */
export function anchorVerification(doc: Doc, b: VerificationBlock): () => void {
  const page = doc.page;
  const bottom = page.margins.bottom;
  const h = verificationHeight(doc, b);
  const y0 = doc.y;
  doc.y = page.height - bottom - h - 2;
  drawVerification(doc, b);
  doc.x = page.margins.left;
  doc.y = y0;
  page.margins.bottom = bottom + h + 6;
  return () => {
    page.margins.bottom = bottom;
  };
}
