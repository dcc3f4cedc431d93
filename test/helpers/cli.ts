/** Run custody in-process (runCli) or as the built binary, against a temporary home. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CliContext, PromptDriver } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/run.js';
import type { Clock } from '../../src/core/time.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'custody.js');
export const PASSWORD = 'correct horse battery staple';

export function tmpDir(prefix = 'custody-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestHome {
  dir: string;
  home: string;
  passwordFile: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh (not yet initialised) home folder with a password file for user `asd`. */
export function newTestHome(user = 'asd', password = PASSWORD): TestHome {
  const dir = tmpDir();
  const passwordFile = path.join(dir, `${user}.pw`);
  fs.writeFileSync(passwordFile, `${password}\n`);
  const home = path.join(dir, 'home');
  return {
    dir,
    home,
    passwordFile,
    env: { CUSTODY_HOME: home, CUSTODY_USER: user, CUSTODY_PASSWORD_FILE: passwordFile, NO_COLOR: '1' },
  };
}

export function passwordFileFor(t: TestHome, user: string, password = PASSWORD): NodeJS.ProcessEnv {
  const f = path.join(t.dir, `${user}.pw`);
  fs.writeFileSync(f, `${password}\n`);
  return { ...t.env, CUSTODY_USER: user, CUSTODY_PASSWORD_FILE: f };
}

export const INIT_ARGS = [
  'init',
  '--agency',
  'City of Example',
  '--title',
  'Administrative Services Director',
  '--name',
  'Dana Example',
  '--time-zone',
  'America/Los_Angeles',
  '--trained-on',
  '2026-01-05',
  '--course',
  'ALPR policy and law',
  '--trainer',
  'Pat Trainer',
];

export async function run(
  args: string[],
  o: { env: NodeJS.ProcessEnv; clock?: Clock; stdin?: string; prompts?: PromptDriver; isTTY?: boolean },
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(o.stdin !== undefined ? [Buffer.from(o.stdin)] : []),
    env: o.env,
    isTTY: o.isTTY ?? false,
    clock: o.clock ?? (() => new Date()),
    sleep: async () => {},
    promptOverride: o.prompts,
  };
  const code = await runCli(args, ctx);
  return { code, stdout, stderr };
}

/** `run` against a test home's environment, expecting exit 0 (the failing command and its stderr named if not). */
export function okRunner(t: { env: NodeJS.ProcessEnv }, clock?: Clock): (args: string[]) => Promise<Run> {
  return async (args: string[]) => {
    const r = await run(args, { env: t.env, clock });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
}

/** A trained operator `u` (named `Person u`) with `role` and password `pw`, added by the home's custodian through `ok`. */
export async function addTrainedOperator(
  t: { dir: string },
  ok: (args: string[]) => Promise<Run>,
  u: string,
  role: string,
  pw: string,
): Promise<void> {
  const f = path.join(t.dir, `${u}-new.pw`);
  fs.writeFileSync(f, `${pw}\n`);
  await ok(['operator', 'add', u, '--name', `Person ${u}`, '--role', role, '--new-password-file', f]);
  await ok(['operator', 'train', u, '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
}

/** Spawn the built binary (npm run build first; `npm test` does). */
export function spawnBin(
  args: string[],
  o: { env: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

/** A scripted prompt driver: answers are taken in order; each question is recorded. */
export function scriptedPrompts(answers: (string | boolean)[]): PromptDriver & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string) => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`no scripted answer for prompt: ${message}`);
    return answers.shift()!;
  };
  return {
    asked,
    input: async (o) => String(next(o.message)),
    password: async (o) => String(next(o.message)),
    confirm: async (o) => Boolean(next(o.message)),
    select: async (o) => String(next(o.message)) as never,
  };
}

/** The Sheriff's Office most tests register: a California law-enforcement agency with its ORI. */
export const ECSO_AGENCY_ADD: string[] = [
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
];

/**
 * `request new` from the ECSO detective most tests use (a criminal investigation on a written letter),
 * followed by the request's scope and any other flags the test needs (`--drive D001 --json`, …).
 */
export function ecsoRequest(...scope: string[]): string[] {
  return [
    ...['request', 'new', '--agency', 'ECSO', '--officer', 'Det. Jordan Reyes', '--badge', '1182'],
    ...['--case', 'ECSO-26-004417', '--purpose', 'criminal investigation', '--document-ref', 'ECSO letter'],
    ...scope,
  ];
}

/**
 * The setting several attack tests start from: camera CAM-01 (since 1 August 2026), drive D001
 * enrolled from `drive` and swapped out of CAM-01 with no replacement (its recordings imported),
 * and the ECSO agency registered.
 */
export async function swappedDriveHome(ok: (args: string[]) => Promise<Run>, drive: string): Promise<void> {
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-08-01T00:00:00-07:00']);
  await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
  await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
  await ok(ECSO_AGENCY_ADD);
}

/** An ECSO request for drive D001 and a hold on it (a preservation letter, review 30 June 2027); the request's id. */
export async function holdOnDriveRequest(t: { dir: string }, ok: (args: string[]) => Promise<Run>): Promise<string> {
  const letter = path.join(t.dir, 'preservation.txt');
  fs.writeFileSync(letter, 'ECSO preservation letter\n');
  const req = JSON.parse((await ok(ecsoRequest('--drive', 'D001', '--json'))).stdout) as { id: string };
  const hold = ['hold', 'add', req.id, '--reason', 'ongoing criminal investigation', '--document', letter];
  await ok([...hold, '--review', '2027-06-30']);
  return req.id;
}
