/**
 * Walk a camera drive: every regular file under the root, in a deterministic order, without
 * the drive id file, the folders operating systems add, or anything outside the root.
 *
 * A drive is untrusted input (policy §9): names may hold spaces, unicode or newlines, folders
 * may be deep or unreadable, links may point anywhere. Nothing here throws for one bad entry;
 * it is reported as a problem and the walk goes on (STYLE: partial failure is visible).
 */
import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { DRIVE_ID_FILE } from './drives.js';

export interface WalkEntry {
  /** Path from the root, `/`-separated, exactly as named on the drive (not normalised). */
  relPath: string;
  absPath: string;
  size: number;
  mtime: Date;
}

export type WalkProblemKind =
  /** A folder that could not be listed (permissions, I/O error, vanished). */
  | 'unreadable-folder'
  /** A file whose details could not be read. */
  | 'unreadable-file'
  /** A symbolic link: never followed, so nothing outside the root is read. */
  | 'symlink'
  /** A fifo, socket or device node. */
  | 'special-file'
  /** A folder on another file system mounted inside the drive. */
  | 'other-filesystem'
  /** Deeper than `maxDepth`. */
  | 'too-deep';

export interface WalkProblem {
  kind: WalkProblemKind;
  relPath: string;
  message: string;
  /** The errno code, when there was an error (`EACCES`, `EIO`, …). */
  code?: string;
}

/** The subset of `fs.promises` the walk uses; tests replace it to simulate failures. */
export interface WalkFs {
  readdir(p: string, opts: { withFileTypes: true }): Promise<Dirent[]>;
  lstat(p: string): Promise<Stats>;
  stat?(p: string): Promise<Stats>;
}

export interface WalkOptions {
  /** Called for every problem as it is found (they are also collected in `problems`). */
  onProblem?: (p: WalkProblem) => void;
  /**
   * Folders deeper than this many levels below the root are not entered (reported).
   * @default 64 — a camera writes two or three levels; 64 stops a pathological drive.
   */
  maxDepth?: number;
  /** Also skip the names the OS adds (see `isSystemName`). @default true */
  skipSystem?: boolean;
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

/** True for a name the tool never imports: OS folders, `.DS_Store`, AppleDouble `._x` files. */
export function isSystemName(name: string, isDir: boolean): boolean {
  const lower = name.toLowerCase();
  if (isDir) return SYSTEM_FOLDER_SET.has(lower);
  return SYSTEM_FILES.has(lower) || name.startsWith('._');
}

/** True for the drive id file and its temporary files, at the root only. */
function isDriveIdName(name: string): boolean {
  return name === DRIVE_ID_FILE || (name.startsWith(`${DRIVE_ID_FILE}.`) && name.endsWith('.tmp'));
}

/** Byte-wise order of names (UTF-16 code units), independent of locale and of the OS. */
function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface DriveWalk extends AsyncIterable<WalkEntry> {
  /** Problems found so far; complete once iteration has finished. */
  readonly problems: WalkProblem[];
}

/**
 * Walk `root` depth-first in sorted order, yielding regular files. The order is the same on
 * every run and every machine: entries of a folder sorted by name, files and folders
 * interleaved by name, each folder's contents right after its name.
 */
export function walkDrive(root: string, opts: WalkOptions = {}): DriveWalk {
  const problems: WalkProblem[] = [];
  const fs: WalkFs = opts.fs ?? (fsp as unknown as WalkFs);
  const maxDepth = opts.maxDepth ?? 64;
  const skipSystem = opts.skipSystem ?? true;
  const absRoot = path.resolve(root);

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
    // A stack of folder iterators instead of recursion: 12 or 64 levels cost the same.
    type Frame = { rel: string; entries: Dirent[]; i: number; depth: number };
    const open = async (rel: string, depth: number): Promise<Frame | undefined> => {
      try {
        const entries = await fs.readdir(rel ? path.join(absRoot, rel) : absRoot, { withFileTypes: true });
        entries.sort(byName);
        return { rel, entries, i: 0, depth };
      } catch (e) {
        report({ kind: 'unreadable-folder', relPath: rel, ...errInfo(e) });
        return undefined;
      }
    };
    const first = await open('', 0);
    if (!first) return;
    const stack: Frame[] = [first];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.i >= frame.entries.length) {
        stack.pop();
        continue;
      }
      const ent = frame.entries[frame.i++]!;
      const name = ent.name;
      const rel = frame.rel ? `${frame.rel}/${name}` : name;
      const abs = path.join(absRoot, rel);
      if (frame.depth === 0 && isDriveIdName(name)) continue;
      // lstat, not the Dirent type: a Dirent may say "unknown" on some file systems, and
      // lstat never follows a link.
      let st: Stats;
      try {
        st = await fs.lstat(abs);
      } catch (e) {
        report({ kind: ent.isDirectory() ? 'unreadable-folder' : 'unreadable-file', relPath: rel, ...errInfo(e) });
        continue;
      }
      if (st.isSymbolicLink()) {
        report({ kind: 'symlink', relPath: rel, message: 'symbolic link not followed' });
        continue;
      }
      if (st.isDirectory()) {
        if (skipSystem && isSystemName(name, true)) continue;
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
        const child = await open(rel, frame.depth + 1);
        if (child) stack.push(child);
        continue;
      }
      if (!st.isFile()) {
        report({ kind: 'special-file', relPath: rel, message: 'not a regular file' });
        continue;
      }
      if (skipSystem && isSystemName(name, false)) continue;
      yield { relPath: rel, absPath: abs, size: st.size, mtime: st.mtime };
    }
  }

  return {
    problems,
    [Symbol.asyncIterator]: () => walk(),
  };
}
