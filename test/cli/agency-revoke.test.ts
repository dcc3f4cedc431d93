/**
 * Issue 14, item 7: the custodian's override of an agency can be revoked by a signed event; from
 * it on, a release that needed the override is refused (naming the revocation), and the
 * transparency report counts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, passwordFileFor, run } from '../helpers/cli.js';

describe('agency revoke-confirmation', () => {
  it('a revoked override stops releases to the agency, is signed, and is counted in the transparency report', async () => {
    const t = newTestHome();
    const env = t.env;
    expect((await run(INIT_ARGS, { env })).code).toBe(0);
    const ok = async (args: string[]) => {
      const r = await run(args, { env });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r;
    };
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
    await ok([
      'agency',
      'add',
      '--id',
      'EPD',
      '--name',
      'Example Police Department',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'california-local',
    ]);
    const conf = path.join(t.dir, 'confirmation.txt');
    fs.writeFileSync(conf, 'EPD reports under the county ORI CA0019900.\n');
    expect((await run(['agency', 'revoke-confirmation', 'EPD', '--reason', 'x'], { env })).code).toBe(6);
    await ok(['agency', 'confirm', 'EPD', '--reason', 'reports under the county ORI CA0019900', '--document', conf]);
    const show = async () =>
      JSON.parse((await ok(['agency', 'show', 'EPD', '--json'])).stdout) as {
        mayReceiveData: boolean;
        refusal: string | null;
        override: { id: string } | null;
      };
    expect(await show()).toMatchObject({ mayReceiveData: true, override: { id: 'OVR-0001' } });

    // Only the custodian revokes; a reason is required.
    const pw = path.join(t.dir, 'd.pw');
    fs.writeFileSync(pw, 'designee password 1\n');
    await ok(['operator', 'add', 'rlee', '--name', 'R Lee', '--role', 'designee', '--new-password-file', pw]);
    await ok(['operator', 'train', 'rlee', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
    const designee = passwordFileFor(t, 'rlee', 'designee password 1');
    expect((await run(['agency', 'revoke-confirmation', 'EPD', '--reason', 'x'], { env: designee })).code).toBe(4);
    expect((await run(['agency', 'revoke-confirmation', 'EPD', '--reason', ' '], { env })).code).toBe(2);

    const r = await ok(['agency', 'revoke-confirmation', 'EPD', '--reason', 'the county withdrew its letter']);
    expect(r.stdout).toMatch(/The override of agency EPD is revoked; it may not receive data: .*revoked by asd on/);
    const after = await show();
    expect(after.mayReceiveData).toBe(false);
    expect(after.override).toBeNull();
    expect(after.refusal).toMatch(
      /override OVR-0001 was revoked by asd on \d{4}-\d{2}-\d{2}: the county withdrew its letter/,
    );

    // A release to the agency is refused from now on, naming the revocation; nothing is written.
    const req = await run(
      [
        'request',
        'new',
        '--agency',
        'EPD',
        '--officer',
        'Sgt. A',
        '--badge',
        '1',
        '--case',
        '26-1',
        '--purpose',
        'criminal investigation',
        '--received-at',
        '2026-11-05T09:15:00-08:00',
        '--document',
        conf,
        '--cameras',
        'CAM-01',
        '--from',
        '2026-11-03',
        '--to',
        '2026-11-03',
        '--json',
      ],
      { env },
    );
    expect(req.code, req.stderr).toBe(0);
    const id = (JSON.parse(req.stdout) as { id: string }).id;
    const to = path.join(t.dir, 'out');
    const rel = await run(['release', '--request', id, '--to', to, '--yes'], { env });
    expect(rel.code).toBe(4);
    expect(rel.stderr).toMatch(/override OVR-0001 was revoked/);
    expect(fs.existsSync(to)).toBe(false);

    // Signed like every event, and counted in the transparency report.
    expect((await run(['verify'], { env })).code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const tr = JSON.parse((await ok(['transparency', '--from', '2026-01-01', '--to', today, '--json'])).stdout) as {
      overrides: { signed: number; releases: number; revoked: number };
    };
    expect(tr.overrides).toEqual({ signed: 1, releases: 0, revoked: 1 });
  }, 120_000);
});
