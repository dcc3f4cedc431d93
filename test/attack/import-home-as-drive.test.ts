/**
 * Attack (c): the home itself given as a camera drive. `import --source <home> --enrol` (and swap)
 * never compare the source with the home (src/operations/import.ts, src/operations/drives.ts enrol):
 * the home is enrolled as a drive (its id file written into the home), its own files imported as a
 * batch of "camera" files, and it can then be installed in a camera, wiped or handed over as a drive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endExiftool } from '../../src/media/exif.js';
import { INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

afterAll(async () => {
  await endExiftool();
});

describe('import --source naming the home', () => {
  it('is refused (exit 2) and writes nothing into the home', async () => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
    const before = fs.readdirSync(t.home).sort();
    const r = await run(['import', '--source', t.home, '--camera', 'CAM-01', '--enrol', '--json'], { env: t.env });
    const added = fs.readdirSync(t.home).filter((f) => !before.includes(f) && !/^ledger\.enc\.\d$/.test(f));
    expect({ code: r.code, added }, r.stdout.slice(0, 300)).toEqual({ code: 2, added: [] });
    expect(r.stderr).toMatch(/is the home .*not a camera drive; nothing was read or written/);
    // The same for a folder inside the home, `drive enrol --source` and `swap --source`.
    const inside = await run(['import', '--source', path.join(t.home, 'keys'), '--camera', 'CAM-01', '--enrol'], {
      env: t.env,
    });
    const enrol = await run(['drive', 'enrol', '--source', t.home], { env: t.env });
    const swap = await run(['swap', '--source', t.home, '--camera', 'CAM-01', '--no-replacement'], { env: t.env });
    expect(
      { inside: inside.code, enrol: enrol.code, swap: swap.code },
      `${inside.stderr}${enrol.stderr}${swap.stderr}`,
    ).toEqual({ inside: 2, enrol: 2, swap: 2 });
    expect(inside.stderr).toMatch(/is inside the home/);
    for (const x of [enrol, swap]) expect(x.stderr).toMatch(/not a camera drive; nothing was read or written/);
    expect(fs.readdirSync(t.home).filter((f) => !before.includes(f) && !/^ledger\.enc\.\d$/.test(f))).toEqual([]);
  }, 120_000);
});
