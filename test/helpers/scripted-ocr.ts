/**
 * Scripted plate readers for tests that plant a reading: each demo-drive image "reads" the plate
 * the fixture manifest gives it (found by the image's SHA-256), except one plate that an older
 * model misreads as another; and a custodian's `custody ocr` run with such a reader, in process.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { runOcr } from '../../src/ocr/queue.js';
import type { PlateReader, PlateResult } from '../../src/ocr/reader.js';
import { PASSWORD, ROOT } from './cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; sha256: string; plate?: string }[];
};
const byHash = new Map(manifest.files.map((f) => [f.sha256, f.plate]));

/** The demo drive's plates, in the manifest's order. */
export const DEMO_PLATES: readonly string[] = manifest.files.filter((f) => f.plate).map((f) => f.plate!);

/** A reader that reads every demo plate right, or `misread.plate` as `misread.as`. */
export function scriptedReader(model: string, misread?: { plate: string; as: string }): PlateReader {
  return {
    engine: 'scripted',
    model,
    async read(image: Buffer): Promise<PlateResult> {
      const plate = byHash.get(createHash('sha256').update(image).digest('hex'));
      const text = misread && plate === misread.plate ? misread.as : plate;
      return {
        best: text ? { text, confidence: 0.9 } : null,
        alternatives: [],
        box: { x: 1, y: 2, width: 30, height: 10 },
        engine: 'scripted',
        model,
        ms: 1,
      };
    },
    async end() {},
  };
}

/** `custody ocr` (or `--reread`) by the custodian `asd` of INIT_ARGS, with `reader`. */
export async function readAllWith(home: string, clock: Clock, reader: PlateReader, reread: boolean): Promise<void> {
  const s = await openSession({
    homeDir: home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 'ocr',
  });
  try {
    await runOcr(s, reader, { reread });
  } finally {
    s.close();
  }
}
