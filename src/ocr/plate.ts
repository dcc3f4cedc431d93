/**
 * Reading a plate with the PP-OCR engine (ppocr.ts): detection, rows, restricted CTC
 * decode, and US layout knowledge to choose among readings.
 *
 * A crop: detect text (the crop upscaled so its short side is at least 96 px) → boxes
 * grouped into rows (a serial split by an emblem is one row) → the tallest rows read (a
 * slanted one cut level along the detector's region),
 * and the tallest also across the crop's full width (its ends are sometimes missed) →
 * characters at either end dropped where their ink is a stack of short letters (found
 * by where the recogniser placed each character along the line) → readings voted on,
 * weighed by their probability, the row's height and the layout (O/0 by layout and place).
 *
 * A frame: detect on the frame at ≤ 960 px → plate-sized regions around plausible text
 * boxes → each region read as a crop (a second detection at the region's own scale), until
 * one reads a plate clearly; a later region that reads weakly beside the best is not read
 * again → the best region's reading, the others' as alternatives. Camera overlays (clock, date)
 * are rejected by their reading and place.
 */
import { beamDecode, type Decoded } from './ctc.js';
import { dbBoxes, groupRows, type Row, type TextBox } from './db.js';
import { type Box, type Comp, components, cropGrey, decodeGrey, type Grey, rotatedCrop } from './image.js';
import { COMMON_LAYOUTS, layoutFixes, layoutOf, layoutPrior, US_LAYOUTS } from './layout.js';
import { type Engine, PLATE_CHARS } from './ppocr.js';

export interface Scored {
  text: string;
  score: number;
}

export interface PlateRead {
  scored: Scored[];
  /** The serial row, with a margin, in the pixels of the image read. */
  box: Box | null;
}

const round32 = (v: number) => Math.max(32, Math.round(v / 32) * 32);

/** Tunables, overridable for measurement (CUSTODY_OCR_* environment variables are read by the bench only). */
export interface PlateTuning {
  /** Least short side of a crop for detection, px; @default 96 */
  cropMinSide: number;
  /** Least short side of a frame's region for detection, px (96: cars 62.9 % against 64.3 %); @default 192 */
  regionMinSide: number;
  /** Greatest long side for detection on a crop, px; @default 640 */
  cropMaxSide: number;
  /** Greatest long side of a frame for detection, px; @default 960 */
  frameSide: number;
  /** Rows read per crop, tallest first (the serial is nearly always the tallest); @default 1 */
  rows: number;
  /** Regions read per frame; @default 3 */
  regions: number;
  /** Width lines are padded to for recognition, as PaddleOCR pads (without: cars 58.6 % instead of 62.9 %); @default 320 */
  recMinW: number;
  /** Weight of the tallest row read across the crop's full width; @default 0.7 */
  fullWidth: number;
  /** Weight of a split row read box by box; @default 0.8 */
  split: number;
  /** Weight of a reading with its letter O kept (the vote reads O as 0); @default 0.3 */
  keepO: number;
  /** A reading's score is its votes × (priorBase + layout prior): how much the layout counts; @default 0.35 */
  priorBase: number;
  /** Weight of the serial row read again in a looser box; @default 1 */
  loose: number;
  /**
   * A serial row read with this probability, as a usual layout, is not read again (0.9 → 0.8
   * with `enough` and `laterBar`: cars' recognitions per frame 6.0 → 4.5, no frame's top
   * reading nor right-plate-among-alternatives changed, crops unchanged at 96.0 %; at 0.7,
   * 4.1 and still none changed; at 0.6 a first read of 0.61 was taken and one plate lost);
   * @default 0.8
   */
  sureAt: number;
  /** A frame's region around a text row: its width and height in the row's; @default 1.5, 3 */
  regionW: number;
  regionH: number;
  /** In a frame, a region's reading without a digit counts this much against others; @default 0.4 */
  wordFactor: number;
  /** Weight of a reading with its least sure character (under 0.7) left out (cars in alternatives 81.4 → 82.9 %; at 3, exact falls); @default 1 */
  dropDoubt: number;
  /**
   * A character at either end whose ink is shorter than this share of the others', one of a
   * stack, is dropped (stacked letters beside a serial; with the row cut to its tall blobs
   * it replaced, crops 92.3 → 93.5 %); 0: never; @default 0.7
   */
  endShort: number;
  /** Prior of a four-character reading (layout.ts; 0.4 measured no better); @default 0.15 */
  fourPrior: number;
  /** Weight of a wider line's reading that extends the serial row's by full-height characters the detector left out (crops +1.2 points with endShort and oByPlace); @default 2 */
  extend: number;
  /** O/0 by place as well as by layout: a leading O before letters is 0, a 0 inside a letter group is O (crops +2 points); 0: off; @default 1 */
  oByPlace: number;
  /**
   * Prior of a reading of letters and digits in no listed layout (layout.ts; 0.5 measured no
   * better; neither was a vote for each one-character removal that fits a common layout);
   * @default 0.7
   */
  otherPrior: number;
  /**
   * A frame's regions are read until one reads a plate valued at least this (0: all are read;
   * at 0.8, cars' CPU time −14 % and the same exact share, but fewer right plates among the
   * alternatives: 87.1 → 85.7 %; at 1.1 none fewer and 0.65 fewer recognitions per frame, at
   * 0.9 and 1.0 one right plate fewer among the alternatives); @default 1.1
   */
  enough: number;
  /**
   * In a frame, a later region whose serial row reads at less than this share of the best
   * region's value so far is not read again (stretched, looser, full width): its readings are
   * only alternatives then. With `enough` and sureAt 0.8, 0.5 saves 0.46 recognitions per frame
   * (0.3: 0.40, 1: 0.52) with the same readings on top; 0: always; @default 0.5
   */
  laterBar: number;
  /** Weight of a reading with look-alike twins (O/0, I/1) swapped into a common layout; @default 0.5 */
  twinFix: number;
  /**
   * Weight of a reading with its letter I kept where the vote reads it as 1 (iToOne: the
   * reading fits no listed layout and with 1 for I it does; cars 78.6 → 80.0 %, crops 96.0 →
   * 96.4 %); 0: I is never read as 1; @default 0.3
   */
  keepI: number;
  /**
   * A reading of ten or more characters counts this much: no US plate holds that many (vanity
   * plates reach nine, BIGCHEESE), so the line ran on past the plate (a Californian plate
   * mounted over a longer European one: cars 80.0 → 81.4 % with the split row's parts read
   * alone); @default 0.3
   */
  tooLong: number;
  /**
   * In a frame's region, read the serial row across the region's full width too (fullWidth)? The
   * region is cut around the row already: off, cars read the same (57/70, 64/70) with 0.8 fewer
   * recognitions per frame (4.5 → 3.7); crops keep it (95.6 → 96.4 %); 0: off; @default 0
   */
  frameFullWidth: number;
  /** endShort drops a short end character only where letters are stacked; @default 1 */
  stackOnly: number;
  /**
   * A single-box serial row slanted by at least this many degrees is read level, cut along
   * its slant (cars 67.1 → 72.9 %, crops unchanged; at 1°, 71.4 %); 0: never; @default 2
   */
  deskew: number;
  /**
   * Lines are widened by this factor beyond their aspect ratio for recognition: plate
   * lettering is condensed, tall and narrow beside the text the recogniser learnt, and its
   * narrow characters (1, I) and close pairs are dropped or merged in too few time steps
   * (cars 70.0 → 75.7 % exact at 1.5, 72.9 % at 1.25 and at 2; crops 96.8 → 96.0 %);
   * @default 1.5
   */
  recStretch: number;
  /**
   * In a frame's region, weight of the serial row read again at stretches stretchLo and
   * stretchHi when it is not read clearly (cars 75.7 → 78.6 %; at 1 alone, or 1.2 alone,
   * 78.6 and 77.1 %; on crops it changed nothing and cost 40 % more time); 0: not; @default 0.5
   */
  stretchVote: number;
  /** @default 1.2 */
  stretchLo: number;
  /** @default 1.8 */
  stretchHi: number;
}

export const DEFAULT_TUNING: PlateTuning = {
  cropMinSide: 96,
  regionMinSide: 192,
  cropMaxSide: 640,
  frameSide: 960,
  rows: 1,
  regions: 3,
  recMinW: 320,
  fullWidth: 0.7,
  split: 0.8,
  keepO: 0.3,
  priorBase: 0.35,
  loose: 1,
  sureAt: 0.8,
  regionW: 1.5,
  regionH: 3,
  wordFactor: 0.4,
  dropDoubt: 1,
  endShort: 0.7,
  fourPrior: 0.15,
  extend: 2,
  oByPlace: 1,
  twinFix: 0.5,
  keepI: 0.3,
  tooLong: 0.3,
  frameFullWidth: 0,
  enough: 1.1,
  laterBar: 0.5,
  otherPrior: 0.7,
  stackOnly: 1,
  deskew: 2,
  recStretch: 1.5,
  stretchVote: 0.5,
  stretchLo: 1.2,
  stretchHi: 1.8,
};

/** The detector's regions are grown by this ratio (db.ts). */
const UNCLIP = 1.6;

/** Detection on `g` scaled by `s`; boxes in `g`'s pixels. */
async function detectBoxes(engine: Engine, g: Grey, s: number): Promise<TextBox[]> {
  const w = round32(g.width * s);
  const h = round32(g.height * s);
  const map = await engine.detect(g, w, h);
  const sx = g.width / w;
  const sy = g.height / h;
  return dbBoxes(map, w, h, { unclip: UNCLIP }).map((b) => ({
    x: b.x * sx,
    y: b.y * sy,
    width: b.width * sx,
    height: b.height * sy,
    score: b.score,
    angle: b.angle,
    long: b.long && b.long * sx,
    thick: b.thick && b.thick * sy,
    cx: b.cx && b.cx * sx,
    cy: b.cy && b.cy * sy,
  }));
}

interface LineRead {
  readings: Decoded[];
  weight: number;
}

async function readLine(engine: Engine, g: Grey, b: Box, tune: PlateTuning): Promise<Decoded[]> {
  return readGrey(engine, cropGrey(g, b), tune);
}

/**
 * A slanted single-box row, level: the detector's region turned by its slant and cut
 * to its own length and thickness (grown as the box is), so the characters fill the
 * line's height instead of a box that holds the slant. Null when the row is level or
 * not one box.
 */
function levelRow(g: Grey, row: Row, unclip: number, minDeg: number): Grey | null {
  if (row.boxes.length !== 1) return null;
  const b = row.boxes[0]!;
  const deg = (Math.abs(b.angle ?? 0) * 180) / Math.PI;
  if (!b.long || !b.thick || b.cx === undefined || b.cy === undefined || deg < minDeg || deg > 20) return null;
  const d = (b.long * b.thick * unclip) / (2 * (b.long + b.thick));
  return rotatedCrop(g, b.cx, b.cy, b.long + 2 * d, b.thick + 2 * d, b.angle!);
}

async function readGrey(engine: Engine, line: Grey, tune: PlateTuning): Promise<Decoded[]> {
  if (line.width < 4 || line.height < 4) return [];
  const { probs, steps, stepPx } = await engine.recognise(line, tune.recMinW, tune.recStretch);
  const readings = beamDecode(probs, steps, PLATE_CHARS, 12);
  return tune.endShort > 0 ? trimShortEnds(line, readings, stepPx, tune.endShort, tune.stackOnly > 0) : readings;
}

/** Ink blobs of a line: the rarer side of its mean grey level, 4-connected. */
export function inkBlobs(line: Grey): Comp[] {
  const n = line.width * line.height;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += line.data[i]!;
  const mean = sum / n;
  let dark = 0;
  for (let i = 0; i < n; i++) if (line.data[i]! < mean) dark++;
  const inkDark = dark < n / 2;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = line.data[i]! < mean === inkDark ? 1 : 0;
  return components(mask, line.width, line.height, 4).comps;
}

/**
 * The height of the ink under each character (by where the recogniser placed it along the
 * line), NaN where no blob tells: nothing there, or a blob spanning the line (a border).
 */
export function inkHeights(line: Grey, blobs: Comp[], at: number[], stepPx: number): number[] {
  return inkColumns(line, blobs, at, stepPx).map((c) => c.height);
}

interface InkColumn {
  /** Height of the tallest blob under the character (NaN: unknown). */
  height: number;
  /** Two or more blobs one above the other there (stacked letters). */
  stacked: boolean;
}

function inkColumns(line: Grey, blobs: Comp[], at: number[], stepPx: number): InkColumn[] {
  const usual = blobs.filter((k) => k.height >= 0.4 * line.height && k.height <= 0.95 * line.height);
  const widths = usual.map((k) => k.width).sort((a, b) => a - b);
  const charW = widths.length ? widths[widths.length >> 1]! : line.height;
  const minArea = 0.002 * line.width * line.height;
  return at.map((t) => {
    const x = (t + 0.5) * stepPx;
    let h = Number.NaN;
    let wide = false;
    const under: Comp[] = [];
    for (const k of blobs) {
      if (k.x > x + 1 || k.x + k.width < x - 1) continue;
      if (k.height > 0.95 * line.height && k.width > 0.5 * line.width) continue;
      if (k.area < minArea) continue;
      under.push(k);
      // A blob much wider than a character is a picture (an emblem, a logo), not one.
      if (k.width > 1.6 * charW && k.height >= 0.4 * line.height) wide = true;
      if (!(k.height <= h)) h = k.height;
    }
    // Stacked letters may be narrower than the recogniser's step: look a step either side.
    const big = blobs
      .filter(
        (k) =>
          k.height >= 0.2 * line.height &&
          k.height < 0.7 * line.height &&
          k.area >= minArea &&
          k.x <= x + stepPx &&
          k.x + k.width >= x - stepPx,
      )
      .sort((a, b) => a.y - b.y);
    const near = under.filter((k) => k.height >= 0.2 * line.height).sort((a, b) => a.y - b.y);
    let stacked = false;
    for (const list of [big, near])
      for (let i = 1; i < list.length; i++) if (list[i]!.y >= list[i - 1]!.y + list[i - 1]!.height - 2) stacked = true;
    return { height: wide ? Number.NaN : h, stacked };
  });
}

/**
 * Readings with the characters at either end dropped while their ink is shorter than
 * `share` of the median character's (or unknown, just outside such a character): stacked
 * letters beside a serial (Massachusetts' RT, New Jersey's LE), a sticker's text, a bolt,
 * a logo. Readings that become equal merge. Each keeps its characters' relative heights.
 */
export function trimShortEnds(
  line: Grey,
  readings: Decoded[],
  stepPx: number,
  share: number,
  stackOnly = true,
): Decoded[] {
  if (!readings.some((d) => d.text.length >= 3 && d.at.length === d.text.length)) return readings;
  const blobs = inkBlobs(line);
  const out = new Map<string, Decoded>();
  for (const d of readings) {
    let keep = d;
    if (d.text.length >= 3 && d.at.length === d.text.length) {
      const cols = inkColumns(line, blobs, d.at, stepPx);
      const known = cols
        .map((c) => c.height)
        .filter((v) => !Number.isNaN(v))
        .sort((a, b) => a - b);
      if (known.length >= 3) {
        const median = known[known.length >> 1]!;
        const rel = cols.map((c) => c.height / median);
        let i0 = 0;
        let i1 = d.text.length;
        // Short, and one of a stack (a character cut by a coloured band is short alone).
        const short = (i: number) => rel[i]! < share && (!stackOnly || cols[i]!.stacked);
        const unknown = (i: number) => Number.isNaN(rel[i]!);
        while (i1 - i0 > 2 && (short(i0) || (unknown(i0) && short(i0 + 1)))) i0++;
        while (i1 - i0 > 2 && (short(i1 - 1) || (unknown(i1 - 1) && short(i1 - 2)))) i1--;
        keep = {
          text: d.text.slice(i0, i1),
          p: d.p,
          charConf: d.charConf.slice(i0, i1),
          at: d.at.slice(i0, i1),
          rel: rel.slice(i0, i1),
        };
      }
    }
    const prev = out.get(keep.text);
    if (prev) prev.p += keep.p;
    else out.set(keep.text, { ...keep });
  }
  return [...out.values()].sort((a, b) => b.p - a.p);
}

/**
 * A wider line's reading that holds the serial row's reading whole, with full-height
 * characters beside it the detector left out (a lone first letter, a county number
 * before an emblem); null when it does not.
 */
export function extension(row: Decoded | undefined, wide: Decoded | undefined): Decoded | null {
  if (!row || !wide?.rel || wide.text === row.text) return null;
  const i = wide.text.indexOf(row.text);
  if (i < 0) return null;
  const extra = [...wide.rel.slice(0, i), ...wide.rel.slice(i + row.text.length)];
  return extra.length && extra.every((r) => r >= 0.8 && r <= 1.25) ? wide : null;
}

/** Readings of the parts joined: the top few of each, their probabilities multiplied. */
function joinReadings(parts: Decoded[][], keep = 4): Decoded[] {
  let acc: Decoded[] = [{ text: '', p: 1, charConf: [], at: [] }];
  for (const part of parts) {
    if (!part.length) continue;
    const next: Decoded[] = [];
    for (const a of acc)
      for (const b of part.slice(0, keep))
        next.push({ text: a.text + b.text, p: a.p * b.p, charConf: [...a.charConf, ...b.charConf], at: [] });
    acc = next.sort((x, y) => y.p - x.p).slice(0, 12);
  }
  return acc.filter((d) => d.text);
}

/** Does a common layout of this length, agreeing with the other characters' kinds, want a letter at `i`? */
function letterWanted(text: string, i: number): boolean {
  const shape = layoutOf(text);
  return US_LAYOUTS.slice(0, COMMON_LAYOUTS).some((l) => {
    if (l.length !== text.length || l[i] !== 'A') return false;
    for (let k = 0; k < l.length; k++) if (k !== i && text[k] !== 'O' && l[k] !== shape[k]) return false;
    return true;
  });
}

/**
 * The letter O read as the digit 0 where no common layout wants a letter: most states
 * leave O out of serials and draw 0 and O alike, and the labels of real plates write 0
 * even in vanity words. The reading with its O kept stays in the vote, weaker.
 */
export function oToZero(text: string, byPlace = false): string {
  let out = '';
  for (let i = 0; i < text.length; i++)
    out += text[i] === 'O' && (!letterWanted(text, i) || (byPlace && leadingZero(text, i))) ? '0' : text[i]!;
  if (!byPlace) return out;
  // A 0 between two letters where a common layout wants a letter, the reading fitting none:
  // the letter O of a letter group (Iowa's 778 AOS).
  const common = US_LAYOUTS.slice(0, COMMON_LAYOUTS);
  if (common.includes(layoutOf(out))) return out;
  for (let i = 1; i < out.length - 1; i++) {
    if (out[i] !== '0' || !/[A-Z]/.test(out[i - 1]!) || !/[A-Z]/.test(out[i + 1]!)) continue;
    const t = `${out.slice(0, i)}O${out.slice(i + 1)}`;
    if (common.includes(layoutOf(t))) return t;
  }
  return out;
}

/**
 * The letter I read as the digit 1 when the reading fits no listed layout and does with
 * every I as 1 (CK0AIF → CK0A1F): most states leave I out of serials and draw 1 and I
 * alike, as with O and 0. A reading that fits a layout as it is keeps its I.
 */
export function iToOne(text: string): string {
  if (!text.includes('I') || US_LAYOUTS.includes(layoutOf(text))) return text;
  const t = text.replaceAll('I', '1');
  return US_LAYOUTS.includes(layoutOf(t)) ? t : text;
}

/**
 * An O first, before letters and then digits: the 0 of a numeric prefix (Nebraska's and
 * Missouri's 0JT 898), since serials that start with the letter O are rare.
 */
const leadingZero = (text: string, i: number) => i === 0 && /^O[A-Z]{1,3}[0-9]{2,}$/.test(text);

/** Votes over the readings of a plate's lines. */
export function votePlate(lines: LineRead[], tune: PlateTuning = DEFAULT_TUNING): Scored[] {
  const score = new Map<string, number>();
  const add = (t: string, v: number) => {
    if (t.length >= 2) score.set(t, (score.get(t) ?? 0) + v);
  };
  for (const l of lines) {
    for (const d of l.readings) {
      const noO = oToZero(d.text, tune.oByPlace > 0);
      const text = tune.keepI > 0 ? iToOne(noO) : noO;
      const v = l.weight * d.p;
      add(text, v);
      if (noO !== d.text) add(d.text, v * tune.keepO);
      if (text !== noO) add(noO, v * tune.keepI);
      // A doubtful character may be a mark between two groups (an emblem, a dash, a bolt).
      if (tune.dropDoubt > 0 && text.length >= 6 && d.charConf.length === text.length) {
        let i = 0;
        for (let k = 1; k < text.length; k++) if (d.charConf[k]! < d.charConf[i]!) i = k;
        if (d.charConf[i]! < 0.7) add(text.slice(0, i) + text.slice(i + 1), v * tune.dropDoubt * (1 - d.charConf[i]!));
      }
      for (const [t, cost] of layoutFixes(text)) add(t, v * (cost <= 0.5 ? tune.twinFix : cost <= 1.25 ? 0.2 : 0.08));
    }
  }
  // Per unit of weight read, so a plate read once because it was clear compares fairly
  // with a sign read three times.
  const total = lines.reduce((a, l) => a + (l.readings.length ? l.weight : 0), 0) || 1;
  const out = [...score.entries()].map(([text, s]) => ({
    text,
    score:
      (s / total) *
      (tune.priorBase + layoutPrior(text, tune.fourPrior, tune.otherPrior)) *
      (text.length > 9 ? tune.tooLong : 1),
  }));
  return out.sort((a, b) => b.score - a.score);
}

/** The readable rows of a crop: wide enough to hold characters, tallest first. */
function serialRows(rows: Row[], g: Grey): Row[] {
  return rows.filter((r) => r.width >= r.height * 0.8 && r.height >= Math.max(6, g.height * 0.08));
}

export async function readCrop(
  engine: Engine,
  g: Grey,
  tune: PlateTuning = DEFAULT_TUNING,
  debug?: (s: string) => void,
  minSide = tune.cropMinSide,
  inFrame = false,
  /** A reading valued under this after the serial row's first read ends the reading (frameValue). */
  skipBelow = 0,
): Promise<PlateRead> {
  const short = Math.min(g.width, g.height);
  const long = Math.max(g.width, g.height);
  const s = Math.min(Math.max(1, minSide / short), tune.cropMaxSide / long);
  const rows = serialRows(groupRows(await detectBoxes(engine, g, s)), g).slice(0, tune.rows);
  if (!rows.length) {
    // Nothing detected: read the whole crop as one line.
    const readings = await readLine(engine, g, { x: 0, y: 0, width: g.width, height: g.height }, tune);
    return { scored: votePlate([{ readings, weight: 0.5 }], tune), box: null };
  }
  const top = rows[0]!;
  const lines: LineRead[] = [];
  for (const r of rows) {
    const rel = r.height / top.height;
    const level = tune.deskew > 0 ? levelRow(g, r, UNCLIP, tune.deskew) : null;
    if (level && debug) debug(`  level ${level.width}x${level.height} from ${fmtBox(r)}`);
    lines.push({
      readings: level ? await readGrey(engine, level, tune) : await readLine(engine, g, r, tune),
      weight: rel * rel,
    });
  }
  // A serial split by an emblem or a sticker: its parts read apart and joined, so the
  // picture between them is not read as a character.
  if (top.boxes.length > 1 && tune.split > 0) {
    const parts = [...top.boxes].sort((a, b) => a.x - b.x);
    const reads: Decoded[][] = [];
    for (const b of parts) reads.push(await readLine(engine, g, b, tune));
    const joined = joinReadings(reads);
    lines.push({ readings: joined, weight: tune.split });
    // Longer than a plate: two plates, or a plate before another's letters (a dealer's
    // frame, a foreign plate behind): each part long enough for a serial is read alone too.
    if ((joined[0]?.text.length ?? 0) > 8)
      for (const r of reads) if ((r[0]?.text.length ?? 0) >= 5) lines.push({ readings: r, weight: tune.split });
  }
  // Unless the serial row alone reads clearly as a usual layout, more readings of it:
  const first = lines[0]!.readings[0];
  const sure = first && first.p >= tune.sureAt && layoutPrior(oToZero(first.text)) >= 0.8;
  if (!sure && skipBelow > 0) {
    const lead = votePlate(lines, tune)[0];
    if (!lead || frameValue(lead, tune) < skipBelow) {
      debug?.(`  weak beside an earlier region: not read again`);
      return { scored: votePlate(lines, tune), box: top };
    }
  }
  // in a frame, the same line narrower and wider (the recogniser's time steps fall
  // differently on the characters),
  if (inFrame && !sure && tune.stretchVote > 0) {
    const line = (tune.deskew > 0 ? levelRow(g, top, UNCLIP, tune.deskew) : null) ?? cropGrey(g, top);
    for (const k of [tune.stretchLo, tune.stretchHi])
      if (k > 0)
        lines.push({ readings: await readGrey(engine, line, { ...tune, recStretch: k }), weight: tune.stretchVote });
  }
  // in a looser box (an ensemble against stray and doubled characters),
  if (!sure && tune.loose > 0) {
    const m = top.height * 0.15;
    const box = { x: top.x - 2 * m, y: top.y - m, width: top.width + 4 * m, height: top.height + 2 * m };
    lines.push({ readings: await readLine(engine, g, box, tune), weight: tune.loose });
  }
  // and across the full width: the detector sometimes leaves out a first or last
  // character that stands apart from the rest.
  if (!sure && top.width < g.width * 0.9 && tune.fullWidth > 0 && (!inFrame || tune.frameFullWidth > 0))
    lines.push({
      readings: await readLine(engine, g, { x: 0, y: top.y, width: g.width, height: top.height }, tune),
      weight: tune.fullWidth,
    });
  // A wider reading that adds full-height characters to the row's: the row's own weight
  // goes to it too.
  if (tune.extend > 0)
    for (const l of lines.slice(1)) {
      const row = lines[0]!.readings[0];
      const ext = extension(row, l.readings[0]);
      if (ext) {
        lines.push({ readings: [{ ...ext, p: Math.max(ext.p, row!.p) }], weight: tune.extend });
        break;
      }
    }
  if (debug) {
    debug(
      `crop ${g.width}x${g.height} rows ${rows.map((r) => `${fmtBox(r)}[${r.boxes.length}] angle ${r.boxes.map((b) => (((b.angle ?? 0) * 180) / Math.PI).toFixed(1)).join(',')}`).join(' ')}`,
    );
    for (const l of lines)
      debug(
        `  w=${l.weight.toFixed(2)} ${l.readings
          .slice(0, 3)
          .map((d) => `${d.text}:${d.p.toFixed(3)}${d.rel ? `[${d.rel.map((r) => r.toFixed(2)).join(',')}]` : ''}`)
          .join(' ')}`,
      );
  }
  return { scored: votePlate(lines, tune), box: top };
}

const fmtBox = (b: Box) => `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}x${Math.round(b.height)}`;

/** A camera overlay's reading: a date, a time, a long run of digits. */
export function looksLikeOverlay(text: string): boolean {
  return /^[0-9]{8,}$/.test(text) || (/^(19|20)[0-9]{2}(0[1-9]|1[0-2])/.test(text) && /^[0-9]+$/.test(text));
}

/**
 * A reading's value between a frame's regions: a reading without a digit is more often a
 * word (a badge, a dealer's name, a sign) than a plate.
 */
const frameValue = (x: Scored, tune: PlateTuning) => x.score * (/[0-9]/.test(x.text) ? 1 : tune.wordFactor);

export interface FrameRead extends PlateRead {
  /** Regions read, for debugging. */
  regions: number;
}

/**
 * Plate-sized regions around plausible text rows of a frame (detected with its long side at
 * most `frameSide`), best first, none whose centre another region holds. Tried and not kept:
 * a second detection of the whole frame at 1600 px when no region read a plausible plate
 * (one more plate of 70, at 2.5 times the CPU time); reading the frame's own row where a
 * region's detection found none (two more plates read in part, none exactly).
 */
function findRegions(rows: Row[], g: Grey, tune: PlateTuning): Box[] {
  const plausible = rows
    .filter((r) => r.height >= 6 && r.width >= r.height * 1.2 && r.width <= g.width * 0.6)
    // Camera overlays sit along the frame's top or bottom edge.
    .filter((r) => r.y > g.height * 0.03 && r.y + r.height < g.height * 0.97)
    .map((r) => {
      const aspect = r.width / r.height;
      return { r, rank: r.score * (aspect >= 1.8 && aspect <= 9 ? 1 : 0.5) };
    })
    .sort((a, b) => b.rank - a.rank);
  const regions: Box[] = [];
  for (const { r } of plausible) {
    if (regions.length >= tune.regions) break;
    const cx = r.x + r.width / 2;
    const cy = r.y + r.height / 2;
    if (regions.some((q) => cx >= q.x && cx <= q.x + q.width && cy >= q.y && cy <= q.y + q.height)) continue;
    const w = Math.max(r.width * tune.regionW, r.height * 5);
    const h = r.height * tune.regionH;
    const x = Math.max(0, cx - w / 2);
    const y = Math.max(0, cy - h / 2);
    regions.push({ x, y, width: Math.min(g.width, cx + w / 2) - x, height: Math.min(g.height, cy + h / 2) - y });
  }
  return regions;
}

/** Reads the likeliest plate in a whole frame. Boxes in `g`'s pixels. */
export async function readFrame(
  engine: Engine,
  g: Grey,
  tune: PlateTuning = DEFAULT_TUNING,
  debug?: (s: string) => void,
): Promise<FrameRead> {
  const s = Math.min(1, tune.frameSide / Math.max(g.width, g.height));
  const regions = findRegions(groupRows(await detectBoxes(engine, g, s)), g, tune);
  const value = (x: Scored) => frameValue(x, tune);
  let best: { scored: Scored[]; box: Box | null; region: Box } | null = null;
  const others: Scored[][] = [];
  for (const region of regions) {
    // A region read clearly enough: the rest are not read.
    if (best && tune.enough > 0 && value(best.scored[0]!) >= tune.enough) break;
    const sub = cropGrey(g, region);
    const bar = best && tune.laterBar > 0 ? value(best.scored[0]!) * tune.laterBar : 0;
    const read = await readCrop(engine, sub, tune, debug, tune.regionMinSide, true, bar);
    const scored = read.scored.filter((x) => !looksLikeOverlay(x.text));
    debug?.(
      `region ${JSON.stringify(region)} → ${scored
        .slice(0, 3)
        .map((x) => `${x.text}:${x.score.toFixed(3)}`)
        .join(' ')}`,
    );
    if (!scored.length) continue;
    const box = read.box && {
      x: region.x + read.box.x,
      y: region.y + read.box.y,
      width: read.box.width,
      height: read.box.height,
    };
    if (!best || value(scored[0]!) > value(best.scored[0]!)) {
      if (best) others.push(best.scored);
      best = { scored, box, region };
    } else others.push(scored);
  }
  if (!best) return { scored: [], box: null, regions: regions.length };
  const merged = new Map(best.scored.map((x) => [x.text, x.score] as const));
  // Readings from other regions are alternatives only (other cars, signs).
  for (const o of others) for (const x of o.slice(0, 2)) if (!merged.has(x.text)) merged.set(x.text, x.score * 0.3);
  const scored = [...merged.entries()].map(([text, score]) => ({ text, score })).sort((a, b) => b.score - a.score);
  return { scored, box: best.box ?? best.region, regions: regions.length };
}

export interface ImageResult {
  scored: Scored[];
  box: Box | null;
  /** Image pixels per pixel read (the frame may have been shrunk on decoding). */
  scale: number;
}

/** Decodes and reads one image; a corrupt or empty image gives no readings. */
export async function readImage(
  engine: Engine,
  image: Buffer,
  kind: 'frame' | 'crop',
  tune: PlateTuning = DEFAULT_TUNING,
  debug?: (s: string) => void,
): Promise<ImageResult> {
  let g: Grey & { scale: number };
  try {
    g = await decodeGrey(image);
  } catch {
    return { scored: [], box: null, scale: 1 };
  }
  const r = kind === 'crop' ? await readCrop(engine, g, tune, debug) : await readFrame(engine, g, tune, debug);
  return { scored: r.scored, box: r.box, scale: g.scale };
}
