/**
 * npm run bench:scale [-- --sizes 2000000,6000000 --json]
 * A home holding 2 million images (10 cameras × 3,000 a day × 60 days) and then 6 million, laid
 * out as imports make it: one batch per drive swap, each with its own key and encrypted segment.
 * Prints the time of a swap's ledger commit, of `custody drive list`, of opening the home, and
 * the peak memory. With --json the last line is
 * {"sizes":[{"images":…,"commitSeconds":…,"listSeconds":…,"openSeconds":…,"peakRssMB":…}]}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { runCli } from '../src/cli/run.js';
import { defaultSettings } from '../src/core/settings.js';
import { BatchFiles, createBatchKey, newBatchId, writeSegment, type FileRecord } from '../src/ledger/batches.js';
import { initHome } from '../src/operations/init.js';
import { openSession } from '../src/ledger/session.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizes = args.includes('--sizes')
  ? args[args.indexOf('--sizes') + 1]!.split(',').map(Number)
  : [2_000_000, 6_000_000];
const CAMERAS = 10;
const SWAP_DAYS = 7;
const PASSWORD = 'bench password 123';
const log = (s: string) => !json && console.log(s);

async function buildHome(images: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-scale-'));
  const home = path.join(dir, 'home');
  const t0 = Date.parse('2026-09-01T00:00:00-07:00');
  const clock = () => new Date(t0 + 90 * 86_400_000);
  await initHome({
    dir: home,
    settings: defaultSettings({ agencyName: 'Bench City', custodianTitle: 'ASD', timeZone: 'America/Los_Angeles' }),
    custodian: {
      username: 'asd',
      displayName: 'Bench',
      password: PASSWORD,
      training: { date: '2026-01-01', course: 'c', trainer: 't' },
    },
    clock,
  });
  const s = await openSession({
    homeDir: home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 'bench',
  });
  const perDay = images / CAMERAS / 60;
  const perBatch = Math.round(perDay * SWAP_DAYS);
  const batchesPerCamera = Math.ceil(images / CAMERAS / perBatch);
  for (let c = 1; c <= CAMERAS; c++) {
    const cam = `CAM-${String(c).padStart(2, '0')}`;
    s.append('camera.added', {
      camera: cam,
      id: cam,
      location: `Street ${c}`,
      inServiceSince: '2026-08-01T00:00:00.000-07:00',
      swapCadenceDays: SWAP_DAYS,
    });
    for (let b = 0; b < batchesPerCamera; b++) {
      const drive = `D${c}${String(b).padStart(3, '0')}`;
      s.append('drive.enrolled', { drive, label: null, serial: null, capacityBytes: 64e9, fsType: 'vfat', note: null });
      s.append('drive.installed', { drive, camera: cam });
      s.append('drive.removed', { drive, camera: cam });
      const batch = newBatchId(`2026-09-${String(1 + (b % 28)).padStart(2, '0')}`);
      const bf = new BatchFiles(s.home, batch);
      const key = createBatchKey(bf, s.master);
      s.append('import.started', { batch, drive, camera: cam });
      const start = t0 + b * SWAP_DAYS * 86_400_000;
      const recs: FileRecord[] = [];
      for (let i = 0; i < perBatch; i++) {
        const at = new Date(start + (i / perBatch) * SWAP_DAYS * 86_400_000).toISOString();
        recs.push({
          relPath: `DCIM/${100 + Math.floor(i / 9999)}CAM/IMG_${String(i % 9999).padStart(4, '0')}.JPG`,
          size: 300_000,
          mtime: at,
          outcome: 'stored',
          sha256: `${c}${b}${i}`.padStart(64, '0'),
          storeName: `${i}`.padStart(40, '0'),
          kind: 'image',
          mime: 'image/jpeg',
          recordedAt: at,
          recordedSource: 'exif',
          flags: [],
          make: 'Acme',
          model: 'LPR-2',
          serial: `AC-${c}`,
          verifiedAt: at,
        });
      }
      await writeSegment(bf, key, { drive, camera: cam }, recs);
      s.append('import.finished', {
        batch,
        drive,
        camera: cam,
        files: perBatch,
        stored: perBatch,
        duplicates: 0,
        skipped: 0,
        failed: 0,
        flagged: 0,
        bytes: perBatch * 300_000,
        recordedFirst: recs[0]!.recordedAt,
        recordedLast: recs.at(-1)!.recordedAt,
        manifestSha256: '0'.repeat(64),
        verifiedAt: recs.at(-1)!.recordedAt,
        sourceVerified: false,
      });
      s.append('drive.stored', { drive, location: 'safe' });
    }
  }
  s.commit();
  s.close();
  return home;
}

const results = [];
for (const images of sizes) {
  const tb = performance.now();
  const home = await buildHome(images);
  log(`${images.toLocaleString('en-US')} images: home built in ${((performance.now() - tb) / 1000).toFixed(0)} s`);
  const clock = () => new Date('2026-11-30T09:00:00-08:00');
  const t1 = performance.now();
  const s = await openSession({
    homeDir: home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 'bench',
  });
  const openSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  // What a swap adds to the main ledger: removal, batch start and finish, storage, replacement.
  s.append('drive.enrolled', {
    drive: 'DNEW',
    label: null,
    serial: null,
    capacityBytes: null,
    fsType: null,
    note: null,
  });
  s.append('drive.installed', { drive: 'DNEW', camera: 'CAM-01' });
  s.append('drive.removed', { drive: 'DNEW', camera: 'CAM-01' });
  s.append('import.started', { batch: 'B20261130-000000', drive: 'DNEW', camera: 'CAM-01' });
  s.append('import.finished', {
    batch: 'B20261130-000000',
    drive: 'DNEW',
    camera: 'CAM-01',
    files: 21000,
    stored: 21000,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    flagged: 0,
    bytes: 6.3e9,
    recordedFirst: '2026-11-23T00:00:00.000-08:00',
    recordedLast: '2026-11-30T00:00:00.000-08:00',
    manifestSha256: '0'.repeat(64),
    verifiedAt: '2026-11-30T09:00:00.000-08:00',
    sourceVerified: false,
  });
  s.append('drive.stored', { drive: 'DNEW', location: 'safe' });
  s.commit();
  const commitSeconds = (performance.now() - t2) / 1000;
  s.close();
  const pwFile = path.join(path.dirname(home), 'pw');
  fs.writeFileSync(pwFile, `${PASSWORD}\n`);
  let out = '';
  const t3 = performance.now();
  const code = await runCli(['drive', 'list', '--json'], {
    stdout: { write: (x: string) => (out += x) },
    stderr: process.stderr,
    stdin: Readable.from([]),
    env: { CUSTODY_HOME: home, CUSTODY_USER: 'asd', CUSTODY_PASSWORD_FILE: pwFile },
    isTTY: false,
    clock,
  });
  const listSeconds = (performance.now() - t3) / 1000;
  if (code !== 0) throw new Error(`drive list exited ${code}`);
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const r = {
    images,
    commitSeconds: +commitSeconds.toFixed(3),
    listSeconds: +listSeconds.toFixed(3),
    openSeconds: +openSeconds.toFixed(3),
    peakRssMB: +peakRssMB.toFixed(0),
  };
  results.push(r);
  log(
    `  open ${r.openSeconds} s, swap commit ${r.commitSeconds} s, drive list ${r.listSeconds} s (${(JSON.parse(out) as unknown[]).length} drives), peak RSS so far ${r.peakRssMB} MB`,
  );
  fs.rmSync(path.dirname(home), { recursive: true, force: true });
}
if (json) console.log(JSON.stringify({ sizes: results }));
