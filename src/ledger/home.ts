/**
 * The home: one folder per city (DESIGN.md, "One custodian, one machine"). What lives where is
 * described in docs/ARCHITECTURE.md. Files that hold confidential data are encrypted; the rest
 * (home.json, keyring.json, checkpoints.jsonl, signing/cert.pem) hold no camera, plate or name.
 */
import { writeAnchor } from './anchor.js';
import { randomBytes, randomUUID, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import envPaths from 'env-paths';
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { TrainingRecord } from '../core/roles.js';
import { parseSettings, type Settings } from '../core/settings.js';
import { isoInZone, type Clock } from '../core/time.js';
import { canonicalJson } from './canonical.js';
import {
  DEFAULT_KDF,
  type Envelope,
  newBoxKey,
  openBlob,
  openBlobAny,
  openFrom,
  rememberPredecessors,
  sealTo,
  randomKey,
  sealBlob,
  subkey,
  unwrapWithPassword,
  wrapWithPassword,
  type KdfParams,
  type WrappedKey,
} from './crypto.js';
import { appendLineDurable, fsyncDir, writeFileAtomic } from './fsutil.js';
import { GENERATIONS, Ledger } from './ledger.js';
import { acquireLockSync } from './lock.js';
import {
  type DocumentKey,
  newSigningKey,
  type SigningKey,
  signingKeyFromPem,
  signWithKey,
  verifyWithKey,
} from './signing.js';

/** How deep this process is in `Home.keyringLocked` (the lock is taken at the outermost call). */
let keyringDepth = 0;

export const HOME_FORMAT = 'custody-home';
/** 2: keys by role (record and evidence), every event signed by its author (issue 14). */
export const HOME_VERSION = 2;
const KEYRING_CONTEXT = 'custody-keyring';
const SLOT_CONTEXT = 'custody-keyring-slot-v2';
const IDENTITY_CONTEXT = 'custody-signing-identity';
const ENVELOPE_CONTEXT = 'custody-key-envelope';
const HISTORY_CONTEXT = 'custody-key-history';

/** The keys a rotation replaced, sealed with a subkey of the key that replaced them. */
function sealKeyHistory(keys: Buffer[], current: Buffer, what: string): string {
  const plain = Buffer.from(JSON.stringify(keys.map((k) => k.toString('base64'))));
  return sealBlob(subkey(current, 'key-history'), plain, `${HISTORY_CONTEXT}:${what}`).toString('base64');
}

function openKeyHistory(sealed: string | undefined, current: Buffer, what: string): Buffer[] {
  if (!sealed) return [];
  const plain = openBlob(subkey(current, 'key-history'), Buffer.from(sealed, 'base64'), `${HISTORY_CONTEXT}:${what}`);
  if (!plain) return []; // a keyring from another epoch: the ledger will not open either, and says so
  return (JSON.parse(plain.toString('utf8')) as string[]).map((k) => Buffer.from(k, 'base64'));
}

export interface HomeJson {
  format: typeof HOME_FORMAT;
  version: number;
  homeId: string;
  createdAt: string;
  kdf: KdfParams;
}

/** Keys newer than an operator's slot holds, sealed to their X25519 key by a rotation. */
export interface KeyEnvelope extends Envelope {
  epoch: number;
}

/** One operator's entry: their password-sealed slot, their public X25519 key, newer keys sealed to it. */
export interface KeyringEntry extends WrappedKey {
  box?: string;
  record?: KeyEnvelope;
  evidence?: KeyEnvelope;
}

export interface Keyring {
  /** 2 from format version 2 on: each slot seals an operator's `SlotContents`, not the master key. */
  version?: number;
  operators: Record<string, KeyringEntry>;
  /** 'record' once kept documents are sealed with the record key (every role reads them). */
  documentsKey?: 'record';
  /** How many times each key has been rotated (absent: never). */
  epochs?: { record: number; evidence: number };
  /** The keys rotations replaced, newest first, each list sealed with a subkey of the current key. */
  history?: { record?: string; evidence?: string };
}

/** What a rotation asks: who stays (with their role), whose slot is new (a password change). */
export interface RotationPlan {
  /** Every operator who keeps access after the rotation (active, not the one disabled). */
  members: { username: string; role: string }[];
  /** Also rotate the evidence key (the operator leaving or changing password could read it). */
  rotateEvidence: boolean;
  /** A new slot sealed under a new password (the operator whose password changes). */
  newSlot?: { username: string; role: string; password: string; signing: SigningKey; document?: DocumentKey };
}

export interface PreparedRotation {
  /** The acting operator's keys after the rotation (the ledger is saved under the new record key). */
  keys: OperatorKeys;
  epochs: { record: number; evidence: number };
  /** Operators whose slot predates X25519 keys: it could not be handed the new keys and was removed. */
  needNewPassword: string[];
}

/** What an operator's slot holds (format 2), sealed under the key derived from their password. */
interface SlotContents {
  /** The record key: the ledger, the documents, the home's signing identity. Every role. */
  record: string;
  /** The evidence key: batch keys, hence segments, stored files, plate readings. Custodian and designees only. */
  evidence?: string;
  /** The operator's own Ed25519 signing key (PKCS#8 PEM); its public half is recorded in the ledger. */
  signingKey: string;
  /** Their X25519 private key (PKCS#8 PEM): opens the envelopes a rotation seals to them. */
  box?: string;
  /** Their own PDF signing key and certificate (custodian and designees; JSON of a `DocumentKey`). */
  documentKey?: string;
  /** The rotation epochs of the keys sealed here (absent: 0). */
  recordEpoch?: number;
  evidenceEpoch?: number;
}

/** An operator's keys once their slot is open. */
export interface OperatorKeys {
  record: Buffer;
  evidence?: Buffer;
  signing: SigningKey;
  /** Their own PDF signing key and certificate (custodian and designees), recorded in the ledger. */
  document?: DocumentKey;
  /** Record keys this one replaced (key rotation), newest first: data sealed before a rotation. */
  recordHistory?: Buffer[];
  /** Evidence keys this one replaced, newest first. */
  evidenceHistory?: Buffer[];
  /** The rotation epoch of the record key (absent: 0). */
  recordEpoch?: number;
}

/** Roles whose slot carries the evidence key (DESIGN.md: "Keys follow roles"). */
export function roleReadsEvidence(role: string): boolean {
  return role === 'custodian' || role === 'designee';
}

/** The platform's data directory, unless `--home` or CUSTODY_HOME says otherwise. */
export function defaultHomeDir(): string {
  return envPaths('custody', { suffix: '' }).data;
}

export function resolveHomeDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.CUSTODY_HOME ?? defaultHomeDir());
}

/** Keyring entries are keyed by a hash of the username, so the file names nobody. */
export function operatorKeyId(username: string): string {
  return sha256Hex(`custody-operator:${username}`).slice(0, 32);
}

export class Home {
  readonly dir: string;
  readonly json: HomeJson;

  private constructor(dir: string, json: HomeJson) {
    this.dir = dir;
    this.json = json;
  }

  file(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  get ledgerFile(): string {
    return this.file('ledger.enc');
  }
  get keyringFile(): string {
    return this.file('keyring.json');
  }
  /** A rotated keyring, written before the ledger is saved under the new key, renamed over keyring.json after. */
  get nextKeyringFile(): string {
    return this.file('keyring.next.json');
  }
  get checkpointsFile(): string {
    return this.file('checkpoints.jsonl');
  }
  get certFile(): string {
    return this.file('signing', 'cert.pem');
  }
  get identityFile(): string {
    return this.file('signing', 'identity.enc');
  }
  get authLogFile(): string {
    return this.file('auth.log');
  }

  static open(dir: string): Home {
    const jsonFile = path.join(dir, 'home.json');
    let raw: string;
    try {
      raw = fs.readFileSync(jsonFile, 'utf8');
    } catch {
      throw new CustodyError(
        'notFound',
        `No custody home at ${dir}.`,
        'Create one with `custody init`, or point at yours with --home or CUSTODY_HOME.',
      );
    }
    let json: HomeJson;
    try {
      json = JSON.parse(raw) as HomeJson;
    } catch {
      throw new CustodyError('integrity', `${jsonFile} is not valid JSON.`, 'Restore home.json from a backup.');
    }
    if (json.format !== HOME_FORMAT) throw new CustodyError('integrity', `${jsonFile} is not a custody home.`);
    if (json.version > HOME_VERSION)
      throw new CustodyError(
        'conflict',
        `This home has format version ${json.version}; this custody understands ${HOME_VERSION}.`,
        'Upgrade custody.',
      );
    return new Home(dir, json);
  }

  readKeyring(file = this.keyringFile): Keyring {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as Keyring;
    } catch (e) {
      throw new CustodyError(
        'integrity',
        `The keyring ${file} cannot be read.`,
        'Restore keyring.json from a backup of the home.',
        { cause: e },
      );
    }
  }

  /** Mark the home as being in the current format (the last step of `custody upgrade`). */
  writeHomeJson(json: HomeJson): void {
    writeFileAtomic(this.file('home.json'), `${JSON.stringify(json, null, 2)}\n`, { mode: 0o644 });
  }

  /**
   * Write the keyring; no earlier generation is kept (an old one would still hold the slot of a
   * disabled operator or an old password), and any left by an older custody is removed.
   */
  writeKeyring(k: Keyring): void {
    writeFileAtomic(this.keyringFile, `${JSON.stringify(k, null, 2)}\n`);
    for (let g = 1; g <= 3; g++) fs.rmSync(`${this.keyringFile}.${g}`, { force: true });
  }

  /** Read, change and write the keyring in one step (under `keyringLocked`). */
  updateKeyring(change: (k: Keyring) => Keyring): void {
    this.keyringLocked(() => this.writeKeyring(change(this.readKeyring())));
  }

  /**
   * Run `fn` holding the keyring's own lock (`keyring.lock`; re-entrant within this process): every
   * read-change-write of keyring.json, and a rotation from its prepared keyring to its promotion.
   * Commands run side by side (the ledger's lock is held only to commit), and two changes of the
   * keyring at once must not lose one of them.
   */
  keyringLocked<T>(fn: () => T): T {
    if (keyringDepth > 0) return fn();
    const lock = acquireLockSync(this.dir, 'keyring', 10_000, {
      name: 'keyring.lock',
      busyMessage: 'The keyring is being changed by',
    });
    keyringDepth++;
    let out: T;
    try {
      out = fn();
    } catch (e) {
      keyringDepth--;
      lock.release();
      throw e;
    }
    if (out instanceof Promise)
      return out.finally(() => {
        keyringDepth--;
        lock.release();
      }) as T;
    keyringDepth--;
    lock.release();
    return out;
  }

  /** The format-1 keyring, set aside by `custody upgrade` until the upgrade is complete. */
  get legacyKeyringFile(): string {
    return this.file('keyring.json.format1');
  }

  /**
   * The end of `custody upgrade` (or of one interrupted after home.json was written, at the next
   * log-in): the earlier ledger generations, sealed with the format-1 key every old slot opened,
   * and the set-aside format-1 keyring are removed. Returns how many generations were removed.
   */
  finishUpgrade(): number {
    let removed = 0;
    for (let g = 1; g <= GENERATIONS; g++) {
      const f = `${this.ledgerFile}.${g}`;
      if (!fs.existsSync(f)) continue;
      fs.rmSync(f);
      if (g >= 2) removed++;
    }
    fs.rmSync(this.legacyKeyringFile, { force: true });
    fsyncDir(this.dir);
    return removed;
  }

  /** Format 1: the master key in the operator's slot (only `custody upgrade` still reads it). */
  async unlockLegacy(username: string, password: string, file = this.keyringFile): Promise<Buffer | undefined> {
    const entry = this.readKeyring(file).operators[operatorKeyId(username)];
    if (!entry) return undefined;
    return unwrapWithPassword(entry, password, this.json.kdf, `${KEYRING_CONTEXT}:${username}`);
  }

  /**
   * Open an operator's slot (see `unlockSlot`). A slot from before rotations existed gets its
   * X25519 key here, while the password is at hand, so later rotations can seal keys to it.
   */
  async unlock(username: string, password: string, file = this.keyringFile): Promise<OperatorKeys | undefined> {
    const k = this.readKeyring(file);
    const opened = await openSlot(k, this.json.kdf, username, password);
    if (!opened) return undefined;
    const { c, entry } = opened;
    if (!c.box && file === this.keyringFile) {
      const box = newBoxKey();
      c.box = box.privateKeyPem;
      k.operators[operatorKeyId(username)] = { ...(await this.sealSlot(username, c, password)), box: box.publicKey };
      this.writeKeyring(k);
    }
    return keysOfSlot(k, c, entry, username, path.basename(file));
  }

  private async sealSlot(username: string, c: SlotContents, password: string): Promise<WrappedKey> {
    return wrapWithPassword(Buffer.from(JSON.stringify(c)), password, this.json.kdf, `${SLOT_CONTEXT}:${username}`);
  }

  /**
   * Put an operator's own PDF signing key into their slot (a slot made before operators had one),
   * re-sealed under the same password; everything else in the slot and entry is kept. With
   * `undefined`, the document key is taken out again (its recording failed).
   */
  async setDocumentKey(username: string, password: string, document: DocumentKey | undefined): Promise<void> {
    await this.keyringLocked(async () => {
      const k = this.readKeyring();
      const opened = await openSlot(k, this.json.kdf, username, password);
      if (!opened) throw new CustodyError('auth', `The keyring slot of ${username} does not open with that password.`);
      const { documentKey: _old, ...rest } = opened.c;
      const c: SlotContents = document ? { ...rest, documentKey: JSON.stringify(document) } : rest;
      k.operators[operatorKeyId(username)] = { ...opened.entry, ...(await this.sealSlot(username, c, password)) };
      this.writeKeyring(k);
    });
  }

  /** Seal an operator's keys under their password (the evidence key only if given). */
  async setOperatorKeys(username: string, keys: OperatorKeys, password: string): Promise<void> {
    await this.keyringLocked(async () => {
      const k = this.readKeyring();
      const box = newBoxKey();
      const contents: SlotContents = {
        record: keys.record.toString('base64'),
        ...(keys.evidence ? { evidence: keys.evidence.toString('base64') } : {}),
        signingKey: keys.signing.privateKeyPem,
        ...(keys.document ? { documentKey: JSON.stringify(keys.document) } : {}),
        box: box.privateKeyPem,
        recordEpoch: k.epochs?.record ?? 0,
        evidenceEpoch: k.epochs?.evidence ?? 0,
      };
      k.version = 2;
      k.operators[operatorKeyId(username)] = {
        ...(await this.sealSlot(username, contents, password)),
        box: box.publicKey,
      };
      this.writeKeyring(k);
    });
  }

  /**
   * Rotate the record key (and the evidence key if asked), the first step of a disable or a password
   * change: new random keys sealed to each remaining operator's X25519 key, the replaced keys kept
   * only sealed under the new ones, written to keyring.next.json. The caller saves the ledger under
   * the new record key, then `promoteNextKeyring` (or `discardNextKeyring` if the save failed). An
   * operator left out (disabled) is in no entry of the new keyring: a copy of their old slot opens
   * the keys of before, never what is sealed after.
   */
  async prepareRotation(actor: OperatorKeys, plan: RotationPlan): Promise<PreparedRotation> {
    const k = this.readKeyring();
    const old = k.epochs ?? { record: 0, evidence: 0 };
    if (plan.rotateEvidence && !actor.evidence)
      throw new CustodyError('internal', 'Rotating the evidence key needs the evidence key.');
    const epochs = { record: old.record + 1, evidence: old.evidence + (plan.rotateEvidence ? 1 : 0) };
    const record = randomKey();
    const recordHistory = [actor.record, ...(actor.recordHistory ?? [])];
    const evidence = plan.rotateEvidence ? randomKey() : actor.evidence;
    const evidenceHistory = plan.rotateEvidence
      ? [actor.evidence!, ...(actor.evidenceHistory ?? [])]
      : actor.evidenceHistory;
    const next: Keyring = {
      ...k,
      version: 2,
      epochs,
      operators: {},
      history: {
        record: sealKeyHistory(recordHistory, record, 'record'),
        evidence: plan.rotateEvidence ? sealKeyHistory(evidenceHistory!, evidence!, 'evidence') : k.history?.evidence,
      },
    };
    const needNewPassword: string[] = [];
    for (const m of plan.members) {
      if (m.username === plan.newSlot?.username) continue;
      const id = operatorKeyId(m.username);
      const entry = k.operators[id];
      if (!entry) continue;
      if (!entry.box) {
        needNewPassword.push(m.username);
        continue;
      }
      const seal = (key: Buffer, what: string, epoch: number): KeyEnvelope => ({
        epoch,
        ...sealTo(entry.box!, key, `${ENVELOPE_CONTEXT}:${what}:${m.username}`),
      });
      const reads = roleReadsEvidence(m.role);
      next.operators[id] = {
        salt: entry.salt,
        wrapped: entry.wrapped,
        box: entry.box,
        record: seal(record, 'record', epochs.record),
        ...(reads && plan.rotateEvidence ? { evidence: seal(evidence!, 'evidence', epochs.evidence) } : {}),
        ...(reads && !plan.rotateEvidence && entry.evidence ? { evidence: entry.evidence } : {}),
      };
    }
    if (plan.newSlot) {
      const n = plan.newSlot;
      const box = newBoxKey();
      const reads = roleReadsEvidence(n.role);
      if (reads && !evidence) throw new CustodyError('internal', 'A slot that reads evidence needs the evidence key.');
      const contents: SlotContents = {
        record: record.toString('base64'),
        ...(reads ? { evidence: evidence!.toString('base64') } : {}),
        signingKey: n.signing.privateKeyPem,
        ...(n.document ? { documentKey: JSON.stringify(n.document) } : {}),
        box: box.privateKeyPem,
        recordEpoch: epochs.record,
        evidenceEpoch: epochs.evidence,
      };
      next.operators[operatorKeyId(n.username)] = {
        ...(await this.sealSlot(n.username, contents, n.password)),
        box: box.publicKey,
      };
    }
    writeFileAtomic(this.nextKeyringFile, `${JSON.stringify(next, null, 2)}\n`);
    rememberPredecessors(record, recordHistory);
    if (evidence && evidenceHistory) rememberPredecessors(evidence, evidenceHistory);
    return {
      keys: {
        record,
        evidence,
        signing: actor.signing,
        ...(actor.document ? { document: actor.document } : {}),
        recordHistory,
        evidenceHistory,
        recordEpoch: epochs.record,
      },
      epochs,
      needNewPassword,
    };
  }

  /** The rotated keyring takes the place of keyring.json (the ledger is saved under its keys). */
  promoteNextKeyring(): void {
    fs.renameSync(this.nextKeyringFile, this.keyringFile);
    fsyncDir(this.dir);
    for (let g = 1; g <= 3; g++) fs.rmSync(`${this.keyringFile}.${g}`, { force: true });
  }

  /** A rotation that did not happen (its save failed, or it was interrupted before the save). */
  discardNextKeyring(): void {
    fs.rmSync(this.nextKeyringFile, { force: true });
  }

  /** Load a ledger file with the record key, or one a rotation replaced (an older generation). */
  async loadLedger(file: string, keys: OperatorKeys): Promise<Ledger> {
    const tries = [keys.record, ...(keys.recordHistory ?? [])];
    for (let i = 0; ; i++) {
      try {
        const ledger = await Ledger.load(file, this.ledgerKey(tries[i]!));
        // Archive segments sealed before a rotation open with the keys it replaced.
        ledger.archive.keys = ledgerKeysOf(keys);
        return ledger;
      } catch (e) {
        if (i === tries.length - 1 || !(e instanceof CustodyError && e.code === 'integrity')) throw e;
      }
    }
  }

  /**
   * Log in to the ledger: the slot, then the ledger under its key. A rotation interrupted after
   * the ledger was saved under the new key is completed here (keyring.next.json opens it); one
   * interrupted before is dropped. A keyring whose keys do not open the ledger is older than it
   * (put back from before a rotation) or tampered with: exit 8. Undefined: the password opens no slot.
   */
  async openLedger(
    username: string,
    password: string,
    unlocked?: OperatorKeys,
  ): Promise<{ keys: OperatorKeys; ledger: Ledger } | undefined> {
    const current = unlocked ?? (await this.unlock(username, password));
    let failure: unknown;
    if (current) {
      try {
        const ledger = await this.loadLedger(this.ledgerFile, current);
        this.discardNextKeyring();
        return { keys: current, ledger };
      } catch (e) {
        if (!(e instanceof CustodyError && e.code === 'integrity')) throw e;
        failure = e;
      }
    }
    if (fs.existsSync(this.nextKeyringFile)) {
      const next = await this.unlock(username, password, this.nextKeyringFile);
      if (next) {
        try {
          const ledger = await this.loadLedger(this.ledgerFile, next);
          this.promoteNextKeyring();
          return { keys: next, ledger };
        } catch {
          // fall through to the report below
        }
      }
    }
    if (!current) return undefined;
    // The last checkpoint names the epoch of the key the ledger was saved under: a keyring behind it
    // was put back; otherwise the ledger itself is damaged (its own error names the generations).
    let ledgerEpoch = 0;
    try {
      ledgerEpoch = Number((JSON.parse(lastLine(this.checkpointsFile) ?? '{}') as Checkpoint).keyEpoch ?? 0);
    } catch {
      // an unreadable checkpoint line: `custody verify` names it
    }
    if (!(ledgerEpoch > (current.recordEpoch ?? 0))) throw failure;
    throw new CustodyError(
      'integrity',
      `keyring.json is older than the ledger: it gives ${username} the record key of rotation ${current.recordEpoch ?? 0}, the ledger was saved under rotation ${ledgerEpoch} (the keyring was put back from before an operator was disabled or a password changed, or tampered with).`,
      'Nothing was changed. Put back the keyring.json of the newest backup of the home, then run `custody verify`.',
      { cause: failure },
    );
  }

  /** Remove an operator's slot (a failed `operator add`); returns it. */
  removeOperatorKey(username: string): WrappedKey | undefined {
    const id = operatorKeyId(username);
    let slot: WrappedKey | undefined;
    this.updateKeyring((k) => {
      slot = k.operators[id];
      const { [id]: _gone, ...rest } = k.operators;
      return { ...k, operators: rest };
    });
    return slot;
  }

  /** The ledger's key, from the record key (format 1: from the master key). */
  ledgerKey(record: Buffer): Buffer {
    return ledgerKeyOf(record);
  }

  /**
   * The home's PDF signing identity (the PKCS#12 for PDF signing, and its parts), sealed with a key
   * derived from the evidence key: custodian and designees sign PDFs with it, an auditor cannot.
   */
  loadIdentity(evidence: Buffer): StoredIdentity {
    const blob = openBlobAny(evidence, 'signing', fs.readFileSync(this.identityFile), IDENTITY_CONTEXT);
    if (!blob)
      throw new CustodyError(
        'integrity',
        'The signing identity (signing/identity.enc) cannot be decrypted.',
        'Restore the home from a backup.',
      );
    const j = JSON.parse(blob.toString('utf8')) as {
      p12: string;
      passphrase: string;
      privateKeyPem: string;
      certPem: string;
    };
    return {
      p12: Buffer.from(j.p12, 'base64'),
      passphrase: j.passphrase,
      privateKeyPem: j.privateKeyPem,
      certPem: j.certPem,
    };
  }

  certificatePem(): string {
    return fs.readFileSync(this.certFile, 'utf8');
  }

  /**
   * Sign the chain head (nothing is written yet). The checkpoint names the one before it (the
   * SHA-256 of its line in checkpoints.jsonl), so the checkpoints form their own chain and a
   * removed line is noticed.
   */
  signCheckpoint(ledger: Ledger, key: SigningKey, at: string, keyEpoch = 0): Checkpoint {
    const last = lastLine(this.checkpointsFile);
    const body: Omit<Checkpoint, 'signature'> = {
      home: this.json.homeId,
      seq: ledger.head.seq,
      hash: ledger.head.hash,
      at,
      prev: last === undefined ? null : sha256Hex(last),
      key: key.keyId,
      ...(keyEpoch > 0 ? { keyEpoch } : {}),
    };
    return { ...body, signature: signWithKey(key, canonicalJson(body)) };
  }

  /** Append a signed checkpoint to checkpoints.jsonl (hashes only: nothing confidential). */
  appendCheckpoint(cp: Checkpoint): void {
    appendLineDurable(this.checkpointsFile, JSON.stringify(cp));
  }

  /** A checkpoint signed for a save in progress (see `stageCheckpoint`). */
  get stagedCheckpointFile(): string {
    return this.file('checkpoint.staged.json');
  }

  /**
   * Before a save: the signed checkpoint of the head about to be saved, durably beside the ledger,
   * so that a save killed after the ledger is in place but before checkpoints.jsonl has the line
   * leaves the signed line for the next log-in to append (`settleStagedCheckpoint`) instead of events
   * with no checkpoint, which verify rightly takes for a trimmed file.
   */
  stageCheckpoint(cp: Checkpoint): void {
    writeFileAtomic(this.stagedCheckpointFile, JSON.stringify(cp));
  }

  clearStagedCheckpoint(): void {
    fs.rmSync(this.stagedCheckpointFile, { force: true });
  }

  /**
   * At log-in, under the write lock: a checkpoint a killed save staged is appended when the ledger's
   * head is the head it signs and it follows the last line of checkpoints.jsonl (the save finished,
   * the append did not); otherwise (the save never finished, or the line is there) it is dropped.
   * Nothing is signed here: the line is the committer's own, signed before their save.
   */
  settleStagedCheckpoint(ledger: Ledger): 'appended' | 'dropped' | undefined {
    let cp: Checkpoint;
    try {
      cp = JSON.parse(fs.readFileSync(this.stagedCheckpointFile, 'utf8')) as Checkpoint;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.clearStagedCheckpoint(); // a staged file cut short: its save never began
      return 'dropped';
    }
    const last = lastLine(this.checkpointsFile);
    const follows = cp.prev === (last === undefined ? null : sha256Hex(last));
    const saved = cp.home === this.json.homeId && cp.seq === ledger.head.seq && cp.hash === ledger.head.hash;
    if (saved && follows) this.appendCheckpoint(cp);
    this.clearStagedCheckpoint();
    return saved && follows ? 'appended' : 'dropped';
  }

  /** Sign the chain head and append it. */
  writeCheckpoint(ledger: Ledger, key: SigningKey, at: string): Checkpoint {
    const cp = this.signCheckpoint(ledger, key, at);
    this.appendCheckpoint(cp);
    return cp;
  }

  /**
   * Every line of checkpoints.jsonl, in order, with the line itself (the next one's `prev` hashes
   * it); with `upToBytes`, only the lines a session's snapshot saw (later commits append more).
   */
  readCheckpoints(upToBytes?: number): { checkpoints: CheckpointLine[]; unreadable: number[] } {
    if (!fs.existsSync(this.checkpointsFile)) return { checkpoints: [], unreadable: [] };
    const checkpoints: CheckpointLine[] = [];
    const unreadable: number[] = [];
    const all = fs.readFileSync(this.checkpointsFile);
    all
      .subarray(0, upToBytes ?? all.length)
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        try {
          checkpoints.push({ ...(JSON.parse(line) as Checkpoint), line: i + 1, raw: line });
        } catch {
          unreadable.push(i + 1);
        }
      });
    return { checkpoints, unreadable };
  }
}

/** The ledger's key, from the record key (a home's ledger, or a copy of it in a backup). */
export function ledgerKeyOf(record: Buffer): Buffer {
  return subkey(record, 'ledger');
}

/** The ledger keys of an operator's record key and of those rotations replaced (archive segments), newest first. */
export function ledgerKeysOf(keys: OperatorKeys): Buffer[] {
  return [keys.record, ...(keys.recordHistory ?? [])].map(ledgerKeyOf);
}

/**
 * Open an operator's slot of a keyring (a home's, or one read from a backup): their record key, the
 * evidence key if their role has it, their signing key; undefined for an unknown user or a wrong password.
 */
/** An operator's slot opened with their password: what it seals, and their keyring entry. */
async function openSlot(
  keyring: Keyring,
  kdf: KdfParams,
  username: string,
  password: string,
): Promise<{ c: SlotContents; entry: KeyringEntry } | undefined> {
  const entry = keyring.operators[operatorKeyId(username)];
  if (!entry) {
    // Spend the same time as a real attempt, so timing does not tell which usernames exist.
    await unwrapWithPassword({ salt: randomBytes(16).toString('base64'), wrapped: '' }, password, kdf, KEYRING_CONTEXT);
    return undefined;
  }
  const plain = await unwrapWithPassword(entry, password, kdf, `${SLOT_CONTEXT}:${username}`);
  if (!plain) return undefined;
  return { c: JSON.parse(plain.toString('utf8')) as SlotContents, entry };
}

/**
 * The keys an opened slot gives: keys a rotation sealed to the operator since replace the slot's,
 * and the keys rotations replaced come with them (to open what was sealed before).
 */
function keysOfSlot(k: Keyring, c: SlotContents, entry: KeyringEntry, username: string, file: string): OperatorKeys {
  const fromEnvelope = (env: KeyEnvelope | undefined, epoch: number | undefined, what: string) => {
    if (!env || env.epoch <= (epoch ?? 0)) return undefined;
    const key = c.box ? openFrom(c.box, env, `${ENVELOPE_CONTEXT}:${what}:${username}`) : undefined;
    if (!key)
      throw new CustodyError(
        'integrity',
        `The ${what} key sealed to ${username} in ${file} does not open: the keyring was changed outside custody.`,
        'Put back the keyring.json of the newest backup of the home.',
      );
    return key;
  };
  const newer = fromEnvelope(entry.record, c.recordEpoch, 'record');
  const record = newer ?? Buffer.from(c.record, 'base64');
  const recordEpoch = newer ? entry.record!.epoch : (c.recordEpoch ?? 0);
  const slotEvidence = c.evidence ? Buffer.from(c.evidence, 'base64') : undefined;
  const evidence = slotEvidence && (fromEnvelope(entry.evidence, c.evidenceEpoch, 'evidence') ?? slotEvidence);
  const recordHistory = openKeyHistory(k.history?.record, record, 'record');
  const evidenceHistory = evidence ? openKeyHistory(k.history?.evidence, evidence, 'evidence') : undefined;
  rememberPredecessors(record, recordHistory);
  if (evidence && evidenceHistory) rememberPredecessors(evidence, evidenceHistory);
  return {
    record,
    evidence,
    signing: signingKeyFromPem(c.signingKey),
    ...(c.documentKey ? { document: JSON.parse(c.documentKey) as DocumentKey } : {}),
    recordHistory,
    evidenceHistory,
    recordEpoch,
  };
}

/**
 * Open an operator's slot in a keyring (the home's, or a backup's): their record key, the evidence
 * key if their role has it, their signing key, with any newer keys a rotation sealed to them.
 */
export async function unlockSlot(
  keyring: Keyring,
  kdf: KdfParams,
  username: string,
  password: string,
): Promise<OperatorKeys | undefined> {
  const opened = await openSlot(keyring, kdf, username, password);
  return opened && keysOfSlot(keyring, opened.c, opened.entry, username, 'keyring.json');
}

/** What a file of the home is to a backup (`homeFiles`). */
export type HomeFileKind =
  /** keys/*.key: never copied as they are; all live keys go into the backup's one key file, rewritten each time. */
  | 'key'
  /** Never changes once written (stored evidence, store/): a backup may trust its path and size. */
  | 'immutable'
  /** Anything else of the home (ledger and its generations, checkpoints, keyring, segments, signing, certificates, …). */
  | 'file';

export interface HomeFile {
  /** The path inside the home, with '/' separators. */
  rel: string;
  kind: HomeFileKind;
  size: number;
}

/**
 * Files of a home that are never part of a copy of it: the locks (`lock`, `ocr.lock`,
 * `keyring.lock`, `swap-<drive>.lock`), temporary files of an unfinished write, and the files of a
 * key change not yet settled (a purge's re-key, src/ledger/batches.ts, "Re-keying"; the merged plate
 * index's `keys/plates.key.next`, src/ocr/merged.ts), and the signed-state mark `signed-state.enc`
 * (src/ledger/signed-mark.ts: a cache of the last check that passed, written without the lock; a
 * restored home has none, and its first check before a release, a purge or a rotation is whole).
 */
const NOT_COPIED =
  /^(lock|ocr\.lock|keyring\.lock|swap-[^/]+\.lock|signed-state\.enc)$|(^|\/)\.[^/]+\.tmp$|\.rekey$|\.key\.next$/;

/**
 * Every file of the home a backup copies, with what it is (the one layout function: a file a later
 * custody adds to the home — a new archive of the ledger, a new folder — is included without
 * changing the backup). Regular files only, sorted; the lock and temporary files are left out.
 */
export function homeFiles(dir: string): HomeFile[] {
  const out: HomeFile[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else if (d.isFile() && !NOT_COPIED.test(r)) {
        const kind: HomeFileKind = /^keys\/[^/]+\.key$/.test(r)
          ? 'key'
          : /^(store|archive)\//.test(r)
            ? 'immutable'
            : 'file';
        out.push({ rel: r, kind, size: fs.statSync(path.join(dir, r)).size });
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** The mode a home's file is written with: public by design (home.json, signing/cert.pem) 0644, anything else 0600. */
export function homeFileMode(rel: string): number {
  return rel === 'home.json' || rel === 'signing/cert.pem' ? 0o644 : 0o600;
}

/** The last non-empty line of a small append-only file (read from its end), or undefined. */
function lastLine(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let span = Math.min(size, 4096);
    for (;;) {
      const buf = Buffer.alloc(span);
      fs.readSync(fd, buf, 0, span, size - span);
      const lines = buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim());
      if (lines.length >= 2 || span === size) return lines[lines.length - 1];
      span = Math.min(size, span * 4);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface StoredIdentity {
  p12: Buffer;
  passphrase: string;
  privateKeyPem: string;
  certPem: string;
}

export interface Checkpoint {
  home: string;
  seq: number;
  hash: string;
  at: string;
  /** SHA-256 of the previous line of checkpoints.jsonl; null for the first; absent in homes before version 2. */
  prev?: string | null;
  /** The id of the committing operator's signing key (Ed25519); absent before format 2 (signed with cert.pem). */
  key?: string;
  /** The rotation epoch of the record key the ledger was saved under (absent: never rotated). */
  keyEpoch?: number;
  signature: string;
}

/** A checkpoint as read back: its line number and the line itself. */
export interface CheckpointLine extends Checkpoint {
  line: number;
  raw: string;
}

/** A format-2 checkpoint, against the public key its `key` names (looked up in the ledger by the caller). */
export function checkpointSignedBy(cp: Checkpoint, publicKey: string): boolean {
  const { signature, home, seq, hash, at, prev, key, keyEpoch } = cp;
  const body =
    keyEpoch === undefined ? { home, seq, hash, at, prev, key } : { home, seq, hash, at, prev, key, keyEpoch };
  return verifyWithKey(publicKey, canonicalJson(body), signature);
}

/** A checkpoint written before format 2, against the home's certificate. */
export function checkpointSignatureValid(cp: Checkpoint, certPem: string): boolean {
  try {
    const { signature, home, seq, hash, at, prev } = cp;
    const body = prev === undefined ? { home, seq, hash, at } : { home, seq, hash, at, prev };
    return cryptoVerify(
      'sha256',
      Buffer.from(canonicalJson(body)),
      new X509Certificate(certPem).publicKey,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The signing key and certificate a home keeps (signing/identity.enc, signing/cert.pem). */
export interface NewSigningIdentity {
  /** PKCS#12 (key + certificate), protected by the passphrase returned beside it. */
  p12: Buffer;
  certPem: string;
  privateKeyPem: string;
  /** The certificate subject as one line, recorded in the `home.created` event. */
  subject: string;
  fingerprint256: string;
  notAfter: Date;
}

/** Who the certificate names and when it starts: the custodian, the agency, the title. */
export interface IdentityRequest {
  commonName: string;
  organization: string;
  title: string;
  now: Date;
}

export type MakeSigningIdentity = (r: IdentityRequest) => Promise<{ identity: NewSigningIdentity; passphrase: string }>;

export interface InitOptions {
  dir: string;
  settings: Settings;
  custodian: {
    username: string;
    displayName: string;
    password: string;
    organization?: string;
    training: TrainingRecord;
  };
  /**
   * Makes the custodian's signing identity (a self-signed certificate, or the city's own PKCS#12
   * read back). Passed in by `init` from documents/certificate.ts, which the ledger does not import.
   */
  makeIdentity: MakeSigningIdentity;
  clock: Clock;
  kdf?: KdfParams;
}

export function validateUsername(u: string): string {
  if (!/^[a-z][a-z0-9._-]{1,31}$/.test(u)) {
    throw new CustodyError(
      'usage',
      `"${u}" is not a valid username.`,
      'Use 2–32 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter.',
    );
  }
  return u;
}

export function validatePassword(p: string): string {
  if (p.length < 10)
    throw new CustodyError(
      'usage',
      'The password is too short.',
      'Use at least 10 characters; a phrase of several words is best.',
    );
  return p;
}

/** Create a new home. Refuses any folder that already holds something. */
export async function createHome(o: InitOptions): Promise<{ home: Home; ledger: Ledger; keys: OperatorKeys }> {
  const settings = parseSettings(o.settings as unknown as Record<string, unknown>);
  validateUsername(o.custodian.username);
  validatePassword(o.custodian.password);
  if (fs.existsSync(o.dir) && fs.readdirSync(o.dir).length > 0) {
    const what = fs.existsSync(path.join(o.dir, 'home.json'))
      ? 'a custody home already exists there'
      : 'the folder is not empty';
    throw new CustodyError(
      'conflict',
      `Refusing to create a home in ${o.dir}: ${what}.`,
      'Choose an empty or new folder with --home; an existing home is never touched.',
    );
  }
  const existed = fs.existsSync(o.dir);
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  try {
    for (const sub of ['signing', 'keys', 'segments', 'store']) fs.mkdirSync(path.join(o.dir, sub), { mode: 0o700 });
    const now = o.clock();
    const at = isoInZone(now, settings.timeZone);
    const json: HomeJson = {
      format: HOME_FORMAT,
      version: HOME_VERSION,
      homeId: randomUUID(),
      createdAt: at,
      kdf: o.kdf ?? DEFAULT_KDF,
    };
    // Keys by role: the record key (every operator) and the evidence key (custodian and designees).
    const { identity } = await o.makeIdentity({
      commonName: o.custodian.displayName,
      organization: settings.agencyName,
      title: settings.custodianTitle,
      now,
    });
    // The certificate is the custodian's own PDF signing key, kept in their slot only (no file of the
    // home that a designee's key opens holds it): designees sign with theirs (issue 14).
    const keys: OperatorKeys = {
      record: randomKey(),
      evidence: randomKey(),
      signing: newSigningKey(),
      document: { privateKeyPem: identity.privateKeyPem, certPem: identity.certPem },
    };
    writeFileAtomic(path.join(o.dir, 'signing', 'cert.pem'), identity.certPem, { mode: 0o644 });
    writeFileAtomic(
      path.join(o.dir, 'keyring.json'),
      `${JSON.stringify({ version: 2, operators: {}, documentsKey: 'record' }, null, 2)}\n`,
    );
    // home.json is written before the ledger but the home is only usable once the ledger exists.
    writeFileAtomic(path.join(o.dir, 'home.json'), `${JSON.stringify(json, null, 2)}\n`, { mode: 0o644 });
    const home = Home.open(o.dir);
    await home.setOperatorKeys(o.custodian.username, keys, o.custodian.password);

    const ledger = await Ledger.createEmpty();
    const actor = o.custodian.username;
    const sign = keys.signing;
    ledger.append(
      'home.created',
      actor,
      at,
      {
        homeId: json.homeId,
        format: HOME_VERSION,
        signingKey: sign.publicKey,
        settings,
        certificate: {
          subject: identity.subject,
          fingerprint256: identity.fingerprint256,
          notAfter: identity.notAfter.toISOString(),
        },
      },
      sign,
    );
    ledger.append(
      'operator.added',
      actor,
      at,
      {
        username: actor,
        displayName: o.custodian.displayName,
        role: 'custodian',
        organization: o.custodian.organization ?? settings.agencyName,
        signingKey: sign.publicKey,
        documentCertificate: identity.certPem,
      },
      sign,
    );
    ledger.append('operator.trained', actor, at, { username: actor, ...o.custodian.training }, sign);
    ledger.save(home.ledgerFile, home.ledgerKey(keys.record));
    home.writeCheckpoint(ledger, sign, at);
    // The custodian's key anchored under the evidence key (src/ledger/anchor.ts).
    writeAnchor(home, ledger, keys.evidence!);
    return { home, ledger, keys };
  } catch (e) {
    // Leave nothing half-made behind.
    if (!existed) fs.rmSync(o.dir, { recursive: true, force: true });
    else for (const f of fs.readdirSync(o.dir)) fs.rmSync(path.join(o.dir, f), { recursive: true, force: true });
    throw e;
  }
}
