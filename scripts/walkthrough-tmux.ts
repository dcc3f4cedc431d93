/**
 * A walk-through at a real terminal (tmux), captured as text into docs/walkthrough.md:
 * init → swap (answered at its prompts) → `custody ocr` in a second window with a search during
 * it → request → release → receipt verify. Synthetic data only: the bundled demo drive
 * (fixtures/demo-drive, made by tools/fixture-drive.ts). Needs tmux and a build (`npm run build`).
 *
 *   npx tsx scripts/walkthrough-tmux.ts [--out docs/walkthrough.md]
 *
 * Exits non-zero (and writes nothing) if a step does not show what it should.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.resolve(
  process.argv.includes('--out')
    ? process.argv[process.argv.indexOf('--out') + 1]!
    : path.join(root, 'docs', 'walkthrough.md'),
);
if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is needed');
if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-walk-'));
const binDir = path.join(work, 'bin');
fs.mkdirSync(binDir);
fs.writeFileSync(
  path.join(binDir, 'custody'),
  `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'bin', 'custody.js')}" "$@"\n`,
  {
    mode: 0o755,
  },
);
fs.writeFileSync(path.join(work, 'asd.pw'), 'correct horse battery staple\n', { mode: 0o600 });
const SESSION = `custody-walk-${process.pid}`;
const W = 110;
const H = 45;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function screen(win: number): string {
  return tmux('capture-pane', '-p', '-J', '-t', `${SESSION}:${win}`)
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '\n');
}

async function waitFor(
  win: number,
  re: { test(s: string): boolean },
  what: string,
  timeoutMs = 300_000,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = screen(win);
    if (re.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(100);
  }
}

/** The shell prompt shows the last exit status: "[0] $"; a bare prompt as the last line: the shell is idle. */
const PROMPT = /^\[(\d+)\] \$$/;
const lastLine = (win: number) => screen(win).trimEnd().split('\n').at(-1) ?? '';

/** Type a command at the shell and wait for the prompt to come back; checks its exit status. */
async function shell(win: number, cmd: string, o: { expect?: number; timeoutMs?: number } = {}): Promise<number> {
  keys(win, cmd, 'Enter');
  const typed = cmd.slice(0, 30);
  await waitFor(win, { test: (s: string) => s.includes(typed) }, `\`${cmd}\` typed`);
  const end = Date.now() + (o.timeoutMs ?? 300_000);
  let m = PROMPT.exec(lastLine(win));
  while (!m) {
    if (Date.now() > end) throw new Error(`timed out: ${cmd}\n${screen(win)}`);
    await sleep(100);
    m = PROMPT.exec(lastLine(win));
  }
  const status = Number(m[1]);
  if (status !== (o.expect ?? 0)) throw new Error(`\`${cmd}\` exited ${status}:\n${screen(win)}`);
  return status;
}

function keys(win: number, ...k: string[]): void {
  tmux('send-keys', '-t', `${SESSION}:${win}`, ...k);
}

async function clear(win: number): Promise<void> {
  keys(win, 'clear', 'Enter');
  await waitFor(win, { test: (s: string) => s.trim() === '[0] $' }, 'a cleared screen');
}

const sections: { title: string; text: string; screens: { caption: string; text: string }[] }[] = [];

async function main(): Promise<void> {
  const env: Record<string, string> = {
    PATH: `${binDir}:${process.env.PATH}`,
    CUSTODY_HOME: path.join(work, 'home'),
    CUSTODY_USER: 'asd',
    CUSTODY_PASSWORD_FILE: path.join(work, 'asd.pw'),
    NO_COLOR: '1',
    TERM: 'xterm-256color',
    PS1: '[$?] $ ',
    HOME: work,
  };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  tmux(
    'new-session',
    '-d',
    '-s',
    SESSION,
    '-x',
    String(W),
    '-y',
    String(H),
    '-c',
    work,
    ...envArgs,
    'bash --norc --noprofile',
  );
  tmux('new-window', '-t', `${SESSION}:1`, '-c', work, ...envArgs, 'bash --norc --noprofile');
  for (const win of [0, 1]) {
    await waitFor(win, /[$#]\s*$/, 'the shell');
    keys(win, `export PS1='[$?] $ ' PATH='${binDir}':"$PATH"; clear`, 'Enter');
    await waitFor(win, /^\[0\] \$$/m, 'the prompt');
  }

  // 1. The home, a camera and two drives (flags: the same answers init would ask for).
  await shell(0, 'mkdir CAMDRIVE1');
  await clear(0);
  for (const c of [
    'custody init --agency "City of Example" --title "Administrative Services Director" --name "Dana Example" --time-zone America/Los_Angeles --trained-on 2026-01-05 --course "ALPR policy and law" --trainer "Pat Trainer"',
    'custody camera add CAM-01 --location "Main St & 3rd Ave, northbound" --since 2026-10-01',
    'custody drive enrol --source CAMDRIVE1 --id D001 --label CAMDRIVE1',
    'custody drive enrol --id D002 --label CAMDRIVE2',
    'custody drive install D001 --camera CAM-01 --at "2026-11-01 08:00"',
  ])
    await shell(0, c);
  sections.push({
    title: 'A new home, a camera and its drives',
    text: 'The custodian sets up the home (`init` asks each of these on a terminal; here they are flags), registers the camera, enrols two drives and records which one went into the camera.',
    screens: [{ caption: 'setting up', text: screen(0) }],
  });
  // What the camera recorded onto D001: the bundled demo drive (synthetic plates).
  fs.cpSync(path.join(root, 'fixtures', 'demo-drive'), path.join(work, 'CAMDRIVE1'), { recursive: true });

  // 2. The swap, answered at its prompts.
  await clear(0);
  keys(0, 'custody swap --source CAMDRIVE1', 'Enter');
  const asked = await waitFor(0, /Which camera did this drive come out of\?/, 'the camera question');
  if (!/Recognised drive D001 \(CAMDRIVE1\) from CAM-01\./.test(asked))
    throw new Error(`no recognised line:\n${asked}`);
  keys(0, 'Enter');
  await waitFor(0, /When was it taken out\?/, 'the removal question');
  keys(0, 'C-u', '2026-11-05 09:00', 'Enter');
  await waitFor(0, /Where is this drive kept now\?/, 'the storage question');
  keys(0, 'C-u', 'safe, room 102', 'Enter');
  const menu = await waitFor(0, /Which drive went into the camera\?/, 'the replacement menu');
  keys(0, 'Enter');
  await waitFor(0, /Read the plates of this batch now\?/, 'the plate reading offer');
  keys(0, 'Enter');
  await waitFor(0, { test: () => PROMPT.test(lastLine(0)) }, 'the end of the swap');
  sections.push({
    title: 'The swap',
    text: 'A week later D001 comes out of CAM-01. The swap says which drive it recognised before it asks anything; each question has a default (Enter takes it); the replacement menu starts on the first drive that may go into the camera. Plate reading is offered, not required (default: later).',
    screens: [
      { caption: 'the replacement menu', text: menu },
      { caption: 'the swap, done', text: screen(0) },
    ],
  });

  // 3. Plate reading in the second window; a search in the first while it runs.
  await clear(1);
  keys(1, 'custody ocr --workers 1', 'Enter');
  const ocrLock = path.join(env.CUSTODY_HOME!, 'ocr.lock');
  for (let i = 0; !fs.existsSync(ocrLock); i++) {
    if (i > 3000) throw new Error(`ocr never started:\n${screen(1)}`);
    await sleep(100);
  }
  await clear(0);
  keys(0, 'custody search AT7921C --fuzzy', 'Enter');
  const purposeMenu = await waitFor(0, /Official purpose/, 'the purpose menu');
  keys(0, 'Enter');
  await waitFor(0, /Case number:/, 'the case question');
  keys(0, '26-0042', 'Enter');
  await waitFor(0, { test: () => PROMPT.test(lastLine(0)) }, 'the end of the search');
  const searched = screen(0);
  const ocrMeanwhile = screen(1);
  const ocrStillRunning = fs.existsSync(ocrLock);
  await shell(0, 'custody drive list');
  const duringOcr = screen(0);
  await waitFor(1, { test: () => PROMPT.test(lastLine(1)) }, 'the end of plate reading', 900_000);
  const ocrDone = screen(1);
  await clear(0);
  await shell(0, 'custody search AT7921C --fuzzy --purpose "criminal investigation" --case 26-0042');
  await shell(0, 'custody audit --case 26-0042');
  sections.push({
    title: 'Plate reading in the background, a search meanwhile',
    text: `\`custody ocr\` runs in a second window. While it reads, a search in the first window goes through: it asks for the purpose and the case it is recorded with (they are flags too), and its access record is saved beside the plate readings (the write lock is held only for each commit).${ocrStillRunning ? ' When the search had finished, plate reading was still running (its progress below).' : ''} Images not yet read are not found yet; the search says how many batches are unread.`,
    screens: [
      { caption: 'the search asks for its purpose', text: purposeMenu },
      { caption: 'the search, done, while plate reading runs', text: searched },
      { caption: 'the plate reading window at that moment', text: ocrMeanwhile },
      { caption: '`drive list` during plate reading', text: duringOcr },
      { caption: 'plate reading, done', text: ocrDone },
      { caption: 'the same search afterwards, and the audit of both', text: screen(0) },
    ],
  });

  // 4. The written request, the release and its receipt.
  fs.writeFileSync(path.join(work, 'written-request.txt'), 'Request for ALPR data, case 26-0042 (synthetic).\n');
  await clear(0);
  for (const c of [
    'custody agency add --id ECSO --name "Example County Sheriff\'s Office" --kind law-enforcement --jurisdiction california-local --identifier CA0019900 --contact records@example.invalid',
    'custody request new --agency ECSO --officer "Deputy R. Example" --badge 1234 --case 26-0042 --purpose "criminal investigation" --received-at "2026-11-20 10:00" --document written-request.txt --cameras CAM-01 --from 2026-11-02 --to 2026-11-04',
  ])
    await shell(0, c);
  const requested = screen(0);
  const reqId = /REQ-\d{4}-\d{4}/.exec(requested)?.[0];
  if (!reqId) throw new Error(`no request id:\n${requested}`);
  await clear(0);
  await shell(0, `custody release --request ${reqId} --to export/bag --receipt receipt.pdf --yes`);
  const released = screen(0);
  await clear(0);
  await shell(0, 'custody receipt verify receipt.pdf --bag export/bag');
  sections.push({
    title: 'The request, the release and its receipt',
    text: 'The deputy’s written request is recorded; the release writes a BagIt bag and a signed receipt; `receipt verify` checks the receipt’s signature, that it matches the ledger, and the bag.',
    screens: [
      { caption: 'the request', text: requested },
      { caption: 'the release', text: released },
      { caption: 'the receipt checked', text: screen(0) },
    ],
  });
  write();
}

function write(): void {
  const fence = (t: string) => `\`\`\`text\n${t.replaceAll(work, '~')}\`\`\``;
  const body = sections
    .map(
      (s) =>
        `## ${s.title}\n\n${s.text}\n\n${s.screens.map((x) => `*${x.caption}:*\n\n${fence(x.text)}`).join('\n\n')}`,
    )
    .join('\n\n');
  fs.writeFileSync(
    outFile,
    `# A walk-through at the terminal

Captured by \`scripts/walkthrough-tmux.ts\` from a real terminal (tmux, ${W}×${H}) running the built
binary on a synthetic home and the bundled demo drive (\`fixtures/demo-drive\`). Each block is the
screen as it was; the working folder is shown as \`~\`. The password comes from
\`CUSTODY_PASSWORD_FILE\` (on a terminal without it, each command asks for it).

${body}
`,
  );
  console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
}

try {
  await main();
} finally {
  spawnSync('tmux', ['kill-session', '-t', SESSION]);
}
