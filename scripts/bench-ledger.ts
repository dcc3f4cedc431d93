/**
 * npm run bench:ledger [-- --json] [--sizes 1000000,10000000]
 * Time to open the main ledger (what a commit re-reads under the lock), append one event and save
 * it, for ledgers that have held 1 M and 10 M events, measured in the same run. Prints a table;
 * with --json the last line is
 * {"sizes":[{"events":…,"openSeconds":…,"appendSaveSeconds":…,"archiveSaveSeconds":…,"liveMB":…,"liveEvents":…,"archiveMB":…,"segments":…,"buildSeconds":…}],"loadAverage":[…]}.
 *
 * How the ledgers are built: every event is appended with `Ledger.append` (chained and applied to
 * the derived tables like any command's), in transactions of a segment's worth, and the archive
 * step a save runs (`Ledger.archiveDue`, the same function `Ledger.save` calls first) seals the
 * old events into segments as they pass the threshold; the live file is saved once at the end.
 * The events are access records (`access.recorded`, the event that grows with use: every search,
 * view and export), with a failed log-in every 1,000; they are not signed (an Ed25519 signature
 * per event would add about 10 minutes at 10 M and changes neither the live file nor the save).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ARCHIVE_DIR, keptTailEvents, segmentEvents } from '../src/ledger/archive.js';
import { randomKey } from '../src/ledger/crypto.js';
import { Ledger } from '../src/ledger/ledger.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [1_000_000, 10_000_000];
const SEGMENT = segmentEvents();

const T0 = Date.parse('2026-01-01T08:00:00Z');
const atOf = (i: number) => new Date(T0 + i * 3_000).toISOString().replace('Z', '+00:00');

function appendOne(l: Ledger, i: number): void {
  if (i % 1000 === 0) {
    l.append('auth.failed', 'bench', atOf(i), { username: 'bench', count: 1, firstAt: atOf(i), lastAt: atOf(i) });
    return;
  }
  l.append('access.recorded', 'bench', atOf(i), {
    action: i % 10 === 0 ? 'view' : 'search',
    query: `7ABC${String(i % 1000).padStart(3, '0')}`,
    purpose: 'criminal investigation',
    caseRef: `2026-${i % 50_000}`,
    requestId: null,
    organization: 'Bench City Police',
    results: i % 7,
    details: null,
  });
}

async function build(n: number, file: string, key: Buffer): Promise<void> {
  const l = await Ledger.createEmpty();
  l.append('home.created', 'bench', atOf(0), { homeId: 'bench', settings: { agencyName: 'Bench City' } });
  l.append('operator.added', 'bench', atOf(1), {
    username: 'bench',
    displayName: 'Bench',
    role: 'custodian',
    organization: 'Bench City',
  });
  for (let i = 3; i <= n; ) {
    l.db.exec('BEGIN');
    for (let k = 0; k < SEGMENT && i <= n; k++, i++) appendOne(l, i);
    l.db.exec('COMMIT');
    l.archiveDue(file, key);
  }
  l.save(file, key);
  l.close();
}

function sizeOfDir(dir: string): { bytes: number; files: number } {
  if (!fs.existsSync(dir)) return { bytes: 0, files: 0 };
  const files = fs.readdirSync(dir);
  return { bytes: files.reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0), files: files.length };
}

const results: {
  events: number;
  openSeconds: number;
  appendSaveSeconds: number;
  archiveSaveSeconds: number;
  liveMB: number;
  liveEvents: number;
  archiveMB: number;
  segments: number;
  buildSeconds: number;
}[] = [];
for (const n of sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-ledger-'));
  const file = path.join(dir, 'ledger.enc');
  const key = randomKey();
  const tb = performance.now();
  await build(n, file, key);
  const buildSeconds = (performance.now() - tb) / 1000;
  // Open: what a log-in reads, and what a commit re-reads under the lock when another process saved.
  const t1 = performance.now();
  const l = await Ledger.load(file, key);
  const openSeconds = (performance.now() - t1) / 1000;
  // An ordinary commit: one event appended, the live file saved (3 times, the median).
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t2 = performance.now();
    appendOne(l, n + 1 + k);
    l.save(file, key);
    times.push((performance.now() - t2) / 1000);
  }
  const appendSaveSeconds = times.sort((a, b) => a - b)[1]!;
  const liveEvents = l.one<{ n: number }>('SELECT count(*) AS n FROM events')!.n;
  const liveMB = fs.statSync(file).size / 1e6;
  // The commit that passes the threshold: it seals a segment before saving the live file.
  let i = n + 4;
  while (l.head.seq - l.archivedHead.seq < SEGMENT + keptTailEvents(SEGMENT) - 1) appendOne(l, i++);
  l.save(file, key); // the events before the one timed, saved as any commits would have
  const t3 = performance.now();
  appendOne(l, i);
  const before = l.segments().length;
  l.save(file, key);
  const archiveSaveSeconds = (performance.now() - t3) / 1000;
  if (l.segments().length !== before + 1) throw new Error('the timed save did not archive a segment');
  l.close();
  const archive = sizeOfDir(path.join(dir, ARCHIVE_DIR));
  results.push({
    events: n,
    openSeconds: +openSeconds.toFixed(3),
    appendSaveSeconds: +appendSaveSeconds.toFixed(3),
    archiveSaveSeconds: +archiveSaveSeconds.toFixed(3),
    liveMB: +liveMB.toFixed(2),
    liveEvents,
    archiveMB: +(archive.bytes / 1e6).toFixed(1),
    segments: archive.files,
    buildSeconds: +buildSeconds.toFixed(1),
  });
  if (!json)
    console.log(
      `${n.toLocaleString('en-US').padStart(10)} events: open ${openSeconds.toFixed(3)} s, append+save ${appendSaveSeconds.toFixed(3)} s (live file ${liveMB.toFixed(2)} MB, ${liveEvents} events), the save that archives a segment ${archiveSaveSeconds.toFixed(3)} s; archive ${(archive.bytes / 1e6).toFixed(0)} MB in ${archive.files} segments (built in ${buildSeconds.toFixed(0)} s)`,
    );
  fs.rmSync(dir, { recursive: true, force: true });
}
const loadAverage = os.loadavg().map((x) => +x.toFixed(2));
if (!json) console.log(`load average at the end: ${loadAverage.join(', ')}`);
if (json) console.log(JSON.stringify({ segmentEvents: SEGMENT, sizes: results, loadAverage }));
