/**
 * A small camera drive for tests that need real camera files (real EXIF written by exiftool) but
 * not many: the Acme camera of the fixtures, recording from 1 September 2026 in Los Angeles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type FixtureDriveOptions, type FixtureManifest, makeFixtureDrive } from '../../tools/fixture-drive.js';
import { ROOT, tmpDir } from './cli.js';

export type SmallDriveOptions = Pick<FixtureDriveOptions, 'seed' | 'days' | 'perDay' | 'imageBytes'> &
  Partial<FixtureDriveOptions>;

/** Write the drive into a new folder named by `prefix` (makeFixtureDrive starts and ends its own exiftool). */
export async function smallCameraDrive(
  prefix: string,
  o: SmallDriveOptions,
): Promise<{ dir: string; manifest: FixtureManifest }> {
  const dir = path.join(tmpDir(prefix), 'drive');
  const manifest = await makeFixtureDrive(dir, {
    camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-0001' },
    start: new Date('2026-09-01T19:00:00Z'),
    timeZone: 'America/Los_Angeles',
    ...o,
  });
  return { dir, manifest };
}

/**
 * The bundled demo drive, copied into the test's folder, imported (and enrolled) for camera CAM-01,
 * which this adds first (at Main St, installed 1 October 2026). Returns the batch id.
 */
export async function importDemoDrive(
  t: { dir: string },
  ok: (args: string[]) => Promise<{ stdout: string }>,
): Promise<string> {
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  const out = await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  return (JSON.parse(out.stdout) as { batch: string }).batch;
}
