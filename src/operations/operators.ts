/**
 * Operators (policy §2, §3, §5): who may log in, their role and training. Each operator's keys
 * (the record key, the evidence key if their role reads it, their own signing key) are sealed by a
 * key derived from their password; disabling one or changing a password rotates the keys.
 */
import { X509Certificate } from 'node:crypto';
import { CustodyError } from '../core/errors.js';
import { isRole, ROLES, type Role } from '../core/roles.js';
import { type OperatorKeys, roleReadsEvidence, validatePassword, validateUsername } from '../ledger/home.js';
import {
  currentDocumentCertificate,
  recordedDocumentCertificates,
  roleSignsDocuments,
} from '../ledger/document-signers.js';
import { newSigningKey } from '../ledger/signing.js';
import { newDocumentKey } from './document-signer.js';
import { requireSignedState } from '../ledger/verify.js';
import { allOperatorRows, type Operator, operatorRowJson, type Session } from '../ledger/session.js';

export { ROLES };
export type { Operator };

/** A username is 2–32 characters: lower-case letters, digits, dot, dash or underscore. */
export function checkUsername(username: string): string {
  return validateUsername(username);
}

/** The operator named, or a not-found error. */
export function operatorShow(s: Session, username: string): Operator {
  const op = s.findOperator(username);
  if (!op) throw new CustodyError('notFound', `No operator ${username}.`, 'See `custody operator list`.');
  return op;
}

/** The PDF signing certificate the ledger records as an operator's (custodians and designees): how to recognise it. */
export interface OperatorCertificate {
  /** SHA-256 of the certificate, as pdfsig and `openssl x509 -fingerprint -sha256` print it. */
  fingerprint256: string;
  subject: string;
  notAfter: string;
  /** The event that recorded it. */
  recordedAt: number;
}

export function operatorCertificate(s: Session, username: string): OperatorCertificate | null {
  const c = currentDocumentCertificate(recordedDocumentCertificates(s.ledger), username);
  if (!c) return null;
  const x = new X509Certificate(c.certPem);
  return {
    fingerprint256: x.fingerprint256.toLowerCase(),
    subject: x.subject.split('\n').join(', '),
    notAfter: new Date(x.validTo).toISOString(),
    recordedAt: c.seq,
  };
}

export type OperatorListEntry = ReturnType<typeof operatorRowJson>;

export function operatorList(s: Session): OperatorListEntry[] {
  return allOperatorRows(s.ledger).map(operatorRowJson);
}

/** A new operator's username must be free. */
export function checkNewOperator(s: Session, username: string): void {
  if (s.findOperator(username)) throw new CustodyError('conflict', `Operator ${username} already exists.`);
}

export interface OperatorAddInput {
  username: string;
  displayName: string;
  role: string;
  /** Recorded with every access (default: the agency). */
  organization?: string;
  /** Their first password. */
  password: string;
}

export interface OperatorAddResult {
  username: string;
  displayName: string;
  role: Role;
  organization: string;
  trained: false;
}

/** Add an operator; they cannot log in until their training is recorded (policy §3). */
export async function operatorAdd(s: Session, o: OperatorAddInput): Promise<OperatorAddResult> {
  const { username, displayName, role } = o;
  checkNewOperator(s, username);
  if (!isRole(role)) throw new CustodyError('usage', `--role must be one of ${ROLES.join(', ')}.`);
  const password = validatePassword(o.password);
  const organization = o.organization ?? s.settings.agencyName;
  // Their own signing key; its public half is recorded in the event that adds them, signed by the custodian.
  const signing = newSigningKey();
  const keys: OperatorKeys = { record: s.keys.record, signing };
  if (roleReadsEvidence(role)) keys.evidence = s.master;
  // A custodian or designee signs the documents they issue with their own certificate, recorded here too.
  if (roleSignsDocuments(role)) keys.document = await newDocumentKey(s, { displayName, role });
  s.append('operator.added', {
    username,
    displayName,
    role,
    organization,
    signingKey: signing.publicKey,
    ...(keys.document ? { documentCertificate: keys.document.certPem } : {}),
  });
  // All or nothing: the slot is written first (a failed key write leaves the ledger as it was); if
  // the commit then fails, the slot is taken out again. A crash between the two leaves only a slot
  // for a username the ledger does not know, which opens no session and is replaced by the next add.
  await s.home.setOperatorKeys(username, keys, password);
  try {
    s.commit();
  } catch (e) {
    s.home.removeOperatorKey(username);
    throw e;
  }
  return { username, displayName, role, organization, trained: false };
}

/** The operator to disable: they exist, are not disabled yet, and are not the one logged in. */
export function operatorToDisable(s: Session, username: string): Operator {
  const target = operatorShow(s, username);
  if (target.status === 'disabled') throw new CustodyError('conflict', `Operator ${username} is already disabled.`);
  if (username === s.operator.username)
    throw new CustodyError('denied', 'You cannot disable yourself.', 'Another custodian must do it.');
  return target;
}

/** Who keeps access after a key rotation: every active operator but `except`. */
function members(s: Session, except?: string): { username: string; role: string }[] {
  return allOperatorRows(s.ledger)
    .filter((r) => r.status === 'active' && r.username !== except)
    .map((r) => ({ username: r.username, role: r.role }));
}

export interface KeysRotated {
  /** The rotation epochs of the record and evidence keys after the change. */
  keys: { record: number; evidence: number };
  /** Operators whose slot (from before rotations) could not be handed the new keys: each needs `operator passwd`. */
  needNewPassword: string[];
}

/**
 * Disable an operator: the record key (and the evidence key, if they could read it) is rotated;
 * the new keys are sealed to every remaining operator, not to them, so a copy of their slot made
 * before opens nothing sealed after (issue 14).
 */
export async function operatorDisable(
  s: Session,
  o: { username: string; reason: string },
): Promise<{ username: string; status: 'disabled'; reason: string } & KeysRotated> {
  const target = operatorToDisable(s, o.username);
  // Who receives the new keys, and whether the evidence key rotates, are read from the operators
  // table: it must be what the signed events say, or nothing changes (exit 8).
  // Whole (not from the signed-state mark) when the evidence key rotates: a mark on disk may be
  // the leaving designee's, and the rotation seals this check's mark with the new key.
  await requireSignedState(s, 'operators table', ['operators'], { whole: roleReadsEvidence(target.role) });
  const r = await s.rotateKeys(
    { members: members(s, o.username), rotateEvidence: roleReadsEvidence(target.role) },
    (p) =>
      s.append('operator.disabled', {
        username: o.username,
        reason: o.reason,
        keys: p.epochs,
        needNewPassword: p.needNewPassword,
      }),
  );
  return {
    username: o.username,
    status: 'disabled',
    reason: o.reason,
    keys: r.epochs,
    needNewPassword: r.needNewPassword,
  };
}

/** Whose password changes: one's own, or (as custodian) another active operator's. */
export function passwordTarget(s: Session, username: string | undefined): string {
  const target = username ?? s.operator.username;
  if (target !== s.operator.username) s.require('operators.manage');
  const t = operatorShow(s, target);
  if (t.status === 'disabled') throw new CustodyError('conflict', `Operator ${target} is disabled.`);
  return target;
}

/**
 * Change a password: a new slot under the new password and a key rotation (a copy of the old slot,
 * or the old password, opens nothing sealed after). Another operator's old signing key cannot be
 * opened without their password: they get a new one, recorded in the event, signed by the custodian.
 */
export async function operatorPasswd(
  s: Session,
  o: { username?: string; password: string },
): Promise<{ username: string; changed: true } & KeysRotated> {
  const target = passwordTarget(s, o.username);
  const password = validatePassword(o.password);
  const own = target === s.operator.username;
  const { role, displayName } = operatorShow(s, target);
  // Whole when the evidence key rotates (see operatorDisable).
  await requireSignedState(s, 'operators table', ['operators'], { whole: roleReadsEvidence(role) });
  const signing = own ? s.keys.signing : newSigningKey();
  // Their document key is in the old slot too: their own is kept, someone else gets a new one.
  const document = own
    ? s.keys.document
    : roleSignsDocuments(role)
      ? await newDocumentKey(s, { displayName, role })
      : undefined;
  const r = await s.rotateKeys(
    {
      members: members(s),
      rotateEvidence: roleReadsEvidence(role),
      newSlot: { username: target, role, password, signing, ...(document ? { document } : {}) },
    },
    (p) =>
      s.append('operator.password_changed', {
        username: target,
        ...(own ? {} : { signingKey: signing.publicKey }),
        ...(!own && document ? { documentCertificate: document.certPem } : {}),
        keys: p.epochs,
        needNewPassword: p.needNewPassword,
      }),
  );
  return { username: target, changed: true, keys: r.epochs, needNewPassword: r.needNewPassword };
}

export interface TrainingInput {
  username: string;
  /** The day of the training, YYYY-MM-DD. */
  date: string;
  course: string;
  trainer: string;
}

/** Record an operator's training (policy §3); a training cannot be in the future. */
export function operatorTrain(s: Session, o: TrainingInput): TrainingInput {
  operatorShow(s, o.username);
  if (Date.parse(o.date) > s.clock().getTime()) throw new CustodyError('usage', `--date ${o.date} is in the future.`);
  s.append('operator.trained', { username: o.username, date: o.date, course: o.course, trainer: o.trainer });
  s.commit();
  return { username: o.username, date: o.date, course: o.course, trainer: o.trainer };
}
