import { describe, expect, it } from 'vitest';
import {
  ageDays,
  cadenceFromHistory,
  destructionDate,
  driveForecast,
  holdStands,
  overdueDuties,
  imageRetention,
  recordationDate,
  recordingDay,
  reinstallEligibility,
  retentionStatus,
  type HoldRef,
  type ReinstallDrive,
} from '../../src/core/retention.js';
import { addDays, DAY_MS } from '../../src/core/time.js';

const T = (s: string) => new Date(s);
const newest = T('2026-09-01T10:00:00Z');
const hold = (id: string, o: Partial<HoldRef> = {}): HoldRef => ({ id, reviewDate: T('2026-12-31T00:00:00Z'), ...o });

describe('destructionDate and ageDays', () => {
  it('is retentionDays whole days after the newest recording', () => {
    expect(destructionDate(newest, 60).toISOString()).toBe('2026-10-31T10:00:00.000Z');
    expect(destructionDate(newest, 1).toISOString()).toBe('2026-09-02T10:00:00.000Z');
  });

  it('counts whole days', () => {
    expect(ageDays(newest, T('2026-09-02T09:59:59Z'))).toBe(0);
    expect(ageDays(newest, T('2026-09-02T10:00:00Z'))).toBe(1);
    expect(ageDays(newest, T('2026-08-31T10:00:00Z'))).toBe(-1);
  });

  it('is not moved by a daylight-saving change (instants, not wall-clock dates)', () => {
    // US DST ended 2026-11-01: still exactly 60 × 24 h.
    const d = T('2026-10-15T12:00:00-07:00');
    expect(destructionDate(d, 60).getTime() - d.getTime()).toBe(60 * DAY_MS);
  });
});

describe('holdStands', () => {
  const now = T('2026-11-01T00:00:00Z');
  it('stands until released, and not before it is placed', () => {
    expect(holdStands(hold('H1'), now)).toBe(true);
    expect(holdStands(hold('H1', { releasedAt: T('2026-10-31T00:00:00Z') }), now)).toBe(false);
    expect(holdStands(hold('H1', { releasedAt: T('2026-11-02T00:00:00Z') }), now)).toBe(true);
    expect(holdStands(hold('H1', { placedAt: T('2026-11-02T00:00:00Z') }), now)).toBe(false);
  });
  it('is not released by passing its review date', () => {
    expect(holdStands(hold('H1', { reviewDate: T('2026-10-01T00:00:00Z') }), now)).toBe(true);
  });
});

describe('retentionStatus', () => {
  const settings = { retentionDays: 60 };
  const batch = (id: string, o: object = {}) => ({
    id,
    newestRecordedAt: newest,
    oldestRecordedAt: T('2026-08-25T08:00:00Z'),
    holds: [] as HoldRef[],
    ...o,
  });

  it('retained before the due date, with days left', () => {
    const s = retentionStatus({ batches: [batch('B1')], drives: [] }, T('2026-10-30T10:00:00Z'), settings);
    expect(s.batches[0]).toMatchObject({
      state: 'retained',
      daysLeft: 1,
      overdueDays: 0,
      eligibleToPurge: false,
      heldBy: [],
    });
    expect(s.batches[0].dueDate!.toISOString()).toBe('2026-10-31T10:00:00.000Z');
    expect(s.batches[0].oldestDueDate!.toISOString()).toBe('2026-10-24T08:00:00.000Z');
  });

  it('due on the due date, overdue by whole days after it, eligible to purge', () => {
    const due = retentionStatus({ batches: [batch('B1')], drives: [] }, T('2026-10-31T10:00:00Z'), settings).batches[0];
    expect(due).toMatchObject({ state: 'due', overdueDays: 0, daysLeft: 0, eligibleToPurge: true });
    const late = retentionStatus({ batches: [batch('B1')], drives: [] }, T('2026-11-03T11:00:00Z'), settings)
      .batches[0];
    expect(late).toMatchObject({ state: 'due', overdueDays: 3, eligibleToPurge: true });
  });

  it('held by its standing holds, never eligible, never overdue', () => {
    const b = batch('B1', { holds: [hold('H1'), hold('H2', { releasedAt: T('2026-10-01T00:00:00Z') }), hold('H3')] });
    const s = retentionStatus({ batches: [b], drives: [] }, T('2026-12-01T00:00:00Z'), settings).batches[0];
    expect(s).toMatchObject({ state: 'held', heldBy: ['H1', 'H3'], overdueDays: 0, eligibleToPurge: false });
  });

  it('becomes due again when its last hold is released', () => {
    const b = batch('B1', { holds: [hold('H1', { releasedAt: T('2026-11-20T00:00:00Z') })] });
    const s = retentionStatus({ batches: [b], drives: [] }, T('2026-12-01T00:00:00Z'), settings).batches[0];
    expect(s).toMatchObject({ state: 'due', overdueDays: 30, eligibleToPurge: true });
  });

  it('destroyed batches are done', () => {
    const b = batch('B1', { destroyedAt: T('2026-11-01T00:00:00Z') });
    const s = retentionStatus({ batches: [b], drives: [] }, T('2026-12-01T00:00:00Z'), settings).batches[0];
    expect(s).toMatchObject({ state: 'destroyed', eligibleToPurge: false, overdueDays: 0 });
  });

  it('judges drives by their state and data', () => {
    const now = T('2026-11-10T00:00:00Z');
    const s = retentionStatus(
      {
        batches: [],
        drives: [
          { id: 'D1', state: 'stored', newestRecordedAt: newest, holds: [] },
          { id: 'D2', state: 'stored', newestRecordedAt: T('2026-10-20T00:00:00Z'), holds: [] },
          { id: 'D3', state: 'in_camera', newestRecordedAt: newest, holds: [] },
          { id: 'D4', state: 'spare', holds: [] },
          { id: 'D5', state: 'released', newestRecordedAt: newest, holds: [] },
          { id: 'D6', state: 'stored', newestRecordedAt: newest, holds: [hold('H9')] },
          { id: 'D7', state: 'stored', newestRecordedAt: newest, wipedAt: T('2026-11-05T00:00:00Z'), holds: [] },
          { id: 'D8', state: 'retired', newestRecordedAt: newest, holds: [] },
        ],
      },
      now,
      settings,
    );
    expect(s.drives.map((d) => [d.id, d.state, d.eligibleToPurge])).toEqual([
      ['D1', 'due', true],
      ['D2', 'retained', false],
      ['D3', 'in-use', false],
      ['D4', 'empty', false],
      ['D5', 'released', false],
      ['D6', 'held', false],
      ['D7', 'destroyed', false],
      ['D8', 'due', true],
    ]);
    expect(s.drives[0].overdueDays).toBe(9);
    expect(s.drives[5].heldBy).toEqual(['H9']);
  });
});

describe('reinstallEligibility', () => {
  const strict = { retentionDays: 60 };
  const drive = (o: Partial<ReinstallDrive> = {}): ReinstallDrive => ({
    id: 'D7',
    state: 'stored',
    newestRecordedAt: newest,
    holds: [],
    ...o,
  });

  it('refuses on day 59 and accepts on day 60 (to the millisecond)', () => {
    const due = T('2026-10-31T10:00:00.000Z');
    const day59 = reinstallEligibility(drive(), new Date(due.getTime() - 1), strict);
    expect(day59.eligible).toBe(false);
    expect(day59.eligibleFrom).toEqual(due);
    expect(day59.reason).toBe(
      "Drive D7's newest recording is 59 days old; it may be recorded over from 2026-10-31 (60 days).",
    );
    const day60 = reinstallEligibility(drive(), due, strict);
    expect(day60.eligible).toBe(true);
    expect(day60.eligibleFrom).toEqual(due);
    expect(day60.reason).toContain('60 days old');
  });

  it('refuses a drive under a hold and names the hold, whatever its age', () => {
    const r = reinstallEligibility(
      drive({
        holds: [
          hold('H-12', { reviewDate: T('2027-01-05T00:00:00Z') }),
          hold('H-3', { releasedAt: T('2026-10-01T00:00:00Z') }),
        ],
      }),
      T('2027-06-01T00:00:00Z'),
      strict,
    );
    expect(r.eligible).toBe(false);
    expect(r.blockingHolds).toEqual(['H-12']);
    expect(r.eligibleFrom).toBeUndefined();
    expect(r.reason).toContain('H-12');
    expect(r.reason).toContain('2027-01-05');
    expect(r.reason).not.toContain('H-3');
  });

  it('names every blocking hold', () => {
    const r = reinstallEligibility(drive({ holds: [hold('H1'), hold('H2')] }), T('2027-06-01T00:00:00Z'), strict);
    expect(r.blockingHolds).toEqual(['H1', 'H2']);
    expect(r.reason).toMatch(/holds H1 \(review [0-9-]+\) and H2/);
  });

  it('relaxed: reuse once the import is verified, never under a hold', () => {
    const relaxed = { retentionDays: 60, allowReuseAfterVerifiedImport: true };
    const now = T('2026-09-05T00:00:00Z');
    const verified = T('2026-09-02T12:00:00Z');
    const ok = reinstallEligibility(drive({ importVerifiedAt: verified }), now, relaxed);
    expect(ok).toMatchObject({ eligible: true, eligibleFrom: verified, blockingHolds: [] });
    // The settings' name for the flag works too.
    expect(
      reinstallEligibility(drive({ importVerifiedAt: verified }), now, {
        retentionDays: 60,
        reuseAfterVerifiedImport: true,
      }).eligible,
    ).toBe(true);
    const notVerified = reinstallEligibility(drive(), now, relaxed);
    expect(notVerified.eligible).toBe(false);
    expect(notVerified.reason).toContain('not verified');
    const verifiedLater = reinstallEligibility(drive({ importVerifiedAt: T('2026-09-06T00:00:00Z') }), now, relaxed);
    expect(verifiedLater.eligible).toBe(false);
    const held = reinstallEligibility(drive({ importVerifiedAt: verified, holds: [hold('H1')] }), now, relaxed);
    expect(held).toMatchObject({ eligible: false, blockingHolds: ['H1'] });
    // The strict default ignores verification.
    expect(reinstallEligibility(drive({ importVerifiedAt: verified }), now, strict).eligible).toBe(false);
  });

  it('accepts an empty spare and refuses drives that cannot go into a camera', () => {
    const now = T('2026-11-10T00:00:00Z');
    expect(reinstallEligibility({ id: 'S1', state: 'spare', holds: [] }, now, strict).eligible).toBe(true);
    for (const state of ['in_camera', 'removed', 'released', 'retired'] as const) {
      const r = reinstallEligibility(drive({ state }), now, strict);
      expect(r.eligible, state).toBe(false);
      expect(r.reason, state).toContain('only a spare or stored drive');
    }
  });

  it('refuses a stored drive whose dates of recordation are unknown', () => {
    const r = reinstallEligibility(drive({ newestRecordedAt: undefined }), T('2027-01-01T00:00:00Z'), strict);
    expect(r.eligible).toBe(false);
    expect(r.reason).toContain('not known');
  });

  it('writes dates in the home time zone when given', () => {
    const d = drive({ newestRecordedAt: T('2026-09-01T03:00:00Z') }); // 31 Aug, 20:00 in Los Angeles
    const r = reinstallEligibility(d, T('2026-09-10T00:00:00Z'), {
      retentionDays: 60,
      timeZone: 'America/Los_Angeles',
    });
    expect(r.reason).toContain('from 2026-10-30');
  });
});

describe('cadenceFromHistory', () => {
  it('is the median gap in whole days', () => {
    const swaps = [0, 7, 14, 22, 28].map((d) => addDays(newest, d));
    expect(cadenceFromHistory(swaps.reverse())).toBe(7);
    expect(cadenceFromHistory([newest, addDays(newest, 13.6)])).toBe(14);
  });
  it('needs two swaps', () => {
    expect(cadenceFromHistory([])).toBeUndefined();
    expect(cadenceFromHistory([newest])).toBeUndefined();
  });
});

describe('driveForecast', () => {
  const now = T('2026-11-01T00:00:00Z');

  it('needs ceil(retention / cadence) + 1 drives', () => {
    const [c7] = driveForecast([{ id: 'C1', swapCadenceDays: 7 }], [], now, 60);
    expect(c7.drivesNeeded).toBe(10);
    const [c10] = driveForecast([{ id: 'C1', swapCadenceDays: 10 }], [], now, 60);
    expect(c10.drivesNeeded).toBe(7);
    const [c14] = driveForecast([{ id: 'C1', swapCadenceDays: 14 }], [], now, 60);
    expect(c14.drivesNeeded).toBe(6);
  });

  it('a full rotation never runs out', () => {
    // 7 drives for a 10-day cadence: one in the camera, six out at 10-day steps.
    const drives = [
      { id: 'D0', state: 'in_camera' as const, cameraId: 'C1' },
      ...[0, 1, 2, 3, 4, 5].map((i) => ({
        id: `D${i + 1}`,
        state: 'stored' as const,
        cameraId: 'C1',
        // removed 10, 20, … 60 days ago: eligible 50, 40, … 0 days from now
        eligibleFrom: addDays(now, 60 - 10 * (i + 1)),
      })),
    ];
    const [f] = driveForecast([{ id: 'C1', swapCadenceDays: 10, swapHistory: [addDays(now, -10)] }], drives, now, 60);
    expect(f.drivesAvailable).toBe(7);
    expect(f.runsOutOn).toBeUndefined();
    expect(f.warnings).toEqual([]);
  });

  it('says when a short rotation runs out', () => {
    const drives = [
      { id: 'D0', state: 'in_camera' as const, cameraId: 'C1' },
      { id: 'D1', state: 'stored' as const, cameraId: 'C1', eligibleFrom: addDays(now, -1) },
      { id: 'D2', state: 'stored' as const, cameraId: 'C1', eligibleFrom: addDays(now, 30) },
    ];
    const [f] = driveForecast([{ id: 'C1', swapCadenceDays: 7, swapHistory: [addDays(now, -3)] }], drives, now, 60);
    // Swaps on day 4 (D1), day 11 (nothing: D2 frees on day 30).
    expect(f.runsOutOn).toEqual(addDays(now, 11));
    expect(f.warnings.join(' ')).toContain('needs 10 drives');
    expect(f.warnings.join(' ')).toContain('runs out of drives on 2026-11-12');
  });

  it('derives the cadence from swap history and shares spares', () => {
    const history = [-28, -21, -14, -7].map((d) => addDays(now, d));
    const spares = Array.from({ length: 20 }, (_, i) => ({ id: `S${i}`, state: 'spare' as const }));
    const f = driveForecast(
      [
        { id: 'C1', swapHistory: history },
        { id: 'C2', swapHistory: history },
      ],
      spares,
      now,
      60,
    );
    expect(f.map((c) => [c.cadenceDays, c.cadenceSource, c.sharedSpares])).toEqual([
      [7, 'history', 20],
      [7, 'history', 20],
    ]);
    // 20 spares + reuse after 60 days: both cameras swap weekly; the first reuse is on
    // day 60+; until then 2 × 9 swaps (days 0..56) use 18 spares. Never runs out.
    expect(f.every((c) => c.runsOutOn === undefined)).toBe(true);
    // With only 12 spares, someone runs out.
    const g = driveForecast(
      [
        { id: 'C1', swapHistory: history },
        { id: 'C2', swapHistory: history },
      ],
      spares.slice(0, 12),
      now,
      60,
    );
    expect(g.some((c) => c.runsOutOn !== undefined)).toBe(true);
  });

  it('assumes a cadence when it cannot know one, and says so', () => {
    const [f] = driveForecast([{ id: 'C1' }], [], now, 60);
    expect(f.cadenceSource).toBe('assumed');
    expect(f.warnings[0]).toContain('assumed');
    expect(f.runsOutOn).toEqual(addDays(now, 7));
  });

  it('does not count released, retired or held drives', () => {
    const drives = [
      { id: 'D1', state: 'released' as const, cameraId: 'C1', eligibleFrom: now },
      { id: 'D2', state: 'retired' as const, cameraId: 'C1', eligibleFrom: now },
      { id: 'D3', state: 'stored' as const, cameraId: 'C1' /* held: no date */ },
    ];
    const [f] = driveForecast([{ id: 'C1', swapCadenceDays: 7 }], drives, now, 60);
    expect(f.drivesAvailable).toBe(1);
    expect(f.runsOutOn).toEqual(addDays(now, 7));
    expect(f.warnings).toContain('Camera C1 cannot count on 1 drive held or without dates of recordation: D3.');
  });
});

describe('overdueDuties', () => {
  const now = T('2026-11-26T12:00:00Z');
  const nothing = {
    batchesPastDestruction: [{ id: 'B1', dueDate: T('2026-11-27T00:00:00Z') }],
    drivesPastDestruction: [{ id: 'D1', dueDate: T('2026-12-01T00:00:00Z') }],
    lastHealthCheckAt: T('2026-10-28T12:00:01Z'),
    healthIntervalDays: 30,
    holdsPastReview: [
      hold('H1', { reviewDate: T('2026-11-27T00:00:00Z') }),
      hold('H2', { reviewDate: T('2026-11-01T00:00:00Z'), releasedAt: T('2026-11-20T00:00:00Z') }),
    ],
    unacknowledgedReceipts: [
      { id: 'R1', releasedAt: T('2026-11-16T12:00:01Z') },
      { id: 'R2', releasedAt: T('2026-11-01T00:00:00Z'), acknowledgedAt: T('2026-11-03T00:00:00Z') },
    ],
    ackDays: 10,
    breaches: [
      {
        id: 'BR1',
        duties: [
          {
            what: 'notify the Office of Information Security',
            dueAt: T('2026-11-20T00:00:00Z'),
            doneAt: T('2026-11-19T00:00:00Z'),
          },
          { what: 'post the notice', dueAt: T('2026-12-01T00:00:00Z') },
        ],
      },
    ],
  };

  it('is empty when nothing is due — never otherwise', () => {
    expect(overdueDuties(nothing, now)).toEqual([]);
    expect(overdueDuties({ lastHealthCheckAt: now }, now)).toEqual([]);
    expect(overdueDuties({ homeCreatedAt: addDays(now, -29) }, now)).toEqual([]);
  });

  it('lists each kind of duty once its time has come, one sentence each', () => {
    const later = addDays(now, 5);
    const out = overdueDuties(nothing, later);
    expect(out).toHaveLength(6);
    expect(out[0]).toBe(
      'Import batch B1 passed its destruction date 4 days ago and is not destroyed (policy §8); run `custody purge`.',
    );
    expect(out[1]).toContain('Drive D1 holds data past its destruction date');
    expect(out[2]).toContain('The health check is due: the last was 33 days ago');
    expect(out[3]).toContain('Hold H1 was due for review on 2026-11-27');
    expect(out[4]).toContain('Release R1');
    expect(out[5]).toBe('Breach BR1 has unmet duties (policy §10): post the notice (due 2026-12-01).');
    for (const s of out) expect(s).toMatch(/^[A-Z0-9].*\.$/);
  });

  it('turns on exactly at the due instant', () => {
    const due = T('2026-11-27T00:00:00Z');
    const input = { batchesPastDestruction: [{ id: 'B1', dueDate: due }], lastHealthCheckAt: due };
    expect(overdueDuties(input, new Date(due.getTime() - 1))).toEqual([]);
    expect(overdueDuties(input, due)).toEqual([
      'Import batch B1 passed its destruction date today and is not destroyed (policy §8); run `custody purge`.',
    ]);
  });

  it('groups several items of a kind into one sentence', () => {
    const out = overdueDuties(
      {
        lastHealthCheckAt: now,
        batchesPastDestruction: [
          { id: 'B2', dueDate: T('2026-11-20T00:00:00Z') },
          { id: 'B1', dueDate: T('2026-11-10T00:00:00Z') },
          { id: 'B3', dueDate: T('2026-11-25T00:00:00Z') },
        ],
        holdsPastReview: [
          hold('H1', { reviewDate: T('2026-11-01T00:00:00Z') }),
          hold('H2', { reviewDate: T('2026-11-02T00:00:00Z') }),
        ],
        unacknowledgedReceipts: [
          { id: 'R1', releasedAt: T('2026-11-01T00:00:00Z') },
          { id: 'R2', releasedAt: T('2026-11-02T00:00:00Z') },
        ],
      },
      now,
    );
    expect(out).toEqual([
      '3 import batches or recording days are past their destruction date, the oldest since 2026-11-10, and are not destroyed (policy §8): B1, B2 and B3; run `custody purge`.',
      '2 holds are past their review date, the oldest since 2026-11-01; confirm or release them (policy §8): H1 and H2.',
      '2 releases have no written acknowledgement of receipt in time, the oldest from 2026-11-01 (policy §5): R1 and R2.',
    ]);
  });

  it('asks for a first health check an interval after the home was set up, or at once if unknown', () => {
    expect(overdueDuties({ homeCreatedAt: addDays(now, -30) }, now)).toEqual([
      'No health check has been run; the policy asks for one at least every 30 days (§7).',
    ]);
    expect(overdueDuties({}, now)).toHaveLength(1);
  });

  it('lets one release carry its own acknowledgement period', () => {
    const r = { id: 'R5', releasedAt: addDays(now, -5), ackDays: 5 };
    expect(overdueDuties({ lastHealthCheckAt: now, unacknowledgedReceipts: [r] }, now)).toEqual([
      'Release R5 on 2026-11-21 has no written acknowledgement of receipt after 5 days (policy §5).',
    ]);
    expect(overdueDuties({ lastHealthCheckAt: now, unacknowledgedReceipts: [{ ...r, ackDays: 6 }] }, now)).toEqual([]);
  });

  it('names the agency of an unacknowledged release', () => {
    const out = overdueDuties(
      {
        lastHealthCheckAt: now,
        unacknowledgedReceipts: [{ id: 'R9', releasedAt: addDays(now, -12), agency: 'County Sheriff' }],
      },
      now,
    );
    expect(out).toEqual([
      'Release R9 to County Sheriff on 2026-11-14 has no written acknowledgement of receipt after 10 days (policy §5).',
    ]);
  });
});

describe('retention per image (policy §8: sixty days from the date of recordation)', () => {
  const imported = new Date('2026-11-02T17:00:00Z');
  it('counts from the image own date when believable, from the import otherwise', () => {
    expect(recordationDate({ recordedAt: '2026-10-01T12:00:00-07:00', flags: [] }, imported)).toEqual({
      at: new Date('2026-10-01T19:00:00Z'),
      fromImport: false,
    });
    for (const flags of [['absurd'], ['future'], ['no-capture-time'], ['before-camera']])
      expect(recordationDate({ recordedAt: '1970-01-01T00:00:05Z', flags }, imported)).toEqual({
        at: imported,
        fromImport: true,
      });
    expect(recordationDate({ flags: [] }, imported)).toEqual({ at: imported, fromImport: true });
  });

  it('is due from its own 60th day, held only where a standing hold reaches its date', () => {
    const rec = { recordedAt: new Date('2026-09-01T19:00:00Z'), fromImport: false, destroyed: false };
    const due = new Date('2026-10-31T19:00:00Z');
    expect(imageRetention(rec, [], new Date(due.getTime() - 1), 60).state).toBe('retained');
    expect(imageRetention(rec, [], due, 60)).toMatchObject({ state: 'due', dueDate: due });
    const hold = (from: string, to: string) => ({
      id: 'H1',
      reviewDate: new Date('2027-01-01T00:00:00Z'),
      scope: { from: new Date(from), to: new Date(to) },
    });
    expect(imageRetention(rec, [hold('2026-09-01T07:00:00Z', '2026-09-02T07:00:00Z')], due, 60).state).toBe('held');
    expect(imageRetention(rec, [hold('2026-09-02T07:00:00Z', '2026-09-03T07:00:00Z')], due, 60).state).toBe('due');
    expect(imageRetention({ ...rec, destroyed: true }, [], due, 60).state).toBe('destroyed');
    expect(recordingDay(new Date('2026-09-02T06:30:00Z'), 'America/Los_Angeles')).toBe('2026-09-01');
  });
});
