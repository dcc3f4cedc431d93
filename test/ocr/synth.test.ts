import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/ocr/layout.js';
import { PLATE_LAYOUTS, makeRng, randomPlateText, renderFrame, renderPlate, renderScene } from '../../tools/synth.js';

describe('synthetic plates', () => {
  it('draws serials from the US-like layouts, deterministically', () => {
    const a = Array.from(
      { length: 200 },
      (
        (rng) => () =>
          randomPlateText(rng)
      )(makeRng(7)),
    );
    const b = Array.from(
      { length: 200 },
      (
        (rng) => () =>
          randomPlateText(rng)
      )(makeRng(7)),
    );
    expect(a).toEqual(b);
    for (const t of a) {
      expect(t).toMatch(/^[A-Z0-9]{5,8}$/);
      expect(PLATE_LAYOUTS).toContain(layoutOf(t));
    }
    expect(new Set(a.map(layoutOf)).size).toBeGreaterThan(8);
  });

  it('renders the same PNG for the same seed, a different one for another', async () => {
    const one = await renderPlate('7ABC123', { seed: 11 });
    const again = await renderPlate('7ABC123', { seed: 11 });
    const other = await renderPlate('7ABC123', { seed: 12 });
    expect(one.equals(again)).toBe(true);
    expect(one.equals(other)).toBe(false);
    const meta = await sharp(one).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width! / meta.height!).toBeGreaterThan(1.5);
  });

  it('renders a camera frame as a JPEG of about 1280×720 with the plate box inside it', async () => {
    const jpeg = await renderFrame('ABC1234', { seed: 5 });
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([1280, 720]);
    expect(jpeg.length).toBeGreaterThan(60_000);
    expect(jpeg.length).toBeLessThan(400_000);
    const { box, text } = await renderScene('ABC1234', { seed: 5 });
    expect(text).toBe('ABC1234');
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    expect(box.y + box.height).toBeLessThanOrEqual(720);
    expect(box.width / box.height).toBeCloseTo(2, 0);
  });
});
