/**
 * Attack (c): a backup into the home itself, through a symbolic link. prepareLocation
 * (src/operations/backup.ts) compares path.resolve() strings, never the real paths: a `--to` that is
 * a link into the home, or a home reached through a link (`~/.local/share/custody` → /data/custody)
 * with `--to` under its real path, is accepted, and the "backup" lies on the home's own disk
 * (README: a backup folder inside the home is exit 2).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, okRunner, run } from '../helpers/cli.js';

describe('backup --to a folder inside the home', () => {
  it('is refused (exit 2) when reached through a link, and nothing is written into the home', async () => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St']);
    // A link outside the home to a new folder inside it.
    const inside = path.join(t.home, 'bk');
    fs.mkdirSync(inside);
    const link = path.join(t.dir, 'backup-disk');
    fs.symlinkSync(inside, link);
    const r = await run(['backup', '--to', link], { env: t.env });
    expect({ code: r.code, inside: fs.readdirSync(inside) }, r.stderr).toEqual({ code: 2, inside: [] });
  });

  it('is refused (exit 2) when the home is reached through a link and --to names its real path', async () => {
    const t = newTestHome();
    const ok = okRunner(t);
    await ok(INIT_ARGS);
    const homeLink = path.join(t.dir, 'home-link');
    fs.symlinkSync(t.home, homeLink);
    const env = { ...t.env, CUSTODY_HOME: homeLink };
    const r = await run(['backup', '--to', path.join(t.home, 'bk')], { env });
    expect({ code: r.code, made: fs.existsSync(path.join(t.home, 'bk')) }, r.stderr).toEqual({ code: 2, made: false });
  });
});
