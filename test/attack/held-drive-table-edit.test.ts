/**
 * Attack (MEDIUM, policy §8): an auditor (the record key from their own slot, nothing else) deletes a
 * hold's rows from the derived tables of `ledger.enc` (raw SQL, sealed again). A purge checks its
 * tables against the signed events first (test/cli/signed-state.test.ts), but the drive moves did
 * not: the custodian's next `drive install` (or a swap's replacement) put the held drive back into
 * a camera to be recorded over, and `drive retire` / `drive wipe` took it out of the record's
 * reach — all on a table the signed events do not give. Every drive move that a hold or the
 * retention period may forbid now runs the same check first (exit 8, nothing recorded).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
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
import { editRawLedger, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const AUDITOR_PW = 'auditor password 1';
let drive = '';

beforeAll(async () => {
  ({ dir: drive } = await smallCameraDrive('custody-attack-held-drive-', {
    seed: 5,
    days: 1,
    perDay: 2,
    imageBytes: 4000,
    distinctFrames: 1,
  }));
}, 180_000);
afterAll(async () => {
  await endExiftool();
});

describe("a hold's rows deleted from the derived tables", () => {
  it('do not let the held drive be installed, retired or wiped: exit 8, nothing recorded', async () => {
    const clock = manualClock('2026-09-04T09:00:00-07:00');
    const t = newTestHome();
    const ok = okRunner(t, clock);
    await ok(INIT_ARGS);
    await addTrainedOperator(t, ok, 'audit1', 'auditor', AUDITOR_PW);
    await swappedDriveHome(ok, drive);
    await holdOnDriveRequest(t, ok);
    clock.set('2026-12-01T09:00:00-08:00'); // long past 60 days: only the hold keeps the drive out of a camera
    const held = await run(['drive', 'install', 'D001', '--camera', 'CAM-01'], { env: t.env, clock });
    expect(held.code, held.stderr).toBe(4);

    const slot = await openRawSlot(homeKeyringFiles(t.home), 'audit1', AUDITOR_PW);
    await editRawLedger(t.home, Buffer.from(slot.record!, 'base64'), ['DELETE FROM hold_items', 'DELETE FROM holds']);
    const ledger = fs.readFileSync(path.join(t.home, 'ledger.enc'));
    for (const args of [
      ['drive', 'install', 'D001', '--camera', 'CAM-01'],
      ['drive', 'retire', 'D001', '--reason', 'worn out'],
      ['drive', 'wipe', 'D001', '--method', 'overwritten with zeros (dd)'],
    ]) {
      const r = await run(args, { env: t.env, clock });
      expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(8);
      expect(r.stderr).toMatch(/do(es)? not match its signed events; run `custody verify`/);
      expect(fs.readFileSync(path.join(t.home, 'ledger.enc')).equals(ledger), 'nothing recorded').toBe(true);
    }
  }, 240_000);
});
