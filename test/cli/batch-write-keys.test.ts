/**
 * Batch keys at a disable (issue 14): disabling a designee rotates the evidence key, and what is
 * written afterwards for a batch imported before (plate readings, index, segment, the merged plate
 * index) opens with no key a copy of their slot reaches. The attack on the raw files: the
 * designee's slot, copied out of keyring.json before the disable (and the keys/ folder with it),
 * opened with scrypt and AES-GCM; every key it holds, every subkey of those, every key file of the
 * copy and of the home that those open (each key a key file holds), tried against the files.
 * The copy opens the readings written before the disable (the control: the test can fail).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { BatchFiles, loadBatchKey } from '../../src/ledger/batches.js';
import { openBlob } from '../../src/ledger/crypto.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { loadReadings, runOcr } from '../../src/ocr/queue.js';
import type { PlateReader, PlateResult } from '../../src/ocr/reader.js';
import type { FixtureManifest } from '../../tools/fixture-drive.js';
import {
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  passwordFileFor,
  run,
  type TestHome,
  tmpDir,
} from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';
import { homeKeyringFiles, openRawSlot, slotSecrets, withDerivedKeys } from '../helpers/raw-keys.js';

const _TZ = 'America/Los_Angeles';
const DESIGNEE_PW = 'designee password 1';
let drive: { dir: string; manifest: FixtureManifest };

beforeAll(async () => {
  drive = await smallCameraDrive('custody-writekeys-drive-', { seed: 616, days: 2, perDay: 3, imageBytes: 6000 });
}, 120_000);

afterAll(async () => {
  await endExiftool();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A reader that "reads" each image's planted plate (the reader itself is tested elsewhere); `model` names the run. */
function scripted(model: string, suffix = ''): PlateReader {
  const byHash = new Map(drive.manifest.files.map((f) => [f.sha256, f.plate]));
  return {
    engine: 'scripted',
    model,
    async read(image: Buffer): Promise<PlateResult> {
      const plate = byHash.get(createHash('sha256').update(image).digest('hex'));
      return {
        best: plate ? { text: `${plate}${suffix}`.slice(0, 8), confidence: 0.9 } : null,
        alternatives: [],
        box: null,
        engine: 'scripted',
        model,
        ms: 1,
      };
    },
    async end() {},
  };
}

async function ocr(t: TestHome, clock: () => Date, reader: PlateReader, reread = false): Promise<void> {
  const s = await openSession({
    homeDir: t.home,
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

/** The keys of a slot opened with the password alone (scrypt, AES-GCM), and every subkey of them. */
async function slotKeys(home: string, username: string, password: string, keyringText: string): Promise<Buffer[]> {
  const files = { ...homeKeyringFiles(home), keyring: keyringText };
  const raw = slotSecrets(await openRawSlot(files, username, password));
  expect(raw.length, 'record and evidence keys').toBe(2);
  return withDerivedKeys(raw);
}

/** Every key the slot's keys open in the key files of `dirs` (a key file may hold several keys, 32 bytes each). */
function keyFileKeys(dirs: string[], keys: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of dirs)
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const blob = fs.readFileSync(path.join(dir, name));
      const m = /^(B\d{8}-[0-9a-f]{6})(?:@(\d{4}-\d{2}-\d{2}))?\.key$/.exec(name);
      const ctx =
        name === 'plates.key'
          ? 'custody-plates-key'
          : m
            ? m[2]
              ? `custody-day-key:${m[1]}@${m[2]}`
              : `custody-batch-key:${m[1]}`
            : undefined;
      if (!ctx) continue;
      for (const k of keys) {
        const plain = openBlob(k, blob, ctx);
        if (!plain) continue;
        for (let i = 0; i + 32 <= plain.length; i += 32) out.push(Buffer.from(plain.subarray(i, i + 32)));
      }
    }
  return out;
}

const mergedHeader = (home: string) => {
  const f = fs.readFileSync(path.join(home, 'plates.idx'));
  const n = f.readUInt32LE(f.length - 8);
  return f.subarray(f.length - 8 - n, f.length - 8);
};

/** The batch's sealed files in `home` that name its images, with their contexts (those that exist). */
const batchFiles = (home: string, batch: string) =>
  (
    [
      ['seg', 'segment'],
      ['hashes', 'hashes'],
      ['ocr', 'readings'],
      ['idx', 'index'],
    ] as const
  )
    .map(([ext, ctx]) => ({ file: path.join(home, 'segments', `${batch}.${ext}`), context: `custody-${ctx}:${batch}` }))
    .filter((f) => fs.existsSync(f.file));

const opensWith = (keys: Buffer[], file: string, context: string) =>
  keys.some((k) => openBlob(k, fs.readFileSync(file), context) !== undefined);

async function homeWithBatch(clock: ReturnType<typeof manualClock>): Promise<{ t: TestHome; batch: string }> {
  const t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  const f = path.join(t.dir, 'rlee-new.pw');
  fs.writeFileSync(f, `${DESIGNEE_PW}\n`);
  await ok(['operator', 'add', 'rlee', '--name', 'R Lee', '--role', 'designee', '--new-password-file', f]);
  await ok(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St & 3rd', '--since', '2026-08-01T00:00:00-07:00']);
  // Each home its own copy of the drive (enrolling writes the home's id onto it).
  const src = path.join(tmpDir('custody-writekeys-src-'), 'drive');
  fs.cpSync(drive.dir, src, { recursive: true });
  await ok(['drive', 'enrol', '--source', src, '--id', 'D001']);
  const swap = await ok([
    'swap',
    '--source',
    src,
    '--camera',
    'CAM-01',
    '--removed-at',
    '2026-09-03T09:00:00-07:00',
    '--store-location',
    'safe, room 102',
    '--no-replacement',
    '--json',
  ]);
  return { t, batch: (JSON.parse(swap.stdout) as { batch: string }).batch };
}

describe('batch keys at a disable', () => {
  it("what is written after a designee's disable for a batch imported before opens with no key their copied slot reaches; the custodian reads all", async () => {
    const clock = manualClock('2026-09-03T09:30:00-07:00');
    const { t, batch: B } = await homeWithBatch(clock);
    const ok = okRunner(t, clock);
    await ocr(t, clock, scripted('test-1'));
    // A plate of the second recording day (the first is destroyed below).
    const plate = drive.manifest.files.filter((f) => f.plate).at(-1)!.plate!;

    // The designee copies their slot and the key files out, then is disabled.
    const copiedKeyring = fs.readFileSync(path.join(t.home, 'keyring.json'), 'utf8');
    const copiedKeys = path.join(tmpDir('custody-copied-keys-'), 'keys');
    fs.cpSync(path.join(t.home, 'keys'), copiedKeys, { recursive: true });
    const slot = await slotKeys(t.home, 'rlee', DESIGNEE_PW, copiedKeyring);
    const reachBefore = [...slot, ...keyFileKeys([copiedKeys], slot)];
    // The control: before the disable the copy opens the batch's readings and the merged index.
    expect(opensWith(reachBefore, path.join(t.home, 'segments', `${B}.ocr`), `custody-readings:${B}`)).toBe(true);
    expect(opensWith(reachBefore, path.join(t.home, 'segments', `${B}.idx`), `custody-index:${B}`)).toBe(true);
    expect(reachBefore.some((k) => openBlob(k, mergedHeader(t.home), 'custody-plates:header'))).toBe(true);
    const keyFileBefore = fs.readFileSync(path.join(t.home, 'keys', `${B}.key`));

    await ok(['operator', 'disable', 'rlee', '--reason', 'left']);
    // The disable itself re-writes no batch file (the new key comes with the first write).
    expect(fs.readFileSync(path.join(t.home, 'keys', `${B}.key`)).equals(keyFileBefore)).toBe(true);

    // The batch imported before is read again (another model): new readings, index, merged index.
    await ocr(t, clock, scripted('test-2', 'Z'), true);
    expect(fs.readFileSync(path.join(t.home, 'keys', `${B}.key`)).equals(keyFileBefore)).toBe(false);

    // A day of it is destroyed too, which re-writes its segment and hash list.
    const rep = JSON.parse((await ok(['retention', '--json'])).stdout) as {
      batches: { id: string; days: { day: string; destructionDate: string }[] }[];
    };
    clock.set(
      new Date(Date.parse(rep.batches.find((b) => b.id === B)!.days[0]!.destructionDate) + 60_000).toISOString(),
    );
    await ok(['purge', '--yes', '--no-certificate']);

    // The attack: every key the copied slot reaches, in the copy's key files and in the home's now.
    const reach = [...slot, ...keyFileKeys([copiedKeys, path.join(t.home, 'keys')], slot)];
    expect(reach.length).toBeGreaterThan(reachBefore.length - 1);
    const written = batchFiles(t.home, B);
    expect(written.map((f) => path.extname(f.file)).sort()).toEqual(['.hashes', '.idx', '.ocr', '.seg']);
    for (const { file, context } of written) expect(opensWith(reach, file, context), file).toBe(false);
    for (const k of reach) expect(openBlob(k, mergedHeader(t.home), 'custody-plates:header')).toBeUndefined();

    // The custodian reads all: the new readings through the CLI, the index and merged index checked by verify.
    const found = JSON.parse(
      (await ok(['search', `${plate}Z`.slice(0, 8), '--purpose', 'criminal investigation', '--case', 'C-1', '--json']))
        .stdout,
    ) as {
      results: unknown[];
    };
    expect(found.results.length).toBeGreaterThan(0);
    await ok(['verify']);
    const designee = await run(['camera', 'list'], { env: passwordFileFor(t, 'rlee', DESIGNEE_PW) });
    expect(designee.code).toBe(3);
  }, 300_000);

  it('a write key cut short (the key file not replaced, or replaced and the readings not) leaves every file readable; the next run finishes it', async () => {
    const clock = manualClock('2026-09-03T09:30:00-07:00');
    const { t, batch: B } = await homeWithBatch(clock);
    const ok = okRunner(t, clock);
    await ocr(t, clock, scripted('test-1'));
    await ok(['operator', 'disable', 'rlee', '--reason', 'left']);
    const keyFile = path.join(t.home, 'keys', `${B}.key`);
    const readingsFile = path.join(t.home, 'segments', `${B}.ocr`);
    const keyBefore = fs.readFileSync(keyFile);
    const real = fs.renameSync;

    // Cut 1: the new key file cannot be put in place.
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (to === keyFile) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      return real(from, to);
    });
    await expect(ocr(t, clock, scripted('test-2', 'Z'), true)).rejects.toThrow(/while saving B\d{8}-[0-9a-f]{6}\.key/);
    vi.restoreAllMocks();
    expect(fs.readFileSync(keyFile).equals(keyBefore)).toBe(true);
    const plate = drive.manifest.files.find((f) => f.plate)!.plate!;
    const first = JSON.parse(
      (await ok(['search', plate, '--purpose', 'criminal investigation', '--case', 'C-1', '--json'])).stdout,
    ) as {
      results: unknown[];
    };
    expect(first.results.length).toBeGreaterThan(0);

    // Cut 2: the key file is replaced, the readings cannot be.
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (to === readingsFile) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      return real(from, to);
    });
    await expect(ocr(t, clock, scripted('test-2', 'Z'), true)).rejects.toThrow(/while saving B\d{8}-[0-9a-f]{6}\.ocr/);
    vi.restoreAllMocks();
    expect(fs.readFileSync(keyFile).equals(keyBefore)).toBe(false);
    // The readings written before (under the batch's first key) still open, with the new key file.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'test',
    });
    try {
      const bf = new BatchFiles(s.home, B);
      expect(loadReadings(bf, loadBatchKey(bf, s.master))?.model).toBe('test-1');
    } finally {
      s.close();
    }
    await ok(['search', plate, '--purpose', 'criminal investigation', '--case', 'C-1']);

    // The next run finishes: the new readings, under the new key.
    await ocr(t, clock, scripted('test-2', 'Z'), true);
    const again = JSON.parse(
      (await ok(['search', `${plate}Z`.slice(0, 8), '--purpose', 'criminal investigation', '--case', 'C-1', '--json']))
        .stdout,
    ) as { results: unknown[] };
    expect(again.results.length).toBeGreaterThan(0);
    await ok(['verify']);
  }, 300_000);
});
