/** The drive's contents in the reinstall and destruction rules, and destruction under a clock stepped back (policy §8). */
import { describe, expect, it } from 'vitest';
import { nextDriveState } from '../../src/core/drive-state.js';
import { destructionEligibility, reinstallEligibility, retentionStatus } from '../../src/core/retention.js';

const T = (s: string) => new Date(s);
const strict = { retentionDays: 60, timeZone: 'UTC' };
const newest = T('2026-09-01T10:00:00Z');

describe('reinstall and the drive contents', () => {
  it('a spare holding images never imported may not go in; one with none may', () => {
    const now = T('2026-11-05T00:00:00Z');
    const full = reinstallEligibility({ id: 'D003', state: 'spare', holds: [], unimportedFiles: 1248 }, now, strict);
    expect(full).toMatchObject({ eligible: false });
    expect(full.reason).toBe(
      'Drive D003 holds 1248 images or clips that were never imported and exist nowhere else; import it first.',
    );
    expect(
      reinstallEligibility({ id: 'D004', state: 'spare', holds: [], unimportedFiles: 0 }, now, strict).eligible,
    ).toBe(true);
    // Even past its retention period: images never imported were never kept.
    const old = reinstallEligibility(
      { id: 'D005', state: 'stored', newestRecordedAt: newest, holds: [], unimportedFiles: 2 },
      T('2027-06-01T00:00:00Z'),
      strict,
    );
    expect(old.eligible).toBe(false);
  });

  it('a drive wiped after its newest recording may go in at once; one recorded again after the wipe may not', () => {
    const now = T('2026-09-20T00:00:00Z');
    const wiped = reinstallEligibility(
      { id: 'D1', state: 'stored', newestRecordedAt: newest, wipedAt: T('2026-09-15T00:00:00Z'), holds: [] },
      now,
      strict,
    );
    expect(wiped).toMatchObject({ eligible: true });
    expect(wiped.reason).toMatch(/was wiped on 2026-09-15/);
    const recordedAgain = reinstallEligibility(
      { id: 'D1', state: 'stored', newestRecordedAt: newest, wipedAt: T('2026-08-01T00:00:00Z'), holds: [] },
      now,
      strict,
    );
    expect(recordedAgain.eligible).toBe(false);
  });
});

describe('destructionEligibility (drive wipe / destroy)', () => {
  const base = { id: 'D1', newestRecordedAt: newest, holds: [] };
  it('follows the retention period, day 59 refused and day 60 allowed', () => {
    const due = T('2026-10-31T10:00:00Z');
    expect(destructionEligibility({ ...base, state: 'stored' }, new Date(due.getTime() - 1), strict).eligible).toBe(
      false,
    );
    expect(destructionEligibility({ ...base, state: 'stored' }, due, strict).eligible).toBe(true);
  });
  it('accepts a retired or removed drive, never one in a camera or released', () => {
    const late = T('2027-01-01T00:00:00Z');
    expect(destructionEligibility({ ...base, state: 'retired' }, late, strict).eligible).toBe(true);
    expect(destructionEligibility({ ...base, state: 'removed' }, late, strict).eligible).toBe(true);
    expect(destructionEligibility({ ...base, state: 'in_camera' }, late, strict).eligible).toBe(false);
    expect(destructionEligibility({ ...base, state: 'released' }, late, strict).eligible).toBe(false);
  });
  it('is refused under a standing hold and with images never imported', () => {
    const late = T('2027-01-01T00:00:00Z');
    const hold = { id: 'HOLD-1', reviewDate: T('2027-03-01T00:00:00Z') };
    expect(destructionEligibility({ ...base, state: 'stored', holds: [hold] }, late, strict)).toMatchObject({
      eligible: false,
      blockingHolds: ['HOLD-1'],
    });
    expect(destructionEligibility({ ...base, state: 'stored', unimportedFiles: 3 }, late, strict).eligible).toBe(false);
  });
  it('destroy ends the drive; wipe leaves its state', () => {
    expect(nextDriveState('D1', 'retired', 'destroy')).toBe('destroyed');
    expect(nextDriveState('D1', 'stored', 'wipe')).toBe('stored');
    expect(() => nextDriveState('D1', 'destroyed', 'install')).toThrow(/destroyed/);
    expect(() => nextDriveState('D1', 'in_camera', 'wipe')).toThrow();
  });
});

describe('destruction and a clock stepped back', () => {
  it('a batch destroyed "tomorrow" (by a clock since stepped back) is destroyed, not due', () => {
    const b = {
      id: 'B1',
      newestRecordedAt: newest,
      oldestRecordedAt: newest,
      destroyedAt: T('2026-11-02T00:00:00Z'),
      holds: [],
    };
    const s = retentionStatus({ batches: [b], drives: [] }, T('2026-11-01T00:00:00Z'), strict).batches[0]!;
    expect(s).toMatchObject({ state: 'destroyed', eligibleToPurge: false });
  });
  it('so is a drive wiped "tomorrow"', () => {
    const d = retentionStatus(
      {
        batches: [],
        drives: [
          { id: 'D1', state: 'stored', newestRecordedAt: newest, wipedAt: T('2026-11-02T00:00:00Z'), holds: [] },
        ],
      },
      T('2026-11-01T00:00:00Z'),
      strict,
    ).drives[0]!;
    expect(d.state).toBe('destroyed');
  });
});
