/**
 * BagIt (RFC 8493) exports: what a deputy receives can be checked by any BagIt validator, or
 * with `sha256sum -c manifest-sha256.txt` run inside the bag.
 *
 * `writeBag` builds the bag in a sibling folder `<dir>.partial` and renames it into place once
 * every file is written, hashed, checked against its expected SHA-256 and fsynced, so the
 * destination holds a complete bag or nothing. `validateBag` re-reads everything.
 */
import { createHash } from 'node:crypto';
import { foldKey } from '../core/bag-names.js';
import { sha256Hex } from '../core/hash.js';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CustodyError } from '../core/errors.js';
import { localDate } from '../core/time.js';
import { modeNotKept, type OutputMode, PRIVATE_OUTPUT } from '../ledger/fsutil.js';

export interface BagFile {
  /** Path inside the bag's data/ folder, with '/' separators. */
  relPath: string;
  /** The file's bytes, as a stream or a buffer (or a promise of either). */
  open(): Readable | Buffer | Uint8Array | Promise<Readable | Buffer | Uint8Array>;
  /** The expected SHA-256 (hex); the copy is refused if the bytes do not match. */
  sha256: string;
}

export interface BagSummary {
  files: number;
  bytes: number;
  /** SHA-256 of manifest-sha256.txt: one digest that fixes the whole payload. */
  manifestSha256: string;
  /** Payload-Oxum, "<octets>.<files>". */
  oxum: string;
}

export interface WriteBagOptions {
  /** Written as Bagging-Date (YYYY-MM-DD, in `timeZone`) unless `info` has one. Omitted when neither is given. */
  now?: Date;
  /** The home's time zone, so the Bagging-Date is the home's day (an evening export is not dated tomorrow). @default 'UTC' */
  timeZone?: string;
  /** The bag's permissions (default: 0600 files, 0700 folders; set exactly, whatever the umask). */
  mode?: OutputMode;
  /**
   * Leave the complete bag in `<dir>.partial`: the caller moves it into place once the release
   * it belongs to is recorded (ledger/pending-outputs.ts).
   */
  leavePartial?: boolean;
}

const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';
/** Labels written by writeBag itself; given values for them are ignored (they are computed). */
const COMPUTED = new Set(['payload-oxum']);

/**
 * RFC 8493 §2.1.3: in manifests a file path has CR, LF and '%' (and only those) percent-encoded.
 */
export function encodeManifestPath(p: string): string {
  return p.replace(/[%\r\n]/g, (c) => (c === '%' ? '%25' : c === '\r' ? '%0D' : '%0A'));
}

export function decodeManifestPath(p: string): string {
  return p.replace(/%(25|0A|0D)/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Check a payload path from an untrusted source: relative, '/'-separated, no empty, '.' or
 * '..' segments, no NUL. Returns it unchanged or throws a usage error.
 */
export function checkRelPath(relPath: string): string {
  const segs = relPath.split('/');
  if (
    relPath.length === 0 ||
    relPath.includes('\0') ||
    relPath.includes('\\') ||
    path.posix.isAbsolute(relPath) ||
    /^[A-Za-z]:/.test(relPath) ||
    segs.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new CustodyError('usage', `Unsafe path for a bag: ${JSON.stringify(relPath)}`);
  }
  return relPath;
}

function bagInfoLine(label: string, value: string): string {
  if (!label || /[:\r\n]/.test(label) || /^\s|\s$/.test(label)) {
    throw new CustodyError('usage', `Invalid bag-info label: ${JSON.stringify(label)}`);
  }
  // Long or multi-line values continue on lines that start with whitespace (RFC 8493 §2.2.2).
  const lines = value.replace(/\r\n?/g, '\n').split('\n');
  return `${label}: ${lines.join('\n  ')}\n`;
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Directories cannot be opened for fsync on some platforms (Windows); the files are synced.
  } finally {
    await fh?.close();
  }
}

async function writeSynced(file: string, data: string | Buffer, mode: OutputMode): Promise<void> {
  const fh = await fsp.open(file, 'wx', mode.file);
  try {
    await chmodOutput(fh, mode.file);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Set a mode exactly, unless the file system keeps none (a FAT stick: see ledger/fsutil.ts modeNotKept). */
async function chmodOutput(target: string | fsp.FileHandle, mode: number): Promise<void> {
  try {
    await (typeof target === 'string' ? fsp.chmod(target, mode) : target.chmod(mode));
  } catch (e) {
    if (!modeNotKept(e)) throw e;
  }
}

function ioError(e: unknown, what: string): CustodyError {
  if (e instanceof CustodyError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EEXIST') return new CustodyError('conflict', `${what}: already exists.`, undefined, { cause: e });
  return new CustodyError('io', `${what}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
}

/**
 * Write a complete bag at `dir` (which must not exist, or be an empty folder). Each file is
 * copied into data/, hashed on the way and compared with its expected SHA-256 (a mismatch
 * aborts with CustodyError('integrity') and leaves nothing at `dir`).
 * `info` becomes bag-info.txt (e.g. Source-Organization, Contact-Name, External-Identifier);
 * Payload-Oxum, Bag-Size and Bag-Count ("1 of 1") are added, Bagging-Date from `o.now`.
 */
export async function writeBag(
  dir: string,
  files: AsyncIterable<BagFile> | Iterable<BagFile>,
  info: Record<string, string>,
  o: WriteBagOptions = {},
): Promise<BagSummary> {
  const target = path.resolve(dir);
  const existing = fs.existsSync(target) ? fs.readdirSync(target) : undefined;
  if (existing && existing.length > 0) {
    throw new CustodyError('conflict', `The export folder ${target} is not empty.`, 'Choose a new folder for the bag.');
  }
  const work = `${target}.partial`;
  if (fs.existsSync(work)) {
    // Left by an interrupted run: remove it only if it is one of ours.
    if (!fs.existsSync(path.join(work, 'bagit.txt'))) {
      throw new CustodyError('conflict', `${work} exists and is not an unfinished bag.`, 'Move it away and try again.');
    }
    await fsp.rm(work, { recursive: true, force: true });
  }
  const mode = o.mode ?? PRIVATE_OUTPUT;
  const mkdir = async (d: string) => {
    // Each folder made (the bag, data/ and the folders inside it) gets exactly the folder mode.
    const first = await fsp.mkdir(d, { recursive: true, mode: mode.dir });
    if (first) for (let x = d; x.length >= first.length; x = path.dirname(x)) await chmodOutput(x, mode.dir);
  };
  const keys = new Map<string, string>(); // case- and normalisation-folded path → path
  const entries: { relPath: string; sha256: string }[] = [];
  let bytes = 0;
  try {
    await mkdir(work);
    await mkdir(path.join(work, 'data'));
    await writeSynced(path.join(work, 'bagit.txt'), BAGIT_TXT, mode);

    for await (const f of files) {
      const rel = checkRelPath(f.relPath);
      const expected = f.sha256.toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(expected))
        throw new CustodyError('usage', `Not a SHA-256 for ${JSON.stringify(rel)}: ${f.sha256}`);
      // A bag must survive copying to a case-insensitive or normalising file system (exFAT, APFS, NTFS).
      const key = foldKey(rel);
      if (keys.has(key)) {
        throw new CustodyError(
          'conflict',
          `Two files would share one name in the bag: ${JSON.stringify(keys.get(key))} and ${JSON.stringify(rel)}.`,
        );
      }
      keys.set(key, rel);
      const dest = path.join(work, 'data', ...rel.split('/'));
      await mkdir(path.dirname(dest));
      const src = await f.open();
      const hash = createHash('sha256');
      let n = 0;
      const fh = await fsp.open(dest, 'wx', mode.file);
      try {
        await chmodOutput(fh, mode.file);
        const chunks: AsyncIterable<unknown> | Iterable<unknown> = src instanceof Uint8Array ? [src] : src;
        for await (const chunk of chunks) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          hash.update(b);
          n += b.length;
          await fh.write(b);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const actual = hash.digest('hex');
      if (actual !== expected) {
        throw new CustodyError(
          'integrity',
          `${rel}: SHA-256 is ${actual}, expected ${expected}. The bag was not written.`,
        );
      }
      bytes += n;
      entries.push({ relPath: rel, sha256: actual });
    }

    // Sorted by UTF-8 bytes, so the manifest (and its digest) does not depend on input order.
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.relPath), Buffer.from(b.relPath)));
    const manifest = entries.map((e) => `${e.sha256}  data/${encodeManifestPath(e.relPath)}\n`).join('');
    await writeSynced(path.join(work, 'manifest-sha256.txt'), manifest, mode);
    const oxum = `${bytes}.${entries.length}`;

    const given = new Map(Object.entries(info).map(([k, v]) => [k.toLowerCase(), [k, v] as const]));
    let bagInfo = '';
    for (const [k, v] of Object.entries(info)) if (!COMPUTED.has(k.toLowerCase())) bagInfo += bagInfoLine(k, v);
    if (!given.has('bagging-date') && o.now)
      bagInfo += bagInfoLine('Bagging-Date', localDate(o.now, o.timeZone ?? 'UTC'));
    bagInfo += bagInfoLine('Payload-Oxum', oxum);
    if (!given.has('bag-size')) bagInfo += bagInfoLine('Bag-Size', humanSize(bytes));
    if (!given.has('bag-count')) bagInfo += bagInfoLine('Bag-Count', '1 of 1');
    await writeSynced(path.join(work, 'bag-info.txt'), bagInfo, mode);

    const tagFiles = ['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt'];
    const tagManifest = tagFiles.map((t) => `${sha256Hex(fs.readFileSync(path.join(work, t)))}  ${t}\n`).join('');
    await writeSynced(path.join(work, 'tagmanifest-sha256.txt'), tagManifest, mode);

    for (const d of new Set(entries.map((e) => path.dirname(path.join(work, 'data', ...e.relPath.split('/'))))))
      await fsyncDir(d);
    await fsyncDir(path.join(work, 'data'));
    await fsyncDir(work);
    const summary = { files: entries.length, bytes, manifestSha256: sha256Hex(manifest), oxum };
    if (o.leavePartial) return summary;
    if (existing) await fsp.rmdir(target);
    await fsp.rename(work, target);
    await fsyncDir(path.dirname(target));
    return summary;
  } catch (e) {
    await fsp.rm(work, { recursive: true, force: true }).catch(() => undefined);
    throw ioError(e, `Writing the bag ${target}`);
  }
}

function humanSize(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface BagValidation {
  valid: boolean;
  problems: string[];
  /** What the payload manifests list, once decoded. */
  files: number;
  bytes: number;
}

const ALGORITHMS: Record<string, string> = {
  sha256: 'sha256',
  sha512: 'sha512',
  sha384: 'sha384',
  sha1: 'sha1',
  md5: 'md5',
};

async function hashFile(file: string, alg: string): Promise<{ hex: string; size: number }> {
  const h = createHash(alg);
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hex: h.digest('hex'), size };
}

/** Parse a manifest: `<checksum><whitespace><percent-encoded path>` per line. */
function parseManifest(text: string, name: string, problems: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((rawLine, i) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    // Prefer the two-space form custody (and sha256sum) writes, so a name may start with a space.
    const m = /^([0-9a-fA-F]+) {2}(.+)$/.exec(line) ?? /^([0-9a-fA-F]+)[ \t]+(.+)$/.exec(line);
    if (!m) {
      problems.push(`${name} line ${i + 1}: not "<checksum> <path>".`);
      return;
    }
    const p = decodeManifestPath(m[2]!);
    if (out.has(p)) problems.push(`${name}: ${JSON.stringify(p)} is listed twice.`);
    out.set(p, m[1]!.toLowerCase());
  });
  return out;
}

/** Every regular file under `root`, as '/'-separated paths relative to `base`; symlinks reported. */
async function listFiles(root: string, base: string, problems: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(base, full).split(path.sep).join('/');
      if (e.isSymbolicLink()) problems.push(`${rel} is a symbolic link; a bag holds only regular files.`);
      else if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(rel);
      else problems.push(`${rel} is not a regular file.`);
    }
  };
  await walk(root);
  return out;
}

function parseBagInfo(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: { k: string; i: number } | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && last) {
      const vals = out.get(last.k)!;
      vals[last.i] += `\n${line.trim()}`;
      continue;
    }
    const idx = line.indexOf(':');
    if (idx <= 0) continue;
    const k = line.slice(0, idx).trim().toLowerCase();
    const v = line.slice(idx + 1).trim();
    const vals = out.get(k) ?? [];
    vals.push(v);
    out.set(k, vals);
    last = { k, i: vals.length - 1 };
  }
  return out;
}

/**
 * Validate a bag completely: bagit.txt, every payload manifest (each listed file exists under
 * data/ and matches; every file under data/ is listed), every tag manifest, Payload-Oxum, and
 * no files the manifests do not account for.
 */
export async function validateBag(dir: string): Promise<BagValidation> {
  const problems: string[] = [];
  const result = (files = 0, bytes = 0): BagValidation => ({ valid: problems.length === 0, problems, files, bytes });
  const root = path.resolve(dir);
  let rootNames: string[];
  try {
    rootNames = await fsp.readdir(root);
  } catch (e) {
    problems.push(`Cannot read ${root}: ${e instanceof Error ? e.message : String(e)}`);
    return result();
  }

  // bagit.txt: exactly the two declarations, in this order (RFC 8493 §2.1.1).
  const bagitTxt = rootNames.includes('bagit.txt')
    ? await fsp.readFile(path.join(root, 'bagit.txt'), 'utf8')
    : undefined;
  if (bagitTxt === undefined) problems.push('bagit.txt is missing.');
  else {
    const lines = bagitTxt
      .replace(/^\uFEFF/, '')
      .split(/\r\n|\r|\n/)
      .filter((l) => l !== '');
    if (
      lines.length !== 2 ||
      !/^BagIt-Version: \d+\.\d+$/.test(lines[0]!) ||
      lines[1] !== 'Tag-File-Character-Encoding: UTF-8'
    ) {
      problems.push('bagit.txt must hold "BagIt-Version: M.N" and "Tag-File-Character-Encoding: UTF-8".');
    }
  }
  if (!rootNames.includes('data') || !(await fsp.stat(path.join(root, 'data'))).isDirectory()) {
    problems.push('The payload folder data/ is missing.');
    return result();
  }

  const payload = await listFiles(path.join(root, 'data'), root, problems);
  const payloadSet = new Set(payload);
  const manifests = rootNames.filter((n) => /^manifest-[a-z0-9]+\.txt$/.test(n));
  if (manifests.length === 0) problems.push('No payload manifest (manifest-<algorithm>.txt).');

  let listedBytes = 0;
  const sizes = new Map<string, number>();
  for (const name of manifests) {
    const alg = ALGORITHMS[name.slice('manifest-'.length, -'.txt'.length)];
    if (!alg) {
      problems.push(`${name}: unsupported algorithm.`);
      continue;
    }
    const entries = parseManifest(await fsp.readFile(path.join(root, name), 'utf8'), name, problems);
    for (const [p, want] of entries) {
      if (!p.startsWith('data/') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
        problems.push(`${name}: ${JSON.stringify(p)} is not a path inside data/.`);
        continue;
      }
      if (!payloadSet.has(p)) {
        problems.push(`${name}: ${JSON.stringify(p)} is listed but missing.`);
        continue;
      }
      const { hex, size } = await hashFile(path.join(root, ...p.split('/')), alg);
      sizes.set(p, size);
      if (hex !== want) problems.push(`${JSON.stringify(p)}: ${alg} does not match ${name}.`);
    }
    for (const p of payload) if (!entries.has(p)) problems.push(`${JSON.stringify(p)} is in data/ but not in ${name}.`);
  }
  for (const s of sizes.values()) listedBytes += s;

  // Tag manifests.
  const tagManifests = rootNames.filter((n) => /^tagmanifest-[a-z0-9]+\.txt$/.test(n));
  const listedTags = new Set<string>();
  for (const name of tagManifests) {
    const alg = ALGORITHMS[name.slice('tagmanifest-'.length, -'.txt'.length)];
    if (!alg) {
      problems.push(`${name}: unsupported algorithm.`);
      continue;
    }
    const entries = parseManifest(await fsp.readFile(path.join(root, name), 'utf8'), name, problems);
    for (const [p, want] of entries) {
      if (p.startsWith('data/') || p.split('/').some((s) => s === '..' || s === '') || /^tagmanifest-/.test(p)) {
        problems.push(`${name}: ${JSON.stringify(p)} may not be listed in a tag manifest.`);
        continue;
      }
      const full = path.join(root, ...p.split('/'));
      if (!fs.existsSync(full)) {
        problems.push(`${name}: ${JSON.stringify(p)} is listed but missing.`);
        continue;
      }
      listedTags.add(p);
      if ((await hashFile(full, alg)).hex !== want)
        problems.push(`${JSON.stringify(p)}: ${alg} does not match ${name}.`);
    }
  }

  // Nothing unaccounted for at the top: every other file must be a known tag file or listed.
  const known = new Set(['bagit.txt', 'bag-info.txt', 'fetch.txt', 'data', ...manifests, ...tagManifests]);
  for (const n of rootNames) {
    if (!known.has(n) && !listedTags.has(n))
      problems.push(`${n} is not part of the bag (not listed in a tag manifest).`);
  }
  if (rootNames.includes('fetch.txt')) problems.push('fetch.txt is present: the bag is not complete without fetching.');

  // Payload-Oxum.
  if (rootNames.includes('bag-info.txt')) {
    const bagInfo = parseBagInfo(await fsp.readFile(path.join(root, 'bag-info.txt'), 'utf8'));
    const oxums = bagInfo.get('payload-oxum');
    if (oxums && oxums.length > 1) problems.push('bag-info.txt repeats Payload-Oxum.');
    if (oxums?.[0] !== undefined) {
      let actualBytes = 0;
      for (const p of payload) actualBytes += (await fsp.stat(path.join(root, ...p.split('/')))).size;
      const actual = `${actualBytes}.${payload.length}`;
      if (oxums[0] !== actual)
        problems.push(`Payload-Oxum is ${oxums[0]} but the payload is ${actual} (octets.files).`);
    }
  }
  return result(payload.length, listedBytes);
}

/** Convenience for callers that hold buffers: a BagFile with its SHA-256 computed here. */
export function bufferFile(relPath: string, data: Buffer): BagFile {
  return { relPath, open: () => data, sha256: sha256Hex(data) };
}

/** Convenience: a BagFile read from disk with a known SHA-256. */
export function diskFile(relPath: string, file: string, sha256: string): BagFile {
  return { relPath, open: () => fs.createReadStream(file), sha256 };
}
