import { describe, expect, it } from 'vitest';
import {
  describeDuration,
  dutyFindings,
  findClockTrouble,
  findDriveFull,
  findPlateReadFall,
  findRecordingGaps,
  findStorageTrouble,
  planFixitySample,
  sortFindings,
  summarize,
  type Finding,
} from '../../src/core/health.js';
import { addDays, DAY_MS } from '../../src/core/time.js';

const T = (s: string) => new Date(s);
const HOUR = 3_600_000;
const TZ = 'America/Los_Angeles';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A camera on a residential street in Los Angeles time: busy 06:00–22:00 (about 60 an hour
 * at the peak), a few cars in the evening, and at night (00:00–05:00) often nothing at all.
 * Returns capture times, sorted, over [from, from + days).
 */
function street(from: Date, days: number, seed = 1, outage?: [Date, Date], nightRate = 0.4): Date[] {
  const rand = rng(seed);
  const out: Date[] = [];
  // Local hour h's mean captures per hour (PST is UTC−8 in November).
  const rate = (h: number): number =>
    h < 5 ? nightRate : h < 6 ? 3 : h < 22 ? 25 + 35 * Math.sin(((h - 6) / 16) * Math.PI) : 4;
  for (let hs = 0; hs < days * 24; hs++) {
    const start = from.getTime() + hs * HOUR;
    const localHour = (new Date(start - 8 * HOUR).getUTCHours() + 24) % 24;
    // Bursty: Poisson via exponential gaps.
    let t = start;
    for (;;) {
      t += (-Math.log(1 - rand()) / rate(localHour)) * HOUR;
      if (t >= start + HOUR) break;
      if (outage && t >= outage[0].getTime() && t < outage[1].getTime()) continue;
      out.push(new Date(t));
    }
  }
  return out;
}

describe('describeDuration', () => {
  it('reads like a person wrote it', () => {
    expect(describeDuration(40 * 60_000)).toBe('40 minutes');
    expect(describeDuration(5 * HOUR)).toBe('5 hours');
    expect(describeDuration(30 * HOUR)).toBe('30 hours');
    expect(describeDuration(74 * HOUR)).toBe('3 days 2 hours');
    expect(describeDuration(3 * DAY_MS)).toBe('3 days');
  });
});

describe('findRecordingGaps', () => {
  const from = T('2026-11-01T08:00:00Z'); // 01:00 in Los Angeles (daylight time ends that night)
  const to = addDays(from, 28);

  it('does not call ordinary quiet nights gaps', () => {
    const captures = street(from, 28, 7);
    // There are long silent nights in there…
    let longest = 0;
    for (let i = 1; i < captures.length; i++)
      longest = Math.max(longest, captures[i].getTime() - captures[i - 1].getTime());
    expect(longest).toBeGreaterThan(4 * HOUR);
    // …and none is a gap.
    expect(findRecordingGaps(captures, { from, to, timeZone: TZ, subject: 'C1' })).toEqual([]);
  });

  it('does not call quiet nights gaps on streets of any night-time traffic (several histories)', () => {
    for (const [seed, nightRate] of [
      [2, 0.1],
      [3, 0.4],
      [4, 1],
      [5, 2],
    ]) {
      expect(
        findRecordingGaps(street(from, 28, seed, undefined, nightRate), { from, to, timeZone: TZ }),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it('finds a camera that stops for three days, with that period', () => {
    const down = T('2026-11-10T21:30:00Z'); // 13:30 local
    const up = T('2026-11-13T19:00:00Z');
    const captures = street(from, 28, 7, [down, up]);
    const gaps = findRecordingGaps(captures, { from, to, timeZone: TZ, subject: 'C1' });
    expect(gaps).toHaveLength(1);
    const g = gaps[0];
    expect(g.severity).toBe('critical');
    expect(g.area).toBe('camera');
    expect(g.subject).toBe('C1');
    // The period runs from the last capture before the outage to the first after it.
    const gf = new Date(g.period.from).getTime();
    const gt = new Date(g.period.to).getTime();
    expect(gf).toBeLessThanOrEqual(down.getTime());
    expect(down.getTime() - gf).toBeLessThan(10 * 60_000);
    expect(gt).toBeGreaterThanOrEqual(up.getTime());
    expect(gt - up.getTime()).toBeLessThan(10 * 60_000);
    expect(g.period.from).toMatch(/-08:00$/);
    expect(g.hours).toBeGreaterThan(69);
    expect(g.message).toMatch(
      /^Camera C1 recorded nothing from 2026-11-10 13:\d\d to 2026-11-13 1[01]:\d\d \(2 days 2[12] hours\), hours in which it usually records\.$/,
    );
  });

  it('learns that an office-park camera is quiet at weekends, and still finds a weekday outage', () => {
    /** Busy 07:00–19:00 on weekdays; nothing at night or at weekends. */
    const office = (seed: number, outage?: [Date, Date]): Date[] => {
      const rand = rng(seed);
      const out: Date[] = [];
      for (let hs = 0; hs < 28 * 24; hs++) {
        const start = from.getTime() + hs * HOUR;
        const l = new Date(start - 8 * HOUR);
        const weekend = l.getUTCDay() === 0 || l.getUTCDay() === 6;
        if (weekend || l.getUTCHours() < 7 || l.getUTCHours() >= 19) continue;
        for (let t = start; ; ) {
          t += (-Math.log(1 - rand()) / 20) * HOUR;
          if (t >= start + HOUR) break;
          if (outage && t >= outage[0].getTime() && t < outage[1].getTime()) continue;
          out.push(new Date(t));
        }
      }
      return out;
    };
    // Four weekends of 60 silent hours each: none is a gap.
    expect(findRecordingGaps(office(1), { from, to, timeZone: TZ })).toEqual([]);
    expect(findRecordingGaps(office(2), { from, to, timeZone: TZ })).toEqual([]);
    // Wednesday 18 November, 09:00–14:00 local.
    const gaps = findRecordingGaps(office(1, [T('2026-11-18T17:00:00Z'), T('2026-11-18T22:00:00Z')]), {
      from,
      to,
      timeZone: TZ,
    });
    expect(gaps).toHaveLength(1);
    expect(gaps[0].severity).toBe('warning');
    expect(gaps[0].period.from.slice(0, 13)).toBe('2026-11-18T08');
  });

  it('finds a daytime silence of a few hours as a warning', () => {
    const down = T('2026-11-20T18:00:00Z'); // 10:00 local
    const up = T('2026-11-20T23:00:00Z'); // 15:00 local
    const gaps = findRecordingGaps(street(from, 28, 3, [down, up]), { from, to, timeZone: TZ, subject: 'C1' });
    expect(gaps.map((g) => g.severity)).toEqual(['warning']);
    expect(gaps[0].expectedActiveHours).toBeGreaterThan(4.5);
    expect(gaps[0].chance).toBeLessThan(1e-6);
  });

  it('finds a camera that stopped before the drive was taken out', () => {
    const down = addDays(to, -2);
    const gaps = findRecordingGaps(street(from, 28, 5, [down, to]), { from, to, timeZone: TZ, subject: 'C1' });
    expect(gaps).toHaveLength(1);
    expect(gaps[0].message).toContain('to the end of the period');
    expect(gaps[0].period.to).toBe('2026-11-29T00:00:00.000-08:00');
  });

  it('reports a camera that recorded nothing at all', () => {
    const gaps = findRecordingGaps([], { from, to, timeZone: TZ, subject: 'C9' });
    expect(gaps).toHaveLength(1);
    expect(gaps[0].severity).toBe('critical');
    expect(gaps[0].message).toBe('Camera C9 recorded nothing from 2026-11-01 01:00 to 2026-11-29 00:00 (28 days).');
  });

  it('without enough history, only a day or more of silence counts', () => {
    const f = T('2026-11-01T08:00:00Z');
    const captures = [f, new Date(f.getTime() + 10 * HOUR), new Date(f.getTime() + 35 * HOUR)];
    const gaps = findRecordingGaps(captures, { from: f, to: new Date(f.getTime() + 36 * HOUR), timeZone: TZ });
    expect(gaps.map((g) => g.hours)).toEqual([25]);
  });

  it('ignores captures outside the window and accepts them unsorted', () => {
    const captures = street(from, 28, 11);
    const shuffled = [...captures].reverse();
    shuffled.push(T('2020-01-01T00:00:00Z'), T('2030-01-01T00:00:00Z'));
    expect(findRecordingGaps(shuffled, { from, to, timeZone: TZ })).toEqual([]);
  });
});

describe('findClockTrouble', () => {
  const base = {
    id: 'D1',
    cameraId: 'C1',
    installedAt: T('2026-11-01T17:00:00Z'),
    removedAt: T('2026-11-08T17:00:00Z'),
  };

  it('is quiet when captures sit between the swaps', () => {
    const ok = findClockTrouble(
      [{ ...base, captures: { first: T('2026-11-01T17:02:00Z'), last: T('2026-11-08T16:58:00Z') } }],
      { timeZone: TZ },
    );
    expect(ok).toEqual([]);
    // Within the tolerance either side.
    const edge = findClockTrouble(
      [{ ...base, captures: { first: T('2026-11-01T16:55:00Z'), last: T('2026-11-08T17:05:00Z') } }],
      { timeZone: TZ },
    );
    expect(edge).toEqual([]);
    expect(findClockTrouble([{ ...base, captures: null }], { timeZone: TZ })).toEqual([]);
  });

  it('finds captures after the drive was taken out', () => {
    const f = findClockTrouble(
      [{ ...base, captures: { first: T('2026-11-01T18:00:00Z'), last: T('2026-11-08T19:00:00Z') } }],
      { timeZone: TZ },
    );
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', area: 'camera', subject: 'C1' });
    expect(f[0].message).toContain('2 hours after the drive was taken out');
    expect(f[0].message).toContain('ahead');
  });

  it('finds captures before the drive went in, critical when a day or more off', () => {
    const f = findClockTrouble(
      [{ ...base, captures: { first: T('2026-10-25T17:00:00Z'), last: T('2026-11-01T16:00:00Z') } }],
      { timeZone: TZ },
    );
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toContain('before the drive went in');
    expect(f[0].message).toContain('behind');
  });

  it('finds a clock drifting over successive swaps, and not a steady one', () => {
    const swaps = [0, 7, 14, 21].map((d) => addDays(T('2026-10-01T17:00:00Z'), d));
    const batches = (driftMinutesPerSwap: number, startMinutes = 0) =>
      swaps.slice(0, -1).map((inAt, i) => {
        const off = (startMinutes + i * driftMinutesPerSwap) * 60_000;
        return {
          id: `D${i}`,
          cameraId: 'C2',
          installedAt: inAt,
          removedAt: swaps[i + 1],
          captures: {
            first: new Date(inAt.getTime() + off + 60_000),
            last: new Date(swaps[i + 1].getTime() + off - 60_000),
          },
        };
      });
    // 6 minutes a week from 6 minutes slow: within tolerance at each swap (−6, 0, +6), but
    // 12 minutes over the three.
    const drifting = findClockTrouble(batches(6, -6), { timeZone: TZ });
    expect(drifting).toHaveLength(1);
    expect(drifting[0].message).toMatch(
      /^Camera C2's clock is drifting ahead: about 26 minutes every 30 days over its last 3 swaps/,
    );
    expect(findClockTrouble(batches(0, 5), { timeZone: TZ })).toEqual([]);
    // A large drift is also seen at the swaps themselves.
    expect(findClockTrouble(batches(10), { timeZone: TZ }).map((x) => x.message.slice(0, 30))).toContain(
      "Camera C2's clock is drifting ",
    );
  });
});

describe('findDriveFull', () => {
  const removedAt = T('2026-11-08T17:00:00Z');
  const GB = 1e9;

  it('is critical when the drive filled and recording stopped before the swap', () => {
    const f = findDriveFull({
      subject: 'D4',
      capacityBytes: 64 * GB,
      usedBytes: 63.9 * GB,
      lastCaptureAt: T('2026-11-06T09:00:00Z'),
      removedAt,
      timeZone: TZ,
    });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].period).toEqual({ from: '2026-11-06T01:00:00.000-08:00', to: '2026-11-08T09:00:00.000-08:00' });
    expect(f[0].message).toContain('(2 days 8 hours)');
  });

  it('warns when full or nearly full at the swap', () => {
    expect(findDriveFull({ capacityBytes: 100, usedBytes: 99, lastCaptureAt: removedAt, removedAt })[0].severity).toBe(
      'warning',
    );
    expect(findDriveFull({ capacityBytes: 100, usedBytes: 92, removedAt })[0].message).toContain('92% full');
  });

  it('says nothing of a drive with room left', () => {
    expect(
      findDriveFull({ capacityBytes: 100, usedBytes: 60, lastCaptureAt: T('2026-11-01T00:00:00Z'), removedAt }),
    ).toEqual([]);
    expect(findDriveFull({ capacityBytes: 0, usedBytes: 0, removedAt })).toEqual([]);
  });
});

describe('findPlateReadFall', () => {
  const days = (shares: number[], images = 1000) =>
    shares.map((s, i) => ({
      date: `2026-11-${String(i + 1).padStart(2, '0')}`,
      images,
      readable: Math.round(s * images),
    }));

  it('finds a fall against the camera’s own baseline, with its period', () => {
    const f = findPlateReadFall(days([0.8, 0.82, 0.79, 0.81, 0.8, 0.78, 0.5, 0.48, 0.45]), { subject: 'C3' });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      severity: 'warning',
      subject: 'C3',
      period: { from: '2026-11-07', to: '2026-11-09' },
    });
    expect(f[0].message).toBe(
      'Camera C3 read a plate in 48% of its images from 2026-11-07 to 2026-11-09, against 80% before; check its lens, aim and lighting.',
    );
  });

  it('is critical when the share more than halves', () => {
    const f = findPlateReadFall(days([0.8, 0.8, 0.8, 0.8, 0.2, 0.1]));
    expect(f[0].severity).toBe('critical');
  });

  it('judges against the camera, not an absolute line', () => {
    // A camera that always reads 40% is fine.
    expect(findPlateReadFall(days([0.4, 0.42, 0.38, 0.41, 0.39, 0.4, 0.41]))).toEqual([]);
  });

  it('does not trigger on one bad day, on a recovery, on thin days or without a baseline', () => {
    expect(findPlateReadFall(days([0.8, 0.8, 0.8, 0.8, 0.3]))).toEqual([]);
    expect(findPlateReadFall(days([0.8, 0.8, 0.8, 0.8, 0.3, 0.3, 0.79]))).toEqual([]);
    expect(findPlateReadFall(days([0.8, 0.8, 0.8, 0.8, 0.3, 0.3], 5))).toEqual([]);
    expect(findPlateReadFall(days([0.8, 0.3, 0.3]))).toEqual([]);
    expect(findPlateReadFall([])).toEqual([]);
  });
});

describe('findStorageTrouble', () => {
  const GB = 1e9;
  it('warns under 30 days of imports and is critical under 7', () => {
    expect(findStorageTrouble({ freeBytes: 100 * GB, bytesPerDay: 2 * GB })).toEqual([]);
    const w = findStorageTrouble({ freeBytes: 40 * GB, bytesPerDay: 2 * GB });
    expect(w).toEqual([
      {
        severity: 'warning',
        area: 'storage',
        subject: 'home',
        message: "The home's disk has about 20 days of imports left (40 GB free, 2.0 GB a day).",
      },
    ]);
    expect(findStorageTrouble({ freeBytes: 10 * GB, bytesPerDay: 2 * GB })[0].severity).toBe('critical');
    expect(findStorageTrouble({ freeBytes: 10 * GB, bytesPerDay: 0 })).toEqual([]);
  });
});

describe('planFixitySample', () => {
  it('covers every file over successive months, each month a fixed-size sample', () => {
    const n = 1003;
    const k = 100;
    const seen = new Set<number>();
    for (let m = 0; m < Math.ceil(n / k); m++) {
      const s = planFixitySample(n, m, k);
      expect(s.length).toBe(k);
      expect(s.every((i) => Number.isInteger(i) && i >= 0 && i < n)).toBe(true);
      for (const i of s) seen.add(i);
    }
    expect(seen.size).toBe(n);
  });

  it('is deterministic, rotates, and looks random', () => {
    expect(planFixitySample(500, 3, 50)).toEqual(planFixitySample(500, 3, 50));
    expect(planFixitySample(500, 3, 50)).not.toEqual(planFixitySample(500, 4, 50));
    // Starts again after a full cycle.
    expect(planFixitySample(500, 10, 50)).toEqual(planFixitySample(500, 0, 50));
    // Not simply the first 50 files.
    const s = planFixitySample(500, 0, 50);
    expect(s).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Math.max(...s) - Math.min(...s)).toBeGreaterThan(250);
  });

  it('handles small and empty cases', () => {
    expect(planFixitySample(0, 0, 10)).toEqual([]);
    expect(planFixitySample(10, 0, 0)).toEqual([]);
    expect(planFixitySample(5, 7, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(planFixitySample(1, 0, 1)).toEqual([0]);
    // Every file count, including those sharing factors with the seed's step.
    for (const n of [2, 3, 4, 6, 12, 97, 128]) {
      const seen = new Set<number>();
      for (let m = 0; m < Math.ceil(n / 5); m++) for (const i of planFixitySample(n, m, 5)) seen.add(i);
      expect(seen.size, String(n)).toBe(n);
    }
  });
});

describe('dutyFindings', () => {
  const now = T('2026-11-26T20:00:00Z');
  const clean = {
    batches: [
      { id: 'B1', newestRecordedAt: addDays(now, -30), oldestRecordedAt: addDays(now, -37), holds: [] },
      {
        id: 'B2',
        newestRecordedAt: addDays(now, -90),
        oldestRecordedAt: addDays(now, -97),
        holds: [{ id: 'H1', reviewDate: addDays(now, 10) }],
      },
      {
        id: 'B3',
        newestRecordedAt: addDays(now, -90),
        oldestRecordedAt: addDays(now, -97),
        destroyedAt: addDays(now, -30),
        holds: [],
      },
    ],
    retentionDays: 60,
    holds: [
      { id: 'H1', reviewDate: addDays(now, 10) },
      { id: 'H2', reviewDate: addDays(now, -10), releasedAt: addDays(now, -11) },
    ],
    receipts: [
      { id: 'R1', releasedAt: addDays(now, -9) },
      { id: 'R2', releasedAt: addDays(now, -40), acknowledgedAt: addDays(now, -35) },
    ],
    requests: [
      { id: 'Q1', openedAt: addDays(now, -29) },
      { id: 'Q2', openedAt: addDays(now, -90), closedAt: addDays(now, -80) },
    ],
    operators: [
      { id: 'asd', trainedAt: addDays(now, -100) },
      { id: 'old', active: false },
    ],
    searches: [
      { id: 'S1', at: addDays(now, -1), requestId: 'Q1', operatorId: 'asd', purpose: 'criminal investigation' },
    ],
    timeZone: TZ,
  };

  it('finds nothing when every duty is met (the searches are only listed, by operator and purpose)', () => {
    expect(dutyFindings(clean, now)).toEqual([
      {
        severity: 'info',
        area: 'duty',
        subject: 'searches:asd',
        message: 'Operator asd made 1 search for "criminal investigation", all under a request (Civ. Code 1798.90.52).',
      },
    ]);
    expect(dutyFindings({}, now)).toEqual([]);
  });

  it('finds each unmet duty', () => {
    const f = dutyFindings(
      {
        ...clean,
        batches: [
          ...clean.batches,
          { id: 'B4', newestRecordedAt: addDays(now, -70), oldestRecordedAt: addDays(now, -75), holds: [] },
        ],
        holds: [...clean.holds, { id: 'H3', reviewDate: addDays(now, -2) }],
        receipts: [...clean.receipts, { id: 'R3', releasedAt: addDays(now, -12), agency: 'County Sheriff' }],
        requests: [...clean.requests, { id: 'Q3', openedAt: addDays(now, -45), agency: 'Police Department' }],
        operators: [
          ...clean.operators,
          { id: 'newhire' },
          { id: 'lapsed', trainedAt: addDays(now, -400), trainingExpiresAt: addDays(now, -35) },
        ],
        searches: [
          ...clean.searches,
          { id: 'S2', at: addDays(now, -2), operatorId: 'asd', purpose: 'criminal investigation' },
          { id: 'S3', at: addDays(now, -3), operatorId: 'asd', purpose: 'criminal investigation' },
        ],
        requestReleases: [
          { id: 'Q1', receivedAt: addDays(now, -29), status: 'open', releases: 1 },
          { id: 'Q4', receivedAt: addDays(now, -5), status: 'fulfilled', releases: 0, agency: 'Police Department' },
        ],
      },
      now,
    );
    expect(f.map((x) => [x.severity, x.subject])).toEqual([
      ['critical', 'B4'],
      ['warning', 'H3'],
      ['warning', 'R3'],
      ['info', 'Q3'],
      ['warning', 'newhire'],
      ['warning', 'lapsed'],
      ['warning', 'searches'],
      ['info', 'searches:asd'],
      ['warning', 'Q4'],
    ]);
    expect(f.find((x) => x.subject === 'searches:asd')?.message).toBe(
      'Operator asd made 3 searches for "criminal investigation", 2 not tied to a request (Civ. Code 1798.90.52).',
    );
    expect(f.find((x) => x.subject === 'Q4')?.message).toBe(
      'Request Q4 from Police Department is marked fulfilled but has no release on record (policy §5).',
    );
    expect(f.every((x) => x.area === 'duty' && /^[A-Z0-9].*\.$/.test(x.message))).toBe(true);
    expect(f[0].message).toBe(
      'Import batch B4 is 10 days past its destruction date of 2026-11-16 and is not destroyed (policy §8).',
    );
    expect(f[2].message).toBe(
      'Release R3 to County Sheriff on 2026-11-14 has no written acknowledgement of receipt after 12 days (policy §5).',
    );
    expect(f[6].message).toBe(
      '2 searches were not tied to a request (S2 and S3); every search must serve a named investigation (policy §1).',
    );
  });

  it('warns, rather than raises the alarm, in the first week past destruction', () => {
    const f = dutyFindings(
      { batches: [{ id: 'B5', newestRecordedAt: addDays(now, -62), oldestRecordedAt: addDays(now, -69), holds: [] }] },
      now,
    );
    expect(f.map((x) => x.severity)).toEqual(['warning']);
  });
});

describe('summarize and sortFindings', () => {
  const f = (severity: Finding['severity'], subject = 'x'): Finding => ({
    severity,
    area: 'camera',
    subject,
    message: `${subject}.`,
  });

  it('counts by severity; critical sets the exit flag', () => {
    expect(summarize([f('info'), f('warning'), f('warning')])).toEqual({
      critical: 0,
      warning: 2,
      info: 1,
      exitCritical: false,
    });
    expect(summarize([f('critical'), f('info')])).toEqual({ critical: 1, warning: 0, info: 1, exitCritical: true });
    expect(summarize([])).toEqual({ critical: 0, warning: 0, info: 0, exitCritical: false });
  });

  it('puts the most severe first', () => {
    expect(
      sortFindings([f('info', 'a'), f('critical', 'b'), f('warning', 'c'), f('critical', 'a')]).map(
        (x) => x.severity + x.subject,
      ),
    ).toEqual(['criticala', 'criticalb', 'warningc', 'infoa']);
  });
});
