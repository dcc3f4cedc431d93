/**
 * Reducers and replay: the derived tables are a pure function of the events, so replaying the
 * chain into an empty ledger rebuilds exactly the live tables; the schema is composed from the
 * one feature list, with nothing registered by importing a module.
 */
import { describe, expect, it } from 'vitest';
import { FEATURES, LEDGER_SCHEMA } from '../../src/ledger/features/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { CORE_REDUCERS } from '../../src/ledger/reducers.js';
import { composeSchema, type LedgerFeature } from '../../src/ledger/schema.js';

const AT = '2026-09-01T09:00:00.000-07:00';
const LATER = '2026-09-08T09:00:00.000-07:00';

/** A day of work in events: cameras, a drive's life, an import, an access record, a problem. */
function busyDay(l: Ledger): void {
  l.append('camera.added', 'asd', AT, { id: 'CAM-01', location: 'Main St & 3rd', swapCadenceDays: 7 });
  l.append('camera.added', 'asd', AT, { id: 'CAM-02', location: 'Oak Ave' });
  l.append('drive.enrolled', 'asd', AT, { drive: 'D001', label: 'CUSTODY-D001', capacityBytes: 32e9 });
  l.append('drive.installed', 'asd', AT, { drive: 'D001', camera: 'CAM-01', at: AT });
  l.append('drive.removed', 'asd', LATER, { drive: 'D001', camera: 'CAM-01', at: LATER });
  l.append('import.started', 'asd', LATER, { batch: 'B20260908-abcdef', drive: 'D001', camera: 'CAM-01' });
  l.append('import.finished', 'asd', LATER, {
    batch: 'B20260908-abcdef',
    drive: 'D001',
    files: 3,
    stored: 3,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    flagged: 0,
    bytes: 1234,
    recordedFirst: AT,
    recordedLast: LATER,
    manifestSha256: 'a'.repeat(64),
    sourceVerified: true,
  });
  l.append('drive.stored', 'asd', LATER, { drive: 'D001', location: 'safe' });
  l.append('camera.retired', 'asd', LATER, { id: 'CAM-02' });
  l.append('ocr.started', 'asd', LATER, { batch: 'B20260908-abcdef', engine: 'e', model: 'm', images: 3 });
  l.append('ocr.finished', 'asd', LATER, { batch: 'B20260908-abcdef', readable: 2 });
  l.append('access.recorded', 'asd', LATER, {
    organization: 'City of Example',
    action: 'search',
    query: '7ABC123',
    purpose: 'investigation',
    caseRef: 'C-1',
    results: 1,
  });
  l.append('problem.logged', 'asd', LATER, { problem: 'P1', camera: 'CAM-01', description: 'lens fogged' });
  l.append('problem.resolved', 'asd', LATER, { problem: 'P1', action: 'cleaned' });
}

/** Every derived table, as rows, in its order. */
function tables(l: Ledger): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(l.schema.derivedTables).map(([t, order]) => [t, l.rows(`SELECT * FROM ${t} ORDER BY ${order}`)]),
  );
}

describe('replay', () => {
  it('rebuilds from the events exactly the tables the live ledger holds', async () => {
    const live = await Ledger.createEmpty();
    busyDay(live);
    expect(live.one<{ state: string }>("SELECT state FROM drives WHERE id = 'D001'")!.state).toBe('stored');
    expect(live.rows('SELECT * FROM drive_history')).toHaveLength(4);

    const fresh = await Ledger.createEmpty();
    for (const e of live.rows<{ type: string; actor: string; at: string; data: string }>(
      'SELECT * FROM events ORDER BY seq',
    ))
      fresh.append(e.type, e.actor, e.at, JSON.parse(e.data) as Record<string, unknown>);
    expect(fresh.head).toEqual(live.head);
    expect(tables(fresh)).toEqual(tables(live));
    expect(await live.verifyDerived()).toEqual([]);
    live.close();
    fresh.close();
  });

  it('names a derived table edited without an event', async () => {
    const l = await Ledger.createEmpty();
    busyDay(l);
    l.db.run("UPDATE drives SET location = 'elsewhere' WHERE id = 'D001'");
    l.db.run('DELETE FROM access_log');
    expect(await l.verifyDerived()).toEqual([
      'table drives does not match what the events say (it was edited outside the chain)',
      'table access_log does not match what the events say (it was edited outside the chain)',
    ]);
    l.close();
  });

  it('names an event that no longer replays (a drive taken out twice)', async () => {
    const l = await Ledger.createEmpty();
    busyDay(l);
    l.db.run("UPDATE events SET type = 'drive.removed' WHERE type = 'drive.stored'");
    const problems = await l.verifyDerived();
    expect(problems[0]).toMatch(/^event #8 \(drive.removed\) cannot be replayed/);
    l.close();
  });
});

describe('the schema is composed from the feature list', () => {
  it('holds the core reducers and every listed feature’s, with their tables and migrations', () => {
    for (const type of Object.keys(CORE_REDUCERS)) expect(LEDGER_SCHEMA.reducers[type]).toBe(CORE_REDUCERS[type]);
    for (const f of FEATURES) {
      for (const [type, r] of Object.entries(f.reducers)) expect(LEDGER_SCHEMA.reducers[type]).toBe(r);
      for (const t of Object.keys(f.derivedTables)) expect(LEDGER_SCHEMA.derivedTables).toHaveProperty(t);
      for (const m of f.migrations) expect(LEDGER_SCHEMA.migrations).toContain(m);
    }
    expect(LEDGER_SCHEMA.version).toBe(Math.max(...LEDGER_SCHEMA.migrations.map((m) => m.version)));
    expect(LEDGER_SCHEMA.migrations.map((m) => m.version)).toEqual(
      [...LEDGER_SCHEMA.migrations.map((m) => m.version)].sort((a, b) => a - b),
    );
    const requests = FEATURES.find((f) => f.name === 'requests')!;
    expect(LEDGER_SCHEMA.holds).toBe(requests.holds);
  });

  it('a ledger of the core alone knows only the core events, and holds nothing', async () => {
    const core = composeSchema([]);
    const l = await Ledger.createEmpty(core);
    l.append('camera.added', 'asd', AT, { id: 'CAM-01', location: 'Main St' });
    expect(() => l.append('ocr.started', 'asd', AT, { batch: 'B', engine: 'e', model: 'm', images: 1 })).toThrow(
      /no reducer for event type ocr.started/,
    );
    expect(l.rows("SELECT name FROM sqlite_master WHERE name = 'access_log'")).toEqual([]);
    expect(core.holds.forBatch(undefined as never, 'B')).toEqual([]);
    l.close();
  });

  it('refuses two features that reduce one event type, share a migration version or both give hold rules', () => {
    const f = (name: string, version: number, types: string[], holds = false): LedgerFeature => ({
      name,
      migrations: [{ version, sql: '' }],
      derivedTables: {},
      reducers: Object.fromEntries(types.map((t) => [t, () => {}])),
      ...(holds ? { holds: { forDrive: () => [], forBatch: () => [] } } : {}),
    });
    expect(() => composeSchema([f('a', 90, ['x.done']), f('b', 91, ['x.done'])])).toThrow(
      /reducer for x.done registered twice/,
    );
    expect(() => composeSchema([f('a', 90, ['camera.added'])])).toThrow(/reducer for camera.added registered twice/);
    expect(() => composeSchema([f('a', 90, ['x.a']), f('b', 90, ['x.b'])])).toThrow(
      /two ledger migrations have version 90/,
    );
    expect(() => composeSchema([f('a', 90, [], true), f('b', 91, [], true)])).toThrow(/hold rules/);
  });

  it('a ledger written by a newer schema is refused', async () => {
    const newer = composeSchema([
      {
        name: 'later',
        migrations: [{ version: 99, sql: 'CREATE TABLE later (id TEXT)' }],
        derivedTables: {},
        reducers: {},
      },
    ]);
    const l = await Ledger.createEmpty(newer);
    const SQL = await import('../../src/ledger/ledger.js');
    const db = new (await SQL.sqlJs()).Database(l.db.export());
    expect(() => SQL.migrate(db)).toThrow(/schema version 99, newer than this custody/);
    db.close();
    l.close();
  });
});
