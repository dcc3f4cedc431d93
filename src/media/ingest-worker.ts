/**
 * A worker thread of the import pool: runs `ingestAndDescribe` on each job it is sent (the read,
 * hash, seal and write of one file are synchronous; its EXIF is read after, so jobs may answer
 * out of order: each answer carries its id).
 */
import { parentPort } from 'node:worker_threads';
import { type IngestJob, ingestAndDescribe } from './ingest-file.js';

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

parentPort!.on('message', async (m: { id: number; job: IngestJob }) => {
  const { absPath, key } = m.job;
  const out = await ingestAndDescribe({
    ...m.job,
    key: asBuffer(key),
    absPath: typeof absPath === 'string' ? absPath : asBuffer(absPath),
  });
  parentPort!.postMessage({ id: m.id, out });
});
