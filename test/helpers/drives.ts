/**
 * A small camera drive for tests that need real camera files (real EXIF written by exiftool) but
 * not many: the Acme camera of the fixtures, recording from 1 September 2026 in Los Angeles.
 */
import path from 'node:path';
import { type FixtureDriveOptions, type FixtureManifest, makeFixtureDrive } from '../../tools/fixture-drive.js';
import { tmpDir } from './cli.js';

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
