/**
 * The hash chain on its own: each event's hash is SHA-256(prev_hash ‖ canonical JSON), the chain
 * is saved encrypted and loaded back, and an edited, removed or re-ordered event is named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CustodyError } from '../../src/core/errors.js';
import { sha256Hex } from '../../src/core/hash.js';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../src/ledger/canonical.js';
import { randomKey } from '../../src/ledger/crypto.js';
import { GENERATIONS, Ledger } from '../../src/ledger/ledger.js';
import { tmpDir } from './helpers.js';

const AT = '2026-09-01T09:00:00.000-07:00';

async function threeCameras(): Promise<Ledger> {
  const l = await Ledger.createEmpty();
  for (const [id, location] of [
    ['CAM-01', 'Main St & 3rd'],
    ['CAM-02', 'Oak Ave'],
    ['CAM-03', 'Harbor Rd'],
  ])
    l.append('camera.added', 'asd', AT, { id, location });
  return l;
}

describe('append', () => {
  it('links each event to the one before by SHA-256(prev_hash ‖ canonical JSON)', async () => {
    const l = await threeCameras();
    const evs = l.rows<{
      seq: number;
      at: string;
      type: string;
      actor: string;
      data: string;
      prev_hash: string;
      hash: string;
    }>('SELECT * FROM events ORDER BY seq');
    expect(evs.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(evs[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 0; i < evs.length; i++) {
      const e = evs[i]!;
      if (i > 0) expect(e.prev_hash).toBe(evs[i - 1]!.hash);
      const body = canonicalJson({ seq: e.seq, at: e.at, type: e.type, actor: e.actor, data: JSON.parse(e.data) });
      expect(e.hash).toBe(sha256Hex(e.prev_hash + body));
      expect(chainHash(e.prev_hash, { ...e, data: JSON.parse(e.data) })).toBe(e.hash);
    }
    expect(l.head).toEqual({ seq: 3, hash: evs[2]!.hash });
    expect(l.verifyChain()).toEqual({ events: 3 });
    l.close();
  });

  it('stores the data in canonical form (key order does not change the hash)', async () => {
    const a = await Ledger.createEmpty();
    const b = await Ledger.createEmpty();
    a.append('camera.added', 'asd', AT, { id: 'CAM-01', location: 'Main St' });
    b.append('camera.added', 'asd', AT, { location: 'Main St', id: 'CAM-01' });
    expect(a.head.hash).toBe(b.head.hash);
    a.close();
    b.close();
  });

  it('refuses an event type nobody reduces, and an event whose reducer fails leaves nothing behind', async () => {
    const l = await threeCameras();
    const head = l.head;
    expect(() => l.append('no.such.event', 'asd', AT, {})).toThrow(/no reducer for event type no.such.event/);
    // A second camera with the same id breaks the cameras table's primary key: all or nothing.
    expect(() => l.append('camera.added', 'asd', AT, { id: 'CAM-01', location: 'again' })).toThrow();
    expect(l.head).toEqual(head);
    expect(l.one<{ n: number }>('SELECT count(*) AS n FROM events')!.n).toBe(3);
    expect(l.verifyChain().problem).toBeUndefined();
    l.close();
  });
});

describe('a tampered chain', () => {
  it('names an event whose data was edited', async () => {
    const l = await threeCameras();
    l.db.run('UPDATE events SET data = replace(data, ?, ?) WHERE seq = 2', ['Oak Ave', 'Elm Ave']);
    expect(l.verifyChain().problem).toMatchObject({
      seq: 2,
      type: 'camera.added',
      reason: 'its content does not match its hash (it was edited)',
    });
    l.close();
  });

  it('names an event that was removed, and one re-hashed without its successor', async () => {
    const l = await threeCameras();
    l.db.run('DELETE FROM events WHERE seq = 2');
    expect(l.verifyChain().problem).toMatchObject({ seq: 3, reason: expect.stringMatching(/removed or inserted/) });
    l.close();

    const m = await threeCameras();
    const e = m.one<{ prev_hash: string; at: string; type: string; actor: string; data: string }>(
      'SELECT * FROM events WHERE seq = 2',
    )!;
    const data = { ...JSON.parse(e.data), location: 'Elm Ave' };
    const forged = chainHash(e.prev_hash, { seq: 2, at: e.at, type: e.type, actor: e.actor, data });
    m.db.run('UPDATE events SET data = ?, hash = ? WHERE seq = 2', [canonicalJson(data), forged]);
    expect(m.verifyChain().problem).toMatchObject({
      seq: 3,
      reason: 'its link to the previous event does not match',
    });
    m.close();
  });
});

describe('save and load', () => {
  it('writes the ledger encrypted and reads back the same chain, keeping generations', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ledger.enc');
    const key = randomKey();
    const l = await threeCameras();
    l.save(file, key);
    expect(l.hasUnsavedChanges).toBe(false);
    expect(fs.readFileSync(file).includes(Buffer.from('Main St'))).toBe(false);
    for (let i = 0; i < GENERATIONS + 1; i++) {
      l.append('camera.retired', 'asd', AT, { id: 'CAM-03', retiredAt: AT });
      l.save(file, key);
    }
    const back = await Ledger.load(file, key);
    expect(back.head).toEqual(l.head);
    expect(back.verifyChain().problem).toBeUndefined();
    expect(fs.existsSync(`${file}.${GENERATIONS}`)).toBe(true);
    expect(fs.existsSync(`${file}.${GENERATIONS + 1}`)).toBe(false);
    back.close();
    l.close();
  });

  it('refuses a file changed outside custody, or opened with another key, naming the previous generation', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ledger.enc');
    const key = randomKey();
    const l = await threeCameras();
    l.save(file, key);
    l.save(file, key);
    l.close();
    const blob = fs.readFileSync(file);
    blob[blob.length - 40]! ^= 1;
    fs.writeFileSync(file, blob);
    const err = await Ledger.load(file, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustodyError);
    expect((err as CustodyError).message).toMatch(/changed outside custody/);
    expect((err as CustodyError).hint).toMatch(/ledger\.enc\.1 .*--generation 1/);
    await expect(Ledger.load(`${file}.1`, randomKey())).rejects.toThrow(/changed outside custody/);
    await expect(Ledger.load(`${file}.1`, key)).resolves.toBeInstanceOf(Ledger);
  });
});
