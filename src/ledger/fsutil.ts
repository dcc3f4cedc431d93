/** Durable file writes: temporary file, fsync, rename over the old file, fsync the folder. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from './lock.js';
import { CustodyError } from '../core/errors.js';

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems (and Windows) cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Map a Node file-system error to a coded error with a plain sentence. */
export function ioError(e: unknown, what: string): CustodyError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC')
    return new CustodyError(
      'io',
      `The disk is full while ${what}.`,
      'Free some space where the home lives, then run the command again; nothing stored was lost.',
      { cause: e },
    );
  if (err?.code === 'EACCES' || err?.code === 'EPERM')
    return new CustodyError(
      'io',
      `Permission denied while ${what} (${err.path ?? ''}).`,
      'Check the owner and permissions of the home folder.',
      { cause: e },
    );
  if (err?.code === 'EIO' || err?.code === 'ENXIO' || err?.code === 'ENODEV')
    return new CustodyError(
      'io',
      `The device stopped answering while ${what}.`,
      'Was the drive pulled out? Plug it back in and run the command again; it resumes.',
      { cause: e },
    );
  if (e instanceof CustodyError) return e;
  return new CustodyError('io', `Could not complete ${what}: ${err?.message ?? String(e)}`, undefined, { cause: e });
}

/**
 * Write `data` to `file` atomically. With `keep > 0` the replaced file is kept as `file.1`,
 * older ones shifted up to `file.<keep>`.
 */
export function writeFileAtomic(
  file: string,
  data: Uint8Array | string,
  opts: { keep?: number; mode?: number } = {},
): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  // The generations are rotated before the rename and put back if it fails: the oldest is set
  // aside (not overwritten) until the new file is in place, so a failed write changes nothing.
  const keep = opts.keep ?? 0;
  const oldest = `${file}.${keep}`;
  const aside = path.join(dir, `.${path.basename(file)}.${keep}.${process.pid}.old`);
  let setAside = false;
  const moved: [string, string][] = [];
  let linked = false;
  let replaced = false;
  try {
    const fd = fs.openSync(tmp, 'w', opts.mode ?? 0o600);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (keep > 0 && fs.existsSync(file)) {
      if (fs.existsSync(oldest)) {
        fs.renameSync(oldest, aside);
        setAside = true;
      }
      for (let g = keep - 1; g >= 1; g--) {
        const from = `${file}.${g}`;
        if (fs.existsSync(from)) {
          fs.renameSync(from, `${file}.${g + 1}`);
          moved.push([from, `${file}.${g + 1}`]);
        }
      }
      // A hard link keeps the current file in place until the rename below replaces it,
      // so there is no moment at which `file` is missing.
      try {
        fs.linkSync(file, `${file}.1`);
      } catch {
        fs.copyFileSync(file, `${file}.1`);
      }
      linked = true;
    }
    fs.renameSync(tmp, file);
    replaced = true;
    fsyncDir(dir);
  } catch (e) {
    if (!replaced) undoRotation(file, linked, moved, setAside ? [aside, oldest] : undefined);
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    throw ioError(e, `saving ${path.basename(file)}`);
  }
  if (setAside) fs.rmSync(aside, { force: true });
}

/** Put the generations back as they were before a write whose rename failed (best effort, in reverse). */
function undoRotation(file: string, linked: boolean, moved: [string, string][], aside?: [string, string]): void {
  try {
    if (linked) fs.rmSync(`${file}.1`, { force: true });
    for (const [from, to] of [...moved].reverse()) fs.renameSync(to, from);
    if (aside) fs.renameSync(aside[0], aside[1]);
  } catch {
    /* what could not be put back stays where it is; the error that caused this is reported */
  }
}

/**
 * Undo the last `writeFileAtomic(file, …, { keep })`: generation 1 goes back into place and the
 * older ones move down (the oldest kept before that write is gone: it was rotated out).
 */
export function undoAtomicWrite(file: string, keep: number): void {
  if (!fs.existsSync(`${file}.1`)) return;
  fs.renameSync(`${file}.1`, file);
  for (let g = 2; g <= keep; g++) {
    const from = `${file}.${g}`;
    if (fs.existsSync(from)) fs.renameSync(from, `${file}.${g - 1}`);
  }
  fsyncDir(path.dirname(file));
}

/** A temporary file of `writeFileAtomic` (`.name.<pid>.tmp`) or of the store (`.<pid>-<n>.tmp`). */
const LEFTOVER_TEMP = /^\..+\.tmp$/;

/**
 * Remove the temporary files an interrupted save left in `dirs` (not their subfolders). Only to
 * be called with the home's lock held: no other process of ours is writing then. A file that
 * cannot be removed is left (the next log-in tries again). Returns the paths removed.
 */
export function removeLeftoverTemps(dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // a folder the home does not have (yet)
    }
    for (const d of names) {
      if (!d.isFile() || !LEFTOVER_TEMP.test(d.name)) continue;
      // Another custody process may be writing it now (the lock is held only to commit).
      const pid = Number(/^\.(?:.+\.)?(\d+)(?:-\d+)?\.tmp$/.exec(d.name)?.[1]);
      if (pid && pid !== process.pid && processAlive(pid)) continue;
      const f = path.join(dir, d.name);
      try {
        fs.rmSync(f);
        removed.push(f);
      } catch {
        /* left for the next log-in */
      }
    }
  }
  return removed;
}

export function appendLineDurable(file: string, line: string): void {
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** SHA-256 of a file's bytes, read as a stream (files of any size). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The permissions of what custody writes for people to take away (bags, receipts, certificates,
 * reports): only the owner, unless `--mode` asks otherwise. Set exactly (chmod), whatever the umask.
 */
export interface OutputMode {
  file: number;
  dir: number;
}

export const PRIVATE_OUTPUT: OutputMode = { file: 0o600, dir: 0o700 };

/** A file mode (`--mode 640`) and the folder mode that goes with it (search where read is given: 750). */
export function outputModeOf(file: number): OutputMode {
  return { file, dir: file | ((file & 0o444) >> 2) };
}

/**
 * A chmod the file system cannot do: it keeps no modes of its own (FAT and exFAT sticks, the usual
 * thing a bag is handed over on: ENOSYS or ENOTSUP through FUSE, EPERM from the kernel's vfat for a
 * mode its mount masks do not give). What custody wrote there then has what the mount gives.
 */
export function modeNotKept(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSYS' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM';
}

/** Set an output's mode exactly (a path, or an open file descriptor), unless its file system keeps none. */
export function chmodOutputSync(target: string | number, mode: number): void {
  try {
    if (typeof target === 'number') fs.fchmodSync(target, mode);
    else fs.chmodSync(target, mode);
  } catch (e) {
    if (!modeNotKept(e)) throw e;
  }
}

/** Create a folder for output (and any missing parent, with the same mode). */
export function makeOutputDir(dir: string, mode: OutputMode = PRIVATE_OUTPUT): void {
  const created = fs.mkdirSync(dir, { recursive: true, mode: mode.dir });
  if (created) chmodOutputSync(dir, mode.dir);
}

/** Write an output file with exactly its mode; it must not exist yet unless `replace`. */
export function writeOutputFile(
  file: string,
  data: Uint8Array | string,
  mode: OutputMode = PRIVATE_OUTPUT,
  o: { replace?: boolean } = {},
): void {
  makeOutputDir(path.dirname(file), mode);
  const fd = fs.openSync(file, o.replace ? 'w' : 'wx', mode.file);
  try {
    chmodOutputSync(fd, mode.file);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
