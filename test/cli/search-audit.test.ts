/**
 * The search audit (issue 15; policy §1, Civ. Code 1798.90.52; the State Auditor's report 2019-118):
 * the health check lists searches tied to no request, searches by operator and purpose, and
 * requests with no release; `custody audit --review` prints the same for a period; the
 * transparency report counts them. A retention over 60 days is refused at `init` (policy §8).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/health.js';
import { manualClock } from '../../src/core/time.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

describe('search audit', () => {
  it('finds untied searches in the health check, reviews a period, and counts them in the transparency report', async () => {
    const clock = manualClock('2026-11-02T09:00:00-08:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse((await ok(ecsoRequest('--plate', '7ABC123', '--json'))).stdout) as { id: string };
    // Four searches with a typed case and no request, one under the request.
    for (const plate of ['7ABC123', '8XYZ999', '5JKL321', '6MNO456'])
      await ok(['search', plate, '--purpose', 'criminal investigation', '--case', 'none']);
    await ok(['search', '7ABC123', '--purpose', 'criminal investigation', '--request', req.id]);

    clock.set('2026-11-03T09:00:00-08:00');
    const h = await run(['health', '--json'], { env: t.env, clock });
    expect([0, 11], h.stderr).toContain(h.code);
    const findings = (JSON.parse(h.stdout) as { findings: Finding[] }).findings;
    const untied = findings.find((f) => f.subject === 'searches');
    expect(untied?.severity).toBe('warning');
    expect(untied?.message).toMatch(/^4 searches were not tied to a request/);
    expect(findings.find((f) => f.subject === 'searches:asd')?.message).toBe(
      'Operator asd made 5 searches for "criminal investigation", 4 not tied to a request (Civ. Code 1798.90.52).',
    );
    expect(findings.find((f) => f.subject === req.id)?.message).toMatch(/has no release/);

    // The next check audits only what came after the last one: no search since, no finding.
    clock.set('2026-11-04T09:00:00-08:00');
    const h2 = JSON.parse((await run(['health', '--json'], { env: t.env, clock })).stdout) as { findings: Finding[] };
    expect(h2.findings.find((f) => f.subject === 'searches')).toBeUndefined();

    // The review of a period says the same, as JSON and as text; an empty period says none.
    const review = JSON.parse(
      (await ok(['audit', '--review', '--from', '2026-11-01', '--to', '2026-11-30', '--json'])).stdout,
    ) as {
      searches: number;
      untied: { event: string; operator: string }[];
      byOperatorPurpose: { operator: string; purpose: string; searches: number; untied: number }[];
      requestsWithoutRelease: { id: string }[];
    };
    expect(review.searches).toBe(5);
    expect(review.untied).toHaveLength(4);
    expect(review.byOperatorPurpose).toEqual([
      { operator: 'asd', purpose: 'criminal investigation', searches: 5, untied: 4 },
    ]);
    expect(review.requestsWithoutRelease.map((q) => q.id)).toEqual([req.id]);
    const text = (await ok(['audit', '--review', '--from', '2026-11-01', '--to', '2026-11-30'])).stdout;
    expect(text).toMatch(/Searches not tied to a request \(policy §1\): 4/);
    const empty = JSON.parse(
      (await ok(['audit', '--review', '--from', '2026-10-01', '--to', '2026-10-31', '--json'])).stdout,
    ) as { searches: number; untied: unknown[] };
    expect(empty).toMatchObject({ searches: 0, untied: [] });
    const bad = await run(['audit', '--from', '2026-10-01'], { env: t.env, clock });
    expect(bad.code).toBe(2);

    const tr = JSON.parse(
      // November to date (a period not yet ended is counted to today only).
      (await ok(['transparency', '--from', '2026-11-01', '--to', 'today', '--json'])).stdout,
    ) as { searches: { run: number; notTiedToRequest: number; requestsWithoutRelease: number } };
    expect(tr.searches).toMatchObject({ run: 5, notTiedToRequest: 4, requestsWithoutRelease: 1 });
  }, 120_000);
});

describe('retention above the policy', () => {
  it('refuses init --retention-days 61 before asking anything, citing §8, and creates nothing', async () => {
    const t = newTestHome();
    const args = [...INIT_ARGS, '--retention-days', '61'];
    const r = await run(args, { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--retention-days 61: a retention of 61 days is longer than policy §8 allows/);
    expect(fs.existsSync(t.home)).toBe(false);
    expect((await run([...INIT_ARGS, '--retention-days', '3650'], { env: t.env })).code).toBe(2);
    expect((await run([...INIT_ARGS, '--retention-days', '60'], { env: t.env })).code).toBe(0);
  }, 60_000);
});
