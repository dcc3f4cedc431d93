/**
 * Before the check of the signed events reads the whole history (no signed-state mark, one that
 * does not open, a key rotation), one line on stderr says so — why, how many events, about how
 * long, that it is safe to wait — and never on stdout (`--json` stays JSON); a check from the mark
 * says nothing. The threshold is lowered for the test (CUSTODY_WHOLE_CHECK_NOTICE_EVENTS, through
 * the command's environment) rather than writing 20,000 events; at the default a small home hears
 * nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARK_FILE } from '../../src/ledger/signed-mark.js';
import { addTrainedOperator, INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

const NOTICE =
  /^custody: Checking all ([\d,]+) signed events before this step, because (.*): about \d+ seconds, the longer on a busy machine\. It is safe to wait: nothing is changed until the check passes, and the next check reads only the events after it\.$/m;

function notices(stderr: string): RegExpMatchArray[] {
  return [...stderr.matchAll(new RegExp(NOTICE.source, 'gm'))];
}

describe('the line before a whole check of the signed events', () => {
  it('is said for a whole check over the threshold, on stderr only, with its reason; not for a check from the mark', async () => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'rlee', 'designee', 'designee password 1');
    const low = { env: { ...t.env, CUSTODY_WHOLE_CHECK_NOTICE_EVENTS: '1' } };
    const mark = path.join(t.home, MARK_FILE);
    expect(fs.existsSync(mark)).toBe(false);

    // The first check in the home: no mark.
    const first = await run(['purge', '--json'], low);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ done: false });
    const [n] = notices(first.stderr);
    expect(n?.[2], first.stderr).toBe(
      'there is no signed-state mark yet (the first such check in this home, or the first after a restore from a backup)',
    );
    const events = (JSON.parse((await ok(['log', '--json'])).stdout) as unknown[]).length;
    expect(Number(n![1]!.replace(/,/g, ''))).toBe(events);
    expect(first.stdout).not.toMatch(/Checking all/);
    expect(notices(first.stderr)).toHaveLength(1);
    expect(fs.existsSync(mark)).toBe(true);

    // The next check starts from the mark it left: nothing said.
    const second = await run(['purge'], low);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Nothing is due for destruction/);
    expect(second.stderr).not.toMatch(/Checking all/);

    // A mark that does not open (damaged): whole again, and said why.
    const sealed = fs.readFileSync(mark);
    sealed[sealed.length - 1]! ^= 1;
    fs.writeFileSync(mark, sealed);
    const damaged = await run(['purge'], low);
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(notices(damaged.stderr).map((m) => m[2])).toEqual([
      'the signed-state mark does not open with the current key (it was sealed before a key rotation, or is damaged)',
    ]);

    // A rotation (disabling a designee) is always whole, mark or not.
    expect((await run(['purge'], low)).stderr).not.toMatch(/Checking all/);
    const disable = await run(['operator', 'disable', 'rlee', '--reason', 'left'], low);
    expect(disable.code, disable.stderr).toBe(0);
    expect(notices(disable.stderr).map((m) => m[2])).toEqual([
      'a key rotation (disabling a custodian or designee, or changing their password) always checks the whole history',
    ]);
    // The rotation sealed its mark again with the new key: the next check is from it.
    expect((await run(['purge'], low)).stderr).not.toMatch(/Checking all/);

    // At the default threshold (20,000 events) this home's whole check says nothing.
    fs.rmSync(mark);
    const quiet = await run(['purge'], { env: t.env });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/Checking all/);
    expect(fs.existsSync(mark)).toBe(true);
  });
});
