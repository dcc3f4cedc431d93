/**
 * Creating a home (policy §6: one official custodian, named by title). The signing identity is
 * made here, from documents/certificate.ts, and passed to the ledger's `createHome`, so the
 * ledger layer never imports the documents layer.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../core/errors.js';
import type { TrainingRecord } from '../core/roles.js';
import {
  defaultSettings,
  intervalProblem,
  MAX_RETENTION_DAYS,
  retentionProblem,
  settingsProblems,
  type Settings,
} from '../core/settings.js';
import type { Clock } from '../core/time.js';
import type { KdfParams } from '../ledger/crypto.js';
import { createHome, type MakeSigningIdentity } from '../ledger/home.js';
import { checkNotInsideHome } from '../ledger/outputs.js';

/**
 * A home already at `dir` is never touched, and none is made inside another home
 * (ledger/outputs.ts checkNotInsideHome): refused before anything is asked.
 */
export function refuseExistingHome(dir: string): void {
  checkNotInsideHome(dir);
  if (fs.existsSync(path.join(dir, 'home.json')))
    throw new CustodyError(
      'conflict',
      `A custody home already exists at ${dir}; it was not touched.`,
      'Use another --home to create a new one.',
    );
}

/** A retention above policy §8's sixty days is refused before anything is asked. */
export function refuseRetention(days: number): void {
  const problem = retentionProblem(days);
  if (problem)
    throw new CustodyError(
      'usage',
      `--retention-days ${days}: ${problem}.`,
      `Give --retention-days ${MAX_RETENTION_DAYS} or fewer; data needed longer is kept by \`custody hold\`.`,
    );
}

/** A health-check interval outside its range is refused before anything is asked. */
export function refuseInterval(healthIntervalDays: number): void {
  const problem = intervalProblem('healthIntervalDays', healthIntervalDays);
  if (problem) throw new CustodyError('usage', `--health-interval-days ${healthIntervalDays}: ${problem}.`);
}

export interface HomeSettingsInput {
  agencyName: string;
  custodianTitle: string;
  timeZone: string;
  retentionDays: number;
  healthIntervalDays: number;
}

/** The policy settings of a new home: the defaults with the given values; invalid ones refused. */
export function homeSettings(o: HomeSettingsInput): Settings {
  const settings = {
    ...defaultSettings({ agencyName: o.agencyName, custodianTitle: o.custodianTitle, timeZone: o.timeZone }),
    retentionDays: o.retentionDays,
    healthIntervalDays: o.healthIntervalDays,
  };
  const problems = settingsProblems(settings as unknown as Record<string, unknown>);
  if (problems.length) throw new CustodyError('usage', `Invalid setting: ${problems.join('; ')}.`);
  return settings;
}

export interface InitInput {
  dir: string;
  settings: Settings;
  custodian: {
    username: string;
    displayName: string;
    password: string;
    organization?: string;
    training: TrainingRecord;
  };
  /** A PKCS#12 the city already has, else a self-signed certificate is made. */
  p12?: { data: Buffer; passphrase: string };
  clock: Clock;
  kdf?: KdfParams;
}

export interface InitResult {
  home: string;
  homeId: string;
  custodian: string;
  ledgerHead: string;
  certificate: string;
}

/** The city's own PKCS#12 read back, or a new self-signed certificate under a random passphrase. */
function signingIdentity(p12: InitInput['p12']): MakeSigningIdentity {
  return async (r) => {
    // node-forge is loaded only here, so everyday commands start quickly.
    const { createSelfSignedIdentity, readP12 } = await import('../documents/certificate.js');
    if (p12) return { identity: readP12(p12.data, p12.passphrase), passphrase: p12.passphrase };
    const passphrase = randomBytes(24).toString('base64url');
    return { identity: createSelfSignedIdentity({ ...r, passphrase }), passphrase };
  };
}

/** Create the home: keys, the signing certificate, the keyring and a ledger naming the custodian. */
export async function initHome(o: InitInput): Promise<InitResult> {
  checkNotInsideHome(o.dir);
  const { home, ledger } = await createHome({
    dir: o.dir,
    settings: o.settings,
    custodian: o.custodian,
    makeIdentity: signingIdentity(o.p12),
    clock: o.clock,
    kdf: o.kdf,
  });
  const result = {
    home: home.dir,
    homeId: home.json.homeId,
    custodian: o.custodian.username,
    ledgerHead: ledger.head.hash,
    certificate: home.certFile,
  };
  ledger.close();
  return result;
}
