import { describe, expect, it } from 'vitest';
import { judgeCaptureTime, wallTimeInZone } from '../../src/core/capture-time.js';

const TZ = 'America/Los_Angeles';
const now = new Date('2026-11-26T20:00:00Z');
const fileMtime = new Date('2026-11-20T18:30:00Z');
const ctx = { now, fileMtime, timeZone: TZ };

describe('judgeCaptureTime', () => {
  it('uses an EXIF time with offset and restates it in the home zone', () => {
    const j = judgeCaptureTime({ captureTime: '2026-11-20T07:15:02-08:00', captureOffsetKnown: true }, ctx);
    expect(j).toEqual({ recordedAt: '2026-11-20T07:15:02.000-08:00', source: 'exif', flags: [] });
    // A camera set to UTC: same instant, home's offset.
    expect(
      judgeCaptureTime({ captureTime: '2026-11-20T15:15:02+00:00', captureOffsetKnown: true }, ctx).recordedAt,
    ).toBe('2026-11-20T07:15:02.000-08:00');
  });

  it('reads a time without offset as wall-clock time in the home zone, across DST', () => {
    expect(judgeCaptureTime({ captureTime: '2026-11-20T07:15:02', captureOffsetKnown: false }, ctx).recordedAt).toBe(
      '2026-11-20T07:15:02.000-08:00',
    );
    expect(
      judgeCaptureTime({ captureTime: '2026-07-04T21:30:00.250', captureOffsetKnown: false }, ctx).recordedAt,
    ).toBe('2026-07-04T21:30:00.250-07:00');
  });

  it('resolves the skipped and repeated DST hours deterministically', () => {
    // 2026-03-08 02:30 does not exist in Los Angeles: read with the offset before the jump.
    expect(wallTimeInZone('2026-03-08T02:30:00', TZ)?.toISOString()).toBe('2026-03-08T10:30:00.000Z');
    // 2026-11-01 01:30 happens twice: the first (PDT) one.
    expect(wallTimeInZone('2026-11-01T01:30:00', TZ)?.toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(wallTimeInZone('2026-02-30T01:00:00', TZ)).toBeUndefined();
    expect(wallTimeInZone('garbage', TZ)).toBeUndefined();
  });

  it('falls back to the file time, flagged, when there is no capture time', () => {
    expect(judgeCaptureTime({ captureTime: null, captureOffsetKnown: false }, ctx)).toEqual({
      recordedAt: '2026-11-20T10:30:00.000-08:00',
      source: 'file-time',
      flags: ['no-capture-time'],
    });
    // Something that is not a time is treated the same way.
    expect(judgeCaptureTime({ captureTime: '2026-13-45T99:00:00', captureOffsetKnown: false }, ctx).source).toBe(
      'file-time',
    );
  });

  it('flags the future but keeps the time', () => {
    const j = judgeCaptureTime({ captureTime: '2027-01-01T00:00:00-08:00', captureOffsetKnown: true }, ctx);
    expect(j.source).toBe('exif');
    expect(j.recordedAt).toBe('2027-01-01T00:00:00.000-08:00');
    expect(j.flags).toEqual(['future']);
    // A few minutes of clock skew is not the future.
    expect(judgeCaptureTime({ captureTime: '2026-11-26T12:05:00-08:00', captureOffsetKnown: true }, ctx).flags).toEqual(
      [],
    );
  });

  it('flags times before the camera existed, and absurd clocks', () => {
    const cameraSince = new Date('2026-06-01T00:00:00Z');
    expect(
      judgeCaptureTime({ captureTime: '2026-05-01T12:00:00', captureOffsetKnown: false }, { ...ctx, cameraSince })
        .flags,
    ).toEqual(['before-camera']);
    // The day before enrolment is set-up and testing, not an error.
    expect(
      judgeCaptureTime({ captureTime: '2026-05-31T12:00:00Z', captureOffsetKnown: true }, { ...ctx, cameraSince })
        .flags,
    ).toEqual([]);
    expect(
      judgeCaptureTime({ captureTime: '2000-01-01T00:00:12', captureOffsetKnown: false }, { ...ctx, cameraSince })
        .flags,
    ).toEqual(['before-camera', 'absurd']);
    expect(judgeCaptureTime({ captureTime: '2099-01-01T00:00:00', captureOffsetKnown: false }, ctx).flags).toEqual([
      'future',
      'absurd',
    ]);
  });

  it('flags a file-time fallback that is itself wrong', () => {
    const j = judgeCaptureTime(
      { captureTime: null, captureOffsetKnown: false },
      { ...ctx, fileMtime: new Date('1980-01-01T00:00:00Z') },
    );
    expect(j.flags).toEqual(['no-capture-time', 'absurd']);
  });
});
