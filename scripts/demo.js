#!/usr/bin/env node
/**
 * npm run demo [-- --home DIR]
 * The main job on the bundled demo drive, in a throwaway home (or DIR, kept): create a home,
 * a camera and its drives, then the swap of the demo drive, plate reading, a request, a release
 * and its signed receipt — each step is the real `custody` command, printed before it runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'custody.js');
const args = process.argv.slice(2);
const homeArg = args.includes('--home') ? args[args.indexOf('--home') + 1] : undefined;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-demo-'));
const home = homeArg ? path.resolve(homeArg) : path.join(work, 'home');
const pwFile = path.join(work, 'password');
fs.writeFileSync(pwFile, 'demo password (not for real use)\n', { mode: 0o600 });
const env = { ...process.env, CUSTODY_HOME: home, CUSTODY_USER: 'asd', CUSTODY_PASSWORD_FILE: pwFile };

function custody(...a) {
  return custodyAllowing([0], ...a);
}

function custodyAllowing(codes, ...a) {
  console.log(`\n$ custody ${a.map((x) => (/[\s&"']/.test(x) ? JSON.stringify(x) : x)).join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...a], { env, stdio: 'inherit' });
  if (!codes.includes(r.status)) {
    console.error(`\ndemo: \`custody ${a[0]}\` exited with ${r.status}; the home is kept at ${home}`);
    process.exit(r.status ?? 1);
  }
}

console.log(`Demo home: ${home}${homeArg ? '' : ' (throwaway; pass -- --home DIR to keep one)'}`);
console.log('Log-in for every step: CUSTODY_USER=asd with CUSTODY_PASSWORD_FILE (a script would do the same).');
custody(
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
);
custody(
  'camera',
  'add',
  'CAM-01',
  '--location',
  'Main St & 3rd Ave, northbound',
  '--make',
  'Acme',
  '--model',
  'LPR-2',
  '--serial',
  'AC-0001',
  '--swap-days',
  '7',
  '--since',
  '2026-10-01T08:00:00-07:00',
);
// A blank drive is enrolled (custody writes its id file on it) and goes into the camera; a drive
// that still holds images never imported may not go into a camera.
const drive = path.join(work, 'CAMDRIVE1');
fs.mkdirSync(drive);
custody('drive', 'enrol', '--source', drive, '--id', 'D001', '--label', 'CAMDRIVE1');
custody('drive', 'enrol', '--id', 'D002', '--label', 'CAMDRIVE2');
custody('drive', 'install', 'D001', '--camera', 'CAM-01', '--at', '2026-11-01T08:00:00-08:00');
// What the camera recorded onto it: the bundled demo drive.
fs.cpSync(path.join(root, 'fixtures', 'demo-drive'), drive, { recursive: true });
console.log('\n# A week later the custodian takes D001 out of CAM-01, puts D002 in, and runs the swap:');
custody('swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe, room 102', '--replacement', 'D002');
custody('drive', 'list');
custody('drive', 'forecast');
console.log('\n# Plate reading runs after the swap, as a queue (the swap never waits for it):');
custody('ocr');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures', 'fixture-manifest.json'), 'utf8'));
// The deputy's plate: the first plate of the demo drive (synthetic) that plate reading found.
// Every search is shown and recorded once: there is no hidden probe (the audit below lists
// exactly the searches printed here).
const reason = ['--purpose', 'criminal investigation', '--case', 'DEMO-2026-0001'];
let plate;
for (const f of manifest.files.filter((x) => x.plate).slice(0, 5)) {
  console.log(
    `\n# A deputy asks about plate ${f.plate} (synthetic): every search names its purpose and case, and is recorded.`,
  );
  const a = ['search', f.plate, '--fuzzy', ...reason];
  console.log(`\n$ custody ${a.map((x) => (/[\s&"']/.test(x) ? JSON.stringify(x) : x)).join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...a], { env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) {
    console.error(`\ndemo: \`custody search\` exited with ${r.status}; the home is kept at ${home}`);
    process.exit(r.status ?? 1);
  }
  if (!r.stdout.startsWith('(none)')) {
    plate = f.plate;
    break;
  }
}
if (!plate) console.log('\n# Plate reading found none of these demo plates; see `custody image show`.');
custody('audit');
console.log("\n# The deputy's written request, and the release of what it asks for, with its signed receipt:");
custody(
  'agency',
  'add',
  '--id',
  'A001',
  '--name',
  "Example County Sheriff's Office (demo)",
  '--kind',
  'law-enforcement',
  '--jurisdiction',
  'california-local',
  '--identifier',
  'CA0000000',
  '--contact',
  'records@example.invalid',
);
const requestDoc = path.join(work, 'written-request.txt');
fs.writeFileSync(requestDoc, 'Request for ALPR data, case DEMO-2026-0001 (synthetic demo document).\n');
custody(
  'request',
  'new',
  '--agency',
  'A001',
  '--officer',
  'Deputy R. Demo',
  '--badge',
  'D-0001',
  '--case',
  'DEMO-2026-0001',
  '--purpose',
  'criminal investigation',
  '--document',
  requestDoc,
  '--cameras',
  'CAM-01',
  '--from',
  '2026-11-02',
  '--to',
  '2026-11-04',
);
// Request and receipt ids carry the year: REQ-<year>-0001, R-<year>-0001.
const year = new Intl.DateTimeFormat('en', { timeZone: 'America/Los_Angeles', year: 'numeric' }).format(new Date());
const bag = path.join(work, `release-REQ-${year}-0001`);
custody('release', '--request', `REQ-${year}-0001`, '--to', bag, '--yes');
const receipt = fs
  .readdirSync(work)
  .map((f) => path.join(work, f))
  .concat(fs.existsSync(bag) ? fs.readdirSync(path.dirname(bag)).map((f) => path.join(path.dirname(bag), f)) : [])
  .find((f) => f.endsWith('.pdf'));
if (receipt) {
  custody('receipt', 'verify', receipt, '--bag', bag);
}
custody('retention');
console.log("\n# The monthly health check. The demo drive's recordings end on 2026-11-04, so the check rightly finds");
console.log('# the camera silent since then (exit status 11: something critical) and says how to log it as a problem.');
custodyAllowing([0, 11], 'health', '--pdf', path.join(work, 'health-report.pdf'));
custody('log', '--limit', '12');
custody('verify');
console.log(`\nDone. The home is at ${home}.`);
console.log(`The BagIt export:      ${bag}`);
console.log(`The health report:     ${path.join(work, 'health-report.pdf')}`);
console.log(`The signed receipt:    ${receipt ?? '(none)'}  (check it with: pdfsig ${receipt ?? ''})`);
