/**
 * npm run bench:write-keys [-- --batches 4] [--json]
 * What "batch keys at a disable" costs (src/ledger/batches.ts, "Write keys"), on a home of a few
 * batches (each a copy of fixtures/demo-drive, read by a scripted plate reader): the disable itself
 * (it re-writes no batch file), the first write key of each batch (one key file sealed and written
 * under the keyring lock), and for comparison what re-keying every batch at the disable would have
 * re-encrypted (its segment, hash list, readings and index: read, opened, sealed, written aside).
 * Prints each figure with the load average.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../src/cli/context.js';
import { runCli } from '../src/cli/run.js';
import { BatchFiles, batchWriteKey, loadBatchKey, openBatchBlob } from '../src/ledger/batches.js';
import { randomKey, sealBlob } from '../src/ledger/crypto.js';
import { openSession } from '../src/ledger/session.js';
import { runOcr } from '../src/ocr/queue.js';
import type { PlateReader } from '../src/ocr/reader.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const nArg = args[args.indexOf('--batches') + 1];
const batches = args.includes('--batches') && nArg ? Number(nArg) : 4;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-writekeys-'));
const home = path.join(dir, 'home');
const pw = (u: string, p: string) => {
  const f = path.join(dir, `${u}.pw`);
  fs.writeFileSync(f, `${p}\n`);
  return f;
};
const env = {
  CUSTODY_HOME: home,
  CUSTODY_USER: 'asd',
  CUSTODY_PASSWORD_FILE: pw('asd', 'bench password 1'),
  NO_COLOR: '1',
};

async function custody(argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from([]),
    env,
    isTTY: false,
    clock: () => new Date(),
    sleep: async () => {},
  };
  const code = await runCli(argv, ctx);
  if (code !== 0) throw new Error(`custody ${argv.join(' ')}: exit ${code}: ${err}`);
  return out;
}

const reader = (model: string): PlateReader => ({
  engine: 'scripted',
  model,
  async read() {
    return {
      best: { text: '7ABC123', confidence: 0.9 },
      alternatives: [],
      box: null,
      engine: 'scripted',
      model,
      ms: 1,
    };
  },
  async end() {},
});

const ms = (t: number) => +(performance.now() - t).toFixed(1);
const load = () => os.loadavg().map((x) => +x.toFixed(2));

const loadBefore = load();
await custody([
  'init',
  '--agency',
  'Bench City',
  '--title',
  'Administrative Services Director',
  '--name',
  'Bench Custodian',
  '--time-zone',
  'America/Los_Angeles',
  '--trained-on',
  '2026-01-05',
  '--course',
  'ALPR policy and law',
  '--trainer',
  'Pat Trainer',
]);
await custody([
  'operator',
  'add',
  'rlee',
  '--name',
  'R Lee',
  '--role',
  'designee',
  '--new-password-file',
  pw('rlee', 'bench designee 1'),
]);
await custody(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
await custody(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
for (let i = 1; i <= batches; i++) {
  const drive = path.join(dir, `drive${i}`);
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  const id = `D00${i}`;
  await custody(['drive', 'enrol', '--source', drive, '--id', id]);
  await custody(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
}
const open = () =>
  openSession({
    homeDir: home,
    credentials: { username: 'asd', password: 'bench password 1' },
    clock: () => new Date(),
    command: 'bench',
  });
let s = await open();
await runOcr(s, reader('m1'));
const ids = s.ledger.rows<{ id: string }>('SELECT id FROM batches ORDER BY id').map((r) => r.id);
s.close();

let t = performance.now();
await custody(['operator', 'disable', 'rlee', '--reason', 'left']);
const disableMs = ms(t);

s = await open();
const firstWriteKeyMs: number[] = [];
const eagerMs: number[] = [];
let eagerBytes = 0;
for (const id of ids) {
  const bf = new BatchFiles(s.home, id);
  // What re-keying the batch at the disable would do: every metadata file opened and sealed anew (written aside).
  t = performance.now();
  const key = loadBatchKey(bf, s.master);
  const fresh = randomKey();
  for (const [f, ctx] of [
    [bf.segmentFile, `custody-segment:${id}`],
    [bf.hashesFile, `custody-hashes:${id}`],
    [bf.readingsFile, `custody-readings:${id}`],
    [bf.indexFile, `custody-index:${id}`],
  ] as const) {
    if (!fs.existsSync(f)) continue;
    const blob = fs.readFileSync(f);
    eagerBytes += blob.length;
    fs.writeFileSync(`${f}.bench`, sealBlob(fresh, openBatchBlob(key, blob, ctx)!, ctx));
    fs.rmSync(`${f}.bench`);
  }
  eagerMs.push(ms(t));
  // The lazy way: the batch's first write key (one key file).
  t = performance.now();
  batchWriteKey(loadBatchKey(bf, s.master, { forWriting: true }));
  firstWriteKeyMs.push(ms(t));
}
t = performance.now();
await runOcr(s, reader('m2'), { reread: true });
const rereadMs = ms(t);
s.close();
const loadAfter = load();
const sum = (a: number[]) => +a.reduce((x, y) => x + y, 0).toFixed(1);
const out = {
  batches: ids.length,
  disableMs,
  firstWriteKeyMs: { perBatch: firstWriteKeyMs, total: sum(firstWriteKeyMs) },
  eagerRekeyEquivalentMs: { perBatch: eagerMs, total: sum(eagerMs), bytes: eagerBytes },
  ocrRereadAfterMs: rereadMs,
  loadavg: { before: loadBefore, after: loadAfter },
};
if (json) console.log(JSON.stringify(out));
else {
  console.log(`${ids.length} batches of fixtures/demo-drive, read by a scripted reader`);
  console.log(`  operator disable (re-writes no batch file)     ${disableMs} ms`);
  console.log(
    `  first write key, per batch                     ${firstWriteKeyMs.join(', ')} ms (total ${out.firstWriteKeyMs.total})`,
  );
  console.log(
    `  re-keying at the disable instead, per batch    ${eagerMs.join(', ')} ms (total ${out.eagerRekeyEquivalentMs.total}, ${eagerBytes} bytes re-sealed)`,
  );
  console.log(`  ocr --reread of all after the disable          ${rereadMs} ms`);
  console.log(
    `  load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (${os.availableParallelism()} cores)`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
