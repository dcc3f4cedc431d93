/**
 * npm run bench:signed-state [-- --json] [--sizes 20000,100000] [--then 10]
 * What the check before a release, an export, a look under a request, a rotation or a purge costs
 * (ledger/verify.ts: the hash chain, every event's signature and its author's rights, every derived
 * table against a replay of the events), on a ledger of signed events of several sizes: mostly
 * access records, with an agency, requests and holds among them. About 55 events a day is a year of
 * a 10-camera city in 20,000. The ledger is saved as a home saves it (older events sealed into
 * archive segments of 8,192 beside the live file, in a temporary folder), then checked whole; the
 * signed-state mark of that check is written (src/ledger/signed-mark.ts), `--then` more events are
 * appended and saved, and the check from the mark is timed (what the next release costs).
 * Prints each part's seconds and the load average (timings on a loaded machine are longer by about
 * the load over the cores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomKey, sealBlob, subkey } from '../src/ledger/crypto.js';
import { writeFileAtomic } from '../src/ledger/fsutil.js';
import { Ledger } from '../src/ledger/ledger.js';
import { markOf } from '../src/ledger/signed-mark.js';
import { newSigningKey, type SigningKey } from '../src/ledger/signing.js';
import {
  acceptedSinceMark,
  authorityProblems,
  eventSignatureProblems,
  recordedKeys,
  signedStateProblems,
} from '../src/ledger/verify.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [20_000, 100_000];
const thenArg = args[args.indexOf('--then') + 1];
const then = args.includes('--then') && thenArg ? Number(thenArg) : 10;

function accessEvent(l: Ledger, k: SigningKey, i: number, at: string): void {
  l.append(
    'access.recorded',
    'asd',
    at,
    {
      action: 'search',
      query: `7ABC${String(i % 1000).padStart(3, '0')}`,
      purpose: 'criminal investigation',
      caseRef: `C-${i}`,
      requestId: null,
      organization: 'Bench City',
      results: 3,
      details: {},
    },
    k,
  );
}

async function build(n: number, k: SigningKey): Promise<Ledger> {
  const l = await Ledger.createEmpty();
  const at0 = '2026-01-01T00:00:00.000-08:00';
  l.append(
    'home.created',
    'asd',
    at0,
    {
      homeId: 'bench',
      format: 2,
      signingKey: k.publicKey,
      settings: { agencyName: 'Bench City', timeZone: 'America/Los_Angeles' },
    },
    k,
  );
  const op = {
    username: 'asd',
    displayName: 'A',
    role: 'custodian',
    organization: 'Bench City',
    signingKey: k.publicKey,
  };
  l.append('operator.added', 'asd', at0, op, k);
  l.append(
    'agency.added',
    'asd',
    at0,
    {
      agency: 'A001',
      name: 'County Sheriff',
      kind: 'law-enforcement',
      jurisdiction: 'california-local',
    },
    k,
  );
  l.db.exec('BEGIN');
  const t0 = Date.parse('2026-01-01T08:00:00Z');
  for (let i = l.head.seq + 1; i <= n; i++) {
    const at = new Date(t0 + i * 60_000).toISOString();
    const request = `RQ-2026-${String(Math.floor(i / 200)).padStart(4, '0')}`;
    if (i % 200 === 0)
      l.append(
        'request.recorded',
        'asd',
        at,
        {
          request,
          agency: 'A001',
          officer: 'Det. Example',
          badge: '1',
          caseNumber: `C-${i}`,
          purpose: 'criminal investigation',
          receivedAt: at,
          scope: { cameras: ['CAM-01'], from: '2026-01-01T00:00:00.000-08:00', to: '2026-01-02T00:00:00.000-08:00' },
        },
        k,
      );
    else if (i % 1000 === 1)
      l.append(
        'hold.placed',
        'asd',
        at,
        {
          hold: `H-${i}`,
          request,
          reason: 'ongoing criminal investigation',
          reviewDate: '2027-01-01',
          batches: [],
          drives: [],
        },
        k,
      );
    else accessEvent(l, k, i, at);
  }
  l.db.exec('COMMIT');
  return l;
}

const seconds = async (f: () => unknown): Promise<number> => {
  const t = performance.now();
  await f();
  return +((performance.now() - t) / 1000).toFixed(3);
};

const results: Record<string, number>[] = [];
for (const n of sizes) {
  const k = newSigningKey();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bench-signed-'));
  const file = path.join(dir, 'ledger.enc');
  const key = randomKey();
  const built = await build(n, k);
  // Saved as a home saves it: the older events go into archive segments beside the live file.
  built.save(file, key);
  built.close();
  const l = await Ledger.load(file, key);
  const r = {
    events: n,
    liveEvents: l.head.seq - l.archivedHead.seq,
    segments: l.segments().length,
    chainSeconds: await seconds(() => l.verifyChain()),
    signaturesSeconds: await seconds(() => eventSignatureProblems(l, recordedKeys(l), 2)),
    authoritySeconds: await seconds(() => authorityProblems(l)),
    replaySeconds: await seconds(() => l.verifyDerived()),
    wholeCheckSeconds: 0,
    markWriteSeconds: 0,
    then,
    sinceMarkSeconds: 0,
    load1: +os.loadavg()[0]!.toFixed(2),
  };
  const problems: string[] = [];
  r.wholeCheckSeconds = await seconds(async () => problems.push(...(await signedStateProblems(l, 2))));
  if (problems.length) throw new Error(`the bench ledger does not verify: ${problems[0]}`);
  // The mark a custodian's passing check leaves (what requireSignedState writes: verify.ts).
  const { replay } = await l.replayDerived();
  const markFile = path.join(dir, 'signed-state.enc');
  const evidence = randomKey();
  let saved: { mark: ReturnType<typeof markOf>; state: Buffer } | undefined;
  r.markWriteSeconds = await seconds(() => {
    const mark = markOf(l, 'bench');
    const state = Buffer.from(replay.db.export());
    const header = Buffer.from(JSON.stringify(mark));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    writeFileAtomic(markFile, sealBlob(subkey(evidence, 'signed-state'), Buffer.concat([len, header, state]), 'x'));
    saved = { mark, state };
  });
  replay.close();
  // `then` more events, saved; the next check starts from the mark.
  const t0 = Date.parse('2027-01-01T08:00:00Z');
  for (let i = 1; i <= then; i++) accessEvent(l, k, n + i, new Date(t0 + i * 60_000).toISOString());
  l.save(file, key);
  let accepted: Ledger | undefined;
  r.sinceMarkSeconds = await seconds(async () => {
    accepted = await acceptedSinceMark(l, 2, undefined, saved!);
  });
  if (!accepted) throw new Error('the check from the mark did not accept the bench ledger');
  accepted.close();
  r.load1 = +os.loadavg()[0]!.toFixed(2);
  l.close();
  fs.rmSync(dir, { recursive: true, force: true });
  results.push(r);
  if (!json)
    console.log(
      `${n.toLocaleString('en-US').padStart(8)} events (${r.segments} segments, ${r.liveEvents} live): whole check ${r.wholeCheckSeconds} s (chain ${r.chainSeconds}, signatures ${r.signaturesSeconds}, rights ${r.authoritySeconds}, replay ${r.replaySeconds}); mark written ${r.markWriteSeconds} s; ${then} more events, then the check from the mark ${r.sinceMarkSeconds} s; load ${r.load1} on ${os.cpus().length} cores`,
    );
}
if (json) console.log(JSON.stringify({ sizes: results }));
