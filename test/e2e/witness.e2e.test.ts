/**
 * The rollback of issue 14, against the paper that left the building: a release receipt's
 * printed head and a witness file catch `cp ledger.enc.N ledger.enc` with checkpoints.jsonl
 * trimmed to match, which `verify` alone cannot see. Spawned binary, real signed PDFs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, ROOT, type Run, spawnBin, ECSO_AGENCY_ADD, ecsoRequest } from '../helpers/cli.js';

describe('rollback caught from outside the home (spawned)', () => {
  it('a receipt issued after the rolled-back state fails `verify --receipts`, naming the PDF', async () => {
    const t = newTestHome();
    const custody = (args: string[]): Promise<Run> => spawnBin(args, { env: t.env, timeoutMs: 120_000 });
    const ok = async (args: string[]) => {
      const r = await custody(args);
      expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r;
    };
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    // An empty drive is enrolled and put in the camera, which then records onto it.
    fs.mkdirSync(drive);
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
    await ok(['drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2']);
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--replacement', 'D002']);
    await ok(ECSO_AGENCY_ADD);
    const req = await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03'));
    const reqId = /Request (REQ-\d{4}-0001)/.exec(req.stdout)![1]!;
    const before = path.join(t.dir, 'witness-before.json');
    await ok(['witness', 'export', '--out', before]);
    const linesBefore = fs.readFileSync(path.join(t.home, 'checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean);
    const exportDir = path.join(t.dir, 'export');
    await ok(['release', '--request', reqId, '--to', path.join(exportDir, reqId)]);
    const after = path.join(t.dir, 'witness-after.json');
    await ok(['witness', 'export', '--out', after]);
    expect((await ok(['verify', '--witness', before, after, '--receipts', exportDir])).stdout).toMatch(
      /Heads from outside the home: 3 of 3 extended by this ledger/,
    );

    // The attack: the generation saved before the release goes back, checkpoints.jsonl is cut to match.
    const lines = fs.readFileSync(path.join(t.home, 'checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean);
    const commits = lines.length - linesBefore.length;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(3);
    fs.copyFileSync(path.join(t.home, `ledger.enc.${commits}`), path.join(t.home, 'ledger.enc'));
    fs.writeFileSync(path.join(t.home, 'checkpoints.jsonl'), `${linesBefore.join('\n')}\n`);

    expect((await custody(['verify'])).code).toBe(0);
    expect((await custody(['verify', '--witness', before])).code).toBe(0);
    const byReceipt = await custody(['verify', '--receipts', exportDir]);
    expect(byReceipt.code).toBe(8);
    expect(byReceipt.stderr).toMatch(
      /^custody: Verification failed: The ledger head [0-9a-f]{16}… printed on R-\d{4}-0001\.pdf is not in this ledger/,
    );
    const byWitness = await custody(['verify', '--witness', before, after]);
    expect(byWitness.code).toBe(8);
    expect(byWitness.stderr).toMatch(/but the witness witness-after\.json .* saw #\d+: the ledger was rolled back/);
  });
});
