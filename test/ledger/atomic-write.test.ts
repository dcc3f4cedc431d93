/**
 * writeFileAtomic with generations: when the final rename fails (an immutable file, a read-only
 * mount), every generation is where it was and the oldest is not lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/ledger/fsutil.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function state(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

describe('writeFileAtomic', () => {
  it('a failed rename puts every generation back (the oldest is not lost) and leaves no temporary file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-atomic-'));
    const file = path.join(dir, 'ledger.enc');
    for (const v of ['v1', 'v2', 'v3', 'v4']) writeFileAtomic(file, v, { keep: 3 });
    const before = state(dir);
    expect(before).toEqual({ 'ledger.enc': 'v4', 'ledger.enc.1': 'v3', 'ledger.enc.2': 'v2', 'ledger.enc.3': 'v1' });
    const real = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (to === file) throw Object.assign(new Error('EPERM: operation not permitted, rename'), { code: 'EPERM' });
      return real(from, to);
    });
    expect(() => writeFileAtomic(file, 'v5', { keep: 3 })).toThrow();
    vi.restoreAllMocks();
    expect(state(dir)).toEqual(before);
    // And a write that succeeds rotates as before.
    writeFileAtomic(file, 'v5', { keep: 3 });
    expect(state(dir)).toEqual({
      'ledger.enc': 'v5',
      'ledger.enc.1': 'v4',
      'ledger.enc.2': 'v3',
      'ledger.enc.3': 'v2',
    });
  });
});
