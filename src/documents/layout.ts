/**
 * Shared page furniture for custody documents (receipts, certificates, notices): letterhead,
 * section headings, label/value tables, signature lines, footers, and the template loader.
 * pdfkit's standard fonts are used so documents render the same everywhere without shipping
 * font files; they cover Windows-1252 only, so `printable` escapes anything else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustodyError } from '../core/errors.js';

export const FONT = {
  regular: 'Helvetica',
  bold: 'Helvetica-Bold',
  italic: 'Helvetica-Oblique',
  mono: 'Courier',
  monoBold: 'Courier-Bold',
} as const;

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

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
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
  const date = `${MONTHS[+m[2]! - 1]} ${+m[3]!}, ${m[1]}`;
  if (o.dateOnly || m[4] === undefined) return date;
  const off = m[7] === 'Z' || m[7] === undefined ? 'UTC' : `UTC${m[7]}`;
  return `${date}, ${m[4]}:${m[5]}:${m[6] ?? '00'} (${off})`;
}

/** A span of two ISO times; the date is written once when both fall on the same day and offset. */
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
  return `${formatIso(from)} to ${formatIso(to)}`;
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

/** Start a new page unless `height` points still fit above the bottom margin. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
  }
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

export function sectionHeading(doc: Doc, text: string): void {
  ensureSpace(doc, 40);
  const x = doc.page.margins.left;
  doc.moveDown(0.2);
  doc
    .fillColor(ACCENT)
    .font(FONT.bold)
    .fontSize(11)
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

/**
 * A two-column table of label and value with hairline rules. Pairs of rows may share a line
 * (`pairs: true`): label/value/label/value, for short fields.
 */
export function table(
  doc: Doc,
  rows: Row[],
  o: {
    labelWidth?: number;
    pairs?: boolean /** @default 9 */;
    labelSize?: number /** @default 10 */;
    valueSize?: number;
  } = {},
): void {
  const labelSize = o.labelSize ?? 9;
  const valueSize = o.valueSize ?? 10;
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const pad = 3.5;
  const cols = o.pairs ? 2 : 1;
  const colW = w / cols;
  const labelW = o.labelWidth ?? (o.pairs ? 96 : 150);
  const valueW = colW - labelW - pad * 2;
  for (let i = 0; i < rows.length; i += cols) {
    const line = rows.slice(i, i + cols);
    const heights = line.map((r) => {
      doc.font(r.mono ? FONT.mono : FONT.regular).fontSize(r.size ?? (r.mono ? valueSize - 0.5 : valueSize));
      const hv = doc.heightOfString(printable(r.value) || ' ', { width: valueW });
      doc.font(FONT.bold).fontSize(labelSize);
      const hl = doc.heightOfString(printable(r.label), { width: labelW - pad * 2 });
      return Math.max(hv, hl);
    });
    const h = Math.max(...heights) + pad * 2;
    ensureSpace(doc, h);
    const y = doc.y;
    line.forEach((r, j) => {
      const cx = x + j * colW;
      doc.rect(cx, y, labelW, h).fill(TINT);
      doc
        .fillColor(MUTED)
        .font(FONT.bold)
        .fontSize(labelSize)
        .text(printable(r.label), cx + pad, y + pad + 0.5, { width: labelW - pad * 2 });
      doc
        .fillColor(INK)
        .font(r.mono ? FONT.mono : FONT.regular)
        .fontSize(r.size ?? (r.mono ? valueSize - 0.5 : valueSize));
      doc.text(printable(r.value) || '—', cx + labelW + pad, y + pad + (r.mono ? 0.5 : 0), { width: valueW });
    });
    doc
      .moveTo(x, y + h)
      .lineTo(x + w, y + h)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    if (i === 0)
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
  doc.moveDown(0.5);
}

export function paragraph(doc: Doc, text: string, o: { size?: number; italic?: boolean } = {}): void {
  const x = doc.page.margins.left;
  doc
    .font(o.italic ? FONT.italic : FONT.regular)
    .fontSize(o.size ?? 10)
    .fillColor(INK);
  const h = doc.heightOfString(printable(text), { width: contentWidth(doc), lineGap: 1 });
  ensureSpace(doc, Math.min(h, 60));
  doc.text(printable(text), x, doc.y, { width: contentWidth(doc), align: 'justify', lineGap: 1 });
  doc.moveDown(0.5);
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

/**
 * Wet-signature lines, one column per party: a signature line, then the printed-name line
 * and a date line side by side.
 */
export function signatureLines(doc: Doc, columns: SignatureColumn[]): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const gap = 28;
  const colW = (w - gap * (columns.length - 1)) / columns.length;
  ensureSpace(doc, 90);
  const top = doc.y;
  let bottom = top;
  columns.forEach((c, i) => {
    const cx = x + i * (colW + gap);
    let y = top;
    if (c.heading) {
      doc.font(FONT.bold).fontSize(10).fillColor(INK).text(printable(c.heading), cx, y, { width: colW });
      y = doc.y;
    }
    const line = (lx: number, ly: number, width: number, caption: string, prefill?: string): number => {
      if (prefill) {
        doc
          .font(FONT.regular)
          .fontSize(10)
          .fillColor(INK)
          .text(printable(prefill), lx + 2, ly - 13, { width, lineBreak: false });
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
      return doc.y;
    };
    y = line(cx, y + 27, colW, c.signature);
    const dateW = 78;
    const nameW = colW - dateW - 12;
    const y1 = c.name !== undefined ? line(cx, y + 22, nameW, c.name, c.printedName) : y;
    const y2 = line(
      c.name !== undefined ? cx + nameW + 12 : cx,
      y + 22,
      c.name !== undefined ? dateW : Math.min(colW, 150),
      c.date,
    );
    bottom = Math.max(bottom, y1, y2);
  });
  doc.x = x;
  doc.y = bottom + 8;
  doc.fillColor(INK);
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
    doc.text(printable(fill(text, { page: i + 1 - range.start, pages: range.count })), x, y + 4, {
      width: w,
      align: 'center',
      lineBreak: false,
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

const QR_SIZE = 78;

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
  page.margins.bottom = bottom + h + 8;
  return () => {
    page.margins.bottom = bottom;
  };
}
