/**
 * npm run bench:signed-state [-- --json] [--sizes 20000,100000]
 * What the check before a release, an export, a look under a request, a rotation or a purge costs
 * (ledger/verify.ts signedStateProblems: the hash chain, every event's signature and its author's
 * rights, every derived table against a replay of the events), on a ledger of signed events of
 * several sizes: mostly access records, with an agency, requests and holds among them. About 55
 * events a day is a year of a 10-camera city in 20,000. Prints each part's seconds and the load
 * average (timings on a loaded machine are longer by about the load over the cores).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Ledger } from '../src/ledger/ledger.js';
import { newSigningKey } from '../src/ledger/signing.js';
import { authorityProblems, eventSignatureProblems, recordedKeys, signedStateProblems } from '../src/ledger/verify.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizesArg = args[args.indexOf('--sizes') + 1];
const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [20_000, 100_000];

async function build(n: number): Promise<Ledger> {
  const l = await Ledger.createEmpty();
  const k = newSigningKey();
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
    else
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
  const l = await build(n);
  const r = {
    events: n,
    chainSeconds: await seconds(() => l.verifyChain()),
    signaturesSeconds: await seconds(() => eventSignatureProblems(l, recordedKeys(l), 2)),
    authoritySeconds: await seconds(() => authorityProblems(l)),
    replaySeconds: await seconds(() => l.verifyDerived()),
    wholeCheckSeconds: 0,
    load1: +os.loadavg()[0]!.toFixed(2),
  };
  const problems: string[] = [];
  r.wholeCheckSeconds = await seconds(async () => problems.push(...(await signedStateProblems(l, 2))));
  if (problems.length) throw new Error(`the bench ledger does not verify: ${problems[0]}`);
  l.close();
  results.push(r);
  if (!json)
    console.log(
      `${n.toLocaleString('en-US').padStart(8)} events: whole check ${r.wholeCheckSeconds} s (chain ${r.chainSeconds}, signatures ${r.signaturesSeconds}, rights ${r.authoritySeconds}, replay ${r.replaySeconds}); load ${r.load1} on ${os.cpus().length} cores`,
    );
}
if (json) console.log(JSON.stringify({ sizes: results }));
