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
import { randomKey, subkey } from '../ledger/crypto.js';
import { HOME_VERSION, Home, type OperatorKeys } from '../ledger/home.js';
import { GENERATIONS, Ledger } from '../ledger/ledger.js';
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
    const master = await home.unlockLegacy(username, password);
    if (!master) throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator or wrong password.`);
    ledger = await Ledger.load(home.ledgerFile, subkey(master, 'ledger'));
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
    const s = new Session(home, ledger, keys, operatorFromRow(row), o.clock, lock);
    s.append('home.upgraded', {
      from,
      to: HOME_VERSION,
      signingKey: keys.signing.publicKey,
      needNewPassword: others,
    });
    // Keep the old keyring beside the new one until the new ledger and checkpoint are on disk.
    const oldKeyring = `${home.keyringFile}.format1`;
    fs.copyFileSync(home.keyringFile, oldKeyring);
    home.writeKeyring({ version: 2, operators: {} });
    await home.setOperatorKeys(username, keys, password);
    s.commit();
    home.writeHomeJson({ ...home.json, version: HOME_VERSION });
    // The older generations are sealed with the old ledger key (which every old slot opened): removed.
    let removedGenerations = 0;
    for (let g = 2; g <= GENERATIONS; g++) {
      const f = `${home.ledgerFile}.${g}`;
      if (fs.existsSync(f)) {
        fs.rmSync(f);
        removedGenerations++;
      }
    }
    fs.rmSync(`${home.ledgerFile}.1`, { force: true });
    fs.rmSync(oldKeyring, { force: true });
    return { from, to: HOME_VERSION, head: s.ledger.head, needNewPassword: others, removedGenerations };
  } finally {
    ledger?.close();
    lock.release();
  }
}
