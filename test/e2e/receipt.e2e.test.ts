/**
 * The built binary, spawned, as in the demo: swap of the bundled demo drive, an agency, a
 * request, a release with its signed receipt, and the receipt verified.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, ROOT, spawnBin, type Run } from '../helpers/cli.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('release and receipt (spawned)', () => {
  it('agency add → request new → release → receipt verify; an edited receipt exits 8; a federal recipient exits 4', async () => {
    const t = newTestHome();
    const custody = (args: string[]): Promise<Run> => spawnBin(args, { env: t.env, timeoutMs: 120_000 });
    const ok = async (args: string[]) => {
      const r = await custody(args);
      expect(r.code, `custody ${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r;
    };
    await ok(INIT_ARGS);
    await ok([
      'camera',
      'add',
      'CAM-01',
      '--location',
      'Main St & 3rd Ave, northbound',
      '--since',
      '2026-10-01T08:00:00-07:00',
    ]);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    // An empty drive is enrolled and put in the camera, which then records onto it.
    fs.mkdirSync(drive);
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1']);
    await ok(['drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2']);
    await ok(['drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00']);
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok([
      'swap',
      '--source',
      drive,
      '--camera',
      'CAM-01',
      '--store-location',
      'safe, room 102',
      '--replacement',
      'D002',
    ]);

    // The demo steps.
    await ok([
      'agency',
      'add',
      '--id',
      'ECSO',
      '--name',
      "Example County Sheriff's Office",
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'california-local',
      '--identifier',
      'CA0019900',
      '--contact',
      'records@ecso.example',
    ]);
    const req = await ok([
      'request',
      'new',
      '--agency',
      'ECSO',
      '--officer',
      'Det. Jordan Reyes',
      '--badge',
      '1182',
      '--case',
      'ECSO-26-004417',
      '--purpose',
      'criminal investigation',
      '--document-ref',
      'ECSO letter 2026-11-20',
      '--cameras',
      'CAM-01',
      '--from',
      '2026-11-03',
      '--to',
      '2026-11-03',
    ]);
    expect(req.stdout).toMatch(
      /^Request REQ-\d{4}-0001 recorded: ECSO, case ECSO-26-004417, camera CAM-01; 2026-11-03\.\n/,
    );
    const reqId = /Request (REQ-\d{4}-0001)/.exec(req.stdout)![1]!;
    const bag = path.join(t.dir, 'export', reqId);
    const rel = await ok(['release', '--request', reqId, '--to', bag]);
    expect(rel.stderr).not.toMatch(/^(custody|warning):/m);
    const receiptNo = /receipt:\s+(R-\d{4}-0001)/.exec(rel.stdout)![1]!;
    const receipt = path.join(t.dir, 'export', `${receiptNo}.pdf`);
    expect(fs.existsSync(receipt)).toBe(true);
    const ver = await ok(['receipt', 'verify', receipt, '--bag', bag]);
    expect(ver.stdout).toMatch(new RegExp(`Receipt ${receiptNo} is valid and matches the ledger`));

    expect(spawnSync('sha256sum', ['-c', '--strict', 'manifest-sha256.txt'], { cwd: bag }).status).toBe(0);
    expect(spawnSync('sha256sum', ['-c', '--strict', 'tagmanifest-sha256.txt'], { cwd: bag }).status).toBe(0);
    const sig = spawnSync('pdfsig', [receipt], { encoding: 'utf8' });
    expect(sig.stdout).toMatch(/Signature Validation: Signature is Valid/);
    // Signed by the operator who issued it (the custodian here), with their own certificate.
    expect(sig.stdout).toMatch(/Signer Certificate Common Name: Dana Example/);
    const text = execFileSync('pdftotext', [receipt, '-'], { encoding: 'utf8' });
    expect(text).toContain('Det. Jordan Reyes');
    expect(text).toContain('ECSO-26-004417');
    expect(text.replace(/\s+/g, '')).toContain(sha256(fs.readFileSync(path.join(bag, 'manifest-sha256.txt'))));

    // One byte changed anywhere in the signed range: exit 8.
    const pdf = fs.readFileSync(receipt);
    pdf[Math.floor(pdf.length / 2)] ^= 0x20;
    const edited = path.join(t.dir, 'edited.pdf');
    fs.writeFileSync(edited, pdf);
    const bad = await custody(['receipt', 'verify', edited]);
    expect(bad.code).toBe(8);
    expect(bad.stderr).toMatch(/fails verification/);

    await ok([
      'agency',
      'add',
      '--id',
      'FBI-SF',
      '--name',
      'FBI San Francisco',
      '--kind',
      'law-enforcement',
      '--jurisdiction',
      'federal',
      '--record-ineligible',
      'to record its request and its refusal',
    ]);
    const fed = await ok([
      'request',
      'new',
      '--agency',
      'FBI-SF',
      '--officer',
      'SA Kim',
      '--badge',
      'F-1',
      '--case',
      'F-99',
      '--purpose',
      'criminal investigation',
      '--document-ref',
      'email',
      '--drive',
      'D001',
    ]);
    const fedId = /Request (REQ-\d{4}-\d{4})/.exec(fed.stdout)![1]!;
    const refused = await custody([
      'release',
      '--request',
      fedId,
      '--drive',
      'D001',
      '--receipt',
      path.join(t.dir, 'fed.pdf'),
    ]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/a federal agency.*1798\.90\.55.*2023-DLE-06/);
    await ok(['verify']);
  }, 300_000);
});
