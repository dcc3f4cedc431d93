/** A bag's Bagging-Date is the home's calendar day: an export at 7:04 PM in Los Angeles is not dated tomorrow (UTC's day). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/hash.js';
import { writeBag } from '../../src/media/bagit.js';

const data = Buffer.from('an image');
const file = { relPath: 'data/a.jpg', sha256: sha256Hex(data), open: () => Readable.from([data]) };
// 30 November 2026, 7:04 PM in Los Angeles: already 1 December in UTC.
const NOW = new Date('2026-12-01T03:04:50Z');

describe('Bagging-Date', () => {
  it.each([
    ['America/Los_Angeles', '2026-11-30'],
    ['UTC', '2026-12-01'],
    [undefined, '2026-12-01'],
  ])('in %s it is %s', async (timeZone, day) => {
    const bag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'custody-bagdate-')), 'bag');
    await writeBag(bag, [file], { 'Source-Organization': 'City of Example' }, { now: NOW, timeZone });
    expect(fs.readFileSync(path.join(bag, 'bag-info.txt'), 'utf8')).toContain(`Bagging-Date: ${day}\n`);
  });
});
