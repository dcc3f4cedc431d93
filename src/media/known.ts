/**
 * The content already in the store, across every drive and batch, so that an import stores each
 * content once: the same bytes found on another drive (or again on the same one) are recorded as
 * a duplicate of the first stored copy, not stored again.
 *
 * Sized for a full home (DESIGN: 2 million images, survive 6 million): each batch's hashes are
 * kept as one sorted buffer of 32-byte entries, and one map from the first 48 bits of a hash to
 * the first batch holding it answers a lookup without a string per hash in memory.
 */
import { BatchFiles, loadBatchKey, readHashes, readableBatches, storeName } from '../ledger/batches.js';
import type { Session } from '../ledger/session.js';

interface StoredBatch {
  id: string;
  key: Buffer;
  /** Sorted SHA-256 digests, 32 bytes each. */
  hashes: Buffer;
}

function contains(sorted: Buffer, digest: Buffer): boolean {
  let lo = 0;
  let hi = sorted.length / 32 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare(sorted.subarray(mid * 32, mid * 32 + 32), digest);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

export class KnownContent {
  private readonly batches: StoredBatch[] = [];
  private readonly byPrefix = new Map<number, number>();
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
        k.addBatch(id, key, readHashes(bf, key));
      } catch {
        /* not readable: not a first copy */
      }
    }
    return k;
  }

  addBatch(id: string, key: Buffer, hexHashes: readonly string[]): void {
    const sorted = [...hexHashes].filter((h) => /^[0-9a-f]{64}$/.test(h)).sort();
    const buf = Buffer.alloc(sorted.length * 32);
    const index = this.batches.length;
    sorted.forEach((h, i) => {
      buf.write(h, i * 32, 'hex');
      const p = buf.readUIntBE(i * 32, 6);
      if (!this.byPrefix.has(p)) this.byPrefix.set(p, index);
    });
    this.batches.push({ id, key, hashes: buf });
  }

  /** Where this content is already stored (`batch/store name`), the oldest copy first; else undefined. */
  find(sha256: string): string | undefined {
    const digest = Buffer.from(sha256, 'hex');
    const at = this.byPrefix.get(digest.readUIntBE(0, 6));
    if (at !== undefined) {
      // The first batch with these 48 bits almost always holds the hash; if not, look through all.
      const order = [at, ...this.batches.keys()];
      for (const i of order) {
        const b = this.batches[i]!;
        if (contains(b.hashes, digest)) return `${b.id}/${storeName(b.key, sha256)}`;
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
