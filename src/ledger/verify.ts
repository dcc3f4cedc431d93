/**
 * `custody verify` (policy §9): re-walk the hash chain, replay it into the derived tables, and
 * check every signed checkpoint against the chain. Returns findings; the caller decides the exit.
 */
import { CustodyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { isRole, mayAuthor } from '../core/roles.js';
import { type WholeCheckReason, wholeCheckNotice } from '../core/slow-check.js';
import { type CheckpointLine, checkpointSignatureValid, checkpointSignedBy } from './home.js';
import type { Ledger } from './ledger.js';
import { keyIdOf, verifyWithKey } from './signing.js';
import type { Session } from './session.js';
import { extendsMark, hasMarkFile, MARK_FILE, readMark, type SignedStateMark, writeMark } from './signed-mark.js';

export interface VerifyReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string };
  checkpoints: { total: number; valid: number; latestSeq: number | null };
  /** Events signed by their author's key, and from which event on every one must be (format 2). */
  signatures: { valid: number; from: number | null };
  problems: string[];
  warnings: string[];
  firstBadEvent?: { seq: number; type: string; at: string; reason: string };
}

/** Every signing key the ledger records: who it belongs to, from which event on. */
export interface KeyRegistry {
  byId: Map<string, { username: string; publicKey: string; seq: number }>;
  /** Each username's keys in order of recording. */
  byUser: Map<string, { keyId: string; seq: number }[]>;
  /** Events that record a key, and whose key they record. */
  events: Map<number, { username: string; keyId: string; self: boolean }>;
}

const SELF_INTRODUCING = new Set(['home.created', 'home.upgraded']);

export function recordedKeys(ledger: Ledger): KeyRegistry {
  const reg: KeyRegistry = { byId: new Map(), byUser: new Map(), events: new Map() };
  const rows = ledger.rows<{ seq: number; type: string; actor: string; data: string }>(
    "SELECT seq, type, actor, data FROM events WHERE type IN ('home.created','home.upgraded','operator.added','operator.password_changed') ORDER BY seq",
  );
  for (const r of rows) {
    const d = JSON.parse(r.data) as { signingKey?: unknown; username?: unknown };
    if (typeof d.signingKey !== 'string') continue;
    const self = SELF_INTRODUCING.has(r.type);
    const username = self ? r.actor : String(d.username);
    const keyId = keyIdOf(d.signingKey);
    reg.byId.set(keyId, { username, publicKey: d.signingKey, seq: r.seq });
    reg.byUser.set(username, [...(reg.byUser.get(username) ?? []), { keyId, seq: r.seq }]);
    reg.events.set(r.seq, { username, keyId, self });
  }
  return reg;
}

/** The key `username` signs with at event `seq`: the last one recorded before it (or by it, if it introduces itself). */
function keyAt(reg: KeyRegistry, username: string, seq: number): string | undefined {
  const ks = reg.byUser.get(username) ?? [];
  let out: string | undefined;
  for (const k of ks) {
    const intro = reg.events.get(k.seq);
    if (k.seq < seq || (k.seq === seq && intro?.self)) out = k.keyId;
  }
  return out;
}

/**
 * Every event from the start of signing on (the `home.created` of a format-2 home, or the
 * `home.upgraded` event) must carry a signature by its author's key, as the ledger recorded it
 * before; a key for someone else must be recorded by a custodian. An operator holding only the
 * record key can recompute the chain but cannot sign as anyone else.
 */
export function eventSignatureProblems(
  ledger: Ledger,
  reg: KeyRegistry,
  homeVersion: number,
  /** Check the events from this one on only (those before were checked: the signed-state mark). */
  after = 1,
): { problems: string[]; valid: number; from: number | null } {
  const start = [...reg.events.entries()].find(([, e]) => e.self)?.[0] ?? null;
  if (start === null)
    return {
      problems:
        homeVersion >= 2
          ? ['The ledger does not record where signed events begin (no signed home.created or home.upgraded).']
          : [],
      valid: 0,
      from: null,
    };
  // Rights as the signed operator events give them at each event, never the derived table (an
  // operator holding the record key can rewrite that table).
  const rights = operatorTimeline(ledger);
  const problems: string[] = [];
  let valid = 0;
  // The archive segments, then the live file (Ledger.forEachEvent).
  ledger.forEachEvent(
    (r) => {
      const what = `Event #${r.seq} (${r.type}, ${r.at}) by ${r.actor}`;
      const expected = keyAt(reg, r.actor, r.seq);
      const pub = expected ? reg.byId.get(expected)?.publicKey : undefined;
      if (!r.sig || !r.key) problems.push(`${what} carries no signature: it was added or re-written outside custody.`);
      else if (!pub) problems.push(`${what} is signed, but the ledger records no key for ${r.actor}.`);
      else if (r.key !== expected || !verifyWithKey(pub, r.hash, r.sig))
        problems.push(`${what} is not signed by ${r.actor}'s key: it was forged or re-signed.`);
      else {
        const rec = reg.events.get(r.seq);
        const author = rightsAt(rights, r.actor, r.seq);
        const inactive = SELF_INTRODUCING.has(r.type) ? undefined : inactiveAuthor(rights, r.actor, r.seq);
        if (inactive) problems.push(`${what} is signed by ${r.actor}, ${inactive}: they could no longer record it.`);
        else if (rec && !rec.self && author?.role !== 'custodian')
          problems.push(`${what} records a signing key for ${rec.username}, but only a custodian may.`);
        else valid++;
      }
      if (problems.length >= 5) return false;
    },
    Math.max(start, after),
  );
  return { problems, valid, from: start };
}

/** One change of an operator's rights, by a signed event: from `seq` on they hold `role`, or nothing (`active` false). */
export interface RightsChange {
  seq: number;
  role: string;
  active: boolean;
}

/**
 * Each operator's rights over time, from the signed events in ledger order: `home.created` makes
 * its author the custodian (who then adds themselves), `operator.added` gives a role and makes them
 * active, `operator.disabled` ends it. (The ledger has no re-enable or role-change event: a new one
 * belongs here.) Never the derived `operators` table.
 */
export function operatorTimeline(ledger: Ledger): Map<string, RightsChange[]> {
  const out = new Map<string, RightsChange[]>();
  for (const r of ledger.history(['home.created', 'operator.added', 'operator.disabled'])) {
    const d = JSON.parse(r.data) as { username?: unknown; role?: unknown };
    const u = r.type === 'home.created' ? r.actor : String(d.username);
    const list = out.get(u) ?? [];
    const before = list[list.length - 1];
    if (r.type === 'home.created') list.push({ seq: r.seq, role: 'custodian', active: true });
    else if (r.type === 'operator.added') list.push({ seq: r.seq, role: String(d.role), active: true });
    else if (before) list.push({ seq: r.seq, role: before.role, active: false });
    out.set(u, list);
  }
  return out;
}

/** `username`'s rights in force at event `seq` (set by events before it), or undefined when none. */
export function rightsAt(tl: Map<string, RightsChange[]>, username: string, seq: number): RightsChange | undefined {
  let out: RightsChange | undefined;
  for (const c of tl.get(username) ?? []) if (c.seq < seq) out = c;
  return out?.active ? out : undefined;
}

/** Why `username` holds no rights at event `seq` because a signed event took them away ("disabled at #n"). */
function inactiveAuthor(tl: Map<string, RightsChange[]>, username: string, seq: number): string | undefined {
  let last: RightsChange | undefined;
  for (const c of tl.get(username) ?? []) if (c.seq < seq) last = c;
  return last && !last.active ? `disabled at #${last.seq}` : undefined;
}

/** Each operator's role and the event that added them, from the `operator.added` events alone. */
export function signedRoles(ledger: Ledger): Map<string, { role: string; seq: number }> {
  const out = new Map<string, { role: string; seq: number }>();
  for (const r of ledger.rows<{ seq: number; data: string }>(
    "SELECT seq, data FROM events WHERE type = 'operator.added' ORDER BY seq",
  )) {
    const d = JSON.parse(r.data) as { username?: unknown; role?: unknown };
    const u = String(d.username);
    if (!out.has(u)) out.set(u, { role: String(d.role), seq: r.seq });
  }
  return out;
}

/**
 * Every event's author may write it: by the one table of event type → roles (core/roles.ts
 * `EVENT_AUTHORS`), on the rights the signed events give at the event's position (never the derived
 * table; an author disabled before it is named by `eventSignatureProblems`). Special cases:
 * `home.created` is event #1, by the custodian the next event adds, and only the first signed event
 * records its own author's key; the first custodian adds themselves; an active operator changes
 * their own password, another's is a custodian's. An unknown event type is authored by nobody.
 */
export function authorityProblems(ledger: Ledger, after = 1): string[] {
  const rights = operatorTimeline(ledger);
  const problems: string[] = [];
  let first: number | undefined;
  let signedFrom: number | undefined;
  // Events before `after` were checked (the signed-state mark): what the walk would have learnt
  // from them, from the kept copies of the three types it learns it from.
  for (const r of after > 1 ? ledger.history(['home.created', 'home.upgraded', 'operator.added']) : []) {
    if (r.seq >= after) break;
    if (r.type === 'operator.added') first ??= r.seq;
    else if (
      signedFrom === undefined &&
      typeof (JSON.parse(r.data) as { signingKey?: unknown }).signingKey === 'string'
    )
      signedFrom = r.seq;
  }
  // Across the archive too.
  ledger.forEachEvent((r) => {
    const what = `Event #${r.seq} (${r.type}, ${r.at}) by ${r.actor}`;
    const role = rightsAt(rights, r.actor, r.seq);
    const d = JSON.parse(r.data) as { username?: unknown; role?: unknown; signingKey?: unknown };
    if (r.type === 'operator.added') first ??= r.seq;
    // The first custodian adds themselves when the home is created.
    if (r.type === 'operator.added' && r.seq === first && d.username === r.actor && d.role === 'custodian') return;
    if (r.type === 'operator.password_changed' && role) {
      if (d.username === r.actor) return;
      if (role.role !== 'custodian') {
        problems.push(`${what}: only a custodian changes another operator's password.`);
        return problems.length < 5;
      }
    }
    if (r.type === 'home.created' || r.type === 'home.upgraded') {
      // Only the first signed event introduces its author's key by itself: a later one would let
      // anyone holding the record key put a key of their own in as the custodian's.
      if (r.type === 'home.created' && r.seq !== 1) {
        problems.push(`${what}: a home is created by its first event only.`);
        return problems.length < 5;
      }
      if (typeof d.signingKey === 'string') {
        if (signedFrom !== undefined) {
          problems.push(
            `${what} records a signing key of its own after signed events began at #${signedFrom}: only the first may.`,
          );
          return problems.length < 5;
        }
        signedFrom = r.seq;
      }
      if (r.type === 'home.created') return;
    }
    // An author disabled before the event: named by the signature check (eventSignatureProblems).
    if (!role && inactiveAuthor(rights, r.actor, r.seq)) return;
    if (!role || !isRole(role.role) || !mayAuthor(role.role, r.type))
      problems.push(
        `${what}: the signed events do not give ${r.actor} the right to record it (${role ? `${role.role === 'auditor' ? 'an' : 'a'} ${role.role} may not record ${r.type}` : `${r.actor} was not an operator then`}).`,
      );
    return problems.length < 5;
  }, after);
  return problems;
}

/**
 * Before a decision that hands out keys or destroys data: the chain is whole, every signed event is
 * signed by its author, the events that decide it were recorded by someone allowed to, and the
 * derived `tables` are what replaying the events gives. Returns what is wrong (empty when nothing).
 */
export async function signedStateProblems(
  ledger: Ledger,
  homeVersion: number,
  tables?: readonly string[],
): Promise<string[]> {
  const { problems, replay } = await wholeCheck(ledger, homeVersion, tables);
  replay?.close();
  return problems;
}

/** {@link signedStateProblems}, with the replay it compared with (the caller closes it) when the chain holds. */
async function wholeCheck(
  ledger: Ledger,
  homeVersion: number,
  tables?: readonly string[],
): Promise<{ problems: string[]; replay?: Ledger }> {
  const chain = ledger.verifyChain();
  if (chain.problem)
    return {
      problems: [`Event #${chain.problem.seq} (${chain.problem.type}, ${chain.problem.at}): ${chain.problem.reason}.`],
    };
  const problems = [...eventSignatureProblems(ledger, recordedKeys(ledger), homeVersion).problems];
  problems.push(...authorityProblems(ledger));
  const { replay, problems: replayed } = await ledger.replayDerived();
  problems.push(...replayed, ...ledger.derivedMismatches(replay, tables));
  return { problems, replay };
}

/**
 * The check from the signed-state mark (signed-mark.ts): the ledger holds unchanged what the
 * mark's check covered and extends its head, and the events since are signed by authors with the
 * right to record them and replay from the mark's tables into the live ones. Returns the replay
 * (the caller closes it) when all of that holds; undefined for anything else (no acceptance: the
 * whole check decides, and names what is wrong).
 */
export async function acceptedSinceMark(
  ledger: Ledger,
  homeVersion: number,
  tables: readonly string[] | undefined,
  saved: { mark: SignedStateMark; state: Buffer },
): Promise<Ledger | undefined> {
  const after = saved.mark.head.seq + 1;
  let replay: Ledger | undefined;
  try {
    if (!extendsMark(ledger, saved.mark)) return undefined;
    if (eventSignatureProblems(ledger, recordedKeys(ledger), homeVersion, after).problems.length) return undefined;
    if (authorityProblems(ledger, after).length) return undefined;
    const r = await ledger.replayDerived(after, saved.state);
    replay = r.replay;
    if (r.problems.length || ledger.derivedMismatches(replay, tables).length) {
      replay.close();
      return undefined;
    }
    return replay;
  } catch {
    // A segment missing or damaged, a saved replay that does not open: the whole check names it.
    return undefined;
  }
}

/**
 * The tests' cross-check (CUSTODY_SIGNED_STATE_CROSSCHECK=1): the check from a mark must give the
 * whole check's verdict whenever the ledger extends the mark (a bug otherwise, thrown as such).
 */
async function crossCheck(
  s: Session,
  tables: readonly string[] | undefined,
  saved: { mark: SignedStateMark; state: Buffer },
  accepted: boolean,
): Promise<void> {
  const whole = await signedStateProblems(s.ledger, s.home.json.version, tables).catch((e: unknown) => [String(e)]);
  let fits = false;
  try {
    fits = extendsMark(s.ledger, saved.mark);
  } catch {
    fits = false;
  }
  if (accepted && whole.length)
    throw new Error(`the check from the signed-state mark accepted a ledger the whole check refuses: ${whole[0]}`);
  if (!accepted && fits && !whole.length)
    throw new Error(
      'the check from the signed-state mark refused a ledger that extends it and the whole check accepts',
    );
}

/** How the last check of `requireSignedState` was made (for tests and the bench). */
export type SignedStateCheck = 'since-mark' | 'whole';

/**
 * {@link signedStateProblems} as a refusal (exit 8) that changes nothing; `what` names the tables
 * in the message. In a session holding the evidence key the check starts from the signed-state
 * mark when one fits (signed-mark.ts) and leaves a new mark once it passes; a mark that cannot be
 * written is a warning of the session, never a failure. Before a rotation of the evidence key the
 * check is whole (`o.whole`): a mark on disk may have been sealed by the designee the rotation
 * leaves out, and the rotation seals this check's mark again. With CUSTODY_SIGNED_STATE_CROSSCHECK=1
 * (the tests) an acceptance from the mark is checked against the whole check too.
 */
export async function requireSignedState(
  s: Session,
  what: string,
  tables?: readonly string[],
  /** Never from the mark (before a rotation of the evidence key: the mark then sealed again is this check's). */
  o: { whole?: boolean } = {},
): Promise<SignedStateCheck> {
  const evidence = s.keys.evidence;
  const saved = evidence && !o.whole ? readMark(s.home, evidence) : undefined;
  let replay = saved ? await acceptedSinceMark(s.ledger, s.home.json.version, tables, saved) : undefined;
  const how: SignedStateCheck = replay ? 'since-mark' : 'whole';
  if (saved && process.env.CUSTODY_SIGNED_STATE_CROSSCHECK === '1')
    await crossCheck(s, tables, saved, !!replay).catch((e: unknown) => {
      replay?.close();
      throw e;
    });
  if (!replay) {
    announceWholeCheck(s, o.whole ? 'rotation' : !evidence ? 'no-key' : whyNoMark(s, saved), saved?.mark);
    const whole = await wholeCheck(s.ledger, s.home.json.version, tables);
    if (whole.problems.length) {
      whole.replay?.close();
      const problems = whole.problems;
      throw new CustodyError(
        'integrity',
        `The ledger's ${what} ${what.endsWith('table') ? 'does' : 'do'} not match its signed events; run \`custody verify\`.`,
        `${problems[0]!.replace(/^./, (c) => c.toUpperCase())}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      );
    }
    replay = whole.replay!;
  }
  try {
    // A mark of events not saved yet would not fit the file the next check reads.
    const same = saved?.mark.head.seq === s.ledger.head.seq && saved.mark.head.hash === s.ledger.head.hash;
    if (evidence && !s.ledger.hasUnsavedChanges && !(how === 'since-mark' && same))
      writeMark(s.home, evidence, s.ledger, replay, s);
  } catch (e) {
    s.warn(
      `the signed-state check passed, but its mark (${MARK_FILE}) could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the next check reads the whole ledger again.`,
    );
  } finally {
    replay.close();
  }
  return how;
}

/** Why a session holding the evidence key found no mark to start from. */
function whyNoMark(s: Session, saved: { mark: SignedStateMark } | undefined): WholeCheckReason {
  if (!saved) return hasMarkFile(s.home) ? 'unreadable-mark' : 'no-mark';
  return saved.mark.schema !== s.ledger.schema.version ? 'schema' : 'mark-not-fitting';
}

/**
 * One line to the operator, now, before a whole check over many events (core/slow-check.ts): why
 * it is whole, how many events, about how long, that it is safe to wait.
 */
function announceWholeCheck(s: Session, reason: WholeCheckReason, mark: SignedStateMark | undefined): void {
  const line = wholeCheckNotice({
    reason,
    events: s.ledger.head.seq,
    thresholdEvents: s.wholeCheckNoticeEvents,
    leavesMark: s.keys.evidence !== undefined,
    schema: mark ? { mark: mark.schema, now: s.ledger.schema.version } : undefined,
  });
  if (line) s.notice(line);
}

/**
 * A backup manifest's signer, by the signed events up to `seq` (the manifest's ledger head): the
 * key must be one the ledger records, the one its owner signed with at that point, and its owner
 * an active custodian or designee then (an auditor or a disabled operator signs no backup).
 */
export function backupSignerProblem(ledger: Ledger, publicKey: string, seq: number): string | undefined {
  const reg = recordedKeys(ledger);
  const keyId = keyIdOf(publicKey);
  const known = reg.byId.get(keyId);
  if (!known || known.publicKey !== publicKey) return 'the manifest is not signed by an operator of this home';
  const who = known.username;
  if (keyAt(reg, who, seq + 1) !== keyId)
    return `the manifest is signed with a key that was not ${who}'s at the backup's ledger head #${seq}`;
  const role = signedRoles(ledger).get(who)?.role;
  if (role !== 'custodian' && role !== 'designee')
    return `the manifest is signed by ${who}, ${role === 'auditor' ? 'an auditor' : 'not a custodian or designee'}: only a custodian or a designee signs a backup`;
  const disabled = ledger.one<{ seq: number }>(
    "SELECT seq FROM events WHERE type = 'operator.disabled' AND json_extract(data, '$.username') = ? AND seq <= ? ORDER BY seq LIMIT 1",
    [who, seq],
  );
  if (disabled)
    return `the manifest is signed by ${who}, disabled at #${disabled.seq}, before the backup's ledger head #${seq}`;
  return undefined;
}

/** "Events #a–#b have" (or "Event #a has") when the ledger goes past the last checkpoint. */
function unsignedSpan(latest: number, head: number): string | undefined {
  if (head <= latest) return undefined;
  return head === latest + 1 ? `Event #${head} has` : `Events #${latest + 1}–#${head} have`;
}

/**
 * The checkpoints' own chain: each names the SHA-256 of the line before it, so a removed,
 * inserted or edited line breaks it. Lines written before checkpoints were chained (no `prev`)
 * may only come first.
 */
export function checkpointChainProblems(checkpoints: CheckpointLine[]): string[] {
  const problems: string[] = [];
  let chained = false;
  checkpoints.forEach((cp, i) => {
    const before = checkpoints[i - 1];
    if (cp.prev === undefined) {
      if (chained) problems.push(`Checkpoint line ${cp.line} (#${cp.seq}) does not name the checkpoint before it.`);
      return;
    }
    chained = true;
    const expected = before ? sha256Hex(before.raw) : null;
    if (cp.prev === expected) return;
    if (!before)
      problems.push(
        `Checkpoints before the one of #${cp.seq} (${cp.at}) are missing: the start of checkpoints.jsonl was removed.`,
      );
    else
      problems.push(
        `A checkpoint is missing between #${before.seq} (${before.at}) and #${cp.seq} (${cp.at}): checkpoints.jsonl was trimmed or edited there.`,
      );
  });
  return problems;
}

export async function verifyLedger(s: Session): Promise<VerifyReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const chain = s.ledger.verifyChain();
  if (chain.problem)
    problems.push(`Event #${chain.problem.seq} (${chain.problem.type}, ${chain.problem.at}): ${chain.problem.reason}.`);

  if (!chain.problem)
    problems.push(...(await s.ledger.verifyDerived()).map((p) => `${p[0]!.toUpperCase()}${p.slice(1)}.`));

  const keys = recordedKeys(s.ledger);
  const sigs = eventSignatureProblems(s.ledger, keys, s.home.json.version);
  problems.push(...sigs.problems);
  if (!chain.problem) problems.push(...authorityProblems(s.ledger));
  const cert = s.home.certificatePem();
  const { checkpoints, unreadable } = s.home.readCheckpoints(s.checkpointsSeen);
  for (const line of unreadable) problems.push(`Checkpoint line ${line} of checkpoints.jsonl is unreadable.`);
  problems.push(...checkpointChainProblems(checkpoints));
  let valid = 0;
  const restores = s.ledger
    .rows<{ data: string }>("SELECT data FROM events WHERE type = 'ledger.restored'")
    .map((r) => JSON.parse(r.data) as { lostCheckpoints?: { seq: number; hash: string }[] });
  const excused = new Set(restores.flatMap((r) => (r.lostCheckpoints ?? []).map((c) => `${c.seq}:${c.hash}`)));
  for (const cp of checkpoints) {
    if (cp.home !== s.home.json.homeId) {
      problems.push(`Checkpoint at #${cp.seq} belongs to another home.`);
      continue;
    }
    const pub = cp.key ? keys.byId.get(cp.key)?.publicKey : undefined;
    if (cp.key ? !pub || !checkpointSignedBy(cp, pub) : !checkpointSignatureValid(cp, cert)) {
      problems.push(`Checkpoint at #${cp.seq} (${cp.at}) has an invalid signature.`);
      continue;
    }
    valid++;
    const ev = s.ledger.eventAt(cp.seq);
    if (excused.has(`${cp.seq}:${cp.hash}`)) {
      warnings.push(`Checkpoint at #${cp.seq} (${cp.at}) was lost in a recorded restore of an earlier generation.`);
    } else if (!ev) {
      problems.push(
        `The ledger ends at #${s.ledger.head.seq}, but a signed checkpoint of ${cp.at} covers #${cp.seq}: events were removed or an older file was put back.`,
      );
    } else if (ev.hash !== cp.hash) {
      problems.push(
        `Event #${cp.seq} does not match the signed checkpoint of ${cp.at}: the history before it was rewritten.`,
      );
    }
  }
  if (checkpoints.length === 0) problems.push('There is no signed checkpoint.');
  const last = checkpoints[checkpoints.length - 1];
  const latest = last ? last.seq : null;
  const unsigned = unsignedSpan(latest ?? 0, s.ledger.head.seq);
  if (unsigned && !s.ledger.hasUnsavedChanges)
    problems.push(
      `${unsigned} no signed checkpoint: the last checkpoint${last ? ` (line ${last.line}, ${last.at})` : ''} covers #${latest ?? 0}; checkpoints.jsonl was trimmed or the ledger was saved outside custody.`,
    );

  return {
    ok: problems.length === 0,
    events: chain.events,
    head: s.ledger.head,
    checkpoints: { total: checkpoints.length, valid, latestSeq: latest },
    signatures: { valid: sigs.valid, from: sigs.from },
    problems,
    warnings,
    firstBadEvent: chain.problem,
  };
}
