/**
 * A logged-in session on a home (policy §5: access by username and password). Holds the lock,
 * the master key and the ledger; `commit()` saves atomically and signs a checkpoint.
 */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import {
  isRole,
  requirePermission,
  requireTrained,
  type Permission,
  type Role,
  type TrainingRecord,
} from '../core/roles.js';
import { parseSettings, type Settings } from '../core/settings.js';
import { isoInZone, type Clock } from '../core/time.js';
import { moveDocumentsToRecord } from './documents.js';
import { settleRekeys } from './batches.js';
import { appendLineDurable, removeLeftoverTemps, undoAtomicWrite, writeFileAtomic } from './fsutil.js';
import {
  HOME_VERSION,
  Home,
  type OperatorKeys,
  operatorKeyId,
  type PreparedRotation,
  type RotationPlan,
} from './home.js';
import { GENERATIONS, type Ledger } from './ledger.js';
import { acquireLock, type HeldLock } from './lock.js';

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

export class Session {
  readonly home: Home;
  readonly ledger: Ledger;
  private currentKeys: OperatorKeys;
  readonly operator: Operator;
  readonly clock: Clock;
  private lock: HeldLock;
  private closed = false;

  constructor(home: Home, ledger: Ledger, keys: OperatorKeys, operator: Operator, clock: Clock, lock: HeldLock) {
    this.home = home;
    this.ledger = ledger;
    this.currentKeys = keys;
    this.operator = operator;
    this.clock = clock;
    this.lock = lock;
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
    this.home.promoteNextKeyring();
    return prepared;
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

  /** The policy settings, read once per session (every event's timestamp needs the time zone). */
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
    this.ledger.append(type, this.operator.username, this.now(), data, this.keys.signing);
    if (type === 'settings.changed') this.cachedSettings = undefined;
  }

  findOperator(username: string): Operator | undefined {
    const r = operatorRow(this.ledger, username);
    return r ? operatorFromRow(r) : undefined;
  }

  /**
   * Save the ledger atomically and sign a checkpoint of its head, all or nothing: the checkpoint
   * is signed before anything is written (a signing key that cannot be opened changes nothing),
   * and if the checkpoint cannot be appended the saved ledger is put back.
   */
  commit(): void {
    if (!this.ledger.hasUnsavedChanges) return;
    const checkpoint = this.home.signCheckpoint(this.ledger, this.keys.signing, this.now(), this.keys.recordEpoch);
    this.ledger.save(this.home.ledgerFile, this.home.ledgerKey(this.keys.record));
    try {
      this.home.appendCheckpoint(checkpoint);
    } catch (e) {
      undoAtomicWrite(this.home.ledgerFile, GENERATIONS);
      throw e;
    }
  }

  /** Release the lock. Changes not committed are dropped (the file on disk is untouched). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ledger.close();
    } finally {
      this.lock.release();
    }
  }
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

export async function openSession(o: OpenOptions): Promise<Session> {
  const home = Home.open(o.homeDir);
  requireCurrentFormat(home);
  const lock = await acquireLock(home.dir, o.command, o.lockWaitMs ?? 5000);
  try {
    const { username, password } = o.credentials;
    const failures = readFailures(home.authLogFile);
    const now = o.clock();
    const recent = failures.filter(
      (f) => f.username === username && now.getTime() - Date.parse(f.at) < FAILURE_WINDOW_MS,
    ).length;
    const delay = failureDelayMs(recent);
    if (delay > 0) await (o.sleep ?? realSleep)(delay);

    const opened = await home.openLedger(username, password);
    if (!opened) {
      // Policy §5 / §9: a wrong password is logged (auth.log until the next successful log-in
      // takes it into the ledger; the ledger cannot be opened without a key).
      appendLineDurable(home.authLogFile, JSON.stringify({ username, at: now.toISOString() }));
      throw new CustodyError(
        'auth',
        `Log-in failed for "${username}": unknown operator or wrong password.`,
        recent + 1 >= 3
          ? 'Repeated failures are logged and each further attempt waits longer.'
          : 'Check the username (CUSTODY_USER) and the password.',
      );
    }
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
    if (!isRole(operator.role))
      throw new CustodyError('integrity', `Operator ${username} has an unknown role ${operator.role}.`);
    if (!o.allowUntrained) requireTrained(username, operator.training);

    const session = new Session(home, ledger, keys, operator, o.clock, lock);
    // A purge's re-key cut short is finished (committed) or undone (not): src/ledger/batches.ts.
    settleRekeys(home);
    // A save interrupted (killed, power cut) leaves its temporary file; with the lock held, none is live.
    removeLeftoverTemps(
      [home.dir, ...['segments', 'keys', 'documents', 'signing', 'store'].map((d) => home.file(d))].concat(
        ledger
          .rows<{ id: string }>("SELECT id FROM batches WHERE status = 'importing'")
          .map((b) => home.file('store', b.id)),
      ),
    );
    // An upgrade interrupted after home.json was written: its last step.
    if (fs.existsSync(home.legacyKeyringFile)) home.finishUpgrade();
    // Kept documents sealed with the evidence key by an older custody join the record (every role).
    moveDocumentsToRecord(home, keys);
    if (failures.length > 0) {
      // Take the failed log-ins into the chain, one event per username, then clear auth.log.
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
    }
    return session;
  } catch (e) {
    lock.release();
    throw e;
  }
}
