/**
 * Synthetic licence plates and camera frames, deterministic from a seed.
 *
 * The repository must hold no real plates (ARCHITECTURE.md), so tests, fixtures and the
 * plate model's training data are all drawn here: US-like layouts, several typefaces
 * (three system faces plus a built-in stroke face close to the narrow "gothic" lettering
 * many states use), state-like colours, dealer frames, registration stickers, skew, blur,
 * noise and low night contrast.
 */
import sharp from 'sharp';

/** A seeded generator of numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast and good enough for test data. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const pickChar = (rng: Rng, s: string): string => s.charAt(Math.floor(rng() * s.length));
const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ'; // most states leave out I, O and Q
const DIGITS = '0123456789';

/**
 * US-like serial layouts: 9 = digit, A = letter. Weighted toward the common
 * seven-character ones (California 7ABC123, New York/Texas ABC1234) and the older
 * six-character ones (ABC123, 123ABC).
 */
export const PLATE_LAYOUTS: readonly string[] = [
  '9AAA999',
  '9AAA999',
  '9AAA999',
  'AAA9999',
  'AAA9999',
  'AAA9999',
  'AAA999',
  'AAA999',
  '999AAA',
  '999AAA',
  '9AA9999',
  'AA99999',
  '99A9999',
  'A999999',
  '999A999',
  'AAA99A',
  '9A99999',
  'AA9999A',
  '9999AA',
  'AAA99',
  'AA999',
  '99AA99',
];

/** A plate serial drawn from the US-like layouts. */
export function randomPlateText(rng: Rng): string {
  const layout = pick(rng, PLATE_LAYOUTS);
  let out = '';
  for (const c of layout) {
    if (c === '9') out += pickChar(rng, DIGITS);
    else out += pickChar(rng, LETTERS);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Typefaces

/** The typefaces renderPlate can use. 'gothic' is drawn from strokes below. */
export const PLATE_FONTS = ['gothic', 'sans-condensed', 'sans', 'mono', 'serif-condensed'] as const;
export type PlateFont = (typeof PLATE_FONTS)[number];

type Stroke = number[]; // x0,y0,x1,y1,... on a 4 × 8 grid
const O_: Stroke = [1, 0, 3, 0, 4, 1, 4, 7, 3, 8, 1, 8, 0, 7, 0, 1, 1, 0];
/** A narrow, even-stroke face on a 4-wide, 8-tall grid. */
const GOTHIC: Record<string, Stroke[]> = {
  A: [
    [0, 8, 0, 2, 1, 0, 3, 0, 4, 2, 4, 8],
    [0, 4.6, 4, 4.6],
  ],
  B: [[0, 4, 3, 4, 4, 3, 4, 1, 3, 0, 0, 0, 0, 8, 3, 8, 4, 7, 4, 5, 3, 4]],
  C: [[4, 1.2, 3, 0, 1, 0, 0, 1, 0, 7, 1, 8, 3, 8, 4, 6.8]],
  D: [[0, 0, 3, 0, 4, 1, 4, 7, 3, 8, 0, 8, 0, 0]],
  E: [
    [4, 0, 0, 0, 0, 8, 4, 8],
    [0, 4, 3, 4],
  ],
  F: [
    [4, 0, 0, 0, 0, 8],
    [0, 4, 3, 4],
  ],
  G: [[4, 1.2, 3, 0, 1, 0, 0, 1, 0, 7, 1, 8, 3, 8, 4, 7, 4, 4.5, 2.3, 4.5]],
  H: [
    [0, 0, 0, 8],
    [4, 0, 4, 8],
    [0, 4, 4, 4],
  ],
  I: [
    [1, 0, 3, 0],
    [2, 0, 2, 8],
    [1, 8, 3, 8],
  ],
  J: [[4, 0, 4, 7, 3, 8, 1, 8, 0, 7, 0, 5.8]],
  K: [
    [0, 0, 0, 8],
    [4, 0, 0, 5.2],
    [1.4, 3.6, 4, 8],
  ],
  L: [[0, 0, 0, 8, 4, 8]],
  M: [[0, 8, 0, 0, 2, 4.5, 4, 0, 4, 8]],
  N: [[0, 8, 0, 0, 4, 8, 4, 0]],
  O: [O_],
  P: [[0, 8, 0, 0, 3, 0, 4, 1, 4, 3.2, 3, 4.2, 0, 4.2]],
  Q: [O_, [2.4, 5.8, 4.2, 8.4]],
  R: [
    [0, 8, 0, 0, 3, 0, 4, 1, 4, 3.2, 3, 4.2, 0, 4.2],
    [2, 4.2, 4, 8],
  ],
  S: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 3, 1, 4, 3, 4, 4, 5, 4, 7, 3, 8, 1, 8, 0, 7]],
  T: [
    [0, 0, 4, 0],
    [2, 0, 2, 8],
  ],
  U: [[0, 0, 0, 7, 1, 8, 3, 8, 4, 7, 4, 0]],
  V: [[0, 0, 2, 8, 4, 0]],
  W: [[0, 0, 1, 8, 2, 2.8, 3, 8, 4, 0]],
  X: [
    [0, 0, 4, 8],
    [4, 0, 0, 8],
  ],
  Y: [
    [0, 0, 2, 4.2, 4, 0],
    [2, 4.2, 2, 8],
  ],
  Z: [[0, 0, 4, 0, 0, 8, 4, 8]],
  '0': [[1.3, 0, 2.7, 0, 4, 1.6, 4, 6.4, 2.7, 8, 1.3, 8, 0, 6.4, 0, 1.6, 1.3, 0]],
  '1': [[0.8, 1.6, 2.2, 0, 2.2, 8]],
  '2': [[0, 1, 1, 0, 3, 0, 4, 1, 4, 3, 0, 8, 4, 8]],
  '3': [
    [0, 1, 1, 0, 3, 0, 4, 1, 4, 3, 3, 4, 1.6, 4],
    [3, 4, 4, 5, 4, 7, 3, 8, 1, 8, 0, 7],
  ],
  '4': [[3, 8, 3, 0, 0, 5.6, 4, 5.6]],
  '5': [[4, 0, 0.4, 0, 0, 3.6, 3, 3.6, 4, 4.6, 4, 7, 3, 8, 1, 8, 0, 7]],
  '6': [[3.8, 0.8, 3, 0, 1, 0, 0, 1, 0, 7, 1, 8, 3, 8, 4, 7, 4, 5, 3, 4, 1, 4, 0, 5]],
  '7': [[0, 0, 4, 0, 1.4, 8]],
  '8': [[1, 4, 0, 3, 0, 1, 1, 0, 3, 0, 4, 1, 4, 3, 3, 4, 1, 4, 0, 5, 0, 7, 1, 8, 3, 8, 4, 7, 4, 5, 3, 4]],
  '9': [[4, 3, 3, 4, 1, 4, 0, 3, 0, 1, 1, 0, 3, 0, 4, 1, 4, 7, 3, 8, 1, 8, 0.2, 7.2]],
};

/** A system typeface: family and weight, its average capital's width and cap height in em. */
export interface Face {
  family: string;
  weight: string;
  width: number;
  cap?: number;
}
const SYSTEM_FACES: Record<Exclude<PlateFont, 'gothic'>, Face> = {
  'sans-condensed': { family: 'DejaVu Sans Condensed', weight: 'bold', width: 0.62 },
  sans: { family: 'DejaVu Sans', weight: 'bold', width: 0.7 },
  mono: { family: 'DejaVu Sans Mono', weight: 'bold', width: 0.6 },
  'serif-condensed': { family: 'DejaVu Serif Condensed', weight: 'bold', width: 0.66 },
};

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/**
 * SVG for a row of characters whose cap height is `capH`, centred on `cx` with its
 * baseline at `baseY`, each in a cell `pitch` wide.
 */
function glyphRow(
  text: string,
  font: PlateFont | Face,
  cx: number,
  baseY: number,
  capH: number,
  pitch: number,
  fill: string,
  boldness: number,
  squeeze: number,
  gap: number,
): string {
  const chars = [...text];
  const total = chars.length * pitch + Math.max(gap, 0);
  let x = cx - total / 2 + pitch / 2;
  const gapAfter = gap > 0 ? Math.floor(chars.length / 2) - (chars.length === 7 ? 0 : 1) : -1;
  const parts: string[] = [];
  chars.forEach((ch, i) => {
    if (font === 'gothic') {
      const strokes = GOTHIC[ch];
      if (strokes) {
        const s = capH / 8;
        const w = 4 * s * squeeze;
        const sw = s * 0.95 * boldness;
        const d = strokes
          .map((st) => {
            let p = '';
            for (let k = 0; k < st.length; k += 2) {
              const px = x - w / 2 + (st[k]! / 4) * w;
              const py = baseY - capH + st[k + 1]! * s;
              p += `${k === 0 ? 'M' : 'L'}${px.toFixed(2)},${py.toFixed(2)}`;
            }
            return p;
          })
          .join('');
        parts.push(
          `<path d="${d}" fill="none" stroke="${fill}" stroke-width="${sw.toFixed(2)}" stroke-linejoin="round" stroke-linecap="square"/>`,
        );
      }
    } else {
      const face = typeof font === 'string' ? SYSTEM_FACES[font] : font;
      const size = capH / (face.cap ?? 0.73); // DejaVu cap height is ~0.73 em
      const sx = squeeze;
      const extra = boldness > 1 ? ` stroke="${fill}" stroke-width="${((boldness - 1) * size * 0.06).toFixed(2)}"` : '';
      parts.push(
        `<text transform="translate(${x.toFixed(2)},${baseY.toFixed(2)}) scale(${sx.toFixed(3)},1)" font-family="${face.family}" font-weight="${face.weight}" font-size="${size.toFixed(1)}" text-anchor="middle" fill="${fill}"${extra}>${esc(ch)}</text>`,
      );
    }
    x += pitch;
    if (i === gapAfter) x += gap;
  });
  return parts.join('');
}

// ---------------------------------------------------------------------------
// Plates

interface Scheme {
  bg: string;
  bg2: string;
  text: string;
  header: string;
}
const SCHEMES: readonly Scheme[] = [
  { bg: '#f6f6f2', bg2: '#dfe6ee', text: '#1d2a6b', header: '#b0182a' }, // white, dark blue letters, red script
  { bg: '#fbfbf7', bg2: '#e8e8e8', text: '#111111', header: '#1d2a6b' },
  { bg: '#f4f1e4', bg2: '#c9d9ea', text: '#1c2f5a', header: '#1c2f5a' },
  { bg: '#f6d64a', bg2: '#f3c623', text: '#141414', header: '#141414' }, // yellow
  { bg: '#eef3f7', bg2: '#9cc2e0', text: '#0c2c55', header: '#0c2c55' },
  { bg: '#f7efe2', bg2: '#f2c48d', text: '#5a1410', header: '#2b2b2b' },
  { bg: '#f3f6ee', bg2: '#b9d7a8', text: '#153d1b', header: '#153d1b' },
  { bg: '#f8f8f8', bg2: '#f0f0f0', text: '#7a1020', header: '#7a1020' },
  { bg: '#1d3363', bg2: '#2a4680', text: '#f2cf3c', header: '#f4f4f4' }, // dark plate, light letters
  { bg: '#222222', bg2: '#333333', text: '#f4f4f4', header: '#d0d0d0' },
];
const STATE_WORDS = [
  'CALIVADA',
  'NEW YORKSHIRE',
  'TEXONA',
  'FLORIMA',
  'OREGANO',
  'ARIZONIA',
  'GEORGILAND',
  'MARYSOTA',
  'OHIOMING',
  'KANSOURI',
  'UTAHO',
  'NEVALINA',
];
const SLOGANS = [
  'dmv.example.gov',
  'SUNSHINE STATE',
  'THE GREAT STATE',
  'LAND OF LAKES',
  'EST 1850',
  'GRAND CANYON',
  'PEACH STATE',
  'EMPIRE',
  'LIVE FREE',
  'FIRST IN FLIGHT',
];
const DEALERS = ['SUNRISE MOTORS', 'CITY AUTO GROUP', 'BEST DEAL CARS', 'VALLEY FORD', 'METRO HONDA'];

/** Options for renderPlate. Everything not given is drawn from the seed. */
export interface PlateOptions {
  /** Seed for every random choice; @default 1 */
  seed?: number;
  /** Width in pixels of the plate itself (the image adds a margin); @default 400 */
  width?: number;
  font?: PlateFont;
  /** Any installed typeface instead of `font` (the glyph model's training uses many); @default none */
  face?: Face;
  /** Rotation in degrees; @default drawn in ±6 */
  skew?: number;
  /** Gaussian blur sigma in pixels, 0 for none; @default drawn in 0..1.2 */
  blur?: number;
  /** Noise standard deviation (0..255 scale); @default drawn in 0..14 */
  noise?: number;
  /** Dark, low-contrast night look; @default 15 % of plates */
  night?: boolean;
  /** A dealer frame around the plate; @default 40 % */
  frame?: boolean;
  /** Registration stickers in the corners; @default 60 % */
  stickers?: boolean;
  /** Margin of surrounding car around the plate, as a share of its width; @default 0.03..0.15 */
  margin?: number;
  /** Allow dark plates with light letters; @default true */
  darkSchemes?: boolean;
  /** Colour of the car around the plate; @default drawn */
  background?: string;
}

interface PlateSvg {
  svg: string;
  width: number;
  height: number;
  charBox: { x: number; y: number; width: number; height: number };
}

/** The plate as an SVG string (no margin, no degradation). */
function plateSvg(text: string, rng: Rng, o: PlateOptions): PlateSvg {
  const W = Math.round(o.width ?? 400);
  const H = Math.round(W / 2);
  const font = o.font ?? pick(rng, PLATE_FONTS);
  const schemes = o.darkSchemes === false ? SCHEMES.slice(0, 8) : SCHEMES;
  const scheme = rng() < 0.9 ? pick(rng, schemes.slice(0, 8)) : pick(rng, schemes);
  const frame = o.frame ?? rng() < 0.4;
  const stickers = o.stickers ?? rng() < 0.6;
  const capH = H * between(rng, 0.4, 0.5);
  const baseY = H * between(rng, 0.69, 0.76);
  const n = [...text].length;
  const boldness = between(rng, 0.85, 1.3);
  // Plate lettering is narrow: a glyph about half as wide as it is tall, ink included.
  const aspect = between(rng, 0.42, 0.62);
  const face = o.face ?? (font === 'gothic' ? null : SYSTEM_FACES[font]);
  const strokeW = face ? 0 : (capH / 8) * 0.95 * boldness;
  const naturalAspect = face ? face.width / (face.cap ?? 0.73) : 0.5;
  let squeeze = Math.max(0.3, (aspect - strokeW / capH) / naturalAspect);
  // Characters never touch on a real plate: at least a stroke's width between them.
  let pitch = capH * aspect * between(rng, 1.2, 1.45);
  const gap = rng() < 0.3 ? pitch * between(rng, 0.3, 0.6) : 0;
  const maxRow = W * 0.8;
  if (n * pitch + gap > maxRow) {
    const f = maxRow / (n * pitch + gap);
    pitch *= f;
    squeeze *= f;
  }
  const cx = W / 2 + between(rng, -0.02, 0.02) * W;
  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${scheme.bg2}"/><stop offset="${between(rng, 0.3, 0.7).toFixed(2)}" stop-color="${scheme.bg}"/><stop offset="1" stop-color="${rng() < 0.5 ? scheme.bg : scheme.bg2}"/></linearGradient></defs>`,
  );
  parts.push(
    `<rect x="0" y="0" width="${W}" height="${H}" rx="${(W * 0.03).toFixed(1)}" fill="url(#g)" stroke="#777" stroke-width="${(W * 0.006).toFixed(1)}"/>`,
  );
  // A faint picture behind the letters, as many states print (mountains, sun).
  if (rng() < 0.4) {
    const c = rng() < 0.5 ? '#e7b9a0' : '#a9c6df';
    parts.push(
      `<path d="M0,${H * 0.85} L${W * 0.25},${H * 0.45} L${W * 0.45},${H * 0.7} L${W * 0.7},${H * 0.35} L${W},${H * 0.8} L${W},${H} L0,${H} Z" fill="${c}" opacity="${between(rng, 0.25, 0.6).toFixed(2)}"/>`,
    );
  }
  // Header: a state name, in script-like italic or plain capitals.
  const state = pick(rng, STATE_WORDS);
  // The header sits between the top edge and the serial, clear of both.
  const room = baseY - capH - H * 0.06;
  const hSize = Math.max(H * 0.07, Math.min(H * between(rng, 0.13, 0.2), room * 0.85));
  parts.push(
    `<text x="${W / 2}" y="${(H * 0.03 + hSize).toFixed(1)}" font-family="${rng() < 0.5 ? 'DejaVu Serif' : 'DejaVu Sans'}" font-style="${rng() < 0.5 ? 'italic' : 'normal'}" font-weight="bold" font-size="${hSize.toFixed(1)}" text-anchor="middle" fill="${scheme.header}">${esc(rng() < 0.4 ? state.charAt(0) + state.slice(1).toLowerCase() : state)}</text>`,
  );
  // Footer slogan (often covered by a frame).
  const fSize = H * between(rng, 0.07, 0.1);
  parts.push(
    `<text x="${W / 2}" y="${(H * 0.95).toFixed(1)}" font-family="DejaVu Sans" font-size="${fSize.toFixed(1)}" text-anchor="middle" fill="${scheme.header}">${esc(pick(rng, SLOGANS))}</text>`,
  );
  // The serial, sometimes with a small emblem in the gap.
  parts.push(glyphRow(text, face ?? font, cx, baseY, capH, pitch, scheme.text, boldness, squeeze, gap));
  if (gap > 0 && rng() < 0.5) {
    const total = n * pitch + gap;
    const gapAfter = Math.floor(n / 2) - (n === 7 ? 0 : 1);
    const gx = cx - total / 2 + (gapAfter + 1) * pitch + gap / 2;
    parts.push(
      `<circle cx="${gx.toFixed(1)}" cy="${(baseY - capH / 2).toFixed(1)}" r="${(gap * 0.3).toFixed(1)}" fill="${scheme.header}" opacity="0.8"/>`,
    );
  }
  if (stickers) {
    const sw = W * between(rng, 0.09, 0.13);
    const sh = Math.max(H * 0.06, Math.min(H * between(rng, 0.14, 0.2), baseY - capH - H * 0.1));
    const colours = ['#d22', '#2a2', '#22c', '#ec3', '#e70', '#a3c'];
    const corners: Array<[number, number]> = [
      [W * 0.03, H * 0.05],
      [W * 0.97 - sw, H * 0.05],
    ];
    const count = rng() < 0.5 ? 1 : 2;
    for (let i = 0; i < count; i++) {
      const [sx, sy] = corners[i === 0 && rng() < 0.5 ? 1 : i]!;
      parts.push(
        `<rect x="${sx.toFixed(1)}" y="${sy.toFixed(1)}" width="${sw.toFixed(1)}" height="${sh.toFixed(1)}" fill="${pick(rng, colours)}"/>`,
      );
      parts.push(
        `<text x="${(sx + sw / 2).toFixed(1)}" y="${(sy + sh * 0.75).toFixed(1)}" font-family="DejaVu Sans" font-weight="bold" font-size="${(sh * 0.6).toFixed(1)}" text-anchor="middle" fill="#fff">${Math.floor(rng() * 12) + 1}</text>`,
      );
    }
  }
  if (frame) {
    const fc = pick(rng, ['#111', '#222', '#ccc', '#b8b8b8', '#2b2b6b']);
    const tc = fc === '#ccc' || fc === '#b8b8b8' ? '#222' : '#eee';
    const top = H * between(rng, 0.03, 0.08);
    const bottom = H * between(rng, 0.09, 0.16);
    const side = W * between(rng, 0.015, 0.03);
    parts.push(
      `<path fill-rule="evenodd" fill="${fc}" d="M0,0 H${W} V${H} H0 Z M${side},${top} H${W - side} V${H - bottom} H${side} Z"/>`,
    );
    parts.push(
      `<text x="${W / 2}" y="${(H - bottom * 0.25).toFixed(1)}" font-family="DejaVu Sans" font-weight="bold" font-size="${(bottom * 0.6).toFixed(1)}" text-anchor="middle" fill="${tc}">${esc(pick(rng, DEALERS))}</text>`,
    );
  }
  // Screw heads.
  for (const sx of [W * 0.25, W * 0.75]) {
    parts.push(
      `<circle cx="${sx.toFixed(1)}" cy="${(H * 0.12).toFixed(1)}" r="${(W * 0.012).toFixed(1)}" fill="#999"/>`,
    );
  }
  const rowW = n * pitch + gap;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
  return { svg, width: W, height: H, charBox: { x: cx - rowW / 2, y: baseY - capH, width: rowW, height: capH } };
}

/** Adds Gaussian noise (sigma on the 0..255 scale) to raw RGB pixels, in place. */
function addNoise(px: Buffer, sigma: number, rng: Rng): void {
  if (sigma <= 0) return;
  for (let i = 0; i < px.length; i++) {
    // Irwin–Hall approximation of a normal deviate: cheap and deterministic.
    const g = (rng() + rng() + rng() - 1.5) * 2;
    const v = px[i]! + g * sigma;
    px[i] = v < 0 ? 0 : Math.min(v, 255);
  }
}

/** The degradations applied to a plate image, resolved from options and the seed. */
interface Degrade {
  skew: number;
  shear: number;
  blur: number;
  noise: number;
  night: boolean;
  margin: number;
  carColour: string;
}

function resolveDegrade(rng: Rng, o: PlateOptions): Degrade {
  return {
    skew: o.skew ?? between(rng, -6, 6),
    shear: between(rng, -0.12, 0.12),
    blur: o.blur ?? (rng() < 0.5 ? between(rng, 0, 1.2) : 0),
    noise: o.noise ?? between(rng, 0, 14),
    night: o.night ?? rng() < 0.15,
    margin: o.margin ?? between(rng, 0.03, 0.15),
    carColour:
      o.background ??
      pick(rng, ['#202020', '#e8e8e8', '#8a1c1c', '#1c3b8a', '#7d7d7d', '#c0c0c0', '#2f4f2f', '#d8c8a0']),
  };
}

/** Rendered plate as raw RGB plus where it sits. */
async function renderPlateRaw(
  text: string,
  o: PlateOptions,
): Promise<{
  data: Buffer;
  width: number;
  height: number;
  plate: { x: number; y: number; width: number; height: number };
}> {
  const rng = makeRng((o.seed ?? 1) * 7919 + 17);
  const p = plateSvg(text.toUpperCase().replace(/[^A-Z0-9]/g, ''), rng, o);
  const d = resolveDegrade(rng, o);
  const mx = Math.round(p.width * d.margin);
  const my = Math.round(p.height * d.margin * between(rng, 0.6, 1.4));
  const W = p.width + 2 * mx;
  const H = p.height + 2 * my;
  const bg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="${d.carColour}"/><rect x="${mx - 3}" y="${my - 3}" width="${p.width + 6}" height="${p.height + 6}" fill="#111" opacity="0.5"/></svg>`;
  const plate = await sharp(Buffer.from(p.svg)).png().toBuffer();
  let img = sharp(Buffer.from(bg))
    .composite([{ input: plate, left: mx, top: my }])
    .flatten({ background: d.carColour });
  // Skew: rotate plus a horizontal shear, as a camera above or beside the car sees it.
  const rad = (d.skew * Math.PI) / 180;
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  const base = await img.png().toBuffer();
  img = sharp(base).affine(
    [
      [c, -s + d.shear],
      [s, c],
    ],
    { background: d.carColour, interpolator: 'bicubic' },
  );
  let buf = await img.png().toBuffer();
  // Crop back near the original size, so the margin stays about what was asked.
  const meta = await sharp(buf).metadata();
  const cw = Math.min(meta.width!, W);
  const ch = Math.min(meta.height!, H);
  buf = await sharp(buf)
    .extract({
      left: Math.floor((meta.width! - cw) / 2),
      top: Math.floor((meta.height! - ch) / 2),
      width: cw,
      height: ch,
    })
    .png()
    .toBuffer();
  let pipe = sharp(buf);
  if (d.blur >= 0.3) pipe = pipe.blur(d.blur);
  if (d.night) {
    const contrast = between(rng, 0.22, 0.45);
    pipe = pipe.linear(contrast, between(rng, 5, 40));
  }
  const raw = await pipe.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  addNoise(raw.data, d.noise, rng);
  return {
    data: raw.data,
    width: raw.info.width,
    height: raw.info.height,
    plate: { x: mx, y: my, width: p.width, height: p.height },
  };
}

/** A synthetic plate photo (PNG): the plate with a margin of car around it. */
export async function renderPlate(text: string, opts: PlateOptions = {}): Promise<Buffer> {
  const r = await renderPlateRaw(text, opts);
  return sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } })
    .png()
    .toBuffer();
}

// ---------------------------------------------------------------------------
// Frames

/** Options for renderFrame. */
export interface FrameOptions {
  /** Seed for every random choice; @default 1 */
  seed?: number;
  /** @default 1280 */
  width?: number;
  /** @default 720 */
  height?: number;
  /** Plate width in pixels; @default drawn in 90..220 */
  plateWidth?: number;
  /** Night scene; @default 20 % */
  night?: boolean;
  /** JPEG quality; @default 88 */
  quality?: number;
  /** Passed to the plate (font, frame, stickers...). */
  plate?: Omit<PlateOptions, 'seed' | 'width' | 'margin' | 'night'>;
}

/** A rendered frame and where its plate is. */
export interface SyntheticFrame {
  image: Buffer;
  box: { x: number; y: number; width: number; height: number };
  text: string;
}

/** A synthetic camera frame (JPEG) and the plate's box in it. */
export async function renderScene(text: string, opts: FrameOptions = {}): Promise<SyntheticFrame> {
  const seed = opts.seed ?? 1;
  const rng = makeRng(seed * 104729 + 3);
  const W = opts.width ?? 1280;
  const H = opts.height ?? 720;
  const night = opts.night ?? rng() < 0.2;
  const plateW = Math.round(opts.plateWidth ?? between(rng, 90, 220));
  // The car: a rear view whose width is about 4.5 plate widths (a plate is 12", a car ~70").
  const carW = plateW * between(rng, 4.2, 5.2);
  const carH = carW * between(rng, 0.62, 0.8);
  const carX = between(rng, 0.05 * W, W - carW - 0.05 * W);
  const horizon = H * between(rng, 0.3, 0.45);
  const carY = Math.min(H - carH - 10, between(rng, horizon - carH * 0.3, H - carH - 10));
  const body = pick(rng, ['#b3b3b3', '#1e1e1e', '#f0f0f0', '#7c1414', '#143c7c', '#5a5a5a', '#2c4a2c', '#c9b27a']);
  const sky = night ? ['#05070f', '#1a1f30'] : [pick(rng, ['#8fb8e0', '#a9c4dc', '#c8d3dc']), '#e6eef5'];
  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="url(#sky)"/>`);
  // Buildings and trees on the horizon.
  for (let x = 0; x < W; ) {
    const bw = between(rng, 60, 200);
    const bh = between(rng, 40, horizon * 0.9);
    const shade = Math.round(between(rng, night ? 15 : 90, night ? 45 : 190));
    parts.push(
      `<rect x="${x.toFixed(0)}" y="${(horizon - bh).toFixed(0)}" width="${bw.toFixed(0)}" height="${bh.toFixed(0)}" fill="rgb(${shade},${shade},${shade + 8})"/>`,
    );
    for (let wy = horizon - bh + 10; wy < horizon - 15; wy += 22) {
      for (let wx = x + 8; wx < x + bw - 14; wx += 20) {
        if (rng() < 0.6)
          parts.push(
            `<rect x="${wx.toFixed(0)}" y="${wy.toFixed(0)}" width="9" height="12" fill="${night ? (rng() < 0.3 ? '#d8c070' : '#202530') : '#5d7088'}"/>`,
          );
      }
    }
    x += bw + between(rng, 0, 30);
  }
  // A street sign with letters, a distraction for the plate finder.
  if (rng() < 0.6) {
    const sx = between(rng, 0, W - 120);
    const sy = between(rng, horizon * 0.3, horizon);
    parts.push(
      `<rect x="${sx.toFixed(0)}" y="${sy.toFixed(0)}" width="110" height="34" fill="#1e6b35"/><text x="${(sx + 55).toFixed(0)}" y="${(sy + 25).toFixed(0)}" font-family="DejaVu Sans" font-weight="bold" font-size="20" text-anchor="middle" fill="#fff">${pick(rng, ['MAIN ST', 'OAK AVE', '5TH ST', 'ELM DR', 'PINE RD'])}</text>`,
    );
  }
  // Road with lane markings.
  parts.push(
    `<rect x="0" y="${horizon.toFixed(0)}" width="${W}" height="${(H - horizon).toFixed(0)}" fill="${night ? '#15161a' : '#55575c'}"/>`,
  );
  for (let i = 0; i < 6; i++) {
    const y = horizon + (H - horizon) * (i / 6);
    parts.push(
      `<rect x="${(W / 2 - 3 - i * 2).toFixed(0)}" y="${y.toFixed(0)}" width="${6 + i * 4}" height="${(H - horizon) / 14}" fill="${night ? '#77735a' : '#e8e2c0'}"/>`,
    );
  }
  // The car, rear view.
  const r = carW * 0.06;
  parts.push(
    `<ellipse cx="${(carX + carW / 2).toFixed(0)}" cy="${(carY + carH).toFixed(0)}" rx="${(carW * 0.55).toFixed(0)}" ry="${(carH * 0.06).toFixed(0)}" fill="#000" opacity="0.5"/>`,
  );
  for (const wx of [carX + carW * 0.05, carX + carW * 0.8]) {
    parts.push(
      `<rect x="${wx.toFixed(0)}" y="${(carY + carH * 0.8).toFixed(0)}" width="${(carW * 0.15).toFixed(0)}" height="${(carH * 0.2).toFixed(0)}" rx="${(carW * 0.02).toFixed(0)}" fill="#0b0b0b"/>`,
    );
  }
  parts.push(
    `<path d="M${(carX + carW * 0.16).toFixed(0)},${carY.toFixed(0)} L${(carX + carW * 0.84).toFixed(0)},${carY.toFixed(0)} L${(carX + carW * 0.95).toFixed(0)},${(carY + carH * 0.38).toFixed(0)} L${(carX + carW * 0.05).toFixed(0)},${(carY + carH * 0.38).toFixed(0)} Z" fill="${body}"/>`,
  );
  parts.push(
    `<path d="M${(carX + carW * 0.2).toFixed(0)},${(carY + carH * 0.05).toFixed(0)} L${(carX + carW * 0.8).toFixed(0)},${(carY + carH * 0.05).toFixed(0)} L${(carX + carW * 0.88).toFixed(0)},${(carY + carH * 0.33).toFixed(0)} L${(carX + carW * 0.12).toFixed(0)},${(carY + carH * 0.33).toFixed(0)} Z" fill="${night ? '#05060a' : '#26303a'}"/>`,
  );
  parts.push(
    `<rect x="${carX.toFixed(0)}" y="${(carY + carH * 0.36).toFixed(0)}" width="${carW.toFixed(0)}" height="${(carH * 0.5).toFixed(0)}" rx="${r.toFixed(0)}" fill="${body}"/>`,
  );
  const lightColour = night ? '#ff3030' : '#b01818';
  parts.push(
    `<rect x="${(carX + carW * 0.02).toFixed(0)}" y="${(carY + carH * 0.42).toFixed(0)}" width="${(carW * 0.2).toFixed(0)}" height="${(carH * 0.12).toFixed(0)}" rx="4" fill="${lightColour}"/>`,
  );
  parts.push(
    `<rect x="${(carX + carW * 0.78).toFixed(0)}" y="${(carY + carH * 0.42).toFixed(0)}" width="${(carW * 0.2).toFixed(0)}" height="${(carH * 0.12).toFixed(0)}" rx="4" fill="${lightColour}"/>`,
  );
  parts.push(
    `<rect x="${carX.toFixed(0)}" y="${(carY + carH * 0.76).toFixed(0)}" width="${carW.toFixed(0)}" height="${(carH * 0.1).toFixed(0)}" rx="${(r / 2).toFixed(0)}" fill="#2a2a2a"/>`,
  );
  // A badge with letters on the boot lid: another distraction.
  if (rng() < 0.7) {
    parts.push(
      `<text x="${(carX + carW * 0.75).toFixed(0)}" y="${(carY + carH * 0.6).toFixed(0)}" font-family="DejaVu Sans" font-size="${(plateW * 0.12).toFixed(0)}" fill="#ddd" text-anchor="middle">${pick(rng, ['SEDAN', 'HYBRID', 'LX', 'SPORT', 'V6'])}</text>`,
    );
  }
  const scene = await sharp(
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`),
  )
    .png()
    .toBuffer();
  // The plate, lightly degraded on its own, set on the bumper area.
  const plate = await renderPlateRaw(text, {
    ...opts.plate,
    seed: seed + 1000,
    width: plateW,
    margin: 0.01,
    night: false,
    background: body,
    blur: opts.plate?.blur ?? (rng() < 0.5 ? between(rng, 0, 0.8) : 0),
    noise: opts.plate?.noise ?? between(rng, 0, 8),
    skew: opts.plate?.skew ?? between(rng, -4, 4),
  });
  const platePng = await sharp(plate.data, { raw: { width: plate.width, height: plate.height, channels: 3 } })
    .png()
    .toBuffer();
  const px = Math.round(carX + carW / 2 - plate.width / 2 + between(rng, -0.12, 0.12) * carW);
  const py = Math.round(carY + carH * 0.6 - plate.height / 2);
  const left = Math.max(0, Math.min(W - plate.width, px));
  const top = Math.max(0, Math.min(H - plate.height, py));
  let pipe = sharp(scene).composite([{ input: platePng, left, top }]);
  if (night) pipe = sharp(await pipe.png().toBuffer()).linear(between(rng, 0.45, 0.7), 0);
  const raw = await pipe.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  addNoise(raw.data, between(rng, 3, 7), rng);
  const image = await sharp(raw.data, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: opts.quality ?? 88 })
    .toBuffer();
  const box = { x: left + plate.plate.x, y: top + plate.plate.y, width: plate.plate.width, height: plate.plate.height };
  return { image, box, text: text.toUpperCase().replace(/[^A-Z0-9]/g, '') };
}

/** A synthetic camera frame (JPEG, 1280×720 by default) with the plate on a car. */
export async function renderFrame(text: string, opts: FrameOptions = {}): Promise<Buffer> {
  return (await renderScene(text, opts)).image;
}
