/**
 * Attack (e): a purge whose certificate cannot be written (or that is killed after its destruction
 * is committed: during the backups it reaches, before the certificate) destroys the data and no
 * run of `custody purge` ever certifies it. purge (src/operations/purge.ts) writes the certificate
 * only in the run that destroyed; nothingToPurge looks at due and unfinished destructions only,
 * never at a finished purge with no `purge.certificate` event. The certificate's path is not
 * checked before a key is destroyed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import { executePurge } from '../../src/operations/purge.js';
import { pdftotext } from '../documents/helpers.js';
import { INIT_ARGS, newTestHome, okRunner, PASSWORD, ROOT, run, tmpDir } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');

afterAll(async () => {
  await endExiftool();
});

describe('a purge whose certificate is not written', () => {
  it('is certified by the next purge (or refused before anything is destroyed)', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
    clock.set('2027-02-01T09:00:00-08:00');
    // The certificate's folder cannot be made (a file is in the way).
    const out = tmpDir();
    fs.writeFileSync(path.join(out, 'certs'), 'a file, not a folder\n');
    const first = await run(['purge', '--yes', '--certificate', path.join(out, 'certs', 'd.pdf')], {
      env: t.env,
      clock,
    });
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 't',
    });
    const destroyed = s.ledger.one<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE type IN ('batch.destroyed', 'day.destroyed', 'purge.completed')",
    )!.n;
    s.close();
    if (first.code !== 0 && destroyed === 0) {
      // Refused before anything was destroyed (the fix: the certificate's place is checked first).
      expect(first.code, first.stderr).toBe(2);
      expect(first.stderr).toMatch(/cannot be written: .*certs is not a folder; nothing was done/);
      return;
    }
    // Something was destroyed: the next purge certifies it.
    const again = await run(['purge', '--yes', '--out', out, '--json'], { env: t.env, clock });
    expect(again.code, again.stderr).toBe(0);
    const s2 = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 't',
    });
    const certified = s2.ledger.one<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE type = 'purge.certificate'",
    )!.n;
    s2.close();
    expect({ firstCode: first.code, destroyed: destroyed > 0, certified }, `${first.stderr}\n${again.stdout}`).toEqual({
      firstCode: first.code,
      destroyed: true,
      certified: 1,
    });
  }, 180_000);

  it('killed after its destruction is recorded, before the certificate: the log-in line names it and the next purge certifies it from the record', async () => {
    const c = manualClock('2026-11-05T00:00:00.000-08:00');
    const t = newTestHome();
    const ok = okRunner(t, c);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
    c.set('2027-02-01T09:00:00-08:00');
    // The destruction steps alone, as a purge cut off right after `purge.finished` was committed.
    const s = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock: c,
      command: 't',
    });
    const done = await s.exclusive(() => executePurge(s));
    s.close();
    expect(done.destroyed.length).toBeGreaterThan(0);

    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as { due: unknown[]; uncertified: string[] };
    expect(plan).toMatchObject({ due: [], uncertified: [done.purge] });
    const login = await ok(['camera', 'list']);
    expect(login.stderr).toMatch(new RegExp(`Purge ${done.purge} destroyed data on .* no certificate of destruction`));

    const out = tmpDir();
    const again = JSON.parse((await ok(['purge', '--yes', '--out', out, '--json'])).stdout) as {
      purge: string | null;
      certified: { purge: string; certificate: string }[];
    };
    expect(again.purge).toBeNull();
    expect(again.certified).toEqual([
      { purge: done.purge, certificate: path.join(out, `destruction-${done.purge}.pdf`) },
    ]);
    const text = pdftotext(fs.readFileSync(again.certified[0]!.certificate), []).replace(/\s+/g, ' ');
    expect(text).toContain(done.purge);
    expect(text).toContain(done.destroyed[0]!.batch);
    // Certified once: the next purge and the log-in line say nothing more of it.
    const third = JSON.parse((await ok(['purge', '--yes', '--out', out, '--json'])).stdout) as { certified?: unknown };
    expect(third.certified).toBeUndefined();
    expect((await ok(['camera', 'list'])).stderr).not.toMatch(/no certificate of destruction/);
  }, 180_000);
});
