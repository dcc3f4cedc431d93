/**
 * File names from a drive as the ledger records them. A drive's names are bytes: a FAT or ext4
 * drive written by another system may hold names that are not valid UTF-8, which a JavaScript
 * string cannot carry (Node would replace the bad bytes and the file could no longer be opened).
 *
 * The recorded form is lossless and one-to-one:
 * - a name that is valid UTF-8 and holds no backslash is recorded as it is (almost every name);
 * - any other name is escaped: each byte that is not part of a valid UTF-8 sequence is written
 *   `\xHH` (two lowercase hex digits) and each backslash `\\`.
 * An escaped name always holds a backslash and a plain one never does, so the two cannot meet.
 */

/** The length of the valid UTF-8 sequence that starts at `i` (RFC 3629 §4), or 0 if there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) n = 3;
  else if (c >= 0xf0 && c <= 0xf4) n = 4;
  else return 0;
  if (i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  const c1 = b[i + 1]!;
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid UTF-8.
  if (c === 0xe0 && c1 < 0xa0) return 0;
  if (c === 0xed && c1 > 0x9f) return 0;
  if (c === 0xf0 && c1 < 0x90) return 0;
  if (c === 0xf4 && c1 > 0x8f) return 0;
  return n;
}

/** True when `bytes` are valid UTF-8 (so a string path opens the same file). */
export function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** The recorded form of a name (or a `/`-joined path) given as bytes. */
export function nameFromBytes(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf) && !buf.includes(0x5c)) return buf.toString('utf8');
  let out = '';
  for (let i = 0; i < buf.length; ) {
    const n = sequenceLength(buf, i);
    if (n === 0) {
      out += `\\x${buf[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else if (buf[i] === 0x5c) {
      out += '\\\\';
      i++;
    } else {
      out += buf.toString('utf8', i, i + n);
      i += n;
    }
  }
  return out;
}

/** The bytes of a recorded name: the inverse of `nameFromBytes`. */
export function bytesFromName(name: string): Buffer {
  if (!name.includes('\\')) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let plain = '';
  const flush = () => {
    if (plain) parts.push(Buffer.from(plain, 'utf8'));
    plain = '';
  };
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch !== '\\') {
      plain += ch;
      continue;
    }
    const next = name[i + 1];
    if (next === '\\') {
      plain += '\\';
      i++;
    } else if (next === 'x' && /^[0-9a-f]{2}$/.test(name.slice(i + 2, i + 4))) {
      flush();
      parts.push(Buffer.from([parseInt(name.slice(i + 2, i + 4), 16)]));
      i += 3;
    } else {
      throw new Error(`not a recorded name: stray backslash at ${i} in ${JSON.stringify(name)}`);
    }
  }
  flush();
  return Buffer.concat(parts);
}

/** True when the recorded form of a name differs from its bytes read as UTF-8 (the name was escaped). */
export function isEscapedName(name: string): boolean {
  return name.includes('\\');
}
