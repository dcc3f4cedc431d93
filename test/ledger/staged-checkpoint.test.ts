/**
 * A save killed between the ledger and its checkpoint line (found by swap-kill, seed 90121): the
 * commit stages the signed line first, and the next log-in appends it when the ledger holds the head
 * it signs, or drops it when the save never finished. Real files, real sql.js; the kill is made by
 * putting the files in the state each kill leaves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.js';
import { addCamera } from '../../src/operations/cameras.js';
import { manualClock, newHome, open } from './helpers.js';

const clock = manualClock('2026-11-20T10:00:00-08:00');

/** checkpoints.jsonl without its last line; the line. */
function cutLastLine(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const last = lines.pop()!;
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return last;
}

async function problems(home: string): Promise<string[]> {
  const s = await open(home, clock);
  try {
    return (await verifyLedger(s)).problems.map((p) => String(p));
  } finally {
    s.close();
  }
}

describe('a save killed between the ledger and its checkpoint', () => {
  it('leaves the signed line staged; the next log-in appends it and verify is clean', async () => {
    const home = await newHome(clock);
    const s = await open(home, clock);
    addCamera(s, { id: 'CAM-01', location: 'Main St' });
    s.commit();
    const checkpoints = s.home.checkpointsFile;
    const staged = s.home.stagedCheckpointFile;
    s.close();
    expect(fs.existsSync(staged), 'a finished commit leaves nothing staged').toBe(false);

    // The state a kill after the ledger's rename and before the append leaves, without the staged line:
    const line = cutLastLine(checkpoints);
    const before = fs.readFileSync(checkpoints);
    const missing = await problems(home);
    expect(missing.join('\n')).toMatch(/no signed checkpoint/);
    // (that log-in changed nothing: there was nothing staged)
    expect(fs.readFileSync(checkpoints)).toEqual(before);

    // … and with it, as the commit now leaves it.
    fs.writeFileSync(staged, line);
    expect(await problems(home)).toEqual([]);
    expect(fs.readFileSync(checkpoints, 'utf8').trimEnd().split('\n').at(-1)).toBe(line);
    expect(fs.existsSync(staged)).toBe(false);
  });

  it('a line staged for a save that never finished is dropped, and the ledger as it was verifies', async () => {
    const home = await newHome(clock);
    const ledgerFile = path.join(home, 'ledger.enc');
    const saved = fs.readFileSync(ledgerFile);
    const s = await open(home, clock);
    addCamera(s, { id: 'CAM-01', location: 'Main St' });
    s.commit();
    const { checkpointsFile, stagedCheckpointFile } = s.home;
    s.close();
    // A kill before the ledger's rename: the old ledger, the line staged, checkpoints.jsonl without it.
    fs.writeFileSync(ledgerFile, saved);
    fs.writeFileSync(stagedCheckpointFile, cutLastLine(checkpointsFile));
    const before = fs.readFileSync(checkpointsFile);
    expect(await problems(home)).toEqual([]);
    expect(fs.readFileSync(checkpointsFile)).toEqual(before);
    expect(fs.existsSync(stagedCheckpointFile)).toBe(false);
  });
});
