/**
 * Attack (c)/(d): a drive handed over with a file on it that the import never saw. rereadDrive
 * (src/operations/release.ts) re-hashes only the files the import recorded; a file added to the
 * drive since (planted, or any other data) goes to the agency unlisted, and the receipt certifies
 * the drive "Unaltered".
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

describe('a drive release with a file added to the drive after its import', () => {
  it('is refused, or the receipt lists the file: never "unaltered" with the file unlisted', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse((await ok(ecsoRequest('--drive', 'D001', '--json'))).stdout) as { id: string };
    // Someone puts a file on the stored drive before it is handed over.
    fs.writeFileSync(path.join(drive, 'DCIM', '100CAM', 'NOTES.TXT'), 'not from the camera\n');
    const receipt = path.join(tmpDir(), 'r.pdf');
    const r = await run(
      ['release', '--request', req.id, '--drive', 'D001', '--source', drive, '--receipt', receipt, '--json'],
      {
        env: t.env,
        clock,
      },
    );
    if (r.code === 0) {
      const { execFileSync } = await import('node:child_process');
      const text = execFileSync('pdftotext', [receipt, '-']).toString();
      expect(text, 'the receipt names the file handed over').toMatch(/NOTES\.TXT/);
    } else {
      expect(r.code).toBe(8);
      expect(fs.existsSync(receipt)).toBe(false);
    }
  }, 180_000);
});
