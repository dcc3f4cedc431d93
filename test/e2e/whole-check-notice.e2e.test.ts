/**
 * The line before a whole check of the signed events, through the built binary: with the threshold
 * lowered in the environment (CUSTODY_WHOLE_CHECK_NOTICE_EVENTS), the first `purge --json` of a
 * home says on stderr that it reads every event and why, its stdout stays one JSON document; the
 * next, from the mark the first left, says nothing.
 */
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, spawnBin } from '../helpers/cli.js';

describe('the line before a whole check (spawned)', () => {
  it('is on stderr for the first check of a home, not in --json stdout, and not for the check from the mark', async () => {
    const t = newTestHome();
    expect((await spawnBin(INIT_ARGS, { env: t.env })).code).toBe(0);
    const env = { ...t.env, CUSTODY_WHOLE_CHECK_NOTICE_EVENTS: '0' };
    const first = await spawnBin(['purge', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ done: false });
    expect(first.stderr).toMatch(
      /^custody: Checking all \d+ signed events before this step, because there is no signed-state mark yet .*It is safe to wait: nothing is changed until the check passes, and the next check reads only the events after it\.$/m,
    );
    const next = await spawnBin(['purge', '--json'], { env });
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ done: false });
    expect(next.stderr).not.toMatch(/Checking all/);
  }, 120_000);
});
