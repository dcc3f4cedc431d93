import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffMedia } from '../../src/media/sniff.js';

function ftyp(major: string, compat: string[] = []): Buffer {
  const size = 16 + compat.length * 4;
  const b = Buffer.alloc(size + 8);
  b.writeUInt32BE(size, 0);
  b.write('ftyp', 4, 'latin1');
  b.write(major, 8, 'latin1');
  b.writeUInt32BE(0, 12);
  compat.forEach((c, i) => {
    b.write(c, 16 + i * 4, 'latin1');
  });
  b.writeUInt32BE(8, size);
  b.write('mdat', size + 4, 'latin1');
  return b;
}

function riff(form: string): Buffer {
  const b = Buffer.alloc(32);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(24, 4);
  b.write(form, 8, 'latin1');
  return b;
}

function ts(packet: number, lead: number, packets: number): Buffer {
  const b = Buffer.alloc(lead + packet * packets, 0xff);
  for (let i = 0; i < packets; i++) b[lead + i * packet] = 0x47;
  return b;
}

describe('sniffMedia', () => {
  it('recognises real images made by sharp', async () => {
    const img = sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } });
    const cases: Array<[Buffer, string, string]> = [
      [await img.clone().jpeg().toBuffer(), 'image/jpeg', 'jpg'],
      [await img.clone().png().toBuffer(), 'image/png', 'png'],
      [await img.clone().webp().toBuffer(), 'image/webp', 'webp'],
      [await img.clone().tiff().toBuffer(), 'image/tiff', 'tif'],
      [await img.clone().gif().toBuffer(), 'image/gif', 'gif'],
    ];
    for (const [buf, mime, ext] of cases) {
      expect(sniffMedia(buf.subarray(0, SNIFF_BYTES))).toEqual({ kind: 'image', mime, ext });
    }
  });

  it('recognises BMP only with a real DIB header', () => {
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(54, 2);
    bmp.writeUInt32LE(40, 14);
    expect(sniffMedia(bmp)?.mime).toBe('image/bmp');
    expect(sniffMedia(Buffer.from('BM is how this text file starts, nothing more'))).toBeNull();
  });

  it('tells HEIC/AVIF stills from MP4/MOV clips by ftyp brands', () => {
    expect(sniffMedia(ftyp('heic', ['mif1', 'heic']))).toEqual({ kind: 'image', mime: 'image/heic', ext: 'heic' });
    expect(sniffMedia(ftyp('mif1', ['mif1', 'heic']))?.mime).toBe('image/heic');
    expect(sniffMedia(ftyp('mif1', ['mif1']))?.mime).toBe('image/heif');
    expect(sniffMedia(ftyp('avif', ['avif', 'mif1']))?.mime).toBe('image/avif');
    expect(sniffMedia(ftyp('isom', ['isom', 'iso2', 'avc1', 'mp41']))).toEqual({
      kind: 'video',
      mime: 'video/mp4',
      ext: 'mp4',
    });
    expect(sniffMedia(ftyp('mp42', ['mp42', 'isom']))?.kind).toBe('video');
    expect(sniffMedia(ftyp('qt  ', ['qt  ']))).toEqual({ kind: 'video', mime: 'video/quicktime', ext: 'mov' });
    expect(sniffMedia(ftyp('3gp5'))?.mime).toBe('video/3gpp');
    expect(sniffMedia(ftyp('M4A ', ['M4A ', 'mp42']))).toBeNull();
  });

  it('recognises an old QuickTime file that starts with moov/mdat', () => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(16, 0);
    b.write('mdat', 4, 'latin1');
    expect(sniffMedia(b)?.mime).toBe('video/quicktime');
  });

  it('recognises AVI, Matroska, WebM and MPEG-TS', () => {
    expect(sniffMedia(riff('AVI '))).toEqual({ kind: 'video', mime: 'video/x-msvideo', ext: 'avi' });
    expect(sniffMedia(riff('WAVE'))).toBeNull();
    const ebml = (doc: string) =>
      Buffer.concat([
        Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x80 | doc.length]),
        Buffer.from(doc, 'latin1'),
        Buffer.alloc(16),
      ]);
    expect(sniffMedia(ebml('matroska'))).toEqual({ kind: 'video', mime: 'video/x-matroska', ext: 'mkv' });
    expect(sniffMedia(ebml('webm'))).toEqual({ kind: 'video', mime: 'video/webm', ext: 'webm' });
    expect(sniffMedia(ts(188, 0, 5))).toEqual({ kind: 'video', mime: 'video/mp2t', ext: 'ts' });
    expect(sniffMedia(ts(192, 4, 5))?.ext).toBe('m2ts');
    // A lone G followed by noise is text, not a transport stream.
    const notTs = ts(188, 0, 5);
    notTs[376] = 0x00;
    expect(sniffMedia(notTs)).toBeNull();
  });

  it('never trusts a name: text, empty, short and truncated heads', () => {
    expect(sniffMedia(Buffer.from('this is a text file named photo.jpg\n'))).toBeNull();
    expect(sniffMedia(Buffer.alloc(0))).toBeNull();
    expect(sniffMedia(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffMedia(Buffer.from([0xff, 0xd8, 0xff]))?.mime).toBe('image/jpeg');
    expect(sniffMedia(Buffer.from('GIF8'))).toBeNull();
    expect(sniffMedia(Buffer.from('RIFF'))).toBeNull();
    expect(sniffMedia(Buffer.from([0x00, 0x00, 0x00, 0x18, 0x66, 0x74]))).toBeNull();
  });

  it('needs no more than SNIFF_BYTES and is not confused by more', () => {
    expect(SNIFF_BYTES).toBeGreaterThanOrEqual(188 * 3 + 1);
    const big = Buffer.concat([ftyp('isom', ['isom']), Buffer.alloc(SNIFF_BYTES * 2)]);
    expect(sniffMedia(big)?.mime).toBe('video/mp4');
  });
});
