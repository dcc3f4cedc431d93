/**
 * The genesis anchor (issue 14): what anchors the custodian's signing key is the ledger's first
 * signed event (`home.created`, or `home.upgraded` of a home made in format 1). Someone holding only
 * the record key can rewrite the whole ledger from that event on, with a key of their own in it as
 * the custodian's, and every signature and checkpoint holds. `anchor.enc` keeps that event's
 * number, hash, type and signing key sealed with a subkey of the evidence key, which the record
 * key does not reach: a custodian's or designee's `verify` compares the ledger with it (exit 8 on a
 * mismatch, naming it); an auditor's says it could not check it.
 *
 * Written by `init` and `upgrade`; a home made before anchors gets one at the next log-in of the
 * custodian whose own signing key is the one the first signed event records (their slot holds the
 * private half, which a rewriter does not have, and the event's signature is checked with it).
 */
import fs from 'node:fs';
import { openBlobAny, sealBlob, subkey } from './crypto.js';
import { writeFileAtomic } from './fsutil.js';
import type { Home } from './home.js';
import type { Ledger } from './ledger.js';
import { type SigningKey, verifyWithKey } from './signing.js';

export interface GenesisAnchor {
  version: 1;
  home: string;
  seq: number;
  type: string;
  hash: string;
  actor: string;
  signingKey: string;
}

const anchorContext = (home: string) => `custody-anchor:${home}`;

export function anchorFile(home: Home): string {
  return home.file('anchor.enc');
}

/** The ledger's first signed event (the first `home.created` or `home.upgraded` that records a signing key). */
export function genesisEvent(ledger: Ledger): Omit<GenesisAnchor, 'version' | 'home'> | undefined {
  // Across the archive too (Ledger.history).
  for (const r of ledger.history(['home.created', 'home.upgraded'])) {
    const d = JSON.parse(r.data) as { signingKey?: unknown };
    if (typeof d.signingKey === 'string')
      return { seq: r.seq, type: r.type, actor: r.actor, hash: r.hash, signingKey: d.signingKey };
  }
  return undefined;
}

/** Seal the anchor of `ledger`'s first signed event with the evidence key (init, upgrade, the migration at log-in). */
export function writeAnchor(home: Home, ledger: Ledger, evidence: Buffer): GenesisAnchor {
  const g = genesisEvent(ledger);
  if (!g) throw new Error('the ledger has no signed first event to anchor');
  const anchor: GenesisAnchor = { version: 1, home: home.json.homeId, ...g };
  writeFileAtomic(
    anchorFile(home),
    sealBlob(subkey(evidence, 'anchor'), Buffer.from(JSON.stringify(anchor)), anchorContext(home.json.homeId)),
  );
  return anchor;
}

/**
 * At log-in of an evidence-key holder, for a home made before anchors: write the anchor only if
 * the operator's own signing key is the one the first signed event records and that event's
 * signature holds with it (so the event is the one their key signed, not a rewriter's).
 */
export function anchorAtLogIn(home: Home, ledger: Ledger, keys: { evidence?: Buffer; signing: SigningKey }): boolean {
  if (!keys.evidence || fs.existsSync(anchorFile(home))) return false;
  const g = genesisEvent(ledger);
  if (!g || g.signingKey !== keys.signing.publicKey) return false;
  const sig = ledger.eventAt(g.seq)?.sig;
  if (!sig || !verifyWithKey(g.signingKey, g.hash, sig)) return false;
  writeAnchor(home, ledger, keys.evidence);
  return true;
}

export type AnchorCheck =
  | { status: 'ok'; anchor: GenesisAnchor }
  | { status: 'unchecked'; note: string }
  | { status: 'problem'; problem: string };

/** Compare the ledger's first signed event with the anchor (needs the evidence key; without it, says so). */
export function checkAnchor(home: Home, ledger: Ledger, evidence: Buffer | undefined): AnchorCheck {
  if (!evidence)
    return {
      status: 'unchecked',
      note: 'The genesis anchor (anchor.enc) could not be checked: it is sealed with the evidence key, which an auditor does not hold. A ledger rewritten from its first event is caught by a custodian’s or designee’s `custody verify`, or by a witness.',
    };
  const file = anchorFile(home);
  if (!fs.existsSync(file))
    return {
      status: 'problem',
      problem:
        'The genesis anchor anchor.enc is missing: the ledger’s first signed event cannot be checked against it (it was removed, or the home was made before anchors and the custodian who made it has not logged in since).',
    };
  const plain = openBlobAny(evidence, 'anchor', fs.readFileSync(file), anchorContext(home.json.homeId));
  if (!plain)
    return {
      status: 'problem',
      problem: 'The genesis anchor anchor.enc does not open with this home’s evidence key: it was replaced or edited.',
    };
  const a = JSON.parse(plain.toString('utf8')) as GenesisAnchor;
  const g = genesisEvent(ledger);
  const at = ledger.eventAt(a.seq);
  const what = `event #${a.seq} (${a.type})`;
  if (!at || at.hash !== a.hash || at.type !== a.type)
    return {
      status: 'problem',
      problem: `The ledger's ${what} does not match the genesis anchor (anchor.enc, sealed with the evidence key): the ledger was rewritten from its first signed event${at ? '' : ' (it has no such event)'}.`,
    };
  if (!g || g.seq !== a.seq || g.signingKey !== a.signingKey)
    return {
      status: 'problem',
      problem: `The ledger's first signed event is not the anchored ${what} with ${a.actor}'s signing key: the ledger was rewritten from its first signed event.`,
    };
  return { status: 'ok', anchor: a };
}
