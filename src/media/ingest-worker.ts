/** A worker thread of the import pool: runs `ingestFile` on each job it is sent, in order. */
import { parentPort } from 'node:worker_threads';
import { type IngestJob, ingestFile } from './ingest-file.js';

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

parentPort!.on('message', (m: { id: number; job: IngestJob }) => {
  const { absPath, key } = m.job;
  const out = ingestFile({
    ...m.job,
    key: asBuffer(key),
    absPath: typeof absPath === 'string' ? absPath : asBuffer(absPath),
  });
  // The head (up to 128 KB) is moved to the main thread, not copied, when it owns its memory.
  const moved = out.ok && out.head.byteOffset === 0 && out.head.byteLength === out.head.buffer.byteLength;
  parentPort!.postMessage({ id: m.id, out }, moved ? [out.head.buffer as ArrayBuffer] : []);
});
