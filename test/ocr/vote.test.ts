import { describe, expect, it } from 'vitest';
import { vote, type VoteRead } from '../../src/ocr/reader.js';

const read = (text: string, model: string, line: number, extra: Partial<VoteRead> = {}): VoteRead => ({
  text,
  conf: 0.8,
  charConf: [...text].map(() => 0.95),
  weight: model === 'eng' ? 1 : model === 'plate' ? 0.35 : 0.2,
  count: text.length,
  line,
  model,
  ...extra,
});

describe('vote', () => {
  it('takes letter–digit twins from the English model when the models trained on rendered plates disagree', () => {
    // Both synthetic-trained models read the real 2 as Z on every line; the English model reads it right.
    const reads: VoteRead[] = [];
    for (let line = 0; line < 3; line++) {
      reads.push(
        read('Z757814', 'glyph', line, {
          beam: [
            ['Z757814', 0.9],
            ['2757814', 0.05],
          ],
        }),
      );
      reads.push(read('Z757814', 'plate', line));
      reads.push(read('2757814', 'eng', line, { conf: 0 }));
    }
    const scored = vote(reads);
    expect(scored[0]!.text).toBe('2757814');
    // Their own reading stays among the alternatives.
    expect(scored.slice(1, 11).map((s) => s.text)).toContain('Z757814');
  });

  it("keeps the other models' reading where the English model read a different number of characters", () => {
    const reads: VoteRead[] = [
      read('PKX512', 'glyph', 0, { beam: [['PKX512', 0.9]] }),
      read('PKX512', 'plate', 0),
      read('PKX5I2Z', 'eng', 0, { conf: 0 }),
    ];
    expect(vote(reads)[0]!.text).toBe('PKX512');
  });

  it('leaves characters that are not letter–digit twins (7 and 1) to the vote', () => {
    const reads: VoteRead[] = [];
    for (let line = 0; line < 3; line++) {
      reads.push(read('ABC1234', 'glyph', line, { beam: [['ABC1234', 0.95]] }));
      reads.push(read('ABC1234', 'eng', line));
    }
    reads.push(read('ABC7234', 'plate', 0));
    expect(vote(reads)[0]!.text).toBe('ABC1234');
  });
});
