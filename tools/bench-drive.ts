/**
 * The benchmarks' generated drive: real camera frames with their EXIF (from the fixture-drive
 * generator), each made unique and brought to size by a JPEG comment segment after APP1. `tiny`
 * keeps only a frame's EXIF header and an end marker (about 1 KB: the per-file cost).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeFixtureDrive } from './fixture-drive.js';

export async function writeBenchDrive(
  drive: string,
  o: { seedDir: string; files: number; kb: number; tiny?: boolean },
): Promise<void> {
  const seed = await makeFixtureDrive(o.seedDir, {
    seed: 1,
    camera: { make: 'Acme', model: 'LPR-2', serial: 'AC-1' },
    start: new Date('2026-11-01T12:00:00Z'),
    days: 2,
    perDay: 20,
    timeZone: 'America/Los_Angeles',
  });
  const frames = seed.files
    .filter((f) => f.kind === 'image')
    .map((f) => fs.readFileSync(path.join(o.seedDir, f.relPath)));
  for (let i = 0; i < o.files; i++) {
    const src = frames[i % frames.length]!;
    const cut = 4 + src.readUInt16BE(4);
    const parts: Buffer[] = [src.subarray(0, cut)];
    for (let left = o.tiny ? 16 : Math.max(16, o.kb * 1000 - src.length); left > 0; left -= 65_000) {
      const n = Math.min(65_000, left);
      const seg = Buffer.alloc(4);
      seg.writeUInt16BE(0xfffe, 0);
      seg.writeUInt16BE(n + 2, 2);
      parts.push(seg, randomBytes(n));
    }
    parts.push(o.tiny ? Buffer.from([0xff, 0xd9]) : src.subarray(cut));
    const dir = path.join(drive, 'DCIM', `${100 + Math.floor(i / 1000)}CAM`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `IMG_${String(i).padStart(5, '0')}.JPG`), Buffer.concat(parts));
  }
}
