import { spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlateReader, type PlateReader } from '../../src/ocr/reader.js';
import { makeRng, randomPlateText, renderPlate, renderScene } from '../../tools/synth.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// No network at any time (ARCHITECTURE.md): every way out is replaced by a function that
// records the attempt and throws; the last test asserts none was made.
const attempts: string[] = [];
const saved = { fetch: globalThis.fetch, http: http.request, https: https.request, net: net.connect };
function block(name: string) {
  return (() => {
    attempts.push(name);
    throw new Error(`network blocked: ${name}`);
  }) as never;
}

let reader: PlateReader;
beforeAll(async () => {
  globalThis.fetch = block('fetch');
  http.request = block('http.request');
  https.request = block('https.request');
  net.connect = block('net.connect');
  reader = await createPlateReader({ workers: 2 });
});
afterAll(async () => {
  await reader?.end();
  globalThis.fetch = saved.fetch;
  http.request = saved.http;
  https.request = saved.https;
  net.connect = saved.net;
});

describe('plate reader', () => {
  // Rendered by the project itself (tools/synth.ts); the recogniser never saw these typefaces.
  it("reads the project's synthetic plates (≥ 95 % exact)", async () => {
    const rng = makeRng(2024);
    const n = 60;
    const misses: string[] = [];
    for (let i = 0; i < n; i++) {
      const text = randomPlateText(rng);
      const r = await reader.read(await renderPlate(text, { seed: 7000 + i }), 'crop');
      if (r.best?.text !== text) misses.push(`${text} → ${r.best?.text ?? '(nothing)'}`);
    }
    expect(misses.length, misses.join(', ')).toBeLessThanOrEqual(Math.floor(n * 0.05));
  });

  it('finds and reads the plate in synthetic camera frames', async () => {
    const rng = makeRng(99);
    const n = 10;
    let exact = 0;
    let found = 0;
    for (let i = 0; i < n; i++) {
      const text = randomPlateText(rng);
      const scene = await renderScene(text, { seed: 300 + i });
      const r = await reader.read(scene.image);
      if (r.best?.text === text) exact++;
      const b = r.box;
      if (
        b &&
        b.x < scene.box.x + scene.box.width &&
        scene.box.x < b.x + b.width &&
        b.y < scene.box.y + scene.box.height &&
        scene.box.y < b.y + b.height
      )
        found++;
    }
    expect(found).toBeGreaterThanOrEqual(8);
    expect(exact).toBeGreaterThanOrEqual(7);
  });

  it('returns a well-formed result: A–Z0–9, confidences in 0..1, ≤ 10 alternatives without the best', async () => {
    const r = await reader.read(await renderPlate('5KXT802', { seed: 1, skew: 2 }), 'crop');
    expect(r.best).not.toBeNull();
    expect(r.best!.text).toMatch(/^[A-Z0-9]+$/);
    expect(r.best!.confidence).toBeGreaterThan(0);
    expect(r.best!.confidence).toBeLessThanOrEqual(1);
    expect(r.alternatives.length).toBeLessThanOrEqual(10);
    for (const a of r.alternatives) {
      expect(a.text).toMatch(/^[A-Z0-9]+$/);
      expect(a.text).not.toBe(r.best!.text);
      expect(a.confidence).toBeGreaterThanOrEqual(0);
      expect(a.confidence).toBeLessThanOrEqual(r.best!.confidence);
    }
    expect(r.engine).toMatch(/^onnxruntime-node \d+\.\d+\.\d+, plate pipeline \d+$/);
    expect(r.model).toBe(reader.model);
    expect(r.box).not.toBeNull();
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('returns best=null for a corrupt, truncated or empty image and keeps working', async () => {
    const frame = (await renderScene('ABC1234', { seed: 8 })).image;
    const bad = [
      Buffer.from('not an image at all'),
      frame.subarray(0, frame.length >> 1),
      Buffer.alloc(0),
      Buffer.concat([frame.subarray(0, 600), Buffer.alloc(5000, 0xff)]),
    ];
    for (const b of bad) {
      const r = await reader.read(b);
      expect(r.best).toBeNull();
      expect(r.alternatives).toEqual([]);
    }
    const ok = await reader.read(await renderPlate('ABC1234', { seed: 2, skew: 0, night: false }), 'crop');
    expect(ok.best?.text).toBe('ABC1234');
  });

  it('made no attempt to reach the network', () => {
    expect(attempts).toEqual([]);
  });
});

describe('worker lifecycle', () => {
  it('a process using the reader exits by itself after end(), offline', () => {
    const res = spawnSync(
      process.execPath,
      [
        '--require',
        path.join(root, 'test/ocr/no-network.cjs'),
        '--import',
        'tsx',
        path.join(root, 'test/ocr/read-and-exit.ts'),
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(res.error, 'the process did not exit within 60 s').toBeUndefined();
    expect(res.stderr).not.toContain('NETWORK-ATTEMPT');
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
    expect(out.crop).toBe('7ABC123');
    expect(out.engine).toMatch(/^onnxruntime-node /);
  });
});
