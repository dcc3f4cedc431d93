/** A real home on disk for the ledger's own tests: created by `createHome`, opened by `openSession`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/core/settings.js';
import type { Clock } from '../../src/core/time.js';
import { createHome } from '../../src/ledger/home.js';
import { openSession, type Session } from '../../src/ledger/session.js';
import { testIdentity } from '../documents/helpers.js';

export const PASSWORD = 'correct horse battery staple';

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'custody-ledger-'));
}

/** A clock the test moves. */
export function manualClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  const c = (() => new Date(now)) as Clock & { set(iso: string): void };
  c.set = (v: string) => {
    now = new Date(v);
  };
  return c;
}

/** A new home (cheap scrypt, the test certificate) whose custodian is `asd`. */
export async function newHome(clock: Clock): Promise<string> {
  const dir = path.join(tmpDir(), 'home');
  const { ledger } = await createHome({
    dir,
    settings: defaultSettings({
      agencyName: 'City of Example',
      custodianTitle: 'Administrative Services Director',
      timeZone: 'America/Los_Angeles',
    }),
    custodian: {
      username: 'asd',
      displayName: 'Dana Example',
      password: PASSWORD,
      training: { date: '2026-08-01', course: 'ALPR policy', trainer: 'J. Trainer' },
    },
    makeIdentity: async () => ({ identity: testIdentity(), passphrase: 'test passphrase' }),
    clock,
    kdf: { algorithm: 'scrypt', N: 1024, r: 8, p: 1 },
  });
  ledger.close();
  return dir;
}

export function open(homeDir: string, clock: Clock): Promise<Session> {
  return openSession({ homeDir, credentials: { username: 'asd', password: PASSWORD }, clock, command: 'test' });
}
