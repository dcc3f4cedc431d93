/**
 * Who signs a document (issue 14, item 2): each custodian and designee signs the PDFs they issue
 * (receipts, certificates of destruction, health and transparency reports) with their own
 * certificate, whose private key only their keyring slot holds. The ledger records each certificate
 * by a signed event:
 *
 * - `operator.added` (`documentCertificate`), signed by a custodian, as it records the signing key;
 * - `operator.password_changed` (`documentCertificate`), when a custodian gives someone else a new
 *   password, and with it new keys;
 * - `operator.certificate`, signed by the operator themselves with their recorded key: an operator
 *   of a home made before operators had their own certificate gets one at their next log-in. The
 *   custodian's names the home's certificate it retires (`retires`).
 *
 * A document's signer is judged by the signed events up to the document's ledger head (the event
 * it was issued at): the certificate must be recorded by then and still its owner's, the owner
 * active (not disabled before it) and of a role that issues that document. The home's certificate
 * (`signing/identity.enc`, which every custodian's and designee's slot of an older home opens)
 * signs only documents issued before the custodian retired it.
 */
import type { Role } from '../core/roles.js';
import type { Ledger } from './ledger.js';
import { certificateFingerprint, normalFingerprint } from './signing.js';
import { signedRoles } from './verify.js';

export type DocumentKind = 'receipt' | 'destruction' | 'health' | 'transparency' | 'document';

/** Which roles issue which document (policy §5, §7, §8; a custodian and designees hold a document key). */
const ISSUERS: Record<DocumentKind, readonly Role[]> = {
  receipt: ['custodian', 'designee'],
  destruction: ['custodian'],
  health: ['custodian', 'designee'],
  transparency: ['custodian', 'designee'],
  document: ['custodian', 'designee'],
};

const WORDS: Record<DocumentKind, string> = {
  receipt: 'release receipts',
  destruction: 'certificates of destruction',
  health: 'health reports',
  transparency: 'transparency reports',
  document: 'signed documents',
};

/** Roles that hold their own PDF signing key. */
export function roleSignsDocuments(role: string): boolean {
  return role === 'custodian' || role === 'designee';
}

export interface RecordedCertificate {
  /** SHA-256 of the DER, lower-case hex without colons. */
  fingerprint: string;
  username: string;
  /** The event that records it. */
  seq: number;
  certPem: string;
}

export interface DocumentCertificates {
  /** Operators' certificates, in the order recorded (only those recorded by someone allowed to). */
  operators: RecordedCertificate[];
  /** The home's certificate (one per home, before operators had their own) and the event that retired it. */
  home: { fingerprint: string; retiredAt: number | null } | null;
  /** Events that record a certificate their author may not record, or no certificate: each names why. */
  refused: string[];
}

interface CertEvent {
  seq: number;
  type: string;
  actor: string;
  data: string;
}

/**
 * Every document certificate the signed events record. An event counts only if its author may
 * record it: a custodian (by the roles the `operator.added` events give) for someone else, the
 * operator themselves for `operator.certificate`. `homeCertPem` (signing/cert.pem) is used only
 * when the ledger records no fingerprint for the home's certificate.
 */
export function recordedDocumentCertificates(ledger: Ledger, homeCertPem?: string): DocumentCertificates {
  const roles = signedRoles(ledger);
  const operators: RecordedCertificate[] = [];
  let home: DocumentCertificates['home'] = null;
  const retirements: { seq: number; fingerprint: string }[] = [];
  const refused: string[] = [];
  // Across the archive too (these types keep copies in the live file: archive.ts KEPT_TYPES).
  const rows: CertEvent[] = ledger.history([
    'home.created',
    'operator.added',
    'operator.password_changed',
    'operator.certificate',
  ]);
  for (const r of rows) {
    const d = JSON.parse(r.data) as {
      username?: unknown;
      documentCertificate?: unknown;
      certificate?: unknown;
      retires?: unknown;
    };
    if (r.type === 'home.created') {
      const fp = (d.certificate as { fingerprint256?: unknown } | undefined)?.fingerprint256;
      if (typeof fp === 'string') home = { fingerprint: normalFingerprint(fp), retiredAt: null };
      continue;
    }
    const username = String(d.username);
    const pem = r.type === 'operator.certificate' ? d.certificate : d.documentCertificate;
    if (typeof pem !== 'string') continue;
    const author = roles.get(r.actor);
    const what = `Event #${r.seq} (${r.type}) by ${r.actor}`;
    const allowed =
      r.type === 'operator.certificate'
        ? r.actor === username && !!author && author.seq < r.seq && roleSignsDocuments(author.role)
        : author?.role === 'custodian' && author.seq <= r.seq && roleSignsDocuments(roles.get(username)?.role ?? '');
    if (!allowed) {
      refused.push(
        r.type === 'operator.certificate'
          ? `${what} records a document certificate for ${username}: only a custodian or a designee records their own`
          : `${what} records a document certificate for ${username}: only a custodian records one, for a custodian or a designee`,
      );
      continue;
    }
    let fingerprint: string;
    try {
      fingerprint = normalFingerprint(certificateFingerprint(pem));
    } catch {
      refused.push(`${what} records a document certificate for ${username} that is not a certificate`);
      continue;
    }
    operators.push({ fingerprint, username, seq: r.seq, certPem: pem });
    if (r.type === 'operator.certificate' && typeof d.retires === 'string' && author?.role === 'custodian')
      retirements.push({ seq: r.seq, fingerprint: normalFingerprint(d.retires) });
  }
  if (!home && homeCertPem) {
    try {
      home = { fingerprint: normalFingerprint(certificateFingerprint(homeCertPem)), retiredAt: null };
    } catch {
      home = null;
    }
  }
  if (home) home.retiredAt = retirements.find((x) => x.fingerprint === home!.fingerprint)?.seq ?? null;
  return { operators, home, refused };
}

/** The certificate the ledger records as `username`'s at the head (the last one recorded). */
export function currentDocumentCertificate(
  certs: DocumentCertificates,
  username: string,
): RecordedCertificate | undefined {
  return certs.operators.filter((c) => c.username === username).at(-1);
}

export interface DocumentSignerCheck {
  /** Whose certificate signed it, in words (when it is one this ledger records). */
  signer?: string;
  /** The operator whose certificate it is (absent for the home's certificate). */
  username?: string;
  /** Why this signer may not have signed this document at that point; absent when they may. */
  problem?: string;
}

/**
 * Whether the certificate `fingerprint` may have signed a document of `kind` issued at event `seq`
 * (its ledger head), by `issuedBy` if the ledger names who issued it (a release's author).
 */
export function documentSignerCheck(
  ledger: Ledger,
  o: { fingerprint: string; seq: number; kind: DocumentKind; issuedBy?: string; homeCertPem?: string },
): DocumentSignerCheck {
  const certs = recordedDocumentCertificates(ledger, o.homeCertPem);
  const fp = normalFingerprint(o.fingerprint);
  const cert = certs.operators.find((c) => c.fingerprint === fp);
  if (cert) {
    const who = cert.username;
    const signer = `${who}'s own certificate (recorded at #${cert.seq})`;
    const fail = (problem: string) => ({ signer, username: who, problem });
    if (cert.seq > o.seq)
      return fail(
        `signed with ${who}'s certificate, recorded at #${cert.seq}, after the document's ledger head #${o.seq}`,
      );
    const replaced = certs.operators.find(
      (c) => c.username === who && c.seq > cert.seq && c.seq <= o.seq && c.fingerprint !== fp,
    );
    if (replaced)
      return fail(
        `signed with ${who}'s certificate of #${cert.seq}, replaced at #${replaced.seq}, before the document's ledger head #${o.seq}`,
      );
    const disabled = ledger
      .history(['operator.disabled'])
      .find((e) => e.seq <= o.seq && (JSON.parse(e.data) as { username?: unknown }).username === who);
    if (disabled)
      return fail(
        `signed with the certificate of ${who}, who was disabled at #${disabled.seq} (${disabled.at}), before the document's ledger head #${o.seq}`,
      );
    const role = signedRoles(ledger).get(who)?.role;
    if (!role || !(ISSUERS[o.kind] as readonly string[]).includes(role))
      return fail(
        `signed by ${who}, ${role === 'auditor' ? 'an auditor' : `of role ${role ?? 'unknown'}`}, who does not issue ${WORDS[o.kind]}`,
      );
    if (o.issuedBy && o.issuedBy !== who)
      return fail(`signed by ${who}, but the ledger records that ${o.issuedBy} issued it`);
    return { signer, username: who };
  }
  if (certs.home && fp === certs.home.fingerprint) {
    const signer = "the home's certificate";
    if (certs.home.retiredAt !== null && o.seq >= certs.home.retiredAt)
      return {
        signer,
        problem: `signed with the home's certificate, retired at #${certs.home.retiredAt}, before the document's ledger head #${o.seq} (since then each operator signs with their own)`,
      };
    const own = o.issuedBy ? certs.operators.find((c) => c.username === o.issuedBy && c.seq <= o.seq) : undefined;
    if (own)
      return {
        signer,
        problem: `signed with the home's certificate, but ${o.issuedBy} signed with their own certificate from #${own.seq} on`,
      };
    return { signer };
  }
  return { problem: 'not signed by a certificate this ledger records' };
}

/** The event a document's ledger head names, or undefined if the ledger has no event with that hash. */
export function eventOfHead(ledger: Ledger, hash: string): { seq: number; type: string; actor: string } | undefined {
  // The live file, else the archive segments (Ledger.seqOfHash).
  const seq = ledger.seqOfHash(hash);
  return seq === undefined ? undefined : ledger.eventAt(seq);
}
