/**
 * `custody upgrade`: a home of format 1 (one master key in every operator's slot, unsigned events,
 * checkpoints signed with the home's certificate) to format 2 (issue 14): a new record key for the
 * ledger; the old master key becomes the evidence key (batch keys, the signing identity and the
 * documents stay sealed as they are); the custodian gets their own signing key, recorded by a signed
 * `home.upgraded` event from which every event must be signed. Other operators' slots held the
 * master key, auditors' included, so they are removed: the custodian gives each a new password
 * (`custody operator passwd USER`), which makes their new slot and signing key.
 */
import fs from 'node:fs';
import { CustodyError } from '../core/errors.js';
import type { Clock } from '../core/time.js';
import { writeAnchor } from '../ledger/anchor.js';
import { randomKey, subkey } from '../ledger/crypto.js';
import { HOME_VERSION, Home, type OperatorKeys } from '../ledger/home.js';
import { Ledger } from '../ledger/ledger.js';
import { acquireLock } from '../ledger/lock.js';
import { type Credentials, operatorFromRow, operatorRow, Session } from '../ledger/session.js';
import { newSigningKey } from '../ledger/signing.js';

export interface UpgradeResult {
  from: number;
  to: number;
  head: { seq: number; hash: string };
  /** Operators whose old slot was removed: each needs a new password from the custodian. */
  needNewPassword: string[];
  /** Earlier ledger generations (sealed with the old key) that were removed. */
  removedGenerations: number;
}

/**
 * The upgrade is resumable: the format-1 keyring is set aside as keyring.json.format1 (once, never
 * overwritten) before keyring.json is rewritten, and read from there on a rerun; a rerun after the
 * ledger was saved under the new key (the format-1 key no longer opens it) finds the recorded
 * `home.upgraded` event and only finishes (home.json, then the old generations and keyring). A
 * crash after home.json is finished at the next log-in (`Home.finishUpgrade`).
 */
export async function upgradeHome(o: {
  homeDir: string;
  credentials: Credentials;
  clock: Clock;
  lockWaitMs: number;
}): Promise<UpgradeResult> {
  const home = Home.open(o.homeDir);
  const from = home.json.version;
  if (from >= HOME_VERSION)
    throw new CustodyError('conflict', `This home is already in format ${from}.`, 'Nothing to upgrade.');
  const lock = await acquireLock(home.dir, 'upgrade', o.lockWaitMs);
  let ledger: Ledger | undefined;
  try {
    const { username, password } = o.credentials;
    const legacyKeyring = fs.existsSync(home.legacyKeyringFile) ? home.legacyKeyringFile : home.keyringFile;
    const master = await home.unlockLegacy(username, password, legacyKeyring);
    if (!master) throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator or wrong password.`);
    try {
      ledger = await Ledger.load(home.ledgerFile, subkey(master, 'ledger'));
    } catch (e) {
      const done = legacyKeyring !== home.keyringFile && (await savedUpgrade(home, username, password));
      if (!done) throw e;
      return finish(home, done.ledger, done.event);
    }
    const chain = ledger.verifyChain();
    if (chain.problem)
      throw new CustodyError(
        'integrity',
        `The ledger is damaged at event #${chain.problem.seq}; it is not upgraded.`,
        'Run `custody verify` with the previous custody, and restore a good generation first.',
      );
    const row = operatorRow(ledger, username);
    if (row?.role !== 'custodian' || row.status !== 'active')
      throw new CustodyError('denied', 'Only an active custodian may upgrade the home.');
    const others = ledger
      .rows<{ username: string }>(
        "SELECT username FROM operators WHERE status = 'active' AND username != ? ORDER BY username",
        [username],
      )
      .map((r) => r.username);

    const keys: OperatorKeys = { record: randomKey(), evidence: master, signing: newSigningKey() };
    const s = new Session(home, ledger, keys, operatorFromRow(row), o.clock, { command: 'upgrade', heldLock: lock });
    // The custodian's signature on this event covers its hash, which chains every earlier (unsigned)
    // event: it attests the pre-upgrade history, whose head it also names.
    const priorHead = ledger.head;
    s.append('home.upgraded', {
      from,
      to: HOME_VERSION,
      priorHead,
      signingKey: keys.signing.publicKey,
      needNewPassword: others,
    });
    // Set the format-1 keyring aside (once: a rerun must not copy a half-made new one over it).
    if (!fs.existsSync(home.legacyKeyringFile)) fs.copyFileSync(home.keyringFile, home.legacyKeyringFile);
    home.writeKeyring({ version: 2, operators: {} });
    await home.setOperatorKeys(username, keys, password);
    s.commit();
    // The custodian's new key anchored under the evidence key (a crash before: the next log-in writes it).
    writeAnchor(home, s.ledger, master);
    return finish(home, s.ledger, { from, needNewPassword: others });
  } finally {
    ledger?.close();
    lock.release();
  }
}

/** The ledger already saved by an interrupted upgrade (opened with the new slot), and its `home.upgraded` event. */
async function savedUpgrade(
  home: Home,
  username: string,
  password: string,
): Promise<{ ledger: Ledger; event: { from: number; needNewPassword: string[] } } | undefined> {
  const keys = await home.unlock(username, password);
  if (!keys) return undefined;
  const ledger = await home.loadLedger(home.ledgerFile, keys);
  const e = ledger.one<{ data: string }>("SELECT data FROM events WHERE type = 'home.upgraded' ORDER BY seq DESC");
  if (!e) {
    ledger.close();
    return undefined;
  }
  const d = JSON.parse(e.data) as { from?: number; needNewPassword?: string[] };
  return { ledger, event: { from: Number(d.from ?? 1), needNewPassword: d.needNewPassword ?? [] } };
}

/** The last steps: home.json says format 2, then what the old key opens is removed. */
function finish(home: Home, ledger: Ledger, e: { from: number; needNewPassword: string[] }): UpgradeResult {
  home.writeHomeJson({ ...home.json, version: HOME_VERSION });
  const removedGenerations = home.finishUpgrade();
  return { from: e.from, to: HOME_VERSION, head: ledger.head, needNewPassword: e.needNewPassword, removedGenerations };
}
