/**
 * A plate-reading worker thread (reader.ts starts them): its own onnxruntime sessions,
 * one image at a time. Says `{ready}` once loaded, then answers each `{id, image, kind}`
 * with `{id, result}` or `{id, error}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readImage } from './plate.js';
import { createEngine, type Engine } from './ppocr.js';

const port = parentPort!;
const data = workerData as { debug?: boolean; threads?: number; fold?: boolean } | undefined;
const debug = data?.debug ? (s: string) => port.postMessage({ id: -1, debug: s }) : undefined;

// No top-level await: in development this file is compiled to CommonJS (see reader.ts).
const ready: Promise<Engine | null> = createEngine({ threads: data?.threads ?? 1, fold: data?.fold ?? true }).then(
  (engine) => {
    port.postMessage({ ready: true });
    return engine;
  },
  (e: Error) => {
    port.postMessage({ error: `the plate models did not load: ${e.message}` });
    return null;
  },
);

port.on('message', async (m: { id: number; image: Uint8Array; kind: 'frame' | 'crop' }) => {
  try {
    const engine = await ready;
    if (!engine) throw new Error('the plate models did not load');
    const image = Buffer.from(m.image.buffer, m.image.byteOffset, m.image.byteLength);
    port.postMessage({ id: m.id, result: await readImage(engine, image, m.kind, undefined, debug) });
  } catch (e) {
    port.postMessage({ id: m.id, error: (e as Error).message });
  }
});
