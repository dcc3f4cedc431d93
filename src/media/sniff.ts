/**
 * Content sniffing by magic bytes. A file's name on a camera drive is untrusted (a text
 * file named `.jpg`, a clip renamed by a tool), so the kind of a file is decided by its
 * first bytes only, never by its extension.
 */

export type MediaKind = 'image' | 'video';

export interface SniffResult {
  kind: MediaKind;
  /** IANA media type, e.g. `image/jpeg`. */
  mime: string;
  /** The usual extension for the type, lower case, without the dot. */
  ext: string;
}

/**
 * How many bytes from the start of a file `sniffMedia` wants. Fewer is accepted (a tiny
 * file is simply judged on what it has); more is ignored. 4 KiB covers an ISO-BMFF `ftyp`
 * box with a long brand list, the EBML header of Matroska and four MPEG-TS packets.
 */
export const SNIFF_BYTES = 4096;

const TS_PACKET = 188;
const M2TS_PACKET = 192;

function ascii(b: Buffer, start: number, len: number): string {
  if (b.length < start + len) return '';
  return b.toString('latin1', start, start + len);
}

function startsWith(b: Buffer, bytes: number[], at = 0): boolean {
  if (b.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/** ISO-BMFF brands of still images (HEIF family, AVIF). */
const HEIF_BRANDS: Record<string, SniffResult> = {
  heic: { kind: 'image', mime: 'image/heic', ext: 'heic' },
  heix: { kind: 'image', mime: 'image/heic', ext: 'heic' },
  heim: { kind: 'image', mime: 'image/heic', ext: 'heic' },
  heis: { kind: 'image', mime: 'image/heic', ext: 'heic' },
  hevc: { kind: 'image', mime: 'image/heic-sequence', ext: 'heics' },
  hevx: { kind: 'image', mime: 'image/heic-sequence', ext: 'heics' },
  mif1: { kind: 'image', mime: 'image/heif', ext: 'heif' },
  msf1: { kind: 'image', mime: 'image/heif-sequence', ext: 'heifs' },
  avif: { kind: 'image', mime: 'image/avif', ext: 'avif' },
  avis: { kind: 'image', mime: 'image/avif', ext: 'avif' },
};

/** Top-level QuickTime atoms that may open an old `.mov` written without `ftyp`. */
const QT_FIRST_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

function sniffIsoBmff(head: Buffer): SniffResult | null {
  const size = head.readUInt32BE(0);
  const major = ascii(head, 8, 4);
  // Brands: the major brand, then compatible brands from offset 16 to the end of the box.
  const brands = [major];
  const end = Math.min(Math.max(size, 16), head.length);
  for (let o = 16; o + 4 <= end; o += 4) brands.push(ascii(head, o, 4));
  // A major brand like `mif1` with `heic` among the compatible ones is still a HEIC image.
  if ((major === 'mif1' || major === 'msf1') && brands.some((b) => b === 'heic' || b === 'heix'))
    return HEIF_BRANDS.heic!;
  if ((major === 'mif1' || major === 'msf1') && brands.includes('avif')) return HEIF_BRANDS.avif!;
  const heif = HEIF_BRANDS[major];
  if (heif) return heif;
  if (major === 'qt  ') return { kind: 'video', mime: 'video/quicktime', ext: 'mov' };
  if (major.startsWith('3g2')) return { kind: 'video', mime: 'video/3gpp2', ext: '3g2' };
  if (major.startsWith('3gp')) return { kind: 'video', mime: 'video/3gpp', ext: '3gp' };
  if (major === 'M4V ' || major === 'M4VH' || major === 'M4VP')
    return { kind: 'video', mime: 'video/x-m4v', ext: 'm4v' };
  if (major === 'M4A ' || major === 'M4B ' || major === 'M4P ') return null; // audio, not camera media
  // isom, iso2..iso9, mp41, mp42, avc1, dash, MSNV, XAVC, CAEP and the many vendor brands.
  return { kind: 'video', mime: 'video/mp4', ext: 'mp4' };
}

function sniffMatroska(head: Buffer): SniffResult {
  // The EBML header holds DocType (ID 0x4282) with the value "webm" or "matroska".
  const window = head.subarray(0, Math.min(head.length, 128)).toString('latin1');
  if (window.includes('webm')) return { kind: 'video', mime: 'video/webm', ext: 'webm' };
  return { kind: 'video', mime: 'video/x-matroska', ext: 'mkv' };
}

function isTransportStream(head: Buffer, packet: number, offset: number): boolean {
  // One 0x47 sync byte is common by chance; require it at the start of every packet the
  // head holds, and at least three of them.
  let seen = 0;
  for (let o = offset; o < head.length; o += packet) {
    if (head[o] !== 0x47) return false;
    seen++;
  }
  return seen >= 3;
}

/**
 * Decide whether `head` (the first `SNIFF_BYTES` of a file, or all of a shorter file) is an
 * image or a video that a camera may write, by its magic bytes. Returns null for anything
 * else (text, empty, unknown, audio).
 */
export function sniffMedia(head: Buffer): SniffResult | null {
  if (head.length < 3) return null;
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: 'image', mime: 'image/jpeg', ext: 'jpg' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { kind: 'image', mime: 'image/png', ext: 'png' };
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')
    return { kind: 'image', mime: 'image/gif', ext: 'gif' };
  // TIFF, little or big endian; 0x2B is BigTIFF.
  if (
    startsWith(head, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(head, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return { kind: 'image', mime: 'image/tiff', ext: 'tif' };
  }
  if (ascii(head, 0, 4) === 'RIFF') {
    const form = ascii(head, 8, 4);
    if (form === 'WEBP') return { kind: 'image', mime: 'image/webp', ext: 'webp' };
    if (form === 'AVI ') return { kind: 'video', mime: 'video/x-msvideo', ext: 'avi' };
    return null;
  }
  // BMP: "BM" is two common letters, so also require a known DIB header size.
  if (ascii(head, 0, 2) === 'BM' && head.length >= 18) {
    const dib = head.readUInt32LE(14);
    if ([12, 16, 40, 52, 56, 64, 108, 124].includes(dib)) return { kind: 'image', mime: 'image/bmp', ext: 'bmp' };
  }
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') return sniffIsoBmff(head);
  if (head.length >= 8 && QT_FIRST_ATOMS.has(ascii(head, 4, 4)) && head.readUInt32BE(0) >= 8) {
    return { kind: 'video', mime: 'video/quicktime', ext: 'mov' };
  }
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return sniffMatroska(head);
  if (isTransportStream(head, TS_PACKET, 0)) return { kind: 'video', mime: 'video/mp2t', ext: 'ts' };
  if (isTransportStream(head, M2TS_PACKET, 4)) return { kind: 'video', mime: 'video/mp2t', ext: 'm2ts' };
  return null;
}
