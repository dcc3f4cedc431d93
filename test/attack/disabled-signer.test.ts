import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { Home } from '../../src/ledger/home.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { endExiftool } from '../../src/media/exif.js';
import {
  addTrainedOperator,
  holdOnDriveRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  run,
  swappedDriveHome,
} from '../helpers/cli.js';
import { smallCameraDrive } from '../helpers/drives.js';

const AUDITOR_PW = 'auditor password 1';
const DESIGNEE_PW = 'designee password 1';
let drive = '';

beforeAll(async () => {
  ({ dir: drive } = await smallCameraDrive('custody-attack-disabled-', {
    seed: 7,
    days: 1,
    perDay: 2,
    imageBytes: 4000,
    distinctFrames: 1,
  }));
}, 180_000);
afterAll(async () => {
  await endExiftool();
});

describe('an event signed by a disabled designee', () => {
  it('is refused by verify and by purge (a hold it releases still protects the data)', async () => {
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    await addTrainedOperator(t, ok, 'rlee', 'designee', DESIGNEE_PW);
    await swappedDriveHome(ok, drive);
    const requestId = await holdOnDriveRequest(t, ok);

    // rlee copies their slot (here: opens it, keeping the signing key), then leaves.
    const rleeKeys = (await Home.open(t.home).unlock('rlee', DESIGNEE_PW))!;
    await ok(['operator', 'disable', 'rlee', '--reason', 'left the city']);
    // What rlee and the others signed while rlee was active still verifies.
    await ok(['verify']);

    clock.set('2026-12-01T09:00:00-08:00'); // long past the destruction date: only the hold keeps it
    const plan = JSON.parse((await ok(['purge', '--json'])).stdout) as { due: unknown[]; held: unknown[] };
    expect(plan.due).toEqual([]);
    expect(plan.held.length).toBeGreaterThan(0);

    // The auditor (today's record key) appends a hold.released signed with rlee's old key.
    const home = Home.open(t.home);
    const aud = (await home.unlock('audit1', AUDITOR_PW))!;
    const ledger = await Ledger.load(home.ledgerFile, home.ledgerKey(aud.record));
    const hold = ledger.one<{ id: string }>('SELECT id FROM holds')!.id;
    const at = '2026-12-01T17:00:00.000Z';
    ledger.append(
      'hold.released',
      'rlee',
      at,
      { hold, request: requestId, reason: 'investigation closed' },
      rleeKeys.signing,
    );
    ledger.save(home.ledgerFile, home.ledgerKey(aud.record));
    home.writeCheckpoint(ledger, aud.signing, at);
    ledger.close();

    const v = await run(['verify'], { env: t.env, clock });
    const p = await run(['purge', '--yes', '--no-certificate', '--json'], { env: t.env, clock });
    expect({ verify: v.code, purge: p.code }, `${v.stdout}\n${v.stderr}\n${p.stdout}\n${p.stderr}`).toEqual({
      verify: 8,
      purge: 8,
    });
    expect(`${v.stdout}${v.stderr}`).toMatch(/hold\.released.*by rlee.*disabled at #\d+/);
  }, 240_000);
});
