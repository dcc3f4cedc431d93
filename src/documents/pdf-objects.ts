/**
 * Just enough PDF object syntax to read back what custody wrote: strings, dates, dictionary
 * values, and embedded files (attachments). Input is untrusted; functions return undefined
 * rather than guess.
 */
import { inflateSync } from 'node:zlib';
import { CustodyError } from '../core/errors.js';

const LATIN1 = 'latin1';

/** Decode a PDF string token starting at `p` ('(' literal or '<' hex); UTF-16BE with BOM honoured. */
export function readPdfString(s: string, p: number): string | undefined {
  let bytes: number[] = [];
  if (s[p] === '<') {
    const end = s.indexOf('>', p);
    if (end < 0) return undefined;
    const hex = s.slice(p + 1, end).replace(/\s+/g, '');
    for (let i = 0; i < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2).padEnd(2, '0'), 16));
  } else if (s[p] === '(') {
    let depth = 1;
    let i = p + 1;
    const esc: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 };
    while (i < s.length && depth > 0) {
      const c = s[i]!;
      if (c === '\\') {
        const n = s[i + 1]!;
        if (n in esc) {
          bytes.push(esc[n]!);
          i += 2;
        } else if (/[0-7]/.test(n)) {
          const m = /^[0-7]{1,3}/.exec(s.slice(i + 1))![0];
          bytes.push(parseInt(m, 8) & 0xff);
          i += 1 + m.length;
        } else if (n === '\r' || n === '\n') {
          i += n === '\r' && s[i + 2] === '\n' ? 3 : 2;
        } else {
          bytes.push(n.charCodeAt(0));
          i += 2;
        }
        continue;
      }
      if (c === '(') depth++;
      if (c === ')' && --depth === 0) break;
      bytes.push(c.charCodeAt(0));
      i++;
    }
  } else return undefined;
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    bytes = bytes.slice(2);
    const b = Buffer.from(bytes.length % 2 ? [...bytes, 0] : bytes).swap16();
    return b.toString('utf16le');
  }
  return Buffer.from(bytes).toString(LATIN1);
}

/** D:YYYYMMDDHHmmSSOHH'mm' → Date. */
export function parsePdfDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz])|([+-])(\d{2})'?(\d{2})?'?)?/.exec(s);
  if (!m) return undefined;
  const utc = Date.UTC(+m[1]!, +(m[2] ?? 1) - 1, +(m[3] ?? 1), +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  const off = m[8] ? (m[8] === '-' ? -1 : 1) * (+m[9]! * 60 + +(m[10] ?? 0)) : 0;
  return new Date(utc - off * 60_000);
}

export function dictString(dict: string, key: string): string | undefined {
  const re = new RegExp(`/${key}\\s*([(<])`);
  const m = re.exec(dict);
  if (!m || (m[1] === '<' && dict[m.index + m[0].length] === '<')) return undefined;
  return readPdfString(dict, m.index + m[0].length - 1);
}

/** Byte offsets of the last definition of each object number (later ones win, as in an update). */
function objectOffsets(text: string): Map<number, number> {
  const map = new Map<number, number>();
  for (const m of text.matchAll(/(?:^|[\r\n\s])(\d+)\s+\d+\s+obj\b/g)) {
    map.set(Number(m[1]), m.index + m[0].length);
  }
  return map;
}

/** The text of object `n` up to its `stream` keyword or `endobj`. */
function objectDict(text: string, at: number): string {
  const end = text.indexOf('endobj', at);
  const s = text.slice(at, end < 0 ? text.length : end);
  const st = s.search(/\bstream\r?\n/);
  return st < 0 ? s : s.slice(0, st);
}

/**
 * The bytes of the embedded file called `name` (its /UF or /F), decompressed if it uses
 * /FlateDecode; undefined if there is none or it cannot be read.
 */
export function extractAttachment(pdf: Buffer, name: string): Buffer | undefined {
  const text = pdf.toString(LATIN1);
  const offsets = objectOffsets(text);
  for (const at of offsets.values()) {
    const dict = objectDict(text, at);
    if (!/\/Type\s*\/Filespec\b/.test(dict)) continue;
    if (dictString(dict, 'UF') !== name && dictString(dict, 'F') !== name) continue;
    const ef = /\/EF\s*<<\s*\/F\s+(\d+)\s+\d+\s+R/.exec(dict);
    if (!ef) continue;
    const fileAt = offsets.get(Number(ef[1]));
    if (fileAt === undefined) continue;
    const fdict = objectDict(text, fileAt);
    const lenM = /\/Length\s+(\d+)(\s+\d+\s+R)?/.exec(fdict);
    if (!lenM) continue;
    let len = Number(lenM[1]);
    if (lenM[2]) {
      const lenAt = offsets.get(len);
      const v = lenAt === undefined ? undefined : /^\s*(\d+)/.exec(text.slice(lenAt));
      if (!v) continue;
      len = Number(v[1]);
    }
    const kw = /stream(\r\n|\n)/.exec(text.slice(fileAt + fdict.length, fileAt + fdict.length + 20));
    if (!kw) continue;
    const start = fileAt + fdict.length + kw.index + kw[0].length;
    if (start + len > pdf.length) continue;
    const data = pdf.subarray(start, start + len);
    const filter = /\/Filter\s*\[?\s*\/(\w+)/.exec(fdict)?.[1];
    try {
      if (!filter) return Buffer.from(data);
      if (filter === 'FlateDecode') return inflateSync(data);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The JSON object custody embedded as `name`, checked to carry `schema` (its "schema" member is
 * removed from the result). Throws CustodyError('integrity') if absent or unreadable.
 */
export function readEmbeddedJson(pdf: Buffer, name: string, schema: string, what: string): Record<string, unknown> {
  const raw = extractAttachment(pdf, name);
  if (!raw) throw new CustodyError('integrity', `This PDF carries no ${name}; it is not a custody ${what}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new CustodyError('integrity', `The ${what} data in the PDF is not valid JSON.`, undefined, { cause: e });
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { schema?: unknown }).schema !== schema) {
    throw new CustodyError('integrity', `The ${what} data is not ${schema}.`);
  }
  const { schema: _schema, ...rest } = parsed as Record<string, unknown>;
  return rest;
}

/** Attach `data` as `name` (JSON with a "schema" member) to a pdfkit document. */
export function embedJson(
  doc: PDFKit.PDFDocument,
  name: string,
  schema: string,
  data: object,
  o: { description: string; date: Date },
): void {
  const json = Buffer.from(`${JSON.stringify({ schema, ...data }, null, 2)}\n`, 'utf8');
  // pdfkit's typings omit `relationship` (PDF 2.0 /AFRelationship); it is supported.
  (doc.file as (src: Buffer, opts: object) => unknown)(json, {
    name,
    type: 'application/json',
    description: o.description,
    relationship: 'Data',
    creationDate: o.date,
    modifiedDate: o.date,
  });
}
