import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutput, realPathOf, writeOutput } from '../../src/ledger/outputs.js';

function place() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custody-outputs-'));
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(home, 'keys'), { recursive: true });
  fs.writeFileSync(path.join(home, 'keyring.json'), '{}');
  return { dir, home };
}
const T = { what: 'the report', flag: '--pdf' };

describe('the output rule (ledger/outputs.ts)', () => {
  it('refuses a path inside the home, or holding it, by real paths (exit 2)', () => {
    const { dir, home } = place();
    fs.symlinkSync(path.join(home, 'keys'), path.join(dir, 'link'));
    fs.symlinkSync(home, path.join(dir, 'home-link'));
    const refused = (h: string, p: string, kind: 'file' | 'dir') => {
      try {
        checkOutput(h, p, { ...T, kind });
        return 'accepted';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(refused(home, path.join(home, 'new', 'r.pdf'), 'file')).toBe('usage');
    expect(refused(home, path.join(dir, 'link', 'new', 'r.pdf'), 'file')).toBe('usage');
    expect(refused(path.join(dir, 'home-link'), path.join(home, 'bk'), 'dir')).toBe('usage');
    expect(refused(home, dir, 'dir')).toBe('usage');
    expect(refused(home, path.join(dir, 'out', 'r.pdf'), 'file')).toBe('accepted');
    // A sibling whose name starts with the home's is not inside it.
    expect(refused(home, `${home}2`, 'dir')).toBe('accepted');
    expect(realPathOf(path.join(dir, 'link', 'a', 'b'))).toBe(path.join(fs.realpathSync(home), 'keys', 'a', 'b'));
  });

  it('never writes over an existing file or through a link, unless replace (then by a rename)', () => {
    const { dir, home } = place();
    const kept = path.join(dir, 'R-2026-0001.pdf');
    fs.writeFileSync(kept, 'signed receipt');
    expect(() => writeOutput(home, kept, 'report', T)).toThrow(/already exists/);
    expect(fs.readFileSync(kept, 'utf8')).toBe('signed receipt');
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'keep me');
    const link = path.join(dir, 'notice.pdf');
    fs.symlinkSync(victim, link);
    expect(() => writeOutput(home, link, 'x', { ...T, replace: true })).toThrow(/already exists/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me');
    const own = path.join(dir, 'transparency.pdf');
    writeOutput(home, own, 'one', { ...T, replace: true });
    writeOutput(home, own, 'two', { ...T, replace: true });
    expect(fs.readFileSync(own, 'utf8')).toBe('two');
    expect(fs.statSync(own).mode & 0o777).toBe(0o600);
  });
});
