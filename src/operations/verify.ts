/**
 * The ledger's integrity (policy §9): verify the chain, the derived tables and the signed
 * checkpoints; remove a stale lock; put back an earlier generation of the ledger after a damaged
 * save. Restoring asks for a confirmation between its steps, so it is exported as steps:
 * `findGeneration` → `checkGeneration` → (the caller confirms) → `restoreGeneration`.
 */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import type { Clock } from '../core/time.js';
import { checkAnchor } from '../ledger/anchor.js';
import { BatchFiles } from '../ledger/batches.js';
import { Home, type OperatorKeys } from '../ledger/home.js';
import { recordedDocumentCertificates } from '../ledger/document-signers.js';
import { searchableBatches } from '../ledger/images.js';
import { GENERATIONS, type Ledger } from '../ledger/ledger.js';
import { acquireLock, breakLock, type LockInfo } from '../ledger/lock.js';
import { type Credentials, operatorFromRow, operatorRow, requireCurrentFormat, Session } from '../ledger/session.js';
import { type VerifyReport, verifyLedger } from '../ledger/verify.js';
import { checkDocumentHeads, checkWitnesses, type HeadCheck } from './witness.js';

export type { VerifyReport };
/** How many earlier generations of the ledger are kept (1 is the newest). */
export const RESTORE_GENERATIONS = GENERATIONS;

export interface VerifyOptions {
  /** Witness files (`custody witness export`) the ledger must extend. */
  witnesses?: string[];
  /** A folder of signed PDFs (receipts, certificates, reports) whose printed heads the ledger must contain. */
  documents?: string;
}

export interface FullVerifyReport extends VerifyReport {
  /** The heads shown from outside the home (witnesses, then documents), each checked. */
  heads: HeadCheck[];
  /** The ledger's first signed event against the genesis anchor (src/ledger/anchor.ts); 'unchecked' without the evidence key. */
  anchor: { status: 'ok' | 'unchecked' | 'problem'; seq?: number; type?: string; note?: string };
}

/**
 * The chain, the derived tables, the checkpoints, and every head shown from outside the home.
 * Reads only: nothing is written (a witness or PDF that is not one is a usage error, exit 2).
 */
export async function verify(s: Session, o: VerifyOptions = {}): Promise<FullVerifyReport> {
  const r = await verifyLedger(s);
  const heads = [
    ...(o.witnesses?.length ? checkWitnesses(s, o.witnesses) : []),
    ...(o.documents ? await checkDocumentHeads(s, o.documents) : []),
  ];
  // The merged plate index against the batch indexes (for an operator who holds the evidence key).
  const merged = s.keys.evidence
    ? await import('../ocr/merged.js').then((m) => m.checkMergedIndex(s.home, s.master, m.searchableSources(s)))
    : { problems: [], warnings: [] };
  // Each read batch's plate index against the SHA-256 the ledger records (every role: no key needed).
  const { recordedIndexProblem, recordedReadingsProblem } = await import('../ocr/queue.js');
  const indexes = searchableBatches(s).flatMap((b) => {
    const bf = new BatchFiles(s.home, b.id);
    const recorded = { done: b.ocr === 'done', sha256: b.index_sha256, readingsSha256: b.readings_sha256 };
    return [recordedIndexProblem(bf, recorded), recordedReadingsProblem(bf, recorded)].filter((p): p is string => !!p);
  });
  // Document certificates recorded by someone who may not (src/ledger/document-signers.ts).
  const certs = recordedDocumentCertificates(s.ledger).refused.map((p) => `${p}.`);
  // The ledger's first signed event against the genesis anchor (src/ledger/anchor.ts).
  const a = checkAnchor(s.home, s.ledger, s.keys.evidence);
  const anchor =
    a.status === 'ok'
      ? { status: a.status, seq: a.anchor.seq, type: a.anchor.type }
      : a.status === 'unchecked'
        ? { status: a.status, note: a.note }
        : { status: a.status };
  const problems = [
    ...heads.flatMap((h) => (h.problem ? [h.problem] : [])),
    ...(a.status === 'problem' ? [a.problem] : []),
    ...r.problems,
    ...certs,
    ...indexes,
    ...merged.problems,
  ];
  const warnings = [...r.warnings, ...merged.warnings, ...heads.flatMap((h) => (h.warning ? [h.warning] : []))];
  return { ...r, ok: problems.length === 0, problems, warnings, heads, anchor };
}

/**
 * The error a failed verification ends with (exit status 8), naming the first thing that does not
 * match: an edited event, else the first head from outside the home that the ledger contradicts.
 */
export function verifyFailure(r: VerifyReport): CustodyError {
  const first = r.firstBadEvent
    ? `event #${r.firstBadEvent.seq} (${r.firstBadEvent.type}) does not match`
    : r.problems[0]!;
  return new CustodyError(
    'integrity',
    `Verification failed: ${first.replace(/\.$/, '')}.`,
    'Do not change anything further; keep the home as it is and tell the custodian. `custody restore` can put back an earlier generation.',
  );
}

/** Remove a stale lock (or, with `force`, any lock); returns the holder it named, if there was one. */
export function unlock(homeDir: string, force: boolean): { removed: LockInfo | null } {
  const home = Home.open(homeDir);
  return { removed: breakLock(home.dir, force) ?? null };
}

export interface Generation {
  homeDir: string;
  generation: number;
  /** The file of that generation. */
  file: string;
}

/** The generation asked for: 1 (newest) to RESTORE_GENERATIONS, and its file must exist. */
export function findGeneration(homeDir: string, generation: number): Generation {
  if (!(Number.isInteger(generation) && generation >= 1 && generation <= GENERATIONS))
    throw new CustodyError('usage', `--generation must be 1 to ${GENERATIONS}.`);
  const home = Home.open(homeDir);
  const file = `${home.ledgerFile}.${generation}`;
  if (!fs.existsSync(file)) throw new CustodyError('notFound', `There is no generation ${generation} (${file}).`);
  return { homeDir: home.dir, generation, file };
}

export interface CheckedGeneration extends Generation {
  /** The head of the generation: what the ledger will end at once restored. */
  head: { seq: number; hash: string };
}

/**
 * Open the generation with the operator's key: its own chain must be whole, and the operator must
 * be an active custodian in it.
 */
export async function checkGeneration(g: Generation, credentials: Credentials): Promise<CheckedGeneration> {
  const home = Home.open(g.homeDir);
  const { username, password } = credentials;
  requireCurrentFormat(home);
  const keys = await home.unlock(username, password);
  if (!keys) throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator or wrong password.`);
  const candidate = await home.loadLedger(g.file, keys);
  try {
    const chain = candidate.verifyChain();
    if (chain.problem)
      throw new CustodyError(
        'integrity',
        `Generation ${g.generation} is itself damaged at event #${chain.problem.seq}; not restored.`,
      );
    const op = operatorRow(candidate, username);
    if (op?.role !== 'custodian' || op.status !== 'active')
      throw new CustodyError('denied', 'Only an active custodian may restore the ledger.');
    return { ...g, head: candidate.head };
  } finally {
    candidate.close();
  }
}

export interface RestoreInput {
  credentials: Credentials;
  clock: Clock;
  lockWaitMs: number;
}

/** What a restore sets aside: the events of the current file after the restored head, and their checkpoints. */
export interface LostHistory {
  /** The current file's head, or null when it could not be read (it is kept as generation 1 either way). */
  currentHead: { seq: number; hash: string } | null;
  /** The events after the restored head, one line each (seq, type, time, author). */
  lostEvents: { seq: number; type: string; at: string; actor: string }[];
  lostCheckpoints: { seq: number; hash: string }[];
}

export interface RestoreResult {
  restoredGeneration: number;
  head: { seq: number; hash: string };
  /** Events of the current file after the restored head, recorded in `ledger.restored`. */
  lostEvents: number;
  /** Signed checkpoints of events after the restored head, recorded as lost. */
  lostCheckpoints: number;
}

/** Read what the current file holds beyond `head` (if it can be read at all). */
async function lostHistory(home: Home, keys: OperatorKeys, head: { seq: number }): Promise<LostHistory> {
  const lostCheckpoints = home
    .readCheckpoints()
    .checkpoints.filter((c) => c.seq > head.seq)
    .map((c) => ({ seq: c.seq, hash: c.hash }));
  let current: Ledger;
  try {
    current = await home.loadLedger(home.ledgerFile, keys);
  } catch {
    return { currentHead: null, lostEvents: [], lostCheckpoints };
  }
  try {
    let lost: { seq: number; type: string; at: string; actor: string }[];
    try {
      lost = current.eventsBetween(head.seq + 1, current.head.seq);
    } catch {
      // A segment of the current file that cannot be read does not stop the restore: its live events are named.
      lost = current.rows('SELECT seq, type, at, actor FROM events WHERE seq > ? ORDER BY seq', [head.seq]);
    }
    const lostEvents = lost.map((e) => ({ seq: e.seq, type: e.type, at: e.at, actor: e.actor }));
    return { currentHead: current.head, lostEvents, lostCheckpoints };
  } finally {
    current.close();
  }
}

/**
 * Put the generation back, all or nothing: the lock is taken before anything is touched, the
 * generation is opened and checked again under it, and one save writes it back with a
 * `ledger.restored` event naming what was set aside; the current file, readable or not, is kept
 * as generation 1.
 */
export async function restoreGeneration(g: CheckedGeneration, o: RestoreInput): Promise<RestoreResult> {
  const home = Home.open(g.homeDir);
  const lock = await acquireLock(home.dir, 'restore', o.lockWaitMs);
  let ledger: Ledger | undefined;
  try {
    const { username, password } = o.credentials;
    const keys = await home.unlock(username, password);
    if (!keys) throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator or wrong password.`);
    ledger = await home.loadLedger(g.file, keys);
    if (ledger.head.hash !== g.head.hash)
      throw new CustodyError(
        'conflict',
        `Generation ${g.generation} changed while you were asked; nothing was changed.`,
      );
    const row = operatorRow(ledger, username);
    if (row?.role !== 'custodian' || row.status !== 'active')
      throw new CustodyError('denied', 'Only an active custodian may restore the ledger.');
    const lost = await lostHistory(home, keys, g.head);
    const s = new Session(home, ledger, keys, operatorFromRow(row), o.clock, { command: 'restore', heldLock: lock });
    s.append('ledger.restored', {
      fromGeneration: g.generation,
      headSeq: g.head.seq,
      headHash: g.head.hash,
      currentHead: lost.currentHead,
      lostEvents: lost.lostEvents,
      lostCheckpoints: lost.lostCheckpoints,
    });
    s.commit();
    return {
      restoredGeneration: g.generation,
      head: s.ledger.head,
      lostEvents: lost.lostEvents.length,
      lostCheckpoints: lost.lostCheckpoints.length,
    };
  } finally {
    ledger?.close();
    lock.release();
  }
}
