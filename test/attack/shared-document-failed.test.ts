/**
 * Attack (MEDIUM, interrupted commands): two commands keep the same written document at once (the
 * deputy's one letter asks for the footage and for a hold: `request new` in one terminal, `hold
 * add` in another, or the same scan attached twice). The first to seal it into `documents/` notes it
 * as its own new file; the second finds it there and commits its event naming it. When the first
 * then fails (a clash, a full disk), it removed "its" file — the committed request's written
 * request was gone from the home: `request document` could not produce it, and the record named a
 * document nobody could read (policy §5: the written request is the basis of the release).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../src/core/hash.js';
import { manualClock } from '../../src/core/time.js';
import { keepDocument } from '../../src/ledger/features/requests.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openSession } from '../../src/ledger/session.js';
import { ECSO_AGENCY_ADD, ecsoRequest, INIT_ARGS, newTestHome, okRunner, PASSWORD, run } from '../helpers/cli.js';

const clock = manualClock('2026-11-05T10:00:00-08:00');

describe('a document kept by two commands at once, one of which fails', () => {
  it('stays in the home for the command that committed it', async () => {
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
    await ok(ECSO_AGENCY_ADD);
    const letter = path.join(t.dir, 'letter.txt');
    fs.writeFileSync(letter, 'Request for footage and its preservation: case ECSO-26-004417.\n');
    const kept = path.join(t.home, 'documents', `${sha256Hex(fs.readFileSync(letter))}.enc`);

    // Command A (another terminal) keeps the letter first, and has not committed yet.
    const a = await openSession({
      homeDir: t.home,
      credentials: { username: 'asd', password: PASSWORD },
      clock,
      command: 'hold add',
    });
    keepDocument(a, letter);

    // Command B keeps the same letter and commits its request.
    const req = JSON.parse(
      (
        await ok(
          ecsoRequest(
            '--cameras',
            'CAM-01',
            '--from',
            '2026-11-01',
            '--to',
            '2026-11-02',
            '--document',
            letter,
            '--json',
          ),
        )
      ).stdout,
    ) as { id: string };

    // Command A fails and ends without committing.
    a.close();

    expect(fs.existsSync(kept), 'the committed request names the kept letter').toBe(true);
    const out = path.join(t.dir, 'out.txt');
    await ok(['request', 'document', req.id, '--out', out]);
    expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(letter, 'utf8'));

    // A commit whose save fails takes away the file it wrote, and never one that was there before.
    const other = path.join(t.dir, 'other.txt');
    fs.writeFileSync(other, 'Another letter.\n');
    const before = fs.readdirSync(path.dirname(kept)).sort();
    for (const doc of [letter, other]) {
      const save = vi.spyOn(Ledger.prototype, 'save').mockImplementationOnce(() => {
        throw new Error('disk full');
      });
      const r = await run(
        ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-01', '--to', '2026-11-02', '--document', doc),
        { env: t.env, clock },
      );
      save.mockRestore();
      expect(r.code, r.stderr).not.toBe(0);
      expect(fs.readdirSync(path.dirname(kept)).sort()).toEqual(before);
    }
  });
});
