/**
 * Small grey-image toolkit for plate reading: decoding, cropping, resampling and
 * connected components. Plain typed arrays: a 1280×720 frame is labelled in a few ms,
 * with no round trip through sharp for each step.
 */
import sharp from 'sharp';

export interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
}
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Decodes any image sharp reads into 8-bit grey, honouring EXIF orientation.
 * Throws on a corrupt or truncated file (the reader turns that into best=null).
 */
export async function decodeGrey(image: Buffer, maxSide = 1920): Promise<Grey & { scale: number }> {
  const img = sharp(image, { failOn: 'truncated', limitInputPixels: 64_000_000, sequentialRead: true }).rotate();
  const meta = await img.metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size');
  const big = Math.max(meta.width, meta.height) > maxSide;
  const pipe = big ? img.resize({ width: maxSide, height: maxSide, fit: 'inside' }) : img;
  // 'b-w': one channel out (greyscale() alone can still give three from some inputs).
  const { data, info } = await pipe.greyscale().toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  // Orientation may swap the sides: compare like with like.
  const scale = info.width / (meta.orientation && meta.orientation >= 5 ? meta.height : meta.width);
  if (info.channels !== 1) {
    const out = new Uint8Array(info.width * info.height);
    for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
    return { width: info.width, height: info.height, data: out, scale };
  }
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    scale,
  };
}

/** The area two boxes share (0 when apart). */
export function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** A copy of a rectangle of `g`, clipped to the image. */
export function cropGrey(g: Grey, b: Box): Grey {
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(g.width, Math.ceil(b.x + b.width));
  const y1 = Math.min(g.height, Math.ceil(b.y + b.height));
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(g.height - 1, y0 + y);
    out.set(g.data.subarray(sy * g.width + x0, sy * g.width + x0 + w), y * w);
  }
  return { width: w, height: h, data: out };
}

/**
 * A `width`×`height` rectangle of `g` centred on (cx, cy) and turned by `angle` radians
 * (its x axis along (cos, sin) in `g`), sampled bilinearly: a slanted text line, level.
 */
export function rotatedCrop(g: Grey, cx: number, cy: number, width: number, height: number, angle: number): Grey {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const out = new Uint8Array(w * h);
  for (let v = 0; v < h; v++) {
    const dv = v + 0.5 - h / 2;
    for (let u = 0; u < w; u++) {
      const du = u + 0.5 - w / 2;
      const fx = Math.min(g.width - 1, Math.max(0, cx + du * c - dv * s - 0.5));
      const fy = Math.min(g.height - 1, Math.max(0, cy + du * s + dv * c - 0.5));
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = Math.min(g.width - 1, x0 + 1);
      const y1 = Math.min(g.height - 1, y0 + 1);
      const wx = fx - x0;
      const wy = fy - y0;
      const a = g.data[y0 * g.width + x0]!;
      const b = g.data[y0 * g.width + x1]!;
      const d = g.data[y1 * g.width + x0]!;
      const e = g.data[y1 * g.width + x1]!;
      out[v * w + u] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
    }
  }
  return { width: w, height: h, data: out };
}

/** Bilinear resampling (area-averaged when shrinking by more than 2). */
export function resizeGrey(g: Grey, width: number, height: number): Grey {
  width = Math.max(1, Math.round(width));
  height = Math.max(1, Math.round(height));
  let src = g;
  // Shrink by halves first so bilinear does not alias.
  while (src.width >= width * 2 && src.height >= height * 2) src = halve(src);
  const out = new Uint8Array(width * height);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(src.height - 1, Math.floor(fy));
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(src.width - 1, Math.floor(fx));
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      const a = src.data[y0 * src.width + x0]!;
      const b = src.data[y0 * src.width + x1]!;
      const c = src.data[y1 * src.width + x0]!;
      const d = src.data[y1 * src.width + x1]!;
      out[y * width + x] = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy;
    }
  }
  return { width, height, data: out };
}

function halve(g: Grey): Grey {
  const w = g.width >> 1;
  const h = g.height >> 1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * g.width + 2 * x;
      out[y * w + x] = (g.data[i]! + g.data[i + 1]! + g.data[i + g.width]! + g.data[i + g.width + 1]! + 2) >> 2;
    }
  }
  return { width: w, height: h, data: out };
}

export interface Comp {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  area: number;
}

/** 4-connected components of an ink mask. `labels` holds id+1 per pixel, 0 for background. */
export function components(mask: Uint8Array, w: number, h: number, minArea = 4): { labels: Int32Array; comps: Comp[] } {
  // Two passes with union-find: much faster than a flood fill on large, sparse masks.
  const labels = new Int32Array(w * h);
  // Provisional labels' union-find parents, grown as labels are made.
  let parent = new Int32Array(Math.min(w * h + 1, 1024));
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const p = row + x;
      if (!mask[p]) continue;
      const left = x > 0 ? labels[p - 1]! : 0;
      const up = y > 0 ? labels[p - w]! : 0;
      if (left && up) {
        labels[p] = left;
        if (left !== up) {
          const ra = find(left);
          const rb = find(up);
          if (ra !== rb) {
            if (ra < rb) parent[rb] = ra;
            else parent[ra] = rb;
          }
        }
      } else if (left || up) labels[p] = left || up;
      else {
        if (next === parent.length) {
          const grown = new Int32Array(Math.min(w * h + 1, parent.length * 2));
          grown.set(parent);
          parent = grown;
        }
        parent[next] = next;
        labels[p] = next++;
      }
    }
  }
  // Compact roots to ids 0..n-1 and gather boxes.
  const idOf = new Int32Array(next).fill(-1);
  let n = 0;
  for (let i = 1; i < next; i++) {
    const r = find(i);
    if (idOf[r] === -1) idOf[r] = n++;
    idOf[i] = idOf[r]!;
  }
  const boxes = new Int32Array(n * 5); // x0, y0, x1, y1, area per id
  for (let id = 0; id < n; id++) {
    boxes[id * 5] = w;
    boxes[id * 5 + 1] = h;
    boxes[id * 5 + 2] = -1;
    boxes[id * 5 + 3] = -1;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const l = labels[row + x]!;
      if (!l) continue;
      const id = idOf[l]!;
      labels[row + x] = id + 1;
      const k = id * 5;
      if (x < boxes[k]!) boxes[k] = x;
      if (y < boxes[k + 1]!) boxes[k + 1] = y;
      if (x > boxes[k + 2]!) boxes[k + 2] = x;
      if (y > boxes[k + 3]!) boxes[k + 3] = y;
      boxes[k + 4]!++;
    }
  }
  const comps: Comp[] = [];
  for (let id = 0; id < n; id++) {
    const k = id * 5;
    if (boxes[k + 4]! < minArea) continue;
    comps.push({
      id,
      x: boxes[k]!,
      y: boxes[k + 1]!,
      width: boxes[k + 2]! - boxes[k]! + 1,
      height: boxes[k + 3]! - boxes[k + 1]! + 1,
      area: boxes[k + 4]!,
    });
  }
  return { labels, comps };
}
