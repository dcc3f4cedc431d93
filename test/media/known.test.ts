/** The content index behind duplicate detection: the first copy wins, 32-bit prefix collisions are resolved. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storeName } from '../../src/ledger/batches.js';
import { KnownContent } from '../../src/media/known.js';

const hex = (prefix: string) => prefix + randomBytes(32).toString('hex').slice(prefix.length);

describe('KnownContent', () => {
  it('names the oldest batch holding a content, even when another shares its first 32 bits', () => {
    const k = new KnownContent();
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const same = hex('a1b2c3d4');
    const twin = hex('a1b2c3d4'); // same 32-bit prefix, other content
    const other = hex('00');
    k.addBatch('B20261101-000001', keys[0]!, [twin, other]);
    k.addBatch('B20261102-000002', keys[1]!, [same]);
    k.addBatch('B20261103-000003', keys[2]!, [same, twin]);
    expect(k.find(same)).toBe(`B20261102-000002/${storeName(keys[1]!, same)}`);
    expect(k.find(twin)).toBe(`B20261101-000001/${storeName(keys[0]!, twin)}`);
    expect(k.find(other)).toBe(`B20261101-000001/${storeName(keys[0]!, other)}`);
    expect(k.find(hex('ff'))).toBeUndefined();
  });

  it('knows what the running import claimed, after what is stored, and forgets a released claim', () => {
    const k = new KnownContent();
    const key = randomBytes(32);
    const h = hex('12');
    expect(k.find(h)).toBeUndefined();
    k.claim(h, 'B20261104-000004/x');
    expect(k.find(h)).toBe('B20261104-000004/x');
    k.addBatch('B20261101-000001', key, [h]);
    expect(k.find(h)).toBe(`B20261101-000001/${storeName(key, h)}`);
    const g = hex('34');
    k.claim(g, 'B20261104-000004/y');
    k.release(g);
    expect(k.find(g)).toBeUndefined();
  });
});
