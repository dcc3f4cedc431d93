/**
 * Attack (c): decrypted images exported into the home ride in every backup, where no purge reaches
 * them. exportTarget (src/operations/images.ts) and writeBag accept a new folder inside the home
 * (backup refuses one: prepareLocation); homeFiles (src/ledger/home.ts) then copies every file of
 * the home, so `custody backup` stores the plaintext JPEGs as objects (named by the very SHA-256 the
 * ledger records for each image), outside the crypto-shredding a purge relies on (policy §8).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { endExiftool } from '../../src/media/exif.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, ROOT, run, tmpDir } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T00:00:00.000-08:00');

afterAll(async () => {
  await endExiftool();
});

function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) =>
    fs.statSync(path.join(root, f)).isFile(),
  );
}

describe('image export --to a folder inside the home', () => {
  it('is refused, or at least no plaintext image reaches a backup', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    const imp = JSON.parse((await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json'])).stdout);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-10-01', '--to', '2026-11-05', '--json'))).stdout,
    ) as { id: string };
    const image = `${imp.batch}:1`;
    const inside = path.join(t.home, 'exports', req.id);
    const r = await run(['image', 'export', image, '--request', req.id, '--to', inside], { env: t.env, clock });
    if (r.code !== 0) {
      expect(r.code).toBe(2);
      expect(fs.existsSync(inside)).toBe(false);
      return;
    }
    const plain = filesUnder(path.join(inside, 'data'));
    expect(plain.length).toBe(1);
    const jpegSha = (await import('node:crypto'))
      .createHash('sha256')
      .update(fs.readFileSync(path.join(inside, 'data', plain[0]!)))
      .digest('hex');
    const bk = path.join(tmpDir(), 'backup');
    await ok(['backup', '--to', bk]);
    const objects = filesUnder(path.join(bk, 'objects')).map((f) => path.basename(f));
    expect(objects, 'the backup holds the decrypted image as an object').not.toContain(jpegSha);
  }, 180_000);
});
