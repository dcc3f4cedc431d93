/**
 * Issue 15, "Bad input": a retention above 60 days (policy §8), through the built binary — refused
 * at `init` (exit 2, citing §8, no home created) and by `settings set` on a home (exit 2, the ledger
 * byte for byte the same); 60 is accepted.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_ARGS, newTestHome, spawnBin } from '../helpers/cli.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a retention above 60 days (spawned)', () => {
  it('is refused at init and in the settings, citing policy §8; nothing is written', async () => {
    const t = newTestHome();
    const init = await spawnBin([...INIT_ARGS, '--retention-days', '61'], { env: t.env });
    expect(init.code, init.stderr).toBe(2);
    expect(init.stderr).toMatch(/--retention-days 61: a retention of 61 days is longer than policy §8 allows/);
    expect(fs.existsSync(t.home)).toBe(false);

    const made = await spawnBin([...INIT_ARGS, '--retention-days', '60'], { env: t.env });
    expect(made.code, made.stderr).toBe(0);
    const ledger = () => sha256(fs.readFileSync(path.join(t.home, 'ledger.enc')));
    const before = ledger();
    const set = await spawnBin(['settings', 'set', 'retention-days', '61'], { env: t.env });
    expect(set.code, set.stderr).toBe(2);
    expect(set.stderr).toMatch(/policy §8/);
    expect(ledger()).toBe(before);
    const shown = JSON.parse((await spawnBin(['settings', 'show', '--json'], { env: t.env })).stdout) as {
      retentionDays: number;
    };
    expect(shown.retentionDays).toBe(60);
  }, 120_000);
});
