/**
 * Attack (e): a release whose commit fails after the bag and the signed receipt are written.
 * releaseRequest (src/operations/release.ts) writes the bag, appends the release, writes the
 * receipt PDF and only then commits. If the commit fails (a full disk, a kill -9 during the save,
 * an I/O error) the decrypted bag and a signed receipt are left at the destination while the
 * ledger records no release and no access (Civ. Code 1798.90.52): a disclosure off the record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { openSession } from '../../src/ledger/session.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  ECSO_AGENCY_ADD,
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  ROOT,
  run,
  tmpDir,
  type TestHome,
} from '../helpers/cli.js';

const NOW = '2026-11-05T00:00:00.000-08:00';
const DEMO = path.join(ROOT, 'fixtures', 'demo-drive');
const clock = manualClock(NOW);
let t: TestHome;

beforeAll(async () => {
  t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(DEMO, drive, { recursive: true });
  await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  await ok(ECSO_AGENCY_ADD);
}, 240_000);

afterAll(async () => {
  await endExiftool();
});

async function events(home: string, type: string): Promise<Record<string, unknown>[]> {
  const s = await openSession({
    homeDir: home,
    credentials: { username: 'asd', password: PASSWORD },
    clock,
    command: 't',
  });
  try {
    return s.ledger
      .rows<{ data: string }>('SELECT data FROM events WHERE type = ?', [type])
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
  } finally {
    s.close();
  }
}

describe('release whose ledger save fails after the receipt is written', () => {
  it('leaves no decrypted bag and no signed receipt that the ledger does not record', async () => {
    const dir = tmpDir();
    const home = path.join(dir, 'home');
    fs.cpSync(t.home, home, { recursive: true });
    const env = { ...t.env, CUSTODY_HOME: home };
    const letter = path.join(dir, 'letter.txt');
    fs.writeFileSync(letter, 'Request for ALPR images.\n');
    const req = await run(
      [
        ...['request', 'new', '--agency', 'ECSO', '--officer', 'Sgt. Rita Alvarez', '--badge', '4417'],
        ...['--case', '26-001234', '--purpose', 'criminal investigation', '--document', letter],
        ...['--cameras', 'CAM-01', '--from', '2026-10-01', '--to', '2026-11-05', '--json'],
      ],
      { env, clock },
    );
    expect(req.code, req.stderr).toBe(0);
    const id = (JSON.parse(req.stdout) as { id: string }).id;
    // The next save of ledger.enc fails (as a full disk or an I/O error would): its temporary
    // file's name (writeFileAtomic: `.ledger.enc.<pid>.tmp`) is taken by a folder.
    const blocker = path.join(home, `.ledger.enc.${process.pid}.tmp`);
    fs.mkdirSync(blocker);
    const out = tmpDir('custody-release-');
    const bag = path.join(out, 'bag');
    const receipt = path.join(out, 'receipt.pdf');
    const r = await run(['release', '--request', id, '--to', bag, '--receipt', receipt], { env, clock });
    fs.rmSync(blocker, { recursive: true });
    expect(r.code).not.toBe(0);
    const released = await events(home, 'release.recorded');
    const exported = (await events(home, 'access.recorded')).filter((e) => e.action === 'export');
    // Either the release is on the record, or nothing was handed over.
    const leftOver = fs.readdirSync(out);
    expect({ leftOver, released: released.length, exported: exported.length, stderr: r.stderr.split('\n')[0] }).toEqual(
      {
        leftOver: [],
        released: 0,
        exported: 0,
        stderr: expect.any(String),
      },
    );
  }, 120_000);
});
