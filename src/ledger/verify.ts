/**
 * `custody verify` (policy §9): re-walk the hash chain, replay it into the derived tables, and
 * check every signed checkpoint against the chain. Returns findings; the caller decides the exit.
 */
import { checkpointSignatureValid } from './home.js';
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
  const latest = checkpoints.length ? Math.max(...checkpoints.map((c) => c.seq)) : null;
  if (latest !== null && latest < s.ledger.head.seq && !s.ledger.hasUnsavedChanges)
    warnings.push(`Events after #${latest} have no signed checkpoint yet.`);

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
