/**
 * Where a command may write what people take away (bags, receipts, reports, certificates,
 * notices, witness files, kept documents, backups): the one rule, for every path a user names.
 *
 * - Never inside the home, nor a folder that holds it. Real paths are compared (fs.realpath of the
 *   nearest existing ancestor), so a link into the home, or a home reached through a link, does not
 *   slip by: a decrypted image written into the home would ride in every backup, beyond any purge,
 *   and a report named after a file of the home would replace it (exit 2).
 * - Never over an existing file, unless the command documents that it replaces its own earlier
 *   output (`replace`: then the file is replaced by a rename, never written through a link) (exit 6).
 *
 * Folders: the caller keeps its own rule for what may already be in one (a bag wants a new or
 * empty folder, a backup its own earlier backup).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import { chmodOutputSync, fsyncDir, makeOutputDir, type OutputMode, PRIVATE_OUTPUT } from './fsutil.js';
import { HOME_FORMAT } from './home.js';

export interface OutputTarget {
  /** What is written, for the message: "the receipt", "the backup folder". */
  what: string;
  /** The flag that names it, for the hint: "--receipt", "--to". */
  flag: string;
  kind: 'file' | 'dir';
  /** The command documents that it replaces its own earlier file of this name. */
  replace?: boolean;
}

/** The real path of `p`: its nearest existing ancestor resolved through every link, then the rest. */
export function realPathOf(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...rest.reverse());
    } catch {
      const up = path.dirname(at);
      if (up === at) return path.join(at, ...rest.reverse());
      rest.push(path.basename(at));
      at = up;
    }
  }
}

const foldsCase = process.platform === 'darwin' || process.platform === 'win32';
const norm = (p: string) => (foldsCase ? p.normalize('NFC').toLowerCase() : p);

function within(inner: string, outer: string): boolean {
  const a = norm(inner);
  const b = norm(outer);
  return a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);
}

/**
 * Check a path a user named for output against the rule above; returns it absolute (as given,
 * not resolved through links, so messages show what was typed).
 */
export function checkOutput(homeDir: string, p: string, t: OutputTarget): string {
  const target = path.resolve(p);
  const real = realPathOf(target);
  const home = realPathOf(homeDir);
  if (within(real, home) || within(home, real))
    throw new CustodyError(
      'usage',
      `${t.what[0]!.toUpperCase()}${t.what.slice(1)} ${target}${real !== target ? ` (really ${real})` : ''} ${within(real, home) ? 'is inside' : 'holds'} the home ${home}; nothing was written.`,
      `Pass ${t.flag} with a path outside the home (custody writes nothing of its own output there).`,
    );
  if (t.kind === 'file') {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(target);
    } catch {
      st = undefined;
    }
    if (st && !(t.replace && st.isFile()))
      throw new CustodyError(
        'conflict',
        `${target} already exists${st.isFile() ? '' : ' (not a regular file)'}; nothing was written.`,
        `Pass ${t.flag} with a new file name; custody does not overwrite ${t.what}.`,
      );
  }
  return target;
}

/** Make a folder for output (checked by the rule above). Returns it absolute. */
export function makeOutputFolder(
  homeDir: string,
  dir: string,
  t: Omit<OutputTarget, 'kind' | 'replace'>,
  mode: OutputMode = PRIVATE_OUTPUT,
): string {
  const d = checkOutput(homeDir, dir, { ...t, kind: 'dir' });
  makeOutputDir(d, mode);
  return d;
}

/**
 * Write an output file (checked by the rule above) with exactly its mode: created new (O_EXCL, so
 * a file or link that appears meanwhile is not written through), or with `replace` written to a
 * temporary file and renamed over the earlier one. Returns it absolute.
 */
export function writeOutput(
  homeDir: string,
  file: string,
  data: Uint8Array | string,
  t: Omit<OutputTarget, 'kind'>,
  mode: OutputMode = PRIVATE_OUTPUT,
): string {
  const f = checkOutput(homeDir, file, { ...t, kind: 'file' });
  const tmp = t.replace ? path.join(path.dirname(f), `.${path.basename(f)}.${process.pid}.tmp`) : f;
  try {
    makeOutputDir(path.dirname(f), mode);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message;
    throw new CustodyError('io', `Writing ${t.what} ${f} failed: its folder cannot be made (${why}).`, undefined, {
      cause: e,
    });
  }
  let opened = false;
  try {
    const fd = fs.openSync(tmp, 'wx', mode.file);
    opened = true;
    try {
      chmodOutputSync(fd, mode.file);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (tmp !== f) fs.renameSync(tmp, f);
    fsyncDir(path.dirname(f));
  } catch (e) {
    // What this call created and could not finish is removed; nothing else is touched.
    if (opened) fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'EEXIST')
      throw new CustodyError(
        'conflict',
        `${f} already exists; nothing was written.`,
        `Pass ${t.flag} with a new file name.`,
        {
          cause: e,
        },
      );
    throw new CustodyError(
      'io',
      `Writing ${t.what} ${f} failed: ${err?.code ?? err?.message ?? String(e)}.`,
      undefined,
      {
        cause: e,
      },
    );
  }
  return f;
}

/**
 * Before a step that cannot be undone (a purge destroys before it certifies): the output `p` can
 * be written now — a folder named exists as a folder this process may write in, or its nearest
 * existing ancestor is one (a file in the way, or a folder it may not write in, is exit 2 with
 * nothing done). Returns it absolute.
 */
export function checkWritable(homeDir: string, p: string, t: OutputTarget): string {
  const target = checkOutput(homeDir, p, t);
  let at = t.kind === 'file' ? path.dirname(target) : target;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(at);
    } catch {
      st = undefined;
    }
    if (st) {
      let writable = st.isDirectory();
      if (writable)
        try {
          fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
        } catch {
          writable = false;
        }
      if (writable) return target;
      throw new CustodyError(
        'usage',
        `${t.what[0]!.toUpperCase()}${t.what.slice(1)} ${target} cannot be written: ${at} is ${st.isDirectory() ? 'a folder this user may not write in' : 'not a folder'}; nothing was done.`,
        `Pass ${t.flag} with a place custody can write to.`,
      );
    }
    const up = path.dirname(at);
    if (up === at) return target;
    at = up;
  }
}

/**
 * The custody home at `p` or holding it, by real paths: the nearest folder from `p` upward whose
 * home.json says it is a custody home (`format: "custody-home"`); undefined when there is none.
 */
export function homeHolding(p: string): string | undefined {
  let at = realPathOf(p);
  for (;;) {
    try {
      const json = JSON.parse(fs.readFileSync(path.join(at, 'home.json'), 'utf8')) as { format?: unknown };
      if (json?.format === HOME_FORMAT) return at;
    } catch {
      // no home.json here, or not a home's
    }
    const up = path.dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/**
 * A new home (`init`, `restore --from`) is never made inside another custody home, by real paths:
 * it would ride in the outer home's backups as plain files, its keys with them, beyond any purge of
 * its own (exit 2, nothing written). Returns it absolute.
 */
export function checkNotInsideHome(p: string): string {
  const target = path.resolve(p);
  const real = realPathOf(target);
  const outer = homeHolding(path.dirname(real));
  if (outer)
    throw new CustodyError(
      'usage',
      `The new home ${target}${real !== target ? ` (really ${real})` : ''} is inside the home ${outer}; nothing was written.`,
      'Pass --home with a new folder outside every custody home (a home inside another rides in its backups).',
    );
  return target;
}

/**
 * The folder a new home is made in from a backup (`restore --from DIR --home NEW`) is held to the
 * same rule as every output: never inside a custody home (a home inside another rides in its
 * backups, with the keys of days the outer home has since purged), nor inside the backup folder it
 * comes from or holding it, by real paths (exit 2); and it is a new or empty folder, never an
 * existing file, link or folder with anything in it (exit 6). Returns it absolute.
 */
export function checkNewHome(backupDir: string, p: string): string {
  const target = checkNotInsideHome(p);
  const real = realPathOf(target);
  const really = real !== target ? ` (really ${real})` : '';
  const backup = realPathOf(backupDir);
  if (within(real, backup) || within(backup, real))
    throw new CustodyError(
      'usage',
      `The new home ${target}${really} ${within(real, backup) ? 'is inside' : 'holds'} the backup folder ${backup}; nothing was written.`,
      'Pass --home with a new folder outside the backup folder (on the disk the home is to live on).',
    );
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(target);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory())
    throw new CustodyError(
      'conflict',
      `Refusing to restore into ${target}: it exists and is not a folder${st.isSymbolicLink() ? ' (a link)' : ''}; nothing was written.`,
      'Name a new or empty folder with --home; custody does not overwrite a file.',
    );
  if (st && fs.readdirSync(target).length > 0)
    throw new CustodyError(
      'conflict',
      `Refusing to restore into ${target}: the folder is not empty.`,
      'Name a new or empty folder with --home; an existing home is never written over.',
    );
  return target;
}

/**
 * A drive to read (`import`, `swap`, `drive enrol --source`) is never the home, a folder inside it
 * or a folder holding it, by real paths: the home's own files are not camera media, and enrolling
 * it would write a drive id file into the home (exit 2, nothing read or written). Returns it absolute.
 */
export function checkSourceOutsideHome(homeDir: string, source: string): string {
  const target = path.resolve(source);
  const real = realPathOf(target);
  const home = realPathOf(homeDir);
  if (within(real, home) || within(home, real))
    throw new CustodyError(
      'usage',
      `${target}${real !== target ? ` (really ${real})` : ''} ${real === home ? 'is' : within(real, home) ? 'is inside' : 'holds'} the home ${home}, not a camera drive; nothing was read or written.`,
      'Give --source the folder where the camera drive is mounted.',
    );
  return target;
}
