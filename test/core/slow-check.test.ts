/**
 * The line before a whole check of the signed events (core/slow-check.ts): said from the threshold
 * on, never below it; why, how many, about how long, that it is safe to wait.
 */
import { describe, expect, it } from 'vitest';
import {
  aboutDuration,
  WHOLE_CHECK_MS_PER_EVENT,
  WHOLE_CHECK_NOTICE_EVENTS,
  wholeCheckNotice,
  wholeCheckNoticeEvents,
} from '../../src/core/slow-check.js';

describe('the notice before a whole check', () => {
  it('is said from the threshold (about 10 s by the bench figure) and not below it', () => {
    expect((WHOLE_CHECK_NOTICE_EVENTS * WHOLE_CHECK_MS_PER_EVENT.busy) / 1000).toBeGreaterThanOrEqual(10);
    expect((WHOLE_CHECK_NOTICE_EVENTS * WHOLE_CHECK_MS_PER_EVENT.busy) / 1000).toBeLessThan(12);
    expect(
      wholeCheckNotice({ reason: 'no-mark', events: WHOLE_CHECK_NOTICE_EVENTS - 1, leavesMark: true }),
    ).toBeUndefined();
    expect(wholeCheckNotice({ reason: 'no-mark', events: WHOLE_CHECK_NOTICE_EVENTS, leavesMark: true })).toBe(
      'Checking all 20,000 signed events before this step, because there is no signed-state mark yet (the first such check in this home, or the first after a restore from a backup): about 5 to 10 seconds, the longer on a busy machine. It is safe to wait: nothing is changed until the check passes, and the next check reads only the events after it.',
    );
    expect(wholeCheckNotice({ reason: 'no-mark', events: 5, thresholdEvents: 5, leavesMark: true })).toMatch(
      /^Checking all 5 signed events/,
    );
    expect(wholeCheckNotice({ reason: 'no-mark', events: 5, thresholdEvents: 6, leavesMark: true })).toBeUndefined();
  });

  it('says why: a rotation, no key, no mark, a mark that does not open, another schema, a mark that does not fit', () => {
    const line = (o: Partial<Parameters<typeof wholeCheckNotice>[0]>) =>
      wholeCheckNotice({ reason: 'no-mark', events: 10_000_000, leavesMark: true, ...o })!;
    expect(line({ reason: 'rotation' })).toMatch(
      /^Checking all 10,000,000 signed events before this step, because a key rotation \(disabling a custodian or designee, or changing their password\) always checks the whole history: about 28 minutes to 1\.5 hours, the longer on a busy machine\. It is safe to wait/,
    );
    expect(line({ reason: 'no-key', leavesMark: false })).toMatch(
      /because this operator does not hold the key the signed-state mark is sealed with.*nothing is changed until the check passes\.$/,
    );
    expect(line({ reason: 'unreadable-mark' })).toMatch(/does not open with the current key/);
    expect(line({ reason: 'schema', schema: { mark: 13, now: 14 } })).toMatch(
      /because custody was upgraded since the last check \(ledger schema 13 to 14\), so its signed-state mark no longer applies/,
    );
    expect(line({ reason: 'mark-not-fitting' })).toMatch(/no longer fits the ledger \(an earlier generation restored/);
    expect(line({}).split('\n')).toHaveLength(1);
  });

  it('says about how long, from an idle machine to a busy one, in seconds, minutes or hours', () => {
    expect(aboutDuration(3.4, 10.6)).toBe('about 5 to 10 seconds');
    expect(aboutDuration(0.001, 0.002)).toBe('about 5 seconds');
    expect(aboutDuration(17, 53)).toBe('about 15 to 55 seconds');
    expect(aboutDuration(34, 106)).toBe('about 35 seconds to 2 minutes');
    expect(aboutDuration(60 * 10, 60 * 31)).toBe('about 10 to 31 minutes');
    expect(aboutDuration(1700, 5300)).toBe('about 28 minutes to 1.5 hours');
    expect(aboutDuration(3600, 3600 * 3)).toBe('about 1 to 3 hours');
    expect(aboutDuration(3600)).toBe('about 1 hour');
  });

  it('takes its threshold from CUSTODY_WHOLE_CHECK_NOTICE_EVENTS, a whole number of events', () => {
    expect(wholeCheckNoticeEvents({})).toBe(WHOLE_CHECK_NOTICE_EVENTS);
    expect(wholeCheckNoticeEvents({ CUSTODY_WHOLE_CHECK_NOTICE_EVENTS: '0' })).toBe(0);
    expect(wholeCheckNoticeEvents({ CUSTODY_WHOLE_CHECK_NOTICE_EVENTS: '500' })).toBe(500);
    for (const bad of ['', ' ', '-1', '1.5', 'lots'])
      expect(wholeCheckNoticeEvents({ CUSTODY_WHOLE_CHECK_NOTICE_EVENTS: bad })).toBe(WHOLE_CHECK_NOTICE_EVENTS);
  });
});
