/**
 * Destruction reaches the backups (issue 20), checked on the raw files of each backup folder with
 * the custodian's password, as a script holding the backup disk would: the keyring slot opened by
 * scrypt + AES-GCM, every key file of the backup opened, every key inside it unwrapped, and every key
 * (and every key derived from one) tried on the purged day's data. A purge reaches the backup folder
 * that is mounted (no key opens the purged day there) and names the one that is not; that one still
 * opens the day until the next `custody backup` to it, after which it does not either.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { BatchFiles, loadBatchKey, openSegment, segmentRecords } from '../../src/ledger/batches.js';
import { openBlob } from '../../src/ledger/crypto.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { makeFixtureDrive } from '../../tools/fixture-drive.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD, tmpDir } from '../helpers/cli.js';
import { openRawSlot, slotSecrets, withDerivedKeys } from '../helpers/raw-keys.js';

const TZ = 'America/Los_Angeles';
let driveDir = '';

beforeAll(async () => {
  const et = new ExifTool({ maxProcs: 1 });
  try {
    driveDir = path.join(tmpDir('custody-backup-purge-'), 'drive');
    await makeFixtureDrive(driveDir, {
      seed: 20,
      camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
      start: new Date('2026-09-01T16:00:00Z'),
      days: 3,
      perDay: 2,
      timeZone: TZ,
      imageBytes: 5000,
      exiftool: et,
    });
  } finally {
    await et.end();
  }
}, 180_000);

afterAll(async () => {
  await endExiftool();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Manifest {
  home: string;
  files: { path: string; sha256: string }[];
  keyFile: { name: string };
}

/**
 * Every key a holder of the custodian's password gets from the backup's raw files: the slot's keys,
 * keys derived from them, and every key sealed in every key file of the backup.
 */
async function keysFromBackup(dir: string, username: string, password: string): Promise<Buffer[]> {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const obj = (p: string) => {
    const e = m.files.find((f) => f.path === p)!;
    return fs.readFileSync(path.join(dir, 'objects', e.sha256.slice(0, 2), e.sha256));
  };
  const slot = await openRawSlot(
    { keyring: obj('keyring.json').toString(), homeJson: obj('home.json').toString() },
    username,
    password,
  );
  const derived = withDerivedKeys(slotSecrets(slot));
  const out = [...derived];
  for (const name of fs.readdirSync(path.join(dir, 'keys'))) {
    const blob = fs.readFileSync(path.join(dir, 'keys', name));
    const gen = Number.parseInt(name, 10);
    for (const k of derived) {
      const inner = openBlob(k, blob, `custody-backup-keys:${m.home}:${gen}`);
      if (!inner) continue;
      const set = (JSON.parse(inner.toString()) as { keys: Record<string, string> }).keys;
      for (const [file, b64] of Object.entries(set)) {
        const unit = file.replace(/\.key$/, '');
        const ctxs = [`custody-day-key:${unit}`, `custody-batch-key:${unit}`];
        for (const kk of derived)
          for (const c of ctxs) {
            const key = openBlob(kk, Buffer.from(b64, 'base64'), c);
            if (key) out.push(key);
          }
      }
    }
  }
  return out;
}

interface DayData {
  batch: string;
  day: string;
  /** Each stored file's own key, sealed with the day's key. */
  wrapped: string[];
  /** The SHA-256 of each stored file as it lies in the home (its backup object's name). */
  objects: string[];
}

/** How many of the day's file keys open with any of `keys`. */
function opened(keys: Buffer[], d: DayData): number {
  return d.wrapped.filter((w) =>
    keys.some((k) => openBlob(k, Buffer.from(w, 'base64'), `custody-file-key:${d.batch}@${d.day}`)),
  ).length;
}

describe('destruction reaches the backups', () => {
  it('after a purge no key in a reached backup opens the purged day; an unreached one is named, and its next backup drops the key', async () => {
    const clock = manualClock('2026-09-05T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
    await ok(['drive', 'enrol', '--source', driveDir, '--id', 'D001']);
    const swap = await ok([
      ...['swap', '--source', driveDir, '--camera', 'CAM-01', '--store-location', 'safe'],
      ...['--no-replacement', '--json'],
    ]);
    const batch = (JSON.parse(swap.stdout) as { batch: string }).batch;

    // The data of each recording day, read before the purge.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 't',
    });
    const bf = new BatchFiles(s.home, batch);
    const db = await openSegment(bf, loadBatchKey(bf, s.master));
    const recs = segmentRecords(db).filter((r) => r.outcome === 'stored');
    db.close();
    s.close();
    const days = [...new Set(recs.map((r) => r.keyDay!))].sort();
    expect(days).toEqual(['2026-09-01', '2026-09-02', '2026-09-03']);
    const dayData = (day: string): DayData => {
      const rs = recs.filter((r) => r.keyDay === day);
      return {
        batch,
        day,
        wrapped: rs.map((r) => r.wrappedKey!),
        objects: rs.map((r) => sha(fs.readFileSync(bf.storeFile(r.storeName!)))),
      };
    };
    const [first, second] = [dayData(days[0]!), dayData(days[1]!)];
    const segmentBefore = sha(fs.readFileSync(bf.segmentFile));

    const mounted = path.join(t.dir, 'nas');
    const unplugged = path.join(t.dir, 'usb');
    await ok(['backup', '--to', mounted]);
    await ok(['backup', '--to', unplugged]);
    // Before the purge each backup opens both days (the check can fail).
    for (const dir of [mounted, unplugged]) {
      const keys = await keysFromBackup(dir, 'asd', PASSWORD);
      expect(opened(keys, first)).toBe(first.wrapped.length);
      expect(opened(keys, second)).toBe(second.wrapped.length);
    }
    const away = `${unplugged}.away`;
    fs.renameSync(unplugged, away); // the USB disk is in a drawer

    // The first recording day passes its date; the purge destroys it and reaches the NAS.
    clock.set('2026-10-31T23:30:00-07:00');
    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as { due: { day: string }[] };
    expect(plan.due.map((d) => d.day)).toEqual([first.day]);
    const certificate = path.join(t.dir, 'destruction.pdf');
    const out = JSON.parse((await ok(['purge', '--yes', '--certificate', certificate, '--json'])).stdout) as {
      backups: { location: string; reached: boolean }[];
    };
    expect(out.backups.map((b) => [b.location, b.reached])).toEqual([
      [mounted, true],
      [unplugged, false],
    ]);

    // The NAS, raw: no key opens the purged day; the next day still opens; one key file; no purged object.
    const nasKeys = await keysFromBackup(mounted, 'asd', PASSWORD);
    expect(opened(nasKeys, first)).toBe(0);
    expect(opened(nasKeys, second)).toBe(second.wrapped.length);
    expect(fs.readdirSync(path.join(mounted, 'keys'))).toHaveLength(1);
    const objects = new Set(
      fs.readdirSync(path.join(mounted, 'objects'), { recursive: true }).map((p) => path.basename(String(p))),
    );
    for (const o of first.objects) expect(objects.has(o)).toBe(false);
    for (const o of second.objects) expect(objects.has(o)).toBe(true);
    expect(objects.has(segmentBefore)).toBe(false); // the segment as it was, with the day's rows, is gone too
    expect((await ok(['backup', 'verify', mounted])).stdout).toMatch(/OK: the backup is whole/);

    // The certificate says what was reached, what was not, and what no purge reaches.
    const text = execFileSync('pdftotext', ['-layout', certificate, '-']).toString().replace(/\s+/g, ' ');
    expect(text).toContain(`The backup at ${mounted} was rewritten by this purge`);
    expect(text).toContain(`The backup at ${unplugged} could not be reached by this purge`);
    expect(text).toContain('until the next');
    expect(text).toContain('a copy of the home made by other means'.replace(/^a/, 'A'));

    // The USB disk comes back: until its next backup it still opens the day, as the certificate says.
    fs.renameSync(away, unplugged);
    expect(opened(await keysFromBackup(unplugged, 'asd', PASSWORD), first)).toBe(first.wrapped.length);
    await ok(['backup', '--to', unplugged]);
    const usbKeys = await keysFromBackup(unplugged, 'asd', PASSWORD);
    expect(opened(usbKeys, first)).toBe(0);
    expect(opened(usbKeys, second)).toBe(second.wrapped.length);
    expect(fs.readdirSync(path.join(unplugged, 'keys'))).toHaveLength(1);
  }, 240_000);
});
