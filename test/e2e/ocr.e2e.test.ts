/**
 * `custody ocr` after a swap, spawned: it reads every image (the real PP-OCR models through
 * onnxruntime-node, no network), survives being killed and resumed, `--reread` replaces the
 * readings and records the new version, and the process exits by itself (workers ended).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../../src/ledger/batches.js';
import { openSession } from '../../src/ledger/session.js';
import { loadReadings } from '../../src/ocr/queue.js';
import { BIN, INIT_ARGS, newTestHome, PASSWORD, ROOT, spawnBin, tmpDir, type TestHome } from '../helpers/cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'fixture-manifest.json'), 'utf8')) as {
  files: { relPath: string; plate?: string }[];
};

async function swappedHome(): Promise<TestHome> {
  const t = newTestHome();
  expect((await spawnBin(INIT_ARGS, { env: t.env })).code).toBe(0);
  expect(
    (
      await spawnBin(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00'], {
        env: t.env,
      })
    ).code,
  ).toBe(0);
  const drive = path.join(tmpDir('custody-ocr-'), 'drive');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  const r = await spawnBin(
    [
      'swap',
      '--source',
      drive,
      '--camera',
      'CAM-01',
      '--enrol',
      '--store-location',
      'safe',
      '--no-replacement',
      '--no-ocr',
    ],
    { env: t.env },
  );
  expect(r.code).toBe(0);
  return t;
}

async function readingsOf(t: TestHome) {
  const s = await openSession({
    homeDir: t.home,
    credentials: { username: 'asd', password: PASSWORD },
    clock: () => new Date(),
    command: 'test',
  });
  try {
    const batch = s.ledger.one<{ id: string }>('SELECT id FROM batches')!.id;
    const bf = new BatchFiles(s.home, batch);
    const key = loadBatchKey(bf, s.master);
    const db = await openSegment(bf, key);
    const recs = segmentRecords(db);
    db.close();
    const events = s.ledger
      .rows<{ type: string; data: string }>("SELECT type, data FROM events WHERE type LIKE 'ocr.%' ORDER BY seq")
      .map((e) => ({ type: e.type, ...(JSON.parse(e.data) as Record<string, unknown>) }));
    return { recs, readings: loadReadings(bf, key), events };
  } finally {
    s.close();
  }
}

describe('custody ocr', () => {
  it('reads every image of the swap, resumes after a kill, and --reread records the new version', async () => {
    const t = await swappedHome();
    // Killed once some readings are saved.
    const child = spawn(process.execPath, [BIN, 'ocr', '--checkpoint-every', '3', '--workers', '1'], {
      env: { PATH: process.env.PATH, ...t.env },
      stdio: 'ignore',
    });
    const ocrFile = () => fs.readdirSync(path.join(t.home, 'segments')).some((f) => f.endsWith('.ocr'));
    let exited = false;
    child.on('exit', () => (exited = true));
    while (!exited && !ocrFile()) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r(null) : child.once('exit', r)));
    if (fs.existsSync(path.join(t.home, 'lock'))) expect((await spawnBin(['unlock'], { env: t.env })).code).toBe(0);
    const partial = await readingsOf(t);
    const partialCount = Object.keys(partial.readings?.files ?? {}).length;
    expect(partialCount).toBeGreaterThan(0);
    expect(partialCount).toBeLessThan(24);

    const r = await spawnBin(['ocr', '--json'], { env: t.env, timeoutMs: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // and the process exited by itself: the workers were ended
    const sum = JSON.parse(r.stdout) as {
      images: number;
      batches: { read: number; resumed: boolean }[];
      engine: string;
      model: string;
    };
    expect(sum.images).toBe(24);
    expect(sum.batches[0]).toMatchObject({ resumed: true, read: 24 - partialCount });
    const full = await readingsOf(t);
    const files = full.readings!.files;
    expect(Object.keys(files)).toHaveLength(24);
    // Every image has its readings and every demo plate is among them; all but the look-alike
    // twins read first (BI28631 reads B128631 first: most states leave I out of serials).
    let found = 0;
    let exact = 0;
    for (const rec of full.recs) {
      const want = manifest.files.find((f) => f.relPath === rec.relPath)?.plate;
      const got = files[String(rec.id)]!;
      expect(got.alternatives.length).toBeLessThanOrEqual(10);
      if (want && got.best?.text === want) exact++;
      if (want && [got.best?.text, ...got.alternatives.map((a) => a.text)].includes(want)) found++;
    }
    expect(found).toBe(manifest.files.filter((f) => f.plate).length);
    expect(exact).toBeGreaterThanOrEqual(22);

    const again = await spawnBin(['ocr', '--json'], { env: t.env });
    expect(JSON.parse(again.stdout)).toMatchObject({ images: 0, batches: [] });

    // After an upgrade: everything read afresh, the engine and model recorded again.
    const before = full.readings!.files;
    const rr = await spawnBin(['ocr', '--reread', '--json'], { env: t.env, timeoutMs: 300_000 });
    expect(rr.code).toBe(0);
    const after = await readingsOf(t);
    expect(after.readings).toMatchObject({ engine: sum.engine, model: sum.model });
    for (const [id, f] of Object.entries(after.readings!.files))
      expect(Date.parse(f.readAt)).toBeGreaterThan(Date.parse(before[id]!.readAt));
    expect(Object.keys(after.readings!.files)).toHaveLength(24);
    const started = after.events.filter((e) => e.type === 'ocr.started');
    expect(started.at(-1)).toMatchObject({ reread: true, model: after.readings!.model });
    expect((await spawnBin(['verify'], { env: t.env })).code).toBe(0);
  }, 600_000);
});
