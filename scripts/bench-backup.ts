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
import { writeBenchDrive } from '../tools/bench-drive.js';

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
await writeBenchDrive(drive, { seedDir, files: nFiles, kb });

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
