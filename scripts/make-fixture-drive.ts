/**
 * Make a synthetic camera drive (see tools/fixture-drive.ts).
 *
 *   npx tsx scripts/make-fixture-drive.ts --out /tmp/drive [--seed 1] [--days 3] [--per-day 8]
 *       [--start 2026-11-01] [--tz America/Los_Angeles] [--awkward] [--image-bytes 60000]
 *       [--make Acme --model LPR-2 --serial SN-0001] [--lat 37.77 --lon -122.42]
 *       [--distinct-frames 20] [--manifest path.json]
 *
 *   npx tsx scripts/make-fixture-drive.ts --demo
 *       rebuilds fixtures/demo-drive, fixtures/fixture-manifest.json and fixtures/README.md
 *       (the bundled drive for `npm run demo`).
 *   npx tsx scripts/make-fixture-drive.ts --readme-only
 *       rewrites fixtures/README.md from the committed manifest, without redrawing.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeFixtureDrive, type FixtureDriveOptions, type FixtureManifest } from '../tools/fixture-drive.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The demo drive's recipe: changing it changes the committed bytes (and README hashes). */
const DEMO: FixtureDriveOptions & { out: string } = {
  out: path.join(repo, 'fixtures', 'demo-drive'),
  seed: 2026,
  camera: { make: 'Acme Vision', model: 'LPR-2', serial: 'DEMO-0001', gps: { lat: 37.4419, lon: -122.143 } },
  start: new Date('2026-11-02T12:00:00Z'),
  days: 3,
  perDay: 8,
  timeZone: 'America/Los_Angeles',
  imageBytes: 60_000,
};

/** Which commit of tools/synth.ts drew the frames (the bytes depend on it), or "uncommitted". */
function synthVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  try {
    const commit = git('log', '-1', '--format=%h', '--', 'tools/synth.ts');
    const dirty = git('status', '--porcelain', '--', 'tools/synth.ts') !== '';
    return dirty ? `uncommitted changes on top of ${commit}` : commit;
  } catch {
    return 'unknown (no git)';
  }
}

function readme(m: FixtureManifest, cmd: string, synth: string): string {
  const total = m.files.reduce((a, f) => a + f.size, 0);
  const rows = m.files.map((f) => `| \`${f.relPath}\` | ${f.size} | ${f.captureTime ?? '—'} | \`${f.sha256}\` |`);
  return `# fixtures

Synthetic data only: every plate, scene and number here was drawn by a script. No real plate
or place is in this folder.

## demo-drive/

A small camera drive for \`npm run demo\`: ${m.files.length} JPEG frames, ${total} bytes in all,
from a made-up camera (${m.camera.make} ${m.camera.model}, serial ${m.camera.serial}) over
${new Set(m.files.map((f) => f.captureTime?.slice(0, 10))).size} days in ${m.timeZone}.

**How it was made.** \`${cmd}\` runs \`makeFixtureDrive\` (tools/fixture-drive.ts) with the
recipe \`DEMO\` in scripts/make-fixture-drive.ts (seed ${m.seed}):

- the scenes and plates are drawn by \`renderScene\`/\`randomPlateText\` (tools/synth.ts),
  640×360, JPEG quality lowered until each frame is at most 60 KB;
- the EXIF (DateTimeOriginal + OffsetTimeOriginal, CreateDate, Make, Model, SerialNumber,
  GPS) is written by the real exiftool (exiftool-vendored, \`-overwrite_original\`);
- capture times follow a day's traffic (quiet nights, rush hours, short bursts).

The frames were drawn by tools/synth.ts at commit ${synth}.

The manifest with the expected answers (kind, capture time, plate, flags) is
\`fixture-manifest.json\`, beside the drive so an import never sees it. Output is deterministic
for a given seed and versions of sharp/libvips and exiftool; if a rebuild changes the bytes,
commit the new files together with this README.

**Other drives** (tests make their own in temp folders with \`makeFixtureDrive\`):

\`\`\`
npx tsx scripts/make-fixture-drive.ts --out /tmp/cam07 --seed 7 --days 14 --per-day 200 \\
    --start 2026-11-01 --tz America/Los_Angeles --awkward --lat 37.77 --lon -122.42
\`\`\`

writes the drive to \`/tmp/cam07\` and its manifest to \`/tmp/fixture-manifest.json\`
(\`--manifest\` to choose). \`--awkward\` adds a truncated JPEG, a zero-byte file, a text file
named \`.jpg\`, a JPEG without EXIF, one dated 40 days ahead, names with spaces, unicode and a
line break, a folder 12 levels deep, a minimal MP4, and OS litter (\`.DS_Store\`, \`._*\`,
\`System Volume Information\`, \`.Trashes\`); the manifest gives each file's expected flags.

**SHA-256 of each file** (git does not keep modification times; the manifest records them):

| file | bytes | capture time | SHA-256 |
|---|---:|---|---|
${rows.join('\n')}
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      'readme-only': { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '3' },
      'per-day': { type: 'string', default: '8' },
      start: { type: 'string', default: '2026-11-01T12:00:00Z' },
      tz: { type: 'string', default: 'America/Los_Angeles' },
      awkward: { type: 'boolean', default: false },
      'image-bytes': { type: 'string' },
      'distinct-frames': { type: 'string' },
      make: { type: 'string', default: 'Acme Vision' },
      model: { type: 'string', default: 'LPR-2' },
      serial: { type: 'string', default: 'SN-0001' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      manifest: { type: 'string' },
    },
    strict: true,
  });

  const readmePath = path.join(repo, 'fixtures', 'README.md');
  const cmd = 'npx tsx scripts/make-fixture-drive.ts --demo';
  if (values['readme-only']) {
    // Rewrite the README's text around the committed manifest, without redrawing the frames.
    const m = JSON.parse(
      await fsp.readFile(path.join(repo, 'fixtures', 'fixture-manifest.json'), 'utf8'),
    ) as FixtureManifest;
    const old = await fsp.readFile(readmePath, 'utf8').catch(() => '');
    const synth = /drawn by src\/ocr\/synth\.ts at commit ([^\n]+?)\.\n/.exec(old)?.[1] ?? 'unknown';
    await fsp.writeFile(readmePath, readme(m, cmd, synth));
    return;
  }
  if (values.demo) {
    const synth = synthVersion();
    if (synth.startsWith('uncommitted'))
      console.warn(`warning: tools/synth.ts has ${synth}; the demo bytes will not be reproducible from a commit`);
    const { out, ...opts } = DEMO;
    await fsp.rm(out, { recursive: true, force: true });
    const m = await makeFixtureDrive(out, opts);
    const total = m.files.reduce((a, f) => a + f.size, 0);
    if (m.files.some((f) => f.size > 60_000) || total > 1.5 * 1024 * 1024)
      throw new Error(`demo drive too big: ${total} bytes`);
    await fsp.writeFile(readmePath, readme(m, cmd, synth));
    console.log(`${out}: ${m.files.length} files, ${total} bytes`);
    return;
  }

  if (!values.out) throw new Error('--out <dir> is required (or --demo)');
  const num = (s: string | undefined, name: string): number => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
    return n;
  };
  const camera: FixtureDriveOptions['camera'] = { make: values.make!, model: values.model!, serial: values.serial! };
  if (values.lat !== undefined || values.lon !== undefined)
    camera.gps = { lat: num(values.lat, 'lat'), lon: num(values.lon, 'lon') };
  const start = new Date(values.start!);
  if (Number.isNaN(start.getTime())) throw new Error('--start must be a date');
  const m = await makeFixtureDrive(values.out, {
    seed: num(values.seed, 'seed'),
    camera,
    start,
    days: num(values.days, 'days'),
    perDay: num(values['per-day'], 'per-day'),
    timeZone: values.tz!,
    awkward: values.awkward,
    imageBytes: values['image-bytes'] ? num(values['image-bytes'], 'image-bytes') : undefined,
    distinctFrames: values['distinct-frames'] ? num(values['distinct-frames'], 'distinct-frames') : undefined,
    manifestPath: values.manifest,
  });
  console.log(`${values.out}: ${m.files.length} files, ${m.files.reduce((a, f) => a + f.size, 0)} bytes`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
