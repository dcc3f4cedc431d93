/**
 * What a drive holds, quickly (policy §8: a drive is recorded over only once what it holds is
 * kept): the images and clips on it by name and size, found by their first bytes. Only read.
 */
import { constants } from 'node:fs';
import fsp from 'node:fs/promises';
import { sniffMedia } from './sniff.js';
import { walkDrive } from './walk.js';

export interface MediaOnDrive {
  relPath: string;
  size: number;
}

const HEAD_BYTES = 32;

async function head(file: string | Buffer): Promise<Buffer> {
  // Never through a link swapped in after the walk, never blocking on a FIFO.
  const fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Every image or clip on the drive at `root` (files that cannot be read count: they may be). */
export async function mediaOnDrive(root: string): Promise<MediaOnDrive[]> {
  const out: MediaOnDrive[] = [];
  for await (const e of walkDrive(root)) {
    if (e.size === 0) continue;
    const h = await head(e.absPath).catch(() => undefined);
    if (h === undefined || sniffMedia(h)) out.push({ relPath: e.relPath, size: e.size });
  }
  return out;
}
