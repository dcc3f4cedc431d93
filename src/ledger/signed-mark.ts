/**
 * The signed-state mark: what lets the check before a release, an export, a look or search under
 * a request, a purge (plan) and a key rotation (`requireSignedState`, verify.ts) read only the
 * events recorded since the last time it passed, instead of the whole history, without trusting
 * anything an operator holding only the record key (an auditor) can write.
 *
 * After a check passes in a session holding the evidence key (a custodian or a designee), the
 * mark records, sealed with a subkey of the evidence key ("signed-state", the home id as
 * associated data; the record key does not reach it):
 *   - the chain head it checked (`head`: sequence number and hash);
 *   - the archive as it was: how many segments, a digest of their rows in the live file (names,
 *     ranges, chain heads, SHA-256s), the last one's head and SHA-256 (`archive`);
 *   - a digest of the live file's events (with their signatures) up to that archived head: the
 *     copies of archived events of KEPT_TYPES, which never leave the live file (`kept`);
 *   - a digest of the signatures of the events after the archived head up to `head` (`sigs`):
 *     their content is walked again (the hash chain to `head`), their signatures are not;
 *   - the derived tables as the replay of the checked events left them (an SQLite image; rows of
 *     trimmed tables only for the live part), so the next check continues the replay.
 *
 * The next check (verify.ts `acceptedSinceMark`) opens it with the current evidence key only (a
 * key a rotation replaced, which a disabled designee may have kept, opens no mark) and accepts the
 * ledger only if: the segments named in the mark are the same rows and their files are there; the
 * live file's events up to the mark's archived head are the same rows; the chain walked from there
 * (segments cut since, then the live file, every copy compared with its archived event) passes
 * through the mark's head with its hash and the same signatures; every event after the head is
 * signed by its author with the right to record it; and the live derived tables are the mark's
 * replay continued over those events. Anything else — no mark, one that does not open, another
 * home's, another schema, a head the ledger no longer holds (a restore), any difference or any
 * problem — is not an acceptance: the whole check runs, and decides (it names the problem).
 * A mark is a cache of a passed check, never a reason to skip one.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { SegmentRow } from './archive.js';
import { GENESIS_HASH } from './canonical.js';
import { openBlob, sealBlob, subkey } from './crypto.js';
import { writeFileAtomic } from './fsutil.js';
import type { Home } from './home.js';
import type { ChainStart, Ledger } from './ledger.js';

/** The mark's file in the home. */
export const MARK_FILE = 'signed-state.enc';
const FORMAT = 'custody-signed-state';
const PURPOSE = 'signed-state';
const contextOf = (home: string) => `custody-signed-state:${home}`;

export interface SignedStateMark {
  format: typeof FORMAT;
  version: 1;
  home: string;
  /** The ledger schema version the replay was made with. */
  schema: number;
  head: { seq: number; hash: string };
  archive: ChainStart & { digest: string };
  kept: string;
  sigs: string;
}

export function markFile(home: Home): string {
  return home.file(MARK_FILE);
}

/** The digest of segment rows (as the live file's archive_segments names them), in order. */
export function segmentsDigest(rows: readonly SegmentRow[]): string {
  const h = createHash('sha256');
  for (const r of rows)
    h.update(
      `${JSON.stringify([r.idx, r.name, r.first_seq, r.last_seq, r.prev_hash, r.head_hash, r.sha256, r.prev_sha256])}\n`,
    );
  return h.digest('hex');
}

/** The digest of the live file's events #1–#`upTo` as stored, with their signatures. */
export function keptDigest(ledger: Ledger, upTo: number): string {
  const h = createHash('sha256');
  const st = ledger.db.prepare(
    'SELECT e.seq, e.at, e.type, e.actor, e.data, e.prev_hash, e.hash, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq <= ? ORDER BY e.seq',
  );
  try {
    st.bind([upTo]);
    while (st.step()) h.update(`${JSON.stringify(st.get())}\n`);
  } finally {
    st.free();
  }
  return h.digest('hex');
}

/** One event's signature into a running digest. */
export function addSignature(h: Hash, e: { seq: number; key: string | null; sig: string | null }): void {
  h.update(`${JSON.stringify([e.seq, e.key ?? null, e.sig ?? null])}\n`);
}

/** The mark of `ledger` at its head (its live file, as it is now: call it only once a check passed). */
export function markOf(ledger: Ledger, homeId: string): SignedStateMark {
  const segs = ledger.segments();
  const last = segs[segs.length - 1];
  const archive: ChainStart & { digest: string } = {
    segments: segs.length,
    seq: last?.last_seq ?? 0,
    hash: last?.head_hash ?? GENESIS_HASH,
    sha256: last?.sha256 ?? null,
    digest: segmentsDigest(segs),
  };
  const sigs = createHash('sha256');
  const st = ledger.db.prepare(
    'SELECT e.seq, s.key, s.sig FROM events e LEFT JOIN event_sigs s ON s.seq = e.seq WHERE e.seq > ? ORDER BY e.seq',
  );
  try {
    st.bind([archive.seq]);
    while (st.step()) {
      const [seq, key, sig] = st.get() as [number, string | null, string | null];
      addSignature(sigs, { seq, key, sig });
    }
  } finally {
    st.free();
  }
  return {
    format: FORMAT,
    version: 1,
    home: homeId,
    schema: ledger.schema.version,
    head: ledger.head,
    archive,
    kept: keptDigest(ledger, archive.seq),
    sigs: sigs.digest('hex'),
  };
}

/** The marks this process wrote, by the session that wrote them (to seal again after a rotation). */
const written = new WeakMap<object, Buffer>();

/**
 * Seal and write the mark of `ledger` (just checked) with `replay` (its derived tables as the
 * replay of the checked events left them), atomically. With `owner` (the session), the mark is
 * remembered for {@link resealMark}.
 */
export function writeMark(
  home: Home,
  evidence: Buffer,
  ledger: Ledger,
  replay: Ledger,
  owner?: object,
): SignedStateMark {
  const mark = markOf(ledger, home.json.homeId);
  const header = Buffer.from(JSON.stringify(mark), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  const plain = Buffer.concat([len, header, Buffer.from(replay.db.export())]);
  writeFileAtomic(markFile(home), sealBlob(subkey(evidence, PURPOSE), plain, contextOf(home.json.homeId)));
  if (owner) written.set(owner, plain);
  return mark;
}

/**
 * After a rotation of the evidence key (a disable, a password change): the mark `owner` wrote
 * itself in this process (the check the rotation was decided on) sealed again with the new key, so
 * the next check does not start over from the first event. Never a mark read from the file: one
 * sealed with the replaced key may be a leaving designee's. False when `owner` wrote none.
 */
export function resealMark(home: Home, owner: object, evidence: Buffer): boolean {
  const plain = written.get(owner);
  if (!plain) return false;
  writeFileAtomic(markFile(home), sealBlob(subkey(evidence, PURPOSE), plain, contextOf(home.json.homeId)));
  return true;
}

/**
 * The mark of this home and its saved replay, opened with the current evidence key only; undefined
 * when there is none or it does not open (removed, forged with another key, another home's, from
 * before a rotation, damaged): the whole check runs then.
 */
/** Whether the home holds a mark file at all (one that does not open is not the same as none). */
export function hasMarkFile(home: Home): boolean {
  return fs.existsSync(markFile(home));
}

export function readMark(home: Home, evidence: Buffer): { mark: SignedStateMark; state: Buffer } | undefined {
  let blob: Buffer;
  try {
    blob = fs.readFileSync(markFile(home));
  } catch {
    return undefined;
  }
  const plain = openBlob(subkey(evidence, PURPOSE), blob, contextOf(home.json.homeId));
  if (!plain || plain.length < 4) return undefined;
  const n = plain.readUInt32BE(0);
  if (4 + n > plain.length) return undefined;
  let mark: SignedStateMark;
  try {
    mark = JSON.parse(plain.subarray(4, 4 + n).toString('utf8')) as SignedStateMark;
  } catch {
    return undefined;
  }
  if (mark.format !== FORMAT || mark.version !== 1 || mark.home !== home.json.homeId) return undefined;
  return { mark, state: plain.subarray(4 + n) };
}

/**
 * The part of the check the mark stands for: whether `ledger` holds, unchanged, everything the
 * mark's check covered, and its chain continues from the mark's head (walked from the mark's
 * archived head: segments cut since, every kept copy compared, the events after it re-hashed).
 * True only when all of it holds; the events after the head are left to the caller (signatures,
 * rights, replay).
 */
export function extendsMark(ledger: Ledger, mark: SignedStateMark): boolean {
  const m = mark.head.seq;
  if (mark.schema !== ledger.schema.version || m > ledger.head.seq || mark.archive.seq > m) return false;
  const segs = ledger.segments();
  const n = mark.archive.segments;
  if (segs.length < n) return false;
  const mine = segs.slice(0, n);
  const last = mine[n - 1];
  if (
    segmentsDigest(mine) !== mark.archive.digest ||
    (last?.last_seq ?? 0) !== mark.archive.seq ||
    (last?.head_hash ?? GENESIS_HASH) !== mark.archive.hash ||
    (last?.sha256 ?? null) !== mark.archive.sha256
  )
    return false;
  // Each file is hashed when read; here only that none was removed (verify reads them all).
  if (mine.some((r) => !fs.existsSync(ledger.archive.locate(r.name)))) return false;
  if (keptDigest(ledger, mark.archive.seq) !== mark.kept) return false;
  const sigs = createHash('sha256');
  let atHead = m === mark.archive.seq && mark.archive.hash === mark.head.hash;
  const walk = ledger.verifyChain(mark.archive, (e) => {
    if (e.seq > m) return;
    addSignature(sigs, e);
    if (e.seq === m) atHead = e.hash === mark.head.hash;
  });
  return !walk.problem && atHead && sigs.digest('hex') === mark.sigs;
}
