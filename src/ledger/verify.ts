/**
 * `custody verify` (policy §9): re-walk the hash chain, replay it into the derived tables, and
 * check every signed checkpoint against the chain. Returns findings; the caller decides the exit.
 */
import { sha256Hex } from '../core/hash.js';
import { type CheckpointLine, checkpointSignatureValid } from './home.js';
import type { Session } from './session.js';

export interface VerifyReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string };
  checkpoints: { total: number; valid: number; latestSeq: number | null };
  problems: string[];
  warnings: string[];
  firstBadEvent?: { seq: number; type: string; at: string; reason: string };
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

  const cert = s.home.certificatePem();
  const { checkpoints, unreadable } = s.home.readCheckpoints();
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
    if (!checkpointSignatureValid(cp, cert)) {
      problems.push(`Checkpoint at #${cp.seq} (${cp.at}) has an invalid signature.`);
      continue;
    }
    valid++;
    const ev = s.ledger.one<{ hash: string }>('SELECT hash FROM events WHERE seq = ?', [cp.seq]);
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
    problems,
    warnings,
    firstBadEvent: chain.problem,
  };
}
