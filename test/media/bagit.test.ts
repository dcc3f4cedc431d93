import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../../src/core/errors.js';
import {
  bufferFile,
  decodeManifestPath,
  encodeManifestPath,
  validateBag,
  writeBag,
  type BagFile,
} from '../../src/media/bagit.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'custody-'));
const now = new Date('2026-11-26T22:05:31Z');
const info = {
  'Source-Organization': 'City of Exampleton',
  'Contact-Name': 'Pat Example, Administrative Services Director',
  'External-Identifier': 'REQ-2026-0117',
  'External-Description': 'ALPR images released to Exampleton Police Department\nfor case EPD-26-011873',
};

function streamFile(relPath: string, data: Buffer): BagFile {
  // A stream in small chunks, the way a decrypting reader delivers it.
  return {
    relPath,
    sha256: sha(data),
    open: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < data.length; i += 1000) yield data.subarray(i, i + 1000);
        })(),
      ),
  };
}

async function* asAsync<T>(xs: T[]): AsyncIterable<T> {
  for (const x of xs) yield x;
}

function sampleFiles(): BagFile[] {
  return [
    streamFile('CAM-01 Main St/2026-11-20/IMG_0001.jpg', Buffer.alloc(25_000, 1)),
    bufferFile('CAM-01 Main St/2026-11-20/IMG_0002.jpg', Buffer.from('second image')),
    bufferFile('CAM-02/café naïve 車.jpg', Buffer.from('unicode name')),
    bufferFile('CAM-02/empty.jpg', Buffer.alloc(0)),
  ];
}

function sha256sumCheck(bag: string, manifest: string): { status: number | null; out: string } {
  const r = spawnSync('sha256sum', ['-c', '--strict', manifest], { cwd: bag, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Payload-Oxum recounted independently of the code under test. */
function recountOxum(bag: string): string {
  let bytes = 0;
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else {
        bytes += fs.statSync(f).size;
        n++;
      }
    }
  };
  walk(path.join(bag, 'data'));
  return `${bytes}.${n}`;
}

describe('writeBag', () => {
  it('writes an RFC 8493 bag that sha256sum and validateBag accept', async () => {
    const bag = path.join(tmp(), 'REQ-2026-0117');
    const s = await writeBag(bag, asAsync(sampleFiles()), info, { now });
    expect(fs.readFileSync(path.join(bag, 'bagit.txt'), 'utf8')).toBe(
      'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n',
    );
    expect(s.files).toBe(4);
    expect(s.bytes).toBe(25_000 + 12 + 12 + 0);
    expect(s.oxum).toBe(`${s.bytes}.4`);
    expect(recountOxum(bag)).toBe(s.oxum);
    expect(s.manifestSha256).toBe(sha(fs.readFileSync(path.join(bag, 'manifest-sha256.txt'))));

    const bagInfo = fs.readFileSync(path.join(bag, 'bag-info.txt'), 'utf8');
    expect(bagInfo).toContain('Source-Organization: City of Exampleton\n');
    expect(bagInfo).toContain('External-Identifier: REQ-2026-0117\n');
    expect(bagInfo).toContain(
      'External-Description: ALPR images released to Exampleton Police Department\n  for case EPD-26-011873\n',
    );
    expect(bagInfo).toContain('Bagging-Date: 2026-11-26\n');
    expect(bagInfo).toContain(`Payload-Oxum: ${s.oxum}\n`);
    expect(bagInfo).toContain('Bag-Count: 1 of 1\n');

    for (const m of ['manifest-sha256.txt', 'tagmanifest-sha256.txt']) {
      const r = sha256sumCheck(bag, m);
      expect(r.status, r.out).toBe(0);
    }
    expect(fs.readFileSync(path.join(bag, 'data/CAM-02/café naïve 車.jpg'), 'utf8')).toBe('unicode name');
    expect(await validateBag(bag)).toMatchObject({ valid: true, problems: [], files: 4 });
    expect(fs.existsSync(`${bag}.partial`)).toBe(false);
  });

  it('percent-encodes CR, LF and % in manifests (RFC 8493 §2.1.3) and reads them back', async () => {
    const bag = path.join(tmp(), 'bag');
    const names = ['odd/line\nbreak.jpg', 'odd/carriage\rreturn.jpg', 'odd/100% sure.jpg', 'odd/%0A literally.jpg'];
    await writeBag(
      bag,
      names.map((n) => bufferFile(n, Buffer.from(n))),
      info,
      { now },
    );
    const manifest = fs.readFileSync(path.join(bag, 'manifest-sha256.txt'), 'utf8');
    expect(manifest.trimEnd().split('\n')).toHaveLength(4);
    expect(manifest).toContain('data/odd/line%0Abreak.jpg');
    expect(manifest).toContain('data/odd/carriage%0Dreturn.jpg');
    expect(manifest).toContain('data/odd/100%25 sure.jpg');
    expect(manifest).toContain('data/odd/%250A literally.jpg');
    expect(fs.readFileSync(path.join(bag, 'data', 'odd', 'line\nbreak.jpg'), 'utf8')).toBe('odd/line\nbreak.jpg');
    expect(await validateBag(bag)).toMatchObject({ valid: true, problems: [] });
    for (const n of names) expect(decodeManifestPath(encodeManifestPath(n))).toBe(n);
  });

  it('refuses a file whose bytes do not match its SHA-256, and leaves nothing behind', async () => {
    const parent = tmp();
    const bag = path.join(parent, 'bag');
    const files = [...sampleFiles(), { ...bufferFile('CAM-03/x.jpg', Buffer.from('real')), sha256: sha('claimed') }];
    const err = await writeBag(bag, files, info).catch((e: unknown) => e);
    expect(isCustodyError(err, 'integrity')).toBe(true);
    expect(String(err)).toContain('CAM-03/x.jpg');
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('leaves nothing behind when the source fails part-way (drive pulled, Ctrl-C)', async () => {
    const parent = tmp();
    const bag = path.join(parent, 'bag');
    async function* failing(): AsyncIterable<BagFile> {
      yield bufferFile('a.jpg', Buffer.from('first'));
      const broken = new Readable({
        read() {
          this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        },
      });
      yield { relPath: 'b.jpg', sha256: sha('x'), open: () => broken };
    }
    const err = await writeBag(bag, failing(), info).catch((e: unknown) => e);
    expect(isCustodyError(err, 'io')).toBe(true);
    expect(fs.readdirSync(parent)).toEqual([]);
    // And a second run succeeds where the first failed.
    await writeBag(bag, sampleFiles(), info);
    expect((await validateBag(bag)).valid).toBe(true);
  });

  it('refuses unsafe paths, colliding names and a non-empty destination', async () => {
    for (const bad of ['../escape.jpg', '/abs.jpg', 'a//b.jpg', 'a/./b.jpg', 'C:/x.jpg', 'a\\b.jpg', '']) {
      const err = await writeBag(path.join(tmp(), 'b'), [bufferFile(bad, Buffer.from('x'))], info).catch(
        (e: unknown) => e,
      );
      expect(isCustodyError(err, 'usage'), bad).toBe(true);
    }
    const clash = await writeBag(
      path.join(tmp(), 'b'),
      [bufferFile('A.jpg', Buffer.from('1')), bufferFile('a.jpg', Buffer.from('2'))],
      info,
    ).catch((e: unknown) => e);
    expect(isCustodyError(clash, 'conflict')).toBe(true);
    const nfd = await writeBag(
      path.join(tmp(), 'b'),
      [bufferFile('caf\u00e9.jpg', Buffer.from('1')), bufferFile('cafe\u0301.jpg', Buffer.from('2'))],
      info,
    ).catch((e: unknown) => e);
    expect(isCustodyError(nfd, 'conflict')).toBe(true);
    const full = tmp();
    fs.writeFileSync(path.join(full, 'something'), 'x');
    expect(isCustodyError(await writeBag(full, sampleFiles(), info).catch((e: unknown) => e), 'conflict')).toBe(true);
  });

  it('accepts an empty existing folder as the destination', async () => {
    const dir = tmp();
    await writeBag(dir, sampleFiles(), info);
    expect((await validateBag(dir)).valid).toBe(true);
  });
});

describe('validateBag', () => {
  async function freshBag(): Promise<string> {
    const bag = path.join(tmp(), 'bag');
    await writeBag(bag, sampleFiles(), info, { now });
    return bag;
  }

  it('catches one edited byte in the payload (and so does sha256sum)', async () => {
    const bag = await freshBag();
    const f = path.join(bag, 'data/CAM-01 Main St/2026-11-20/IMG_0001.jpg');
    const b = fs.readFileSync(f);
    b[12_345] = b[12_345]! ^ 0x01;
    fs.writeFileSync(f, b);
    const v = await validateBag(bag);
    expect(v.valid).toBe(false);
    expect(v.problems.join('\n')).toMatch(/IMG_0001\.jpg.*sha256 does not match/);
    expect(sha256sumCheck(bag, 'manifest-sha256.txt').status).not.toBe(0);
  });

  it('catches an edited tag file', async () => {
    const bag = await freshBag();
    fs.appendFileSync(path.join(bag, 'bag-info.txt'), 'Internal-Sender-Description: added later\n');
    const v = await validateBag(bag);
    expect(v.problems.join('\n')).toMatch(/bag-info\.txt.*does not match tagmanifest-sha256\.txt/);
  });

  it('catches missing, extra and unlisted files and a wrong Payload-Oxum', async () => {
    const bag = await freshBag();
    fs.rmSync(path.join(bag, 'data/CAM-02/empty.jpg'));
    fs.writeFileSync(path.join(bag, 'data/CAM-02/extra.jpg'), 'sneaked in');
    fs.writeFileSync(path.join(bag, 'notes.txt'), 'not part of the bag');
    const v = await validateBag(bag);
    const all = v.problems.join('\n');
    expect(v.valid).toBe(false);
    expect(all).toContain('"data/CAM-02/empty.jpg" is listed but missing');
    expect(all).toContain('"data/CAM-02/extra.jpg" is in data/ but not in manifest-sha256.txt');
    expect(all).toContain('notes.txt is not part of the bag');
  });

  it('recounts Payload-Oxum', async () => {
    const bag = await freshBag();
    const infoFile = path.join(bag, 'bag-info.txt');
    fs.writeFileSync(infoFile, fs.readFileSync(infoFile, 'utf8').replace(/Payload-Oxum: \d+\.4/, 'Payload-Oxum: 1.4'));
    // Re-hash the tag manifest so only the Oxum is wrong.
    const tm = ['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt']
      .map((t) => `${sha(fs.readFileSync(path.join(bag, t)))}  ${t}\n`)
      .join('');
    fs.writeFileSync(path.join(bag, 'tagmanifest-sha256.txt'), tm);
    const v = await validateBag(bag);
    expect(v.problems).toEqual([`Payload-Oxum is 1.4 but the payload is ${recountOxum(bag)} (octets.files).`]);
  });

  it('reports a folder that is not a bag', async () => {
    const v = await validateBag(tmp());
    expect(v.valid).toBe(false);
    expect(v.problems).toContain('bagit.txt is missing.');
    expect((await validateBag(path.join(tmp(), 'nope'))).valid).toBe(false);
  });
});
