/**
 * npm run bench:import [-- --files 2000 --kb 300 --tiny --json]
 * A generated drive of camera JPEGs (~300 KB each, real EXIF); the whole import (hash, encrypt,
 * verify, EXIF, ledger) against `cp -r` followed by `sha256sum` of the same files, in the same run.
 * `--tiny`: each file is only a frame's EXIF header and an end marker (about 1 KB; the per-file
 * cost). With --json the last line is {"files":…,"bytes":…,"seconds":…,"baselineSeconds":…,
 * "ratio":…,"readSeconds":…,"sha256Seconds":…,"peakRssMB":…,"loadAverage":[1, 5, 15 min]}:
 * readSeconds and sha256Seconds are the floor, one read of the drive and one hash of it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultSettings } from '../src/core/settings.js';
import { initHome } from '../src/operations/init.js';
import { openSession } from '../src/ledger/session.js';
import { endExiftool } from '../src/media/exif.js';
import { writeBenchDrive } from '../tools/bench-drive.js';
import { importDrive } from '../src/media/import.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const json = args.includes('--json');
const nFiles = opt('--files', 2000);
const kb = opt('--kb', 300);
const tiny = args.includes('--tiny');
const log = (s: string) => !json && console.log(s);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-import-'));
const seedDir = path.join(work, 'seed');
const drive = path.join(work, 'drive');
log(`Generating ${nFiles} frames of about ${tiny ? 'a' : kb} KB in ${drive} …`);
await writeBenchDrive(drive, { seedDir, files: nFiles, kb, tiny });
const bytes = execFileSync('du', ['-sb', drive]).toString().split('\t')[0];

// Warm the page cache for both contenders alike.
execFileSync('sh', ['-c', `cat $(find "${drive}" -type f) > /dev/null`]);

const tb = performance.now();
execFileSync('sh', [
  '-c',
  `cp -r "${drive}" "${work}/copy" && find "${work}/copy" -type f -print0 | xargs -0 sha256sum > /dev/null`,
]);
const baselineSeconds = (performance.now() - tb) / 1000;
// The floor: one read of the drive (from the page cache here: a real drive is slower), and one SHA-256 of it.
const timeSh = (cmd: string) => {
  const t = performance.now();
  execFileSync('sh', ['-c', cmd]);
  return (performance.now() - t) / 1000;
};
const readSeconds = timeSh(`find "${drive}" -type f -print0 | xargs -0 cat > /dev/null`);
const sha256Seconds = timeSh(`find "${drive}" -type f -print0 | xargs -0 sha256sum > /dev/null`);

const pw = 'bench password 123';
await initHome({
  dir: path.join(work, 'home'),
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
  homeDir: path.join(work, 'home'),
  credentials: { username: 'asd', password: pw },
  clock: () => new Date(),
  command: 'bench',
});
s.append('drive.enrolled', { drive: 'D001', label: null, serial: null, capacityBytes: null, fsType: null, note: null });
s.commit();
const load = os.loadavg();
const t0 = performance.now();
const sum = await importDrive(s, { source: drive, driveId: 'D001', cameraId: null });
const seconds = (performance.now() - t0) / 1000;
const loadAfter = os.loadavg();
s.close();
await endExiftool();
const mb = Number(bytes) / 1e6;
const res = {
  files: sum.files,
  bytes: Number(bytes),
  seconds: +seconds.toFixed(2),
  baselineSeconds: +baselineSeconds.toFixed(2),
  ratio: +(seconds / baselineSeconds).toFixed(2),
  readSeconds: +readSeconds.toFixed(2),
  sha256Seconds: +sha256Seconds.toFixed(2),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  loadAverage: loadAfter.map((x) => +x.toFixed(2)),
};
log(
  `import: ${sum.files} files, ${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(sum.files / seconds).toFixed(0)} files/s, ${(mb / seconds).toFixed(1)} MB/s (stored ${sum.stored}, failed ${sum.failed})`,
);
log(`baseline cp -r + sha256sum: ${baselineSeconds.toFixed(2)} s = ${(mb / baselineSeconds).toFixed(1)} MB/s`);
log(`floor: one read of the drive ${readSeconds.toFixed(2)} s, one SHA-256 of it ${sha256Seconds.toFixed(2)} s`);
log(`ratio: ${res.ratio}× the baseline (target ≤ 1.5×); peak RSS ${res.peakRssMB} MB`);
log(
  `load average before ${load.map((x) => x.toFixed(2)).join(' ')}, after ${res.loadAverage.join(' ')} (${os.availableParallelism()} cores)`,
);
if (json) console.log(JSON.stringify(res));
fs.rmSync(work, { recursive: true, force: true });
