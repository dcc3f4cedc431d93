import { describe, expect, it } from 'vitest';
import {
  CONFUSION_CLASSES,
  PlateIndex,
  confusionKey,
  deletionKeys,
  insertionKeys,
  normalizePlate,
  parseQuery,
  rankByImage,
  scoreMatch,
  searchMany,
  type Hit,
  type ImageReadings,
} from '../../src/core/plate-match.js';
import { isCustodyError } from '../../src/core/errors.js';

const r = (text: string, confidence = 0.9) => ({ text, confidence });
const img = (imageId: number, ...texts: string[]): ImageReadings => ({
  imageId,
  readings: texts.map((t, i) => r(t, 0.9 - i * 0.05)),
});
const ids = (hits: Hit[]) => hits.map((h) => h.imageId);

describe('normalizePlate', () => {
  it('upper-cases and keeps A–Z0–9 only', () => {
    expect(normalizePlate(' 7abc-123 ')).toBe('7ABC123');
    expect(normalizePlate('ab·12 é3')).toBe('AB123');
    expect(normalizePlate('')).toBe('');
  });
});

describe('parseQuery', () => {
  it('is exact by default, fuzzy when asked', () => {
    expect(parseQuery('7abc 123')).toEqual({ kind: 'exact', plate: '7ABC123' });
    expect(parseQuery('7abc123', { fuzzy: true })).toEqual({ kind: 'fuzzy', plate: '7ABC123' });
  });

  it('compiles ? as one character and * as any run', () => {
    const q = parseQuery('7ab?12*');
    expect(q.kind).toBe('wildcard');
    if (q.kind !== 'wildcard') return;
    expect(q.pattern).toBe('7AB?12*');
    expect(q.regex.test('7ABC12')).toBe(true);
    expect(q.regex.test('7ABC123')).toBe(true);
    expect(q.regex.test('7ABC1234')).toBe(true);
    expect(q.regex.test('7AB12')).toBe(false); // ? needs one character
    expect(q.regex.test('X7ABC12')).toBe(false); // anchored
  });

  it('collapses runs of * and ignores separators', () => {
    const q = parseQuery('7A-B**1');
    expect(q.kind === 'wildcard' && q.pattern).toBe('7AB*1');
  });

  it('refuses an empty query and a wildcard that fixes fewer than two characters', () => {
    for (const bad of ['', '--', '*', '?*', 'A*', '??']) {
      let err: unknown;
      try {
        parseQuery(bad);
      } catch (e) {
        err = e;
      }
      expect(isCustodyError(err, 'usage'), bad).toBe(true);
    }
  });
});

describe('confusionKey, deletionKeys, insertionKeys', () => {
  it('gives every member of a confusion class the same key', () => {
    for (const cls of CONFUSION_CLASSES) {
      const keys = new Set([...cls].map((c) => confusionKey(`7A${c}C12`)));
      expect(keys.size, cls).toBe(1);
    }
  });

  it('keeps unrelated characters apart', () => {
    expect(confusionKey('7ABC123')).not.toBe(confusionKey('7AXC123'));
    expect(confusionKey('A')).not.toBe(confusionKey('4'));
    expect(confusionKey('E')).not.toBe(confusionKey('F'));
  });

  it('lists the key and its distinct single deletions', () => {
    expect(deletionKeys('ABB')).toEqual(['ABB', 'BB', 'AB']);
    expect(deletionKeys('A')).toEqual(['A']);
  });

  it('lists insertions over the key alphabet without duplicates', () => {
    const ins = insertionKeys('AB');
    expect(new Set(ins).size).toBe(ins.length);
    expect(ins).toContain('AXB');
    expect(ins).toContain('ABO');
    expect(ins).not.toContain('AB0'); // 0 is not a key symbol: it is written O
  });
});

describe('scoreMatch', () => {
  const best = { rank: 0, confidence: 0.9 };
  const alt = { rank: 2, confidence: 0.9 };

  it('orders exact-best > exact-alternative > confusion > one missing/extra', () => {
    const a = scoreMatch('7ABC123', '7ABC123', best)!;
    const b = scoreMatch('7ABC123', '7ABC123', alt)!;
    const c = scoreMatch('7ABC123', '7A8C123', best)!;
    const d = scoreMatch('7ABC123', '7ABC12', best)!;
    expect([a.kind, b.kind, c.kind, d.kind]).toEqual(['exact', 'exact', 'confusion', 'edit']);
    expect(a.score).toBeGreaterThan(b.score);
    expect(b.score).toBeGreaterThan(c.score);
    expect(c.score).toBeGreaterThan(d.score);
    // Even the deepest alternative's exact match beats a confusion on the best reading.
    expect(scoreMatch('7ABC123', '7ABC123', { rank: 10, confidence: 0 })!.score).toBeGreaterThan(
      scoreMatch('7ABC123', '7A8C123', { rank: 0, confidence: 1 })!.score,
    );
  });

  it('lets confidence break ties and nothing more', () => {
    const hi = scoreMatch('7ABC123', '7A8C123', { rank: 1, confidence: 0.99 })!;
    const lo = scoreMatch('7ABC123', '7A8C123', { rank: 1, confidence: 0.1 })!;
    expect(hi.score).toBeGreaterThan(lo.score);
    const betterRank = scoreMatch('7ABC123', '7A8C123', { rank: 0, confidence: 0 })!;
    expect(betterRank.score).toBeGreaterThan(hi.score);
    // Percent confidences are read as such.
    expect(scoreMatch('7ABC123', '7ABC123', { rank: 0, confidence: 90 })!.score).toBe(
      scoreMatch('7ABC123', '7ABC123', { rank: 0, confidence: 0.9 })!.score,
    );
  });

  it('prefers fewer confusions', () => {
    const one = scoreMatch('7ABC123', '7A8C123', best)!;
    const three = scoreMatch('7ABC123', '7A8CIZ3', best)!;
    expect(three.kind).toBe('confusion');
    expect(one.score).toBeGreaterThan(three.score);
  });

  it('says what matched in plain words', () => {
    expect(scoreMatch('7ABC123', '7ABC123', best)!.detail).toBe('exact match on the best reading');
    expect(scoreMatch('7ABC123', '7A8C123', alt)!.detail).toBe('alternative 2 7A8C123 reads 8 for B at 3');
    expect(scoreMatch('7ABC123', '7AC123', best)!.detail).toBe('the best reading 7AC123 lacks B at 3');
    expect(scoreMatch('7ABC123', '7ABXC123', best)!.detail).toBe('the best reading 7ABXC123 has an extra X at 4');
  });

  it('handles one missing or extra character combined with a confusion', () => {
    expect(scoreMatch('7ABC123', '7A8C12', best)!.kind).toBe('edit');
    expect(scoreMatch('7ABC123', '7A8CX123', best)!.kind).toBe('edit');
  });

  it('refuses unrelated plates, two edits, and a plain substitution', () => {
    expect(scoreMatch('7ABC123', '4XYZ987', best)).toBeNull();
    expect(scoreMatch('7ABC123', '7ABC1', best)).toBeNull(); // two missing
    expect(scoreMatch('7ABC123', '7ABC124', best)).toBeNull(); // 3→4 is not an OCR confusion
    expect(scoreMatch('7ABC123', 'X7ABC123Y', best)).toBeNull();
  });

  it('allows only exact matches for an exact query', () => {
    const q = parseQuery('7ABC123');
    expect(scoreMatch(q, '7ABC123', best)!.kind).toBe('exact');
    expect(scoreMatch(q, '7A8C123', best)).toBeNull();
  });

  it('matches wildcards', () => {
    expect(scoreMatch('7AB?12*', '7ABX12999', best)!.kind).toBe('wildcard');
    expect(scoreMatch('7AB?12*', '7AB12', best)).toBeNull();
  });

  it('does not allow one missing/extra character for short queries', () => {
    expect(scoreMatch('AB12', 'AB1', best)).toBeNull();
    expect(scoreMatch('AB12', 'A812', best)!.kind).toBe('confusion');
  });
});

describe('rankByImage', () => {
  it('counts an image matched via several readings once, with its best match', () => {
    const h = (imageId: number, rank: number, score: number): Hit => ({
      imageId,
      reading: 'X',
      rank,
      confidence: 0.5,
      score,
      kind: 'exact',
    });
    const out = rankByImage([h(1, 3, 10), h(2, 0, 20), h(1, 0, 30), h(1, 5, 5)]);
    expect(out.map((x) => [x.imageId, x.rank, x.matchedReadings])).toEqual([
      [1, 0, 3],
      [2, 0, 1],
    ]);
  });

  it('breaks score ties by the number of matching readings, then the image id', () => {
    const h = (imageId: number): Hit => ({ imageId, reading: 'X', rank: 0, confidence: 0.5, score: 1, kind: 'exact' });
    expect(rankByImage([h(9), h(3), h(5), h(5)]).map((x) => x.imageId)).toEqual([5, 3, 9]);
  });
});

describe('PlateIndex', () => {
  it('finds each confusion class when searched fuzzily', () => {
    const index = new PlateIndex();
    const pairs: [string, string][] = [];
    let id = 1;
    for (const cls of CONFUSION_CLASSES) {
      for (const read of cls) {
        for (const truth of cls) {
          if (read === truth) continue;
          // The truth has `truth` at position 3; the camera read `read`.
          pairs.push([`7X${truth}K12`, `7X${read}K12`]);
          index.add(img(id++, `7X${read}K12`));
        }
      }
    }
    id = 1;
    for (const [truth, read] of pairs) {
      const hits = index.search(truth, { fuzzy: true, limit: 1000 });
      const me = hits.find((h) => h.imageId === id);
      expect(me, `${truth} → ${read}`).toBeDefined();
      expect(me!.kind).toBe('confusion');
      expect(me!.reading).toBe(read);
      id++;
    }
  });

  it('finds one missing and one extra character', () => {
    const index = new PlateIndex([img(1, '7ABC12'), img(2, '7ABCC123'), img(3, 'ABC123'), img(4, '7ABC1234')]);
    const hits = index.search('7ABC123', { fuzzy: true });
    expect(ids(hits).sort()).toEqual([1, 2, 3, 4]);
    expect(hits.every((h) => h.kind === 'edit')).toBe(true);
    // Without --fuzzy they are not found.
    expect(index.search('7ABC123')).toEqual([]);
  });

  it('finds a plate through an alternative reading, ranked below one read as best', () => {
    const index = new PlateIndex([img(1, '7A8C123', '7ABC123'), img(2, '7ABC123', '7A8C123')]);
    const exact = index.search('7ABC123');
    expect(ids(exact)).toEqual([2, 1]);
    expect(exact.map((h) => h.rank)).toEqual([0, 1]);
    expect(exact[1].detail).toBe('exact match on alternative 1');
  });

  it('ranks the right image first among realistic distractors', () => {
    const truth = '8FQB417';
    const index = new PlateIndex([
      // Distractors: neighbours in plate space and noisy alternatives that happen to match.
      img(10, '8FQB471', '8F0B471'), // transposed digits: not an OCR confusion
      img(11, '8FOB411', '8FQB41'), // two changes on the best; alternative one missing char
      img(12, 'BFQB417X'), // confusion + extra char
      img(13, '3FQB417'),
      img(14, '6FQB417', 'QQQQ', '8FQB417'), // exact, but only as its second alternative
      img(15, '8FQ8417'), // one confusion on the best reading
      // The right image: read correctly, with noisy alternatives.
      img(42, '8FQB417', '8F0B417', 'BFQB417', '8FQB41'),
      img(16, '8EQB417'),
    ]);
    const hits = index.search(truth, { fuzzy: true });
    expect(hits[0].imageId).toBe(42);
    expect(hits[0].kind).toBe('exact');
    expect(hits[0].matchedReadings).toBe(4);
    // Then: exact on an alternative, one confusion on the best, confusion + extra
    // character on the best, one missing on an alternative.
    expect(ids(hits)).toEqual([42, 14, 15, 12, 11]);
    // Unrelated or non-OCR-like neighbours do not appear at all.
    expect(ids(hits)).not.toContain(10);
    expect(ids(hits)).not.toContain(13);
    expect(ids(hits)).not.toContain(16);
  });

  it('still ranks the right image first when the camera misread it', () => {
    const index = new PlateIndex([
      img(1, '5DX0123'), // other vehicle, two confusions away
      img(2, 'SDX0I23', 'SOX0I23'),
      img(3, 'SDX0123', 'SDXO123'), // the right one, one confusion (O read as 0)
      img(4, 'SDX012'),
    ]);
    const hits = index.search('SDXO123', { fuzzy: true });
    expect(hits[0].imageId).toBe(3);
    expect(hits[0].kind).toBe('exact'); // via its alternative
  });

  it('matches wildcards against every reading', () => {
    const index = new PlateIndex([
      img(1, '7ABX12'),
      img(2, 'ZZZ', '7ABY1299'),
      img(3, '7AB12'),
      img(4, '17ABX12'),
      img(5, '7A8X12'),
    ]);
    expect(ids(index.search('7AB?12*'))).toEqual([1, 2]);
    expect(index.search('7AB?12*')[1].rank).toBe(1);
    expect(ids(index.search('*AB?12'))).toEqual([1, 4]);
    // Both ends open: anywhere inside, each plate once even when it contains the run twice.
    const twice = new PlateIndex([img(1, 'AB1AB2'), img(2, 'XAB9'), img(3, 'BA12')]);
    expect(ids(twice.search('*AB*'))).toEqual([1, 2]);
    expect(twice.search('*AB*', { perImage: false })).toHaveLength(2);
    expect(ids(twice.search('AB*'))).toEqual([1]);
    expect(ids(twice.search('*B9?'))).toEqual([]);
    expect(ids(twice.search('*A?9'))).toEqual([2]);
    // With --fuzzy the literal characters also match their confusions.
    expect(ids(index.search('7AB?12*', { fuzzy: true }))).toEqual([1, 5, 2]);
  });

  it('has no false matches for unrelated plates', () => {
    const index = new PlateIndex();
    const plates = ['4KLM902', '6TRW551', '2XYZ333', 'ABC1234', '9JHK007', 'PLT42', '1NEW999'];
    plates.forEach((p, i) => {
      index.add(img(i + 1, p, p.slice(1), `${p}9`));
    });
    expect(index.search('7ABC123', { fuzzy: true })).toEqual([]);
    expect(index.search('3MMN448', { fuzzy: true })).toEqual([]);
    expect(index.search('7AB?12*')).toEqual([]);
    expect(index.search('ABC1234')).toHaveLength(1);
  });

  it('honours limit, maxRank and perImage', () => {
    const index = new PlateIndex();
    for (let i = 0; i < 50; i++) index.add(img(i, 'X', 'Y', 'AB123'));
    index.add(img(99, 'AB123', 'AB123'));
    expect(index.search('AB123', { limit: 5 })).toHaveLength(5);
    expect(index.search('AB123', { limit: 5 })[0].imageId).toBe(99);
    expect(ids(index.search('AB123', { maxRank: 0 }))).toEqual([99]);
    expect(index.search('AB123', { perImage: false, limit: 1000 })).toHaveLength(52);
  });

  it('keeps the rank of a reading even when an earlier one was empty', () => {
    const index = new PlateIndex([{ imageId: 1, readings: [r(''), r('AB123')] }]);
    expect(index.search('AB123')[0].rank).toBe(1);
  });

  it('accepts additions after a search', () => {
    const index = new PlateIndex([img(1, 'AB123')]);
    expect(ids(index.search('AB123'))).toEqual([1]);
    index.add(img(2, 'AB123'));
    expect(ids(index.search('AB123'))).toEqual([1, 2]);
  });

  it('grows past its initial sizes', () => {
    const index = new PlateIndex();
    for (let i = 0; i < 20_000; i++) index.add(img(i, `P${i}`, `Q${i}`));
    expect(index.plateCount).toBe(40_000);
    expect(index.readingCount).toBe(40_000);
    expect(ids(index.search('P19999'))).toEqual([19999]);
    expect(ids(index.search('Q7'))).toEqual([7]);
  });

  it('rejects image ids that do not fit', () => {
    const index = new PlateIndex();
    expect(() => index.add(img(-1, 'AB123'))).toThrow();
    expect(() => index.add(img(1.5, 'AB123'))).toThrow();
  });

  it('serializes to a compact Buffer and back', () => {
    const index = new PlateIndex([img(1, '7ABC123', '7A8C123'), img(2, 'SDX0123'), img(3, 'ZZ9')]);
    const buf = index.serialize();
    expect(buf.length).toBeLessThan(256);
    // At an odd offset, as when read from inside a larger file.
    const shifted = Buffer.concat([Buffer.from([0]), buf]).subarray(1);
    const back = PlateIndex.deserialize(shifted);
    expect(back.plateCount).toBe(index.plateCount);
    expect(back.readingCount).toBe(index.readingCount);
    for (const q of ['7ABC123', 'SDXO123', '7AB?12*']) {
      expect(back.search(q, { fuzzy: true })).toEqual(index.search(q, { fuzzy: true }));
    }
    back.add(img(4, '7ABC123'));
    expect(ids(back.search('7ABC123'))).toEqual([1, 4]);
    expect(new PlateIndex().serialize().length).toBeGreaterThan(0);
    // Loaded twice over: a search after a load, an add after a load, a save after an add.
    const again = PlateIndex.deserialize(back.serialize());
    expect(again.search('7ABC123', { fuzzy: true })).toEqual(back.search('7ABC123', { fuzzy: true }));
    expect(PlateIndex.deserialize(new PlateIndex().serialize()).search('AB')).toEqual([]);
  });

  it('can use an aligned Buffer in place, and never writes into it', () => {
    const index = new PlateIndex([img(1, '7ABC123', '7A8C123'), img(2, 'SDX0123'), img(3, 'ZZ9')]);
    const buf = index.serialize();
    const before = Buffer.from(buf);
    const inPlace = PlateIndex.deserialize(buf, { copy: false });
    expect(inPlace.search('7ABC123', { fuzzy: true })).toEqual(index.search('7ABC123', { fuzzy: true }));
    for (let i = 0; i < 50; i++) inPlace.add(img(100 + i, `NEW${i}`, '7ABC123'));
    expect(inPlace.search('7ABC123', { limit: 1000 })).toHaveLength(51);
    expect(ids(inPlace.search('NEW7'))).toEqual([107]);
    expect(buf.equals(before)).toBe(true);
    // An unaligned Buffer is copied even when sharing is asked for.
    const odd = Buffer.concat([Buffer.from([0]), buf]).subarray(1);
    expect(PlateIndex.deserialize(odd, { copy: false }).search('SDX0123')).toHaveLength(1);
  });

  it('refuses a damaged serialized index with an integrity error', () => {
    const buf = new PlateIndex([img(1, '7ABC123')]).serialize();
    // Layout: header (24), plate offsets (2 × 4), plate bytes ("7ABC123\n"), hash heads
    // (H × 4), next in chain (1 × 4), row ranges (2 × 4), image ids, confidences, ranks.
    const H = buf.readUInt32LE(20);
    const rowRanges = 24 + 8 + 8 + 4 * H + 4;
    const cases: Buffer[] = [
      Buffer.from('nonsense'),
      buf.subarray(0, buf.length - 1),
      (() => {
        const b = Buffer.from(buf);
        b.writeUInt32LE(99, 4); // version
        return b;
      })(),
      (() => {
        const b = Buffer.from(buf);
        b[24 + 8] = 'a'.charCodeAt(0); // a lower-case letter inside the plate bytes
        return b;
      })(),
      (() => {
        const b = Buffer.from(buf);
        b.writeInt32LE(5, rowRanges + 4); // the one plate's rows end past the rows
        return b;
      })(),
      (() => {
        const b = Buffer.from(buf);
        b.writeInt32LE(-3, rowRanges + 8); // the first row's image id
        return b;
      })(),
      (() => {
        const b = Buffer.from(buf);
        b.writeInt32LE(7, 24 + 8 + 8); // a hash bucket pointing at plate 7 of 1
        return b;
      })(),
      (() => {
        const b = Buffer.from(buf);
        b.writeUInt32LE(2, 8); // claims two plates
        return b;
      })(),
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        PlateIndex.deserialize(c);
      } catch (e) {
        err = e;
      }
      expect(isCustodyError(err, 'integrity')).toBe(true);
    }
  });

  it('stops at a hash chain that loops instead of hanging', () => {
    const buf = Buffer.from(new PlateIndex([img(1, '7ABC123')]).serialize());
    const H = buf.readUInt32LE(20);
    for (let b = 0; b < H; b++) buf.writeInt32LE(0, 24 + 8 + 8 + 4 * b); // every bucket starts at plate 0
    buf.writeInt32LE(0, 24 + 8 + 8 + 4 * H); // and plate 0's next is plate 0
    const index = PlateIndex.deserialize(buf);
    let err: unknown;
    try {
      index.search('7ABC124');
    } catch (e) {
      err = e;
    }
    expect(isCustodyError(err, 'integrity')).toBe(true);
  });
});

describe('searchMany', () => {
  it('searches per-batch indexes as one, counting an image once', () => {
    const a = new PlateIndex([img(1, '7ABC123'), img(2, '7A8C123')]);
    const b = new PlateIndex([img(3, 'X', '7ABC123'), img(4, '7ABC12')]);
    expect(ids(searchMany([a, b], '7ABC123', { fuzzy: true }))).toEqual([1, 3, 2, 4]);
    expect(ids(searchMany([a, b], '7ABC123', { fuzzy: true, limit: 2 }))).toEqual([1, 3]);
    expect(ids(searchMany([a, b], '7ABC123'))).toEqual([1, 3]);
    expect(searchMany([], '7ABC123')).toEqual([]);
    // The same image in two batches (should not happen) still counts once.
    const c = new PlateIndex([img(1, '7ABC123')]);
    expect(ids(searchMany([a, c], '7ABC123'))).toEqual([1]);
    expect(searchMany([a, c], '7ABC123')[0].matchedReadings).toBe(2);
  });
});
