/**
 * Walk a camera drive: every regular file under the root, in a deterministic order, without the
 * drive id file or anything outside the root; and every other entry met accounted for with a
 * reason, so that a drive later recorded over leaves a trace of all that was on it (policy §8).
 * Names an operating system uses (`lost+found`, `.Trashes`, `._x`, `Thumbs.db`) are walked like
 * any other and marked `system`: fsck puts recovered camera files in lost+found, a laptop's delete
 * moves them to .Trashes, so only the file's own bytes say whether it is camera media.
 *
 * A drive is untrusted input (policy §9): names may hold spaces, unicode, newlines or bytes that
 * are not UTF-8, folders may be deep or unreadable, links may point anywhere. Nothing here throws
 * for one bad entry; it is reported as a problem and the walk goes on (STYLE: partial failure is
 * visible).
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { DRIVE_ID_FILE } from './drives.js';
import { isUtf8, nameFromBytes } from './names.js';

export interface WalkEntry {
  /**
   * Path from the root, `/`-separated, exactly as named on the drive (not normalised), in the
   * lossless recorded form of `names.ts` (a name that is not valid UTF-8 is escaped).
   */
  relPath: string;
  /** The file's path: a string, or its raw bytes when a name on the way is not valid UTF-8. */
  absPath: string | Buffer;
  size: number;
  mtime: Date;
  /** Device and inode seen by the walk: the import opens the file and checks it is still this one. */
  dev: number;
  ino: number;
  /** Named like a file an operating system adds, or inside such a folder (`isSystemName`): flagged, never skipped. */
  system?: true;
}

export type WalkProblemKind =
  /** A folder that could not be listed (permissions, I/O error, vanished). */
  | 'unreadable-folder'
  /** A file whose details could not be read. */
  | 'unreadable-file'
  /** A symbolic link: never followed, so nothing outside the root is read. */
  | 'symlink'
  /** A FIFO, socket or device node. */
  | 'special-file'
  /** A folder on another file system mounted inside the drive. */
  | 'other-filesystem'
  /** Deeper than `maxDepth` (only when a limit is given). */
  | 'too-deep';

export interface WalkProblem {
  kind: WalkProblemKind;
  relPath: string;
  message: string;
  /** The errno code, when there was an error (`EACCES`, `EIO`, …). */
  code?: string;
  /** Where a symbolic link points (recorded form), never followed. */
  target?: string;
}

/** Entries that are not files to import and not problems: the folders and custody's id file. */
export type WalkNoteKind =
  /** A folder, entered (an operating system's folder too: its files are walked like any other). */
  | 'folder'
  /** custody's own drive id file (or a temporary file of it) at the root. */
  | 'drive-id';

export interface WalkNote {
  kind: WalkNoteKind;
  relPath: string;
  message: string;
}

/** The subset of `fs.promises` the walk uses; tests replace it to simulate failures. */
export interface WalkFs {
  readdir(p: Buffer, opts: { encoding: 'buffer' }): Promise<Buffer[]>;
  lstat(p: string | Buffer): Promise<Stats>;
  stat?(p: string | Buffer): Promise<Stats>;
  readlink?(p: string | Buffer, opts: { encoding: 'buffer' }): Promise<Buffer>;
}

export interface WalkOptions {
  /** Called for every problem as it is found (they are also collected in `problems`). */
  onProblem?: (p: WalkProblem) => void;
  /**
   * Folders deeper than this many levels below the root are not entered; each is reported as a
   * `too-deep` problem, which the import counts as a failure.
   * @default no limit — folders are walked with a stack, not recursion, so depth costs nothing;
   * a path too long for the OS comes back as an unreadable entry (a failure), never a silent gap.
   */
  maxDepth?: number;
  /** @internal for tests */
  fs?: WalkFs;
}

/** Folders Windows, macOS and fsck create on a removable drive (matched case-insensitively). */
export const SYSTEM_FOLDERS: readonly string[] = [
  'System Volume Information',
  '$RECYCLE.BIN',
  'RECYCLER',
  'RECYCLED',
  '.Trashes',
  '.Trash',
  '.Spotlight-V100',
  '.fseventsd',
  '.TemporaryItems',
  '.DocumentRevisions-V100',
  'lost+found',
];
const SYSTEM_FOLDER_SET = new Set(SYSTEM_FOLDERS.map((s) => s.toLowerCase()));
const SYSTEM_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '.metadata_never_index']);

/** True for a name an operating system uses: OS folders, `.DS_Store`, AppleDouble `._x` files (marked, not skipped). */
export function isSystemName(name: string, isDir: boolean): boolean {
  const lower = name.toLowerCase();
  if (isDir) return SYSTEM_FOLDER_SET.has(lower);
  return SYSTEM_FILES.has(lower) || name.startsWith('._');
}

/** True for the drive id file and its temporary files, at the root only. */
function isDriveIdName(name: string): boolean {
  return name === DRIVE_ID_FILE || (name.startsWith(`${DRIVE_ID_FILE}.`) && name.endsWith('.tmp'));
}

export interface DriveWalk extends AsyncIterable<WalkEntry> {
  /** Problems found so far; complete once iteration has finished. */
  readonly problems: WalkProblem[];
  /** The other entries met (folders, OS files, the drive id file); complete once iteration has finished. */
  readonly notes: WalkNote[];
  /** The root's device and inode as the walk saw them (a drive that vanished no longer matches). */
  readonly root: { path: string; dev?: number; ino?: number };
}

/** What a special file is, in words. */
function specialKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device node';
  if (st.isCharacterDevice()) return 'a character device node';
  return 'not a regular file';
}

const SEP = Buffer.from('/');

/**
 * Walk `root` depth-first in sorted order, yielding regular files and accounting for every other
 * entry (as a problem or a note). The order is the same on every run and every machine: entries
 * of a folder sorted by their bytes, files and folders interleaved, each folder's contents right
 * after its name. Names are read as bytes, so a name that is not valid UTF-8 is walked too.
 */
export function walkDrive(root: string, opts: WalkOptions = {}): DriveWalk {
  const problems: WalkProblem[] = [];
  const notes: WalkNote[] = [];
  const fs: WalkFs = opts.fs ?? (fsp as unknown as WalkFs);
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  const absRoot = path.resolve(root);
  const rootBytes = Buffer.from(absRoot);
  const rootInfo: DriveWalk['root'] = { path: absRoot };

  const report = (p: WalkProblem) => {
    problems.push(p);
    opts.onProblem?.(p);
  };
  const errInfo = (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    return {
      code: typeof err?.code === 'string' ? err.code : undefined,
      message: err instanceof Error ? err.message : String(e),
    };
  };
  /** The path to give the OS: a string when every byte is UTF-8, else the bytes themselves. */
  const osPath = (relBytes: Buffer): string | Buffer => {
    const full = relBytes.length ? Buffer.concat([rootBytes, SEP, relBytes]) : rootBytes;
    return isUtf8(full) ? full.toString('utf8') : full;
  };

  async function* walk(): AsyncGenerator<WalkEntry> {
    let rootStat: Stats;
    try {
      // The root itself may be reached through a link (macOS /tmp, a /media shortcut).
      rootStat = await (fs.stat ?? fs.lstat)(absRoot);
    } catch (e) {
      report({ kind: 'unreadable-folder', relPath: '', ...errInfo(e) });
      return;
    }
    if (!rootStat.isDirectory()) {
      report({ kind: 'unreadable-folder', relPath: '', code: 'ENOTDIR', message: `${absRoot} is not a folder` });
      return;
    }
    rootInfo.dev = rootStat.dev;
    rootInfo.ino = rootStat.ino;
    // A stack of folder listings instead of recursion: 12 or 700 levels cost the same.
    type Frame = { rel: Buffer; names: Buffer[]; i: number; depth: number; system: boolean };
    const open = async (rel: Buffer, depth: number, system = false): Promise<Frame | undefined> => {
      try {
        const names = await fs.readdir(rel.length ? Buffer.concat([rootBytes, SEP, rel]) : rootBytes, {
          encoding: 'buffer',
        });
        names.sort(Buffer.compare);
        return { rel, names, i: 0, depth, system };
      } catch (e) {
        report({ kind: 'unreadable-folder', relPath: nameFromBytes(rel), ...errInfo(e) });
        return undefined;
      }
    };
    const first = await open(Buffer.alloc(0), 0);
    if (!first) return;
    const stack: Frame[] = [first];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.i >= frame.names.length) {
        stack.pop();
        continue;
      }
      const nameBytes = frame.names[frame.i++]!;
      const relBytes = frame.rel.length ? Buffer.concat([frame.rel, SEP, nameBytes]) : nameBytes;
      const rel = nameFromBytes(relBytes);
      const name = nameFromBytes(nameBytes);
      const abs = osPath(relBytes);
      if (frame.depth === 0 && isDriveIdName(name)) {
        notes.push({ kind: 'drive-id', relPath: rel, message: "custody's drive id file" });
        continue;
      }
      // lstat, never stat: lstat does not follow a link.
      let st: Stats;
      try {
        st = await fs.lstat(abs);
      } catch (e) {
        report({ kind: 'unreadable-file', relPath: rel, ...errInfo(e) });
        continue;
      }
      if (st.isSymbolicLink()) {
        const target = await (fs.readlink ?? fsp.readlink)(abs, { encoding: 'buffer' }).then(
          (t) => nameFromBytes(t),
          () => undefined,
        );
        report({
          kind: 'symlink',
          relPath: rel,
          message: 'a symbolic link; not followed, so nothing outside the drive is read',
          ...(target !== undefined ? { target } : {}),
        });
        continue;
      }
      if (st.isDirectory()) {
        if (st.dev !== rootStat.dev) {
          report({
            kind: 'other-filesystem',
            relPath: rel,
            message: 'another file system is mounted here; not entered',
          });
          continue;
        }
        if (frame.depth + 1 > maxDepth) {
          report({ kind: 'too-deep', relPath: rel, message: `deeper than ${maxDepth} folders; not entered` });
          continue;
        }
        const system = frame.system || isSystemName(name, true);
        const child = await open(relBytes, frame.depth + 1, system);
        if (child) {
          notes.push({
            kind: 'folder',
            relPath: rel,
            message: `a folder of ${child.names.length} entries${system && !frame.system ? " (an operating system's folder: its files are read like any other)" : ''}`,
          });
          stack.push(child);
        }
        continue;
      }
      if (!st.isFile()) {
        report({ kind: 'special-file', relPath: rel, message: `${specialKind(st)}; not read` });
        continue;
      }
      const system = frame.system || isSystemName(name, false);
      yield {
        relPath: rel,
        absPath: abs,
        size: st.size,
        mtime: st.mtime,
        dev: st.dev,
        ino: st.ino,
        ...(system ? { system: true as const } : {}),
      };
    }
  }

  return {
    problems,
    notes,
    root: rootInfo,
    [Symbol.asyncIterator]: () => walk(),
  };
}
