/**
 * A release in flight (policy §5; Civ. Code 1798.90.52: a disclosure is never off the record).
 *
 * A release writes its bag and its receipt under `.partial` names next to where they go, records
 * the release in the ledger, and only then moves them into place. Before the first decrypted byte
 * is written, a note in the home's `pending/` folder names the release and both places, so that
 * whatever stops the process finds its way back:
 * - an error, or Ctrl-C (`abandonActive`, called by the SIGINT handler), before the commit: the
 *   `.partial` files are removed (nothing was handed over, nothing is recorded);
 * - Ctrl-C after the commit: the `.partial` files are moved into place;
 * - a kill: the next log-in (`operations/release.ts settlePendingReleases`) does one or the
 *   other, from whether the ledger records the release, and says which.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from './fsutil.js';
import type { Home } from './home.js';
import { processAlive } from './lock.js';

export interface PendingRelease {
  /** The receipt number the release is recorded under. */
  receipt: string;
  /** The bag's folder (an export), or null (a drive). */
  bag: string | null;
  /** The receipt's file. */
  receiptFile: string;
  pid: number;
  startedAt: string;
}

/** Where an output is written before the release is recorded. */
export function partialOf(p: string): string {
  return `${p}.partial`;
}

function pendingDir(home: Home): string {
  return path.join(home.dir, 'pending');
}

/** One release in flight in this process. */
export class PendingOutput {
  private state: 'writing' | 'recorded' | 'done' = 'writing';
  constructor(
    readonly file: string,
    readonly note: PendingRelease,
  ) {}

  /** The release is recorded: from now on an interruption moves the outputs into place. */
  recorded(): void {
    this.state = 'recorded';
  }

  /**
   * Not recorded: remove what was written under `.partial` names (and the note). Returns what was
   * removed, and what could not be (then the note stays, for the next log-in to retry).
   */
  abandon(): { removed: string[]; left: string[] } {
    const r = removePartials(this.note);
    if (!r.left.length) this.drop();
    return r;
  }

  /** Recorded: move the outputs into place (and drop the note); throws if one cannot be moved. */
  finish(): void {
    movePartials(this.note);
    this.drop();
  }

  /** What the SIGINT handler does: abandon before the record, finish after it. Never throws. */
  interrupt(): void {
    try {
      if (this.state === 'writing') this.abandon();
      else if (this.state === 'recorded') this.finish();
    } catch {
      /* the note stays: the next log-in settles it */
    }
  }

  private drop(): void {
    this.state = 'done';
    active.delete(this);
    fs.rmSync(this.file, { force: true });
  }
}

const active = new Set<PendingOutput>();

/** Note a release in flight (durably, before anything is written) and track it in this process. */
export function beginPending(home: Home, o: Omit<PendingRelease, 'pid'>): PendingOutput {
  const note: PendingRelease = { ...o, pid: process.pid };
  const dir = pendingDir(home);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${o.receipt}.${process.pid}.json`);
  writeFileAtomic(file, `${JSON.stringify(note)}\n`);
  const p = new PendingOutput(file, note);
  active.add(p);
  return p;
}

/** Ctrl-C: every release in flight in this process abandoned or finished (synchronous). */
export function abandonActive(): void {
  for (const p of [...active]) p.interrupt();
}

/** The notes of releases in flight that no live process owns (a process killed, a restore). */
export function strandedReleases(home: Home): { file: string; note: PendingRelease }[] {
  const dir = pendingDir(home);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { file: string; note: PendingRelease }[] = [];
  for (const n of names.sort()) {
    const file = path.join(dir, n);
    try {
      const note = JSON.parse(fs.readFileSync(file, 'utf8')) as PendingRelease;
      if (note.pid !== process.pid && processAlive(note.pid)) continue;
      if ([...active].some((a) => a.file === file)) continue;
      out.push({ file, note });
    } catch {
      // A note cut short (killed while writing it): nothing was written after it; drop it.
      fs.rmSync(file, { force: true });
    }
  }
  return out;
}

/** Drop a settled note. */
export function dropNote(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Remove a release's `.partial` outputs (a bag folder only if it is a bag of ours). */
export function removePartials(note: PendingRelease): { removed: string[]; left: string[] } {
  const removed: string[] = [];
  const left: string[] = [];
  const targets = [...(note.bag ? [partialOf(note.bag)] : []), partialOf(note.receiptFile)];
  for (const p of targets) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch (e) {
      // Gone already, or its disk is not mounted: then it cannot be checked here.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(path.dirname(p))) left.push(p);
      continue;
    }
    try {
      fs.rmSync(p, { recursive: st.isDirectory(), force: true });
      fsyncDir(path.dirname(p));
      removed.push(p);
    } catch {
      left.push(p);
    }
  }
  return { removed, left };
}

/**
 * Move a recorded release's `.partial` outputs into place: the bag folder by a rename (into a
 * missing or empty folder), the receipt by a link (never over a file that appeared meanwhile).
 * What is already in place is left. Throws naming what could not be moved.
 */
export function movePartials(note: PendingRelease): void {
  if (note.bag) {
    const from = partialOf(note.bag);
    if (fs.existsSync(from)) {
      if (fs.existsSync(note.bag) && fs.readdirSync(note.bag).length === 0) fs.rmdirSync(note.bag);
      fs.renameSync(from, note.bag);
      fsyncDir(path.dirname(note.bag));
    } else if (!fs.existsSync(note.bag)) throw Object.assign(new Error(`${from} is missing`), { code: 'ENOENT' });
  }
  const from = partialOf(note.receiptFile);
  if (fs.existsSync(from)) {
    try {
      fs.linkSync(from, note.receiptFile);
      fs.rmSync(from);
    } catch (e) {
      // A file system without hard links (FAT, exFAT on a USB drive): a rename, the file checked absent first.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' || fs.existsSync(note.receiptFile)) throw e;
      fs.renameSync(from, note.receiptFile);
    }
    fsyncDir(path.dirname(note.receiptFile));
  } else if (!fs.existsSync(note.receiptFile)) throw Object.assign(new Error(`${from} is missing`), { code: 'ENOENT' });
}
