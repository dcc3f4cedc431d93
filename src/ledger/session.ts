/**
 * A logged-in session on a home (policy §5: access by username and password). Holds the lock,
 * the master key and the ledger; `commit()` saves atomically and signs a checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import {
  isRole,
  requirePermission,
  mayAuthor,
  requireTrained,
  type Permission,
  type Role,
  type TrainingRecord,
} from '../core/roles.js';
import { parseSettings, type Settings } from '../core/settings.js';
import { isoInZone, type Clock } from '../core/time.js';
import { moveDocumentsToRecord } from './documents.js';
import { settleRekeys } from './batches.js';
import { anchorAtLogIn } from './anchor.js';
import { resealMark } from './signed-mark.js';
import { appendLineDurable, removeLeftoverTemps, undoAtomicWrite, writeFileAtomic } from './fsutil.js';
import {
  HOME_VERSION,
  Home,
  type OperatorKeys,
  operatorKeyId,
  type PreparedRotation,
  type RotationPlan,
  ledgerKeysOf,
} from './home.js';
import { GENESIS_HASH } from './canonical.js';
import { GENERATIONS, Ledger, readSealed, sealedDigest, sqlJs } from './ledger.js';
import { acquireLock, acquireLockSync, type HeldLock } from './lock.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Operator {
  username: string;
  displayName: string;
  role: Role;
  organization: string;
  status: 'active' | 'disabled';
  training: TrainingRecord | null;
}

export interface OpenOptions {
  homeDir: string;
  credentials: Credentials;
  clock: Clock;
  /** The command line, recorded in the lock. */
  command: string;
  /** How long to wait for another process's lock. @default 5000 */
  lockWaitMs?: number;
  /** Waits between failed log-ins (injected so tests need not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** Allow an operator without a training record (only `operator passwd`). @default false */
  allowUntrained?: boolean;
  /** Where a line the operator must see now, before a long step, goes (the CLI: stderr). @default nowhere */
  notify?: (line: string) => void;
  /** Announce a whole check of the signed events from this many events. @default WHOLE_CHECK_NOTICE_EVENTS (core/slow-check.ts) */
  wholeCheckNoticeEvents?: number;
}

interface FailedLogin {
  username: string;
  at: string;
}

/** Repeated failures slow down: nothing for the first three, then 2, 4, 8 … up to 60 seconds. */
export function failureDelayMs(recentFailures: number): number {
  if (recentFailures < 3) return 0;
  return Math.min(60_000, 1000 * 2 ** (recentFailures - 2));
}

const FAILURE_WINDOW_MS = 15 * 60_000;
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readFailures(file: string): FailedLogin[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        const f = JSON.parse(l) as FailedLogin;
        return typeof f.username === 'string' && typeof f.at === 'string' ? [f] : [];
      } catch {
        return [];
      }
    });
}

export function operatorFromRow(r: Record<string, unknown>): Operator {
  return {
    username: String(r.username),
    displayName: String(r.display_name),
    role: String(r.role) as Role,
    organization: String(r.organization),
    status: r.status === 'disabled' ? 'disabled' : 'active',
    training: r.trained_on
      ? { date: String(r.trained_on), course: String(r.course), trainer: String(r.trainer) }
      : null,
  };
}

/** An operator's row as stored (the operators table), for the list of operators. */
export interface OperatorRow {
  username: string;
  display_name: string;
  role: string;
  organization: string;
  status: string;
  trained_on: string | null;
  course: string | null;
  trainer: string | null;
  failed_logins: number;
}

/** One operator's row in a ledger (also one not yet opened as a session, e.g. a generation to restore). */
export function operatorRow(ledger: Ledger, username: string): Record<string, unknown> | undefined {
  return ledger.one('SELECT * FROM operators WHERE username = ?', [username]);
}

/** Every operator, by username. */
export function allOperatorRows(ledger: Ledger): OperatorRow[] {
  return ledger.rows<OperatorRow>('SELECT * FROM operators ORDER BY username');
}

export function operatorRowJson(r: OperatorRow) {
  return {
    username: r.username,
    name: r.display_name,
    role: r.role,
    organization: r.organization,
    status: r.status,
    trainedOn: r.trained_on ?? null,
    course: r.course ?? null,
    trainer: r.trainer ?? null,
    failedLogins: r.failed_logins,
  };
}

/** An event appended in this session and not yet committed (replayed onto a newer ledger at commit). */
interface PendingEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface SessionOptions {
  /** The command line, recorded in the lock while a commit writes. */
  command: string;
  /** How long a commit waits for another process's commit. @default 5000 */
  lockWaitMs?: number;
  /** A lock the caller holds for the whole session (`restore`): commits write this ledger as it is. */
  heldLock?: HeldLock;
  /** How much of checkpoints.jsonl belongs to the snapshot this session read. */
  checkpointsSeen?: number;
  /** See {@link OpenOptions.notify}. */
  notify?: (line: string) => void;
  /** See {@link OpenOptions.wholeCheckNoticeEvents}. */
  wholeCheckNoticeEvents?: number;
}

/**
 * A logged-in operator's view of the home. It reads a snapshot of the ledger taken at log-in and
 * holds no lock while it works, asks or waits; the home's write lock is taken only to commit
 * (and for `exclusive` steps). A commit re-reads the ledger under the lock: if another process
 * saved since the snapshot, this session's new events are appended after theirs (nothing of
 * theirs is lost), unless one of theirs changed the same drive, camera, batch, request, … as one
 * of ours: then nothing is saved and the command says so (`conflict`, exit 6).
 */
export class Session {
  readonly home: Home;
  private currentKeys: OperatorKeys;
  readonly operator: Operator;
  readonly clock: Clock;
  private current: Ledger;
  private readonly command: string;
  private readonly lockWaitMs: number;
  private readonly heldLock: HeldLock | undefined;
  private lock: HeldLock | undefined;
  private lockDepth = 0;
  /** The chain head of the file this session's view was read from (before its own pending events). */
  private base: { seq: number; hash: string };
  private pending: PendingEvent[] = [];
  /** Files the pending events name, written by their commit (`writeOnCommit`). */
  private uncommitted: { file: string; data: Buffer }[] = [];
  /** The chain head at which this session last read the state it decides on (at log-in, at each commit). */
  private viewSeq: number;
  /** Bytes of checkpoints.jsonl that cover this session's view (verify reads no further). */
  checkpointsSeen: number | undefined;
  private closed = false;

  constructor(home: Home, ledger: Ledger, keys: OperatorKeys, operator: Operator, clock: Clock, o: SessionOptions) {
    this.home = home;
    this.current = ledger;
    this.currentKeys = keys;
    this.operator = operator;
    this.clock = clock;
    this.command = o.command;
    this.lockWaitMs = o.lockWaitMs ?? 5000;
    this.heldLock = o.heldLock;
    this.checkpointsSeen = o.checkpointsSeen;
    this.notify = o.notify;
    this.wholeCheckNoticeEvents = o.wholeCheckNoticeEvents;
    this.base = ledger.head;
    this.viewSeq = ledger.head.seq;
  }

  /** The ledger as this session sees it: its snapshot, its own events, and what each commit brought in. */
  get ledger(): Ledger {
    return this.current;
  }

  /** The operator's keys: the record key, the evidence key if their role has it, their signing key. */
  get keys(): OperatorKeys {
    return this.currentKeys;
  }

  /**
   * Rotate the keys and commit, all or nothing (issue 14): the rotated keyring is written beside
   * the old one, `append` records the change (it is given the new epochs), the ledger is saved
   * under the new record key, then the rotated keyring replaces the old. A failed commit leaves the
   * old keyring and ledger; a crash after the save is completed at the next log-in.
   */
  async rotateKeys(plan: RotationPlan, append: (r: PreparedRotation) => void): Promise<PreparedRotation> {
    // Under the write lock (no commit of another command meanwhile, and on the newest ledger) and
    // the keyring's lock, from the prepared keyring to its promotion.
    return this.exclusive(() =>
      this.home.keyringLocked(async () => {
        const before = this.currentKeys;
        const prepared = await this.home.prepareRotation(before, plan);
        try {
          append(prepared);
          this.currentKeys = prepared.keys;
          this.commit();
        } catch (e) {
          this.currentKeys = before;
          this.home.discardNextKeyring();
          throw e;
        }
        try {
          this.home.promoteNextKeyring();
          this.resealSignedMark(before.evidence, prepared.keys.evidence);
        } catch (e) {
          // The change is recorded and the ledger saved under the new keys; only keyring.json is
          // not replaced yet. keyring.next.json holds it, and the next log-in finishes the job.
          const err = e as NodeJS.ErrnoException;
          throw new CustodyError(
            'io',
            `The change is recorded and the ledger saved under the new keys, but keyring.json could not be replaced (${err.code ?? err.message}); keyring.next.json holds the new keyring.`,
            'Fix the cause (permissions, an immutable or read-only file), then log in: the next log-in puts keyring.next.json in place of keyring.json. Until then the new keys and passwords are the ones in force.',
            { cause: e },
          );
        }
        return prepared;
      }),
    );
  }

  /**
   * The signed-state mark this session's check wrote (signed-mark.ts), sealed again with a new
   * evidence key; a failure is a warning (the next check is whole), never the rotation's.
   */
  private resealSignedMark(before: Buffer | undefined, after: Buffer | undefined): void {
    if (!after || before?.equals(after)) return;
    try {
      resealMark(this.home, this, after);
    } catch (e) {
      this.warn(
        `the keys rotated, but the signed-state mark could not be sealed with the new evidence key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the next check reads the whole ledger again.`,
      );
    }
  }

  /**
   * The evidence key (batch keys, hence segments, stored files and plate readings; the PDF signing
   * identity). Only custodian and designee slots hold it: for an auditor there is no key to give.
   */
  get master(): Buffer {
    if (!this.keys.evidence)
      throw new CustodyError(
        'denied',
        `Operator ${this.operator.username} (${this.operator.role}) holds no key to the evidence.`,
        'Auditors read the record (`custody log`, `custody audit`, `custody verify`), never images or plates.',
      );
    return this.keys.evidence;
  }

  private cachedSettings: Settings | undefined;

  /** The policy settings, read once per view (every event's timestamp needs the time zone). */
  get settings(): Settings {
    if (!this.cachedSettings) {
      const rows = this.ledger.rows<{ key: string; value: string }>('SELECT key, value FROM settings');
      this.cachedSettings = parseSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
    }
    return this.cachedSettings;
  }

  /** Now, as ISO-8601 with the home's offset. */
  now(): string {
    return isoInZone(this.clock(), this.settings.timeZone);
  }

  require(p: Permission): void {
    requirePermission(this.operator.username, this.operator.role, p);
  }

  /** Append an event authored (and signed) by the logged-in operator. */
  append(type: string, data: Record<string, unknown>): void {
    if (!mayAuthor(this.operator.role, type))
      throw new CustodyError(
        'denied',
        `Operator ${this.operator.username} (${this.operator.role}) may not record ${type}.`,
        'Ask the custodian.',
      );
    const e = this.ledger.append(type, this.operator.username, this.now(), data, this.keys.signing);
    this.pending.push({ type, at: e.at, data: e.data as Record<string, unknown> });
    if (type === 'settings.changed') this.cachedSettings = undefined;
  }

  findOperator(username: string): Operator | undefined {
    const r = operatorRow(this.ledger, username);
    return r ? operatorFromRow(r) : undefined;
  }

  /** Run `fn` holding the home's write lock (re-entrant within this session). */
  private underLock<T>(fn: () => T): T {
    if (this.heldLock || this.lockDepth > 0) return fn();
    this.lock = acquireLockSync(this.home.dir, this.command, this.lockWaitMs, { timeZone: this.settings.timeZone });
    this.lockDepth++;
    try {
      return fn();
    } finally {
      this.lockDepth--;
      this.lock.release();
      this.lock = undefined;
    }
  }

  /**
   * Under the lock: bring this session's view up to the file on disk. If another process saved
   * since the view was read, open its ledger and append this session's pending events to it
   * (refused, with nothing saved, if they touch what the other process changed).
   */
  private catchUp(): void {
    if (this.heldLock) return;
    const sealed = readSealed(this.home.ledgerFile);
    const moved = sealedDigest(sealed) !== this.ledger.sealedSha;
    const target = moved ? this.openNewest(sealed) : this.current;
    try {
      if (moved && this.base.seq > 0) {
        // The other process may have archived it: the look-up reads the segment then.
        const atBase = target.eventAt(this.base.seq);
        if (atBase?.hash !== this.base.hash)
          throw new CustodyError(
            'conflict',
            `The ledger was replaced while \`${this.command}\` ran (event #${this.base.seq} is no longer the one it read); nothing of this step was saved.`,
            'Run `custody verify`, then the command again.',
          );
      }
      // What others recorded after the state this session decided on (and before its own events).
      const theirsUpTo = moved ? target.head.seq : this.base.seq;
      if (this.pending.length > 0 && theirsUpTo > this.viewSeq) this.refuseClash(target, theirsUpTo);
      if (moved)
        for (const p of this.pending) {
          try {
            target.append(p.type, this.operator.username, p.at, p.data, this.keys.signing);
          } catch (e) {
            throw new CustodyError(
              'conflict',
              `While \`${this.command}\` ran another command changed the ledger so that its ${p.type} no longer applies; nothing of this step was saved.`,
              'Run the command again.',
              { cause: e },
            );
          }
        }
    } catch (e) {
      if (moved) target.close();
      throw e;
    }
    if (!moved) return;
    const before = this.current;
    this.current = target;
    this.base = this.baseOf(target);
    this.cachedSettings = undefined;
    before.close();
  }

  /** The ledger another process saved, under this session's key (a rotation since log-in: conflict). */
  private openNewest(sealed: Buffer): Ledger {
    try {
      const ledger = Ledger.fromSealed(sealed, this.home.ledgerFile, this.home.ledgerKey(this.keys.record));
      ledger.archive.keys = ledgerKeysOf(this.keys);
      return ledger;
    } catch (e) {
      if (!(e instanceof CustodyError && e.code === 'integrity')) throw e;
      throw new CustodyError(
        'conflict',
        `The ledger saved by another command no longer opens with the keys \`${this.command}\` logged in with (an operator was disabled or a password changed meanwhile); nothing of this step was saved.`,
        'Run the command again: it logs in with the new keys. If nobody changed keys, run `custody verify`.',
        { cause: e },
      );
    }
  }

  /** Refuse to save if another process's event since `viewSeq` changed what one of ours changes. */
  private refuseClash(ledger: Ledger, upTo: number): void {
    const theirs = ledger.eventsBetween(this.viewSeq + 1, upTo);
    const clash = firstClash(
      this.pending,
      theirs.map((t) => ({ type: t.type, actor: t.actor, data: JSON.parse(t.data) as Record<string, unknown> })),
    );
    if (clash)
      throw new CustodyError(
        'conflict',
        `While \`${this.command}\` ran, ${clash.actor} recorded ${clash.type} for ${clash.entity}, which this step also changes; nothing of this step was saved.`,
        'Look at it again (`custody log`), then run the command again: what was saved before is kept and it resumes.',
      );
  }

  /** The head of `ledger` before this session's pending events. */
  private baseOf(ledger: Ledger): { seq: number; hash: string } {
    const seq = ledger.head.seq - this.pending.length;
    const r = seq > 0 ? ledger.eventAt(seq) : undefined;
    return { seq, hash: r?.hash ?? GENESIS_HASH };
  }

  /**
   * Save the ledger atomically and sign a checkpoint of its head, all or nothing, holding the
   * write lock only meanwhile: the checkpoint is signed before anything is written (a signing key
   * that cannot be opened changes nothing), and if the checkpoint cannot be appended the saved
   * ledger is put back. Events another process committed since this session read the ledger are
   * kept: this session's are appended after them (see `catchUp`).
   */
  /**
   * A file for this session's pending events (a kept document, named by its content): written by
   * the commit, under the write lock, just before the ledger is saved, and only if no such file is
   * there yet; removed again if that save fails. Never written before (a command that fails or
   * ends before its commit leaves nothing), and never removed once another command's event may
   * name it: a file that was there already — kept by a command that committed meanwhile, or by one
   * still running — is left as it is.
   */
  writeOnCommit(file: string, data: Buffer): void {
    this.uncommitted.push({ file, data });
  }

  /** Under the lock: write the files pending for this commit that are not there yet; returns those written. */
  private writePendingFiles(): string[] {
    const written: string[] = [];
    try {
      for (const f of this.uncommitted) {
        if (fs.existsSync(f.file) || written.includes(f.file)) continue;
        fs.mkdirSync(path.dirname(f.file), { recursive: true, mode: 0o700 });
        writeFileAtomic(f.file, f.data);
        written.push(f.file);
      }
    } catch (e) {
      removeFiles(written);
      throw e;
    }
    return written;
  }

  commit(): void {
    if (!this.ledger.hasUnsavedChanges) return;
    this.underLock(() => {
      this.catchUp();
      const checkpoint = this.home.signCheckpoint(this.ledger, this.keys.signing, this.now(), this.keys.recordEpoch);
      // The files the events name, before the events (a kill between leaves a file on no record, never a record with no file).
      const written = this.writePendingFiles();
      // Staged first: a kill between the save and the append is settled at the next log-in.
      try {
        this.home.stageCheckpoint(checkpoint);
      } catch (e) {
        removeFiles(written);
        throw e;
      }
      try {
        this.ledger.save(this.home.ledgerFile, this.home.ledgerKey(this.keys.record));
      } catch (e) {
        this.home.clearStagedCheckpoint();
        removeFiles(written);
        throw e;
      }
      try {
        this.home.appendCheckpoint(checkpoint);
      } catch (e) {
        undoAtomicWrite(this.home.ledgerFile, GENERATIONS);
        this.home.clearStagedCheckpoint();
        removeFiles(written);
        throw e;
      }
      this.home.clearStagedCheckpoint();
      this.pending = [];
      this.uncommitted = [];
      this.base = this.ledger.head;
      this.viewSeq = this.base.seq;
      this.checkpointsSeen = fileSize(this.home.checkpointsFile);
    });
  }

  /**
   * Run `fn` holding the write lock, on the newest ledger (this session's pending events are
   * committed first): for a step that decides on the current state and changes files besides the
   * ledger (the keyring, keys destroyed by a purge). Never around a prompt.
   */
  async exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.heldLock || this.lockDepth > 0) return fn();
    this.lock = await acquireLock(this.home.dir, this.command, this.lockWaitMs, { timeZone: this.settings.timeZone });
    this.lockDepth++;
    try {
      if (this.ledger.hasUnsavedChanges) this.commit();
      else {
        this.catchUp();
        this.checkpointsSeen = fileSize(this.home.checkpointsFile);
      }
      return await fn();
    } finally {
      this.lockDepth--;
      this.lock.release();
      this.lock = undefined;
    }
  }

  private readonly warnings: string[] = [];
  private readonly notify: ((line: string) => void) | undefined;
  /** From how many events a whole check of the signed events is announced (`notice`); undefined: the default. */
  readonly wholeCheckNoticeEvents: number | undefined;

  /** Say something the operator must see now, before a long step (unlike `warn`, not kept for the end). */
  notice(line: string): void {
    this.notify?.(line);
  }

  /** Note something the operator should know that did not stop the command (the CLI prints it once the command ends). */
  warn(line: string): void {
    this.warnings.push(line);
  }

  /** The warnings noted so far, once each. */
  takeWarnings(): string[] {
    return this.warnings.splice(0);
  }

  /** Release any lock still held. Changes not committed are dropped (the file on disk is untouched). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Files for events never committed were never written.
    this.uncommitted = [];
    try {
      this.ledger.close();
    } finally {
      this.lock?.release();
    }
  }
}

/** Remove files a failed commit wrote (best effort: each is sealed and named by its content). */
function removeFiles(files: readonly string[]): void {
  for (const f of files) {
    try {
      fs.rmSync(f, { force: true });
    } catch {
      // left on no record; `verify` does not rely on its absence
    }
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Events that only record (an access, a failed log-in, a health check): they never clash. */
const RECORD_ONLY = new Set(['access.recorded', 'auth.failed', 'health.checked']);
/** The keys of an event's data that name a thing of the home (the same thing under one name). */
const ENTITY_KEYS: Record<string, string> = {
  drive: 'drive',
  replacement: 'drive',
  camera: 'camera',
  batch: 'batch',
  swap: 'swap',
  request: 'request',
  requestId: 'request',
  agency: 'agency',
  receipt: 'receipt',
  release: 'release',
  breach: 'breach',
  hold: 'hold',
  problem: 'problem',
  username: 'operator',
  contractor: 'contractor',
  permit: 'permit',
  purge: 'purge',
  // Numbered from the count of overrides: two signed at once would take the same id.
  override: 'override',
};

/** "drive D003", "batch B…": the things an event changes. */
export function entitiesOf(type: string, data: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(data)) {
    const kind = ENTITY_KEYS[k] ?? (k === 'batches' ? 'batch' : k === 'drives' ? 'drive' : undefined);
    if (!kind) continue;
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && x) out.add(`${kind} ${x}`);
  }
  // An event that creates a thing names it `id`: the thing is its type's first word.
  if (typeof data.id === 'string') out.add(`${type.split('.')[0]} ${data.id}`);
  return [...out];
}

/** The first event of another process that changed something one of `ours` changes too. */
function firstClash(
  ours: PendingEvent[],
  theirs: { type: string; actor: string; data: Record<string, unknown> }[],
): { entity: string; type: string; actor: string } | undefined {
  const mine = new Set(ours.filter((p) => !RECORD_ONLY.has(p.type)).flatMap((p) => entitiesOf(p.type, p.data)));
  if (mine.size === 0) return undefined;
  for (const t of theirs) {
    if (RECORD_ONLY.has(t.type)) continue;
    const hit = entitiesOf(t.type, t.data).find((e) => mine.has(e));
    if (hit) return { entity: hit, type: t.type, actor: t.actor };
  }
  return undefined;
}

/** A home of an earlier format is opened only by `custody upgrade`. */
export function requireCurrentFormat(home: Home): void {
  if (home.json.version < HOME_VERSION)
    throw new CustodyError(
      'conflict',
      `This home is in format ${home.json.version}; this custody keeps homes in format ${HOME_VERSION} (keys by role, signed events).`,
      'The custodian runs `custody upgrade` once; nothing else is changed until then.',
    );
}

/**
 * Disabling an operator removes their slot before the event is committed, so a keyring holding a
 * disabled operator's slot was put back from before the disable (or tampered with): exit 8.
 */
export function refuseKeyringFromBefore(home: Home, ledger: Ledger): void {
  const disabled = ledger.rows<{ username: string; disabled_at: string | null }>(
    "SELECT username, disabled_at FROM operators WHERE status = 'disabled' ORDER BY username",
  );
  const slots = home.readKeyring().operators;
  const back = disabled.find((d) => operatorKeyId(d.username) in slots);
  if (!back) return;
  ledger.close();
  throw new CustodyError(
    'integrity',
    `keyring.json holds a slot for ${back.username}, who was disabled${back.disabled_at ? ` on ${back.disabled_at}` : ''}: the keyring was put back from before that (a rollback) or tampered with.`,
    'Nothing was changed. Put back the keyring.json of the newest backup of the home and run `custody verify`.',
  );
}

/**
 * Log in and read a snapshot of the ledger. No lock is held during the log-in slow-down or
 * afterwards: the write lock is taken for a moment to read the ledger file and the checkpoints
 * that cover it together, and again by each commit.
 */
export async function openSession(o: OpenOptions): Promise<Session> {
  const home = Home.open(o.homeDir);
  requireCurrentFormat(home);
  const lockWaitMs = o.lockWaitMs ?? 5000;
  const { username, password } = o.credentials;
  const failures = readFailures(home.authLogFile);
  const now = o.clock();
  const recent = failures.filter(
    (f) => f.username === username && now.getTime() - Date.parse(f.at) < FAILURE_WINDOW_MS,
  ).length;
  const delay = failureDelayMs(recent);
  if (delay > 0) await (o.sleep ?? realSleep)(delay);

  // Policy §5 / §9: a wrong password is logged (auth.log until the next successful log-in
  // takes it into the ledger; the ledger cannot be opened without a key).
  const failed = () => {
    appendLineDurable(home.authLogFile, JSON.stringify({ username, at: now.toISOString() }));
    return new CustodyError(
      'auth',
      `Log-in failed for "${username}": unknown operator or wrong password.`,
      recent + 1 >= 3
        ? 'Repeated failures are logged and each further attempt waits longer.'
        : 'Check the username (CUSTODY_USER) and the password.',
    );
  };
  // The password is checked (scrypt) before the lock is taken: a log-in holds it only to read
  // (a new password after a rotation cut short opens keyring.next.json only: Home.openLedger).
  const unlocked = await home.unlock(username, password);
  if (!unlocked && !fs.existsSync(home.nextKeyringFile)) throw failed();
  await sqlJs();
  // The ledger and the checkpoints that cover it are read together, under the write lock for a
  // moment; a purge's re-key or a key rotation cut short is settled first (src/ledger/batches.ts,
  // Home.openLedger).
  const snapshot = await acquireLock(home.dir, o.command, lockWaitMs);
  let opened: { keys: OperatorKeys; ledger: Ledger } | undefined;
  let checkpointsSeen: number;
  try {
    settleRekeys(home);
    opened = await home.openLedger(username, password, unlocked);
    // An upgrade interrupted after home.json was written: its last step.
    if (opened && fs.existsSync(home.legacyKeyringFile)) home.finishUpgrade();
    // A save killed between the ledger and its checkpoint line: the line the committer signed.
    if (opened) home.settleStagedCheckpoint(opened.ledger);
    checkpointsSeen = fileSize(home.checkpointsFile);
    // A save interrupted (killed, power cut) leaves its temporary file; one of a running process is live.
    removeLeftoverTemps([
      home.dir,
      ...['segments', 'keys', 'documents', 'signing', 'archive'].map((d) => home.file(d)),
    ]);
  } finally {
    snapshot.release();
  }
  if (!opened) throw failed();
  const { keys, ledger } = opened;
  const row = operatorRow(ledger, username);
  if (!row) {
    ledger.close();
    throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator.`);
  }
  const operator = operatorFromRow(row);
  refuseKeyringFromBefore(home, ledger);
  if (operator.status === 'disabled') {
    ledger.close();
    throw new CustodyError('auth', `Operator ${username} is disabled.`, 'Ask the custodian.');
  }
  if (!isRole(operator.role)) {
    ledger.close();
    throw new CustodyError('integrity', `Operator ${username} has an unknown role ${operator.role}.`);
  }
  if (!o.allowUntrained)
    try {
      requireTrained(username, operator.training);
    } catch (e) {
      ledger.close();
      throw e;
    }

  const session = new Session(home, ledger, keys, operator, o.clock, {
    command: o.command,
    lockWaitMs,
    checkpointsSeen,
    notify: o.notify,
    wholeCheckNoticeEvents: o.wholeCheckNoticeEvents,
  });
  try {
    removeLeftoverTemps(
      ledger
        .rows<{ id: string }>("SELECT id FROM batches WHERE status = 'importing'")
        .map((b) => home.file('store', b.id)),
    );
    // Kept documents sealed with the evidence key by an older custody join the record (every role).
    moveDocumentsToRecord(home, keys);
    // A home made before the genesis anchor gets it from the custodian whose key signed its first event.
    anchorAtLogIn(home, ledger, keys);
    if (failures.length > 0) await takeFailuresIn(session);
    return session;
  } catch (e) {
    session.close();
    throw e;
  }
}

/** Take the failed log-ins into the chain, one event per username, then clear auth.log (under the lock). */
async function takeFailuresIn(session: Session): Promise<void> {
  const home = session.home;
  await session.exclusive(() => {
    const failures = readFailures(home.authLogFile);
    if (failures.length === 0) return;
    const byUser = new Map<string, FailedLogin[]>();
    for (const f of failures) byUser.set(f.username, [...(byUser.get(f.username) ?? []), f]);
    for (const [u, fs_] of byUser)
      session.append('auth.failed', {
        username: u,
        count: fs_.length,
        firstAt: fs_[0]!.at,
        lastAt: fs_[fs_.length - 1]!.at,
      });
    session.commit();
    writeFileAtomic(home.authLogFile, '');
  });
}
