/**
 * Attack (dates typed by people): a wall-clock time that does not exist. On the night clocks go
 * forward (8 March 2026 in Los Angeles) 2:00–2:59 AM never happens; parseWhen (src/core/time.ts)
 * reads "2026-03-08 2:30" as 1:30 AM PST — an hour before anything the person could have meant
 * (2:30 PST is 3:30 PDT) — and records it without a word: a camera's service start, a drive's
 * removal, a request's range, a problem's outage, all shifted by an hour. The camera's own EXIF
 * reader (core/capture-time.ts) reads the same wall time as 3:30 PDT, so a request typed for the
 * images of "2:30 onward" reaches an hour more than the images stamped 2:30.
 *
 * Severity LOW: an hour off in a recorded time, once a year, silently.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

const clock = manualClock('2026-03-10T09:00:00-07:00');

describe('a time typed on the night the clocks go forward', () => {
  it('is refused (exit 2) when it never happened, with the hint of a time that did; the next hour is read as typed', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    const r = await run(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-03-08 2:30'], {
      env: t.env,
      clock,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/2:30 AM does not exist on 2026-03-08 in America\/Los_Angeles/);
    expect(r.stderr).toContain('2026-03-08T03:30:00-07:00');
    const cam = JSON.parse(
      (await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-03-08 3:30', '--json'])).stdout,
    ) as { inServiceSince?: string; in_service_since?: string };
    expect(JSON.stringify(cam)).toContain('2026-03-08T03:30:00.000-07:00');
  });
});
