/**
 * npm run bench:backup [-- --files 2000 --kb 300 --json]
 * The bench home of `bench:import` (a generated drive of camera JPEGs, ~300 KB each, imported), then
 * `custody backup` to a new folder (the first backup: everything copied and re-hashed), then again
 * after one more commit (the incremental backup: the stored files are not read again), against
 * `cp -r` + `sync` + `sha256sum` of the home in the same run, then
 * `backup verify` (every file re-hashed). With --json the last line is
 * {"files":…,"bytes":…,"firstSeconds":…,"incrementalSeconds":…,"incrementalCopied":…,"verifySeconds":…}.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultSettings } from '../src/core/settings.js';
import { openSession } from '../src/ledger/session.js';
import { endExiftool } from '../src/media/exif.js';
import { importDrive } from '../src/media/import.js';
import { backup, verifyBackup } from '../src/operations/backup.js';
import { initHome } from '../src/operations/init.js';
import { makeFixtureDrive } from '../tools/fixture-drive.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const json = args.includes('--json');
const nFiles = opt('--files', 2000);
const kb = opt('--kb', 300);
const log = (s: string) => !json && console.log(s);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-backup-'));
const seedDir = path.join(work, 'seed');
const drive = path.join(work, 'drive');
log(`Generating ${nFiles} frames of about ${kb} KB …`);
const seed = await makeFixtureDrive(seedDir, {
  seed: 1,
  camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-1' },
  start: new Date('2026-11-01T12:00:00Z'),
  days: 2,
  perDay: 20,
  timeZone: 'America/Los_Angeles',
});
const frames = seed.files.filter((f) => f.kind === 'image').map((f) => fs.readFileSync(path.join(seedDir, f.relPath)));
// Each file: a real frame with its EXIF, made unique and brought to size by a comment segment after APP1.
for (let i = 0; i < nFiles; i++) {
  const src = frames[i % frames.length]!;
  const cut = 4 + src.readUInt16BE(4);
  const parts: Buffer[] = [src.subarray(0, cut)];
  for (let left = Math.max(16, kb * 1000 - src.length); left > 0; left -= 65_000) {
    const n = Math.min(65_000, left);
    const seg = Buffer.alloc(4);
    seg.writeUInt16BE(0xfffe, 0);
    seg.writeUInt16BE(n + 2, 2);
    parts.push(seg, randomBytes(n));
  }
  parts.push(src.subarray(cut));
  const dir = path.join(drive, 'DCIM', `${100 + Math.floor(i / 1000)}CAM`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `IMG_${String(i).padStart(5, '0')}.JPG`), Buffer.concat(parts));
}

const pw = 'bench password 123';
const homeDir = path.join(work, 'home');
await initHome({
  dir: homeDir,
  settings: defaultSettings({ agencyName: 'Bench City', custodianTitle: 'ASD', timeZone: 'America/Los_Angeles' }),
  custodian: {
    username: 'asd',
    displayName: 'Bench',
    password: pw,
    training: { date: '2026-01-01', course: 'c', trainer: 't' },
  },
  clock: () => new Date(),
});
const s = await openSession({
  homeDir,
  credentials: { username: 'asd', password: pw },
  clock: () => new Date(),
  command: 'bench',
});
try {
  s.append('drive.enrolled', {
    drive: 'D001',
    label: null,
    serial: null,
    capacityBytes: null,
    fsType: null,
    note: null,
  });
  s.commit();
  log('Importing …');
  await importDrive(s, { source: drive, driveId: 'D001', cameraId: null });
  await endExiftool();
  fs.rmSync(drive, { recursive: true, force: true });
  fs.rmSync(seedDir, { recursive: true, force: true });

  // The baseline, in the same run: a plain copy of the home, synced, and every copy hashed.
  let t0 = performance.now();
  execFileSync('sh', [
    '-c',
    `cp -r "${homeDir}" "${work}/plain-copy" && sync && find "${work}/plain-copy" -type f -print0 | xargs -0 sha256sum > /dev/null`,
  ]);
  const baselineSeconds = (performance.now() - t0) / 1000;
  fs.rmSync(path.join(work, 'plain-copy'), { recursive: true, force: true });
  log(`baseline cp -r + sync + sha256sum of the home: ${baselineSeconds.toFixed(2)} s`);
  const dest = path.join(work, 'backup');
  t0 = performance.now();
  const first = await backup(s, { to: dest });
  const firstSeconds = (performance.now() - t0) / 1000;
  log(
    `first backup: ${first.files} files, ${(first.bytes / 1e6).toFixed(0)} MB, ${first.copied} copied, in ${firstSeconds.toFixed(2)} s = ${(first.bytesCopied / 1e6 / firstSeconds).toFixed(1)} MB/s`,
  );
  t0 = performance.now();
  const second = await backup(s, { to: dest });
  const incrementalSeconds = (performance.now() - t0) / 1000;
  log(
    `incremental backup: ${second.copied} of ${second.files} files copied (${(second.bytesCopied / 1e6).toFixed(1)} MB), in ${incrementalSeconds.toFixed(2)} s`,
  );
  t0 = performance.now();
  await verifyBackup(s, dest);
  const verifySeconds = (performance.now() - t0) / 1000;
  log(`backup verify (every file re-hashed): ${verifySeconds.toFixed(2)} s`);
  log(
    `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (json)
    console.log(
      JSON.stringify({
        files: first.files,
        bytes: first.bytes,
        firstSeconds: +firstSeconds.toFixed(2),
        baselineSeconds: +baselineSeconds.toFixed(2),
        incrementalSeconds: +incrementalSeconds.toFixed(2),
        incrementalCopied: second.copied,
        verifySeconds: +verifySeconds.toFixed(2),
        loadAverage: os.loadavg()[0],
      }),
    );
} finally {
  s.close();
  fs.rmSync(work, { recursive: true, force: true });
}
