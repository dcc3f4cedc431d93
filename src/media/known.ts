/**
 * The content already in the store, across every drive and batch, so that an import stores each
 * content once: the same bytes found on another drive (or again on the same one) are recorded as
 * a duplicate of the first stored copy, not stored again.
 *
 * Sized for a full home (DESIGN: 2 million images, survive 6 million): each batch's hashes are
 * kept as one sorted buffer of 32-byte entries, and one sorted array of numbers, each the first
 * 32 bits of a hash and the index of its batch (`prefix * 2^20 + batch`, exact in a double),
 * answers a lookup by binary search; no string or map entry per hash is kept in memory. The rare
 * content that shares its first 32 bits with a stored one is found by looking through the batches.
 */
import { BatchFiles, loadBatchKey, readHashes, readStoreNames, readableBatches, storeName } from '../ledger/batches.js';
import type { Session } from '../ledger/session.js';

interface StoredBatch {
  id: string;
  key: Buffer;
  /** Sorted SHA-256 digests, 32 bytes each. */
  hashes: Buffer;
  /** A re-keyed batch's store names by hash (its old batch key, the names' HMAC key, is destroyed). */
  names?: ReadonlyMap<string, string>;
}

/** Room for the batch index in the low bits of an index entry. */
const BATCH_SLOTS = 2 ** 20;

function contains(sorted: Buffer, digest: Buffer): boolean {
  let lo = 0;
  let hi = sorted.length / 32 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = digest.compare(sorted, mid * 32, mid * 32 + 32);
    if (c === 0) return true;
    if (c > 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The digests of `hexHashes` as one buffer, sorted (a hash list is written sorted; checked, not trusted). */
function sortedDigests(hexHashes: readonly string[]): Buffer {
  const buf = Buffer.from(hexHashes.join(''), 'hex');
  if (buf.length !== hexHashes.length * 32) throw new Error('a hash list holds something that is not a SHA-256');
  for (let i = 32; i < buf.length; i += 32)
    if (buf.compare(buf, i, i + 32, i - 32, i) > 0) return Buffer.from([...hexHashes].sort().join(''), 'hex');
  return buf;
}

export class KnownContent {
  private readonly batches: StoredBatch[] = [];
  /** `prefix * BATCH_SLOTS + batch index` for every stored hash, sorted; rebuilt after a batch is added. */
  private index: Float64Array | undefined = new Float64Array(0);
  /** The import in progress: content it has stored (or claimed while storing) → `batch/name`. */
  private readonly own = new Map<string, string>();

  /** Every readable batch of the home but `except` (the batch being imported), oldest first. */
  static load(s: Session, except: string): KnownContent {
    const k = new KnownContent();
    for (const id of readableBatches(s, except)) {
      const bf = new BatchFiles(s.home, id);
      // A batch whose key or hash list cannot be read (a purge cut short, a damaged file) is no
      // copy to point at: its content is stored again rather than recorded as a duplicate of it.
      try {
        const key = loadBatchKey(bf, s.master);
        k.addBatch(id, key, readHashes(bf, key), readStoreNames(bf, key));
      } catch {
        /* not readable: not a first copy */
      }
    }
    return k;
  }

  /** Add a batch, younger than every batch added before it. */
  addBatch(id: string, key: Buffer, hexHashes: readonly string[], names?: ReadonlyMap<string, string>): void {
    if (this.batches.length >= BATCH_SLOTS) throw new Error('too many batches for the content index');
    this.batches.push({ id, key, hashes: sortedDigests(hexHashes), names });
    this.index = undefined;
  }

  private built(): Float64Array {
    if (this.index) return this.index;
    const n = this.batches.reduce((a, b) => a + b.hashes.length / 32, 0);
    const index = new Float64Array(n);
    let at = 0;
    this.batches.forEach((b, i) => {
      for (let off = 0; off < b.hashes.length; off += 32) index[at++] = b.hashes.readUInt32BE(off) * BATCH_SLOTS + i;
    });
    index.sort();
    this.index = index;
    return index;
  }

  /** The oldest batch whose hashes start with these 32 bits, or -1. */
  private firstWithPrefix(prefix: number): number {
    const index = this.built();
    const lowest = prefix * BATCH_SLOTS;
    let lo = 0;
    let hi = index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (index[mid]! < lowest) lo = mid + 1;
      else hi = mid;
    }
    return lo < index.length && index[lo]! < lowest + BATCH_SLOTS ? index[lo]! - lowest : -1;
  }

  /** Where this content is already stored (`batch/store name`), the oldest copy first; else undefined. */
  find(sha256: string): string | undefined {
    const digest = Buffer.from(sha256, 'hex');
    const at = this.firstWithPrefix(digest.readUInt32BE(0));
    if (at >= 0) {
      // The oldest batch with these 32 bits almost always holds the hash; if not, look through all.
      for (const i of [at, ...this.batches.keys()]) {
        const b = this.batches[i]!;
        // A re-keyed batch names its stored files in its hash list (their HMAC key is gone).
        if (contains(b.hashes, digest)) return `${b.id}/${b.names?.get(sha256) ?? storeName(b.key, sha256)}`;
      }
    }
    return this.own.get(sha256);
  }

  /** Record that the import stores this content at `ref` (checked and claimed with no await between). */
  claim(sha256: string, ref: string): void {
    this.own.set(sha256, ref);
  }

  /** The stored copy failed to verify: the content is not stored after all. */
  release(sha256: string): void {
    this.own.delete(sha256);
  }
}
