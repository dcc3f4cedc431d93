/**
 * Checks of a rendered PDF's layout with poppler's own tools, as a reader's software sees it:
 * `pdftotext -bbox` for where every word sits, `pdffonts` for which fonts are embedded,
 * `pdftoppm` for what the page looks like (strokes such as signature lines carry no text).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './helpers.js';

export interface Word {
  /** 1-based page number. */
  page: number;
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

export interface Layout {
  pages: { width: number; height: number }[];
  words: Word[];
}

function save(pdf: Buffer): string {
  const f = path.join(tmpDir(), 'doc.pdf');
  fs.writeFileSync(f, pdf);
  return f;
}

const unentity = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#39);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : "'",
  );

/** Every word of the PDF with its box (points, origin at the top left), from `pdftotext -bbox`. */
export function layout(pdf: Buffer): Layout {
  const html = execFileSync('pdftotext', ['-bbox', save(pdf), '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const pages: Layout['pages'] = [];
  const words: Word[] = [];
  const re =
    /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const m of html.matchAll(re)) {
    if (m[1] !== undefined) {
      pages.push({ width: Number(m[1]), height: Number(m[2]) });
      continue;
    }
    words.push({
      page: pages.length,
      text: unentity(m[7]!),
      xMin: Number(m[3]),
      yMin: Number(m[4]),
      xMax: Number(m[5]),
      yMax: Number(m[6]),
    });
  }
  return { pages, words };
}

/**
 * Pairs of words whose boxes overlap by more than `tolerance` points both across and down: text
 * printed over other text. Boxes of neighbouring lines touch (a line's box is its font's ascent
 * plus descent); they must not cut into one another.
 */
export function overlaps(l: Layout, tolerance = 0.6): [Word, Word][] {
  const out: [Word, Word][] = [];
  for (let p = 1; p <= l.pages.length; p++) {
    const ws = l.words.filter((w) => w.page === p).sort((a, b) => a.yMin - b.yMin);
    for (let i = 0; i < ws.length; i++) {
      const a = ws[i]!;
      for (let j = i + 1; j < ws.length && ws[j]!.yMin < a.yMax - tolerance; j++) {
        const b = ws[j]!;
        const dx = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
        const dy = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
        if (dx > tolerance && dy > tolerance) out.push([a, b]);
      }
    }
  }
  return out;
}

/** Words that lie (partly) outside the page's printable area: `margin` points from each edge. */
export function outsidePage(l: Layout, margin = 18): Word[] {
  return l.words.filter((w) => {
    const pg = l.pages[w.page - 1]!;
    return w.xMin < margin || w.yMin < margin || w.xMax > pg.width - margin || w.yMax > pg.height - margin;
  });
}

/** Normalised text of one page (words joined by single spaces). */
export function pageText(l: Layout, page: number): string {
  return l.words
    .filter((w) => w.page === page)
    .map((w) => w.text)
    .join(' ');
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Pages on which `phrase` occurs whole (its words in reading order on one page). pdftotext reads
 * justified lines word by word, so the phrase is compared with spaces normalised.
 */
export function pagesWith(l: Layout, phrase: string): number[] {
  const want = norm(phrase);
  const found: number[] = [];
  for (let p = 1; p <= l.pages.length; p++) if (pageText(l, p).includes(want)) found.push(p);
  return found;
}

/** The boxes of the words of `phrase`'s first occurrence on `page` (throws when absent). */
export function phraseBoxes(l: Layout, page: number, phrase: string): Word[] {
  const want = norm(phrase).split(' ');
  const ws = l.words.filter((w) => w.page === page);
  for (let i = 0; i + want.length <= ws.length; i++) {
    if (want.every((t, k) => ws[i + k]!.text === t)) return ws.slice(i, i + want.length);
  }
  throw new Error(`"${phrase}" is not on page ${page}`);
}

export interface FontRow {
  name: string;
  type: string;
  embedded: boolean;
}

/** The fonts the PDF uses, from `pdffonts`. */
export function fonts(pdf: Buffer): FontRow[] {
  const out = execFileSync('pdffonts', [save(pdf)], { encoding: 'utf8' });
  const lines = out.split('\n');
  const header = lines[0]!;
  const at = (col: string) => header.indexOf(col);
  return lines
    .slice(2)
    .filter((s) => s.trim())
    .map((s) => ({
      name: s.slice(0, at('type')).trim(),
      type: s.slice(at('type'), at('encoding')).trim(),
      embedded: s.slice(at('emb'), at('sub')).trim() === 'yes',
    }));
}

export interface Gray {
  width: number;
  height: number;
  /** One byte per pixel, 0 black … 255 white. */
  data: Buffer;
}

/** Page `page` rendered by `pdftoppm -gray` at `dpi` (72: one pixel per point). */
export function renderGray(pdf: Buffer, page: number, dpi = 72): Gray {
  const dir = tmpDir();
  execFileSync('pdftoppm', [
    '-gray',
    '-r',
    String(dpi),
    '-f',
    String(page),
    '-l',
    String(page),
    save(pdf),
    path.join(dir, 'p'),
  ]);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.pgm'))!;
  const buf = fs.readFileSync(path.join(dir, file));
  // Binary PGM: "P5\n<w> <h>\n<max>\n" then the pixels.
  const head = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 40).toString('latin1'))!;
  return { width: Number(head[1]), height: Number(head[2]), data: buf.subarray(head[0].length) };
}

/**
 * True when a dark horizontal stroke runs under most of [x0, x1] within `above` points over `y`
 * (a signature line drawn just above its caption). Coordinates in points; `dpi` is the image's.
 */
export function ruleAbove(img: Gray, dpi: number, x0: number, x1: number, y: number, above = 6): boolean {
  const k = dpi / 72;
  const from = Math.max(0, Math.floor(x0 * k));
  const to = Math.min(img.width, Math.ceil(x1 * k));
  for (let row = Math.max(0, Math.floor((y - above) * k)); row < Math.min(img.height, Math.ceil(y * k)); row++) {
    let dark = 0;
    for (let c = from; c < to; c++) if (img.data[row * img.width + c]! < 140) dark++;
    if (dark >= 0.9 * (to - from)) return true;
  }
  return false;
}

/** Share of non-white pixels on a page: a blank page has none. */
export function ink(img: Gray): number {
  let n = 0;
  for (const v of img.data) if (v < 200) n++;
  return n / img.data.length;
}

/** The PDF's lines of text: words on one page sharing a baseline, left to right, joined by spaces. */
export function lines(l: Layout): { page: number; y: number; text: string }[] {
  const by = new Map<string, Word[]>();
  for (const w of l.words) {
    const k = `${w.page}:${Math.round(w.yMax)}`;
    by.set(k, [...(by.get(k) ?? []), w]);
  }
  return [...by.values()].map((ws) => ({
    page: ws[0]!.page,
    y: ws[0]!.yMax,
    text: ws
      .sort((a, b) => a.xMin - b.xMin)
      .map((w) => w.text)
      .join(' ')
      .replace(/\u00a0/g, ' '),
  }));
}
