/**
 * npm run bench:ledger [-- --json] [--sizes 10000,1000000]
 * Time to open the main ledger, append one event and save it, for ledgers of several sizes,
 * measured in the same run. Prints a table; with --json the last line is
 * {"sizes":[{"events":…,"openSeconds":…,"appendSaveSeconds":…,"fileMB":…}]}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomKey } from '../src/ledger/crypto.js';
import { Ledger } from '../src/ledger/ledger.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [10_000, 1_000_000];

async function build(n: number, file: string, key: Buffer): Promise<void> {
  const l = await Ledger.createEmpty();
  l.append('home.created', 'bench', '2026-01-01T00:00:00.000-08:00', {
    homeId: 'bench',
    settings: { agencyName: 'Bench City' },
  });
  l.append('operator.added', 'bench', '2026-01-01T00:00:00.000-08:00', {
    username: 'bench',
    displayName: 'Bench',
    role: 'custodian',
    organization: 'Bench City',
  });
  l.db.exec('BEGIN');
  const t0 = Date.parse('2026-01-01T08:00:00Z');
  for (let i = 3; i <= n; i++) {
    // A realistic mix: access records and drive moves are the common events.
    const at = new Date(t0 + i * 30_000).toISOString().replace('Z', '+00:00');
    l.append('operator.password_changed', 'bench', at, {
      username: 'bench',
      note: `access ${i}`,
      query: `7ABC${String(i % 1000).padStart(3, '0')}`,
      purpose: 'criminal investigation',
      case: `2026-${i}`,
    });
  }
  l.db.exec('COMMIT');
  l.save(file, key);
  l.close();
}

const results: { events: number; openSeconds: number; appendSaveSeconds: number; fileMB: number }[] = [];
for (const n of sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-ledger-'));
  const file = path.join(dir, 'ledger.enc');
  const key = randomKey();
  const tb = performance.now();
  await build(n, file, key);
  const buildSeconds = (performance.now() - tb) / 1000;
  const t1 = performance.now();
  const l = await Ledger.load(file, key);
  const openSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  l.append('operator.password_changed', 'bench', '2026-11-26T09:00:00.000-08:00', { username: 'bench' });
  l.save(file, key);
  const appendSaveSeconds = (performance.now() - t2) / 1000;
  l.close();
  const fileMB = fs.statSync(file).size / 1e6;
  results.push({
    events: n,
    openSeconds: +openSeconds.toFixed(3),
    appendSaveSeconds: +appendSaveSeconds.toFixed(3),
    fileMB: +fileMB.toFixed(1),
  });
  if (!json)
    console.log(
      `${n.toLocaleString('en-US').padStart(10)} events: open ${openSeconds.toFixed(3)} s, append+save ${appendSaveSeconds.toFixed(3)} s, file ${fileMB.toFixed(1)} MB (built in ${buildSeconds.toFixed(1)} s)`,
    );
  fs.rmSync(dir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify({ sizes: results }));
