/**
 * The signed-state mark (src/ledger/signed-mark.ts): the check before a release, a purge or a
 * rotation starts from the last check that passed, and gives the whole check's verdict on every
 * attack. A real home on disk (CLI commands in-process, small archive segments so the ledger is
 * cut into segments before and after the mark), attacked on the raw files with the record key from
 * a raw slot (every role holds it; an auditor's is the same key) and the auditor's own signing key.
 * Each case compares three answers on a copy of one home: the whole check (signedStateProblems),
 * the check from the mark alone (acceptedSinceMark), and what the gate does (requireSignedState;
 * the vitest config also cross-checks it, CUSTODY_SIGNED_STATE_CROSSCHECK).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/time.js';
import { ARCHIVE_DIR, type ArchivedEvent, sealSegment, type SegmentRow } from '../../src/ledger/archive.js';
import { canonicalJson, chainHash } from '../../src/ledger/canonical.js';
import { subkey } from '../../src/ledger/crypto.js';
import { Home, homeFiles } from '../../src/ledger/home.js';
import { endExiftool } from '../../src/media/exif.js';
import { openSession, type Session } from '../../src/ledger/session.js';
import { MARK_FILE, markFile, readMark } from '../../src/ledger/signed-mark.js';
import { newSigningKey, type SigningKey, signingKeyFromPem, signWithKey } from '../../src/ledger/signing.js';
import { acceptedSinceMark, requireSignedState, signedStateProblems } from '../../src/ledger/verify.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  PASSWORD,
  ROOT,
  run,
  tmpDir,
} from '../helpers/cli.js';
import { editRawLedgerDb, forgeSignedStateMark, homeKeyringFiles, openRawSlot } from '../helpers/raw-keys.js';

const SEGMENT = 8;
const AUDITOR_PW = 'auditor password 1';
const clock = manualClock('2026-11-05T09:00:00-08:00');
let savedSegment: string | undefined;
beforeAll(() => {
  savedSegment = process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = String(SEGMENT);
});
afterAll(() => {
  if (savedSegment === undefined) delete process.env.CUSTODY_LEDGER_SEGMENT_EVENTS;
  else process.env.CUSTODY_LEDGER_SEGMENT_EVENTS = savedSegment;
});

function openAs(home: string, username = 'asd', password = PASSWORD): Promise<Session> {
  return openSession({ homeDir: home, credentials: { username, password }, clock, command: 'test' });
}

async function withSession<T>(home: string, fn: (s: Session) => Promise<T> | T): Promise<T> {
  const s = await openAs(home);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

function access(s: Session, i: number): void {
  s.append('access.recorded', {
    action: 'search',
    query: `7ABC${i}`,
    purpose: 'criminal investigation',
    caseRef: `2026-${i}`,
    requestId: null,
    organization: 'City of Example',
    results: i,
    details: null,
  });
  s.commit();
}

interface Base {
  home: string;
  request: string;
  /** The head the first check marked. */
  marked: number;
  /** The mark as the first check left it. */
  firstMark: Buffer;
}

/**
 * init, an auditor, a camera, an agency, a request and a hold; the first check (whole) leaves the
 * mark; then twelve more events, so segments are cut after the mark and the live file holds
 * events from before and after it.
 */
async function baseHome(): Promise<Base> {
  const t = newTestHome();
  const ok = okRunner(t, clock);
  await ok(INIT_ARGS);
  const pw = path.join(t.dir, 'audit1.pw');
  fs.writeFileSync(pw, `${AUDITOR_PW}\n`);
  await ok(['operator', 'add', 'audit1', '--name', 'Person audit1', '--role', 'auditor', '--new-password-file', pw]);
  await ok(['operator', 'train', 'audit1', '--date', '2026-02-01', '--course', 'c', '--trainer', 't']);
  await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T00:00:00-07:00']);
  const drive = path.join(t.dir, 'CAMDRIVE');
  fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
  await ok(['import', '--source', drive, '--camera', 'CAM-01', '--enrol', '--json']);
  await endExiftool();
  await ok(ECSO_AGENCY_ADD);
  const request = (
    JSON.parse(
      (await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-04', '--to', '2026-11-04', '--json'))).stdout,
    ) as { id: string }
  ).id;
  const letter = path.join(t.dir, 'preservation.txt');
  fs.writeFileSync(letter, 'ECSO preservation letter\n');
  await ok([
    ...['hold', 'add', request, '--reason', 'ongoing criminal investigation'],
    ...['--document', letter, '--review', '2027-06-30'],
  ]);
  // `hold add` checks the signed records first (operations/holds.ts) and leaves its mark: this base
  // starts its own first check from none.
  fs.rmSync(path.join(t.home, MARK_FILE));
  const marked = await withSession(t.home, async (s) => {
    expect(fs.existsSync(markFile(s.home))).toBe(false);
    expect(await requireSignedState(s, 'records')).toBe('whole');
    expect(fs.existsSync(markFile(s.home))).toBe(true);
    return s.ledger.head.seq;
  });
  const firstMark = fs.readFileSync(path.join(t.home, 'signed-state.enc'));
  await withSession(t.home, (s) => {
    for (let i = 0; i < 12; i++) access(s, i);
    expect(s.ledger.archivedHead.seq, 'a segment was cut after the mark').toBeGreaterThan(marked);
    expect(s.ledger.archivedHead.seq, 'the mark was past an archived head').toBeGreaterThan(0);
  });
  return { home: t.home, request, marked, firstMark };
}

let base: Base;
beforeAll(async () => {
  base = await baseHome();
}, 120_000);

/** A copy of the base home to attack. */
function copyOfBase(): string {
  const home = path.join(tmpDir('custody-mark-'), 'home');
  fs.cpSync(base.home, home, { recursive: true });
  return home;
}

async function rawRecord(home: string): Promise<Buffer> {
  const slot = await openRawSlot(homeKeyringFiles(home), 'audit1', AUDITOR_PW);
  expect(slot.evidence, 'the auditor holds no evidence key').toBeUndefined();
  return Buffer.from(slot.record!, 'base64');
}

async function auditorSigningKey(home: string): Promise<SigningKey> {
  const slot = await openRawSlot(homeKeyringFiles(home), 'audit1', AUDITOR_PW);
  return signingKeyFromPem(slot.signingKey!);
}

/**
 * The mark moved to the head (a check), then two more events: no segment is cut, so the live file
 * holds the marked event and events before and after it. Returns the marked head.
 */
async function markInLiveFile(home: string): Promise<number> {
  return withSession(home, async (s) => {
    await requireSignedState(s, 'records');
    const marked = s.ledger.head.seq;
    access(s, 200);
    access(s, 201);
    expect(s.ledger.archivedHead.seq, 'the marked event is still in the live file').toBeLessThan(marked);
    return marked;
  });
}

type Row = { seq: number; at: string; type: string; actor: string; data: string; hash: string };

function liveRows(db: Database, from: number): Row[] {
  const st = db.prepare('SELECT seq, at, type, actor, data, hash FROM events WHERE seq >= ? ORDER BY seq');
  st.bind([from]);
  const out: Row[] = [];
  while (st.step()) out.push(st.getAsObject() as unknown as Row);
  st.free();
  return out;
}

/** The hash before event #`seq`: the live event before it, or the head of the segment ending there. */
function hashBefore(db: Database, seq: number): string {
  const live = db.exec('SELECT hash FROM events WHERE seq = ?', [seq - 1])[0]?.values[0]?.[0];
  if (live) return String(live);
  return String(db.exec('SELECT head_hash FROM archive_segments WHERE last_seq = ?', [seq - 1])[0]!.values[0]![0]);
}

/** Recompute the chain of the live file from event #`from` on (an attacker's re-link). */
function rechain(db: Database, from: number): void {
  let prev = hashBefore(db, from);
  for (const r of liveRows(db, from)) {
    const hash = chainHash(prev, { seq: r.seq, at: r.at, type: r.type, actor: r.actor, data: JSON.parse(r.data) });
    db.run('UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?', [prev, hash, r.seq]);
    prev = hash;
  }
}

/** Append an event at the head of the raw live file, chained and signed with `key` (no reducer runs). */
function appendRaw(db: Database, type: string, actor: string, data: Record<string, unknown>, key: SigningKey): void {
  const head = db.exec('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')[0]!.values[0]!;
  const seq = Number(head[0]) + 1;
  const at = '2026-11-05T09:30:00.000-08:00';
  const hash = chainHash(String(head[1]), { seq, at, type, actor, data });
  db.run('INSERT INTO events (seq, at, type, actor, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?)', [
    seq,
    at,
    type,
    actor,
    canonicalJson(data),
    String(head[1]),
    hash,
  ]);
  db.run('INSERT INTO event_sigs (seq, key, sig) VALUES (?,?,?)', [seq, key.keyId, signWithKey(key, hash)]);
}

function firstLiveAfter(db: Database, seq: number): number {
  return Number(db.exec('SELECT min(seq) FROM events WHERE seq > ?', [seq])[0]!.values[0]![0]);
}

function archivedHead(db: Database): number {
  return Number(db.exec('SELECT coalesce(max(last_seq), 0) FROM archive_segments')[0]!.values[0]![0]);
}

/** The three answers on `home`: whole check, check from the mark alone, the gate. */
async function verdicts(home: string): Promise<{ whole: boolean; sinceMark: boolean; gate: string }> {
  return withSession(home, async (s) => {
    const whole = await signedStateProblems(s.ledger, s.home.json.version).then(
      (p) => p.length === 0,
      () => false,
    );
    const saved = readMark(s.home, s.keys.evidence!);
    const replay = saved ? await acceptedSinceMark(s.ledger, s.home.json.version, undefined, saved) : undefined;
    replay?.close();
    const gate = await requireSignedState(s, 'records').then(
      (how) => how as string,
      (e: unknown) => {
        expect((e as { code?: string }).code, String(e)).toBe('integrity');
        return 'refused';
      },
    );
    return { whole, sinceMark: replay !== undefined, gate };
  });
}

const REFUSED = { whole: false, sinceMark: false, gate: 'refused' };

describe('the signed-state mark', () => {
  it('an untouched home: the check from the mark accepts what the whole check accepts, reading only what came after', async () => {
    const home = copyOfBase();
    expect(await verdicts(home)).toEqual({ whole: true, sinceMark: true, gate: 'since-mark' });
    // A backup does not copy it (a restored home's first check is whole).
    expect(fs.existsSync(path.join(home, 'signed-state.enc'))).toBe(true);
    expect(homeFiles(home).map((f) => f.rel)).not.toContain('signed-state.enc');
    expect(homeFiles(home).map((f) => f.rel)).toContain('anchor.enc');
    // The mark moved to the head; the next check starts there.
    await withSession(home, async (s) => {
      const saved = readMark(s.home, s.keys.evidence!);
      expect(saved?.mark.head).toEqual(s.ledger.head);
      access(s, 99);
      expect(await requireSignedState(s, 'records')).toBe('since-mark');
    });
  });

  it('an auditor (record key only) cannot read or write a mark: it is sealed with a subkey of the evidence key', async () => {
    const home = copyOfBase();
    const record = await rawRecord(home);
    const blob = fs.readFileSync(path.join(home, 'signed-state.enc'));
    const h = Home.open(home);
    // Every key the auditor's slot holds, and the purposes derived from it, open nothing.
    const slot = await openRawSlot(homeKeyringFiles(home), 'audit1', AUDITOR_PW);
    for (const k of Object.values(slot).filter((v) => typeof v === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(v)))
      expect(readMark(h, Buffer.from(k as string, 'base64')), 'a slot key opens no mark').toBeUndefined();
    expect(readMark(h, record)).toBeUndefined();
    expect(blob.subarray(0, 4).toString()).toBe('CSE1');
  });

  const attacks: [string, (home: string) => Promise<void>][] = [
    [
      'a derived row: the request widened (scope dates)',
      async (home) =>
        editRawLedgerDb(home, await rawRecord(home), (db) =>
          db.run(`UPDATE requests SET scope_from = '2026-10-01T00:00:00.000-07:00' WHERE id = '${base.request}'`),
        ),
    ],
    [
      'a derived row: the auditor made a designee in the operators table',
      async (home) =>
        editRawLedgerDb(home, await rawRecord(home), (db) =>
          db.run("UPDATE operators SET role = 'designee' WHERE username = 'audit1'"),
        ),
    ],
    [
      'a derived row: the hold deleted',
      async (home) =>
        editRawLedgerDb(home, await rawRecord(home), (db) => {
          db.run('DELETE FROM hold_items');
          db.run('DELETE FROM holds');
        }),
    ],
    [
      'an event before the mark, still in the live file, edited and the chain re-linked after it',
      async (home) => {
        const marked = await markInLiveFile(home);
        await editRawLedgerDb(home, await rawRecord(home), (db) => {
          const seq = firstLiveAfter(db, archivedHead(db));
          expect(seq).toBeLessThanOrEqual(marked);
          const r = liveRows(db, seq)[0]!;
          db.run('UPDATE events SET data = ? WHERE seq = ?', [
            canonicalJson({ ...(JSON.parse(r.data) as object), note: 'rewritten' }),
            seq,
          ]);
          rechain(db, seq);
        });
      },
    ],
    [
      "a kept copy of an archived event before the mark edited (the auditor's operator.added made a designee's) with its table",
      async (home) =>
        editRawLedgerDb(home, await rawRecord(home), (db) => {
          const r = db.exec(
            "SELECT seq, data FROM events WHERE type = 'operator.added' AND json_extract(data, '$.username') = 'audit1'",
          )[0]!.values[0]!;
          expect(Number(r[0])).toBeLessThanOrEqual(archivedHead(db));
          db.run('UPDATE events SET data = ? WHERE seq = ?', [
            canonicalJson({ ...(JSON.parse(String(r[1])) as object), role: 'designee' }),
            Number(r[0]),
          ]);
          db.run("UPDATE operators SET role = 'designee' WHERE username = 'audit1'");
        }),
    ],
    [
      "a kept copy before the mark edited alone (the auditor's operator.added made a designee's), then an event only a custodian or designee records (backup.failed, no table) signed with the auditor's own key",
      async (home) => {
        const key = await auditorSigningKey(home);
        await editRawLedgerDb(home, await rawRecord(home), (db) => {
          const r = db.exec(
            "SELECT seq, data FROM events WHERE type = 'operator.added' AND json_extract(data, '$.username') = 'audit1'",
          )[0]!.values[0]!;
          expect(Number(r[0])).toBeLessThanOrEqual(archivedHead(db));
          db.run('UPDATE events SET data = ? WHERE seq = ?', [
            canonicalJson({ ...(JSON.parse(String(r[1])) as object), role: 'designee' }),
            Number(r[0]),
          ]);
          appendRaw(db, 'backup.failed', 'audit1', { folder: '/mnt/backup', reason: 'not mounted' }, key);
        });
      },
    ],
    [
      'the signature of the event the mark ends at removed',
      async (home) => {
        const marked = await markInLiveFile(home);
        await editRawLedgerDb(home, await rawRecord(home), (db) => {
          db.run('DELETE FROM event_sigs WHERE seq = ?', [marked]);
          expect(db.getRowsModified()).toBe(1);
        });
      },
    ],
    [
      'an event after the mark removed, the later ones renumbered and re-chained',
      async (home) => {
        const marked = await markInLiveFile(home);
        await editRawLedgerDb(home, await rawRecord(home), (db) => {
          const seq = firstLiveAfter(db, marked);
          expect(liveRows(db, seq).length, 'an event after it is renumbered').toBe(2);
          db.run('DELETE FROM access_log WHERE seq = ?', [seq]);
          db.run('DELETE FROM event_sigs WHERE seq = ?', [seq]);
          db.run('DELETE FROM events WHERE seq = ?', [seq]);
          for (const r of liveRows(db, seq + 1)) {
            db.run('UPDATE event_sigs SET seq = ? WHERE seq = ?', [r.seq - 1, r.seq]);
            db.run('UPDATE access_log SET seq = ? WHERE seq = ?', [r.seq - 1, r.seq]);
            db.run('UPDATE events SET seq = ? WHERE seq = ?', [r.seq - 1, r.seq]);
          }
          rechain(db, seq);
        });
      },
    ],
    [
      'an event after the mark the auditor may not record (camera.added), chained and signed with their own key',
      async (home) => {
        const key = await auditorSigningKey(home);
        await editRawLedgerDb(home, await rawRecord(home), (db) => {
          appendRaw(db, 'camera.added', 'audit1', { id: 'CAM-99', location: 'Nowhere' }, key);
        });
      },
    ],
    [
      "an event after the mark in the custodian's name, signed with a key the ledger does not record",
      async (home) =>
        editRawLedgerDb(home, await rawRecord(home), (db) =>
          appendRaw(db, 'agency.confirmation_revoked', 'asd', { agency: 'ECSO' }, newSigningKey()),
        ),
    ],
    [
      'a segment the mark covers removed',
      async (home) => {
        const first = fs.readdirSync(path.join(home, ARCHIVE_DIR)).sort()[0]!;
        fs.rmSync(path.join(home, ARCHIVE_DIR, first));
      },
    ],
    [
      'a segment cut after the mark removed',
      async (home) => {
        const last = fs.readdirSync(path.join(home, ARCHIVE_DIR)).sort().at(-1)!;
        fs.rmSync(path.join(home, ARCHIVE_DIR, last));
      },
    ],
    [
      'every segment re-sealed by a record-key holder from the first on, with an edited event, their new SHA-256s recorded',
      async (home) => {
        const record = await rawRecord(home);
        const key = subkey(record, 'ledger');
        const segs = await withSession(home, (s) =>
          s.ledger.segments().map((r) => ({ r, e: s.ledger.segmentEvents(r) })),
        );
        let prev: string | null = null;
        const rows: SegmentRow[] = [];
        segs.forEach(({ r, e }, i) => {
          const events: ArchivedEvent[] =
            i === 0 ? e.map((x) => (x.seq === 1 ? { ...x, at: '2026-01-01T00:00:00.000-08:00' } : x)) : e;
          const { row, sealed } = sealSegment(r.idx, events, prev, key);
          fs.writeFileSync(path.join(home, ARCHIVE_DIR, row.name), sealed);
          rows.push(row);
          prev = row.sha256;
        });
        await editRawLedgerDb(home, record, (db) => {
          for (const row of rows)
            db.run('UPDATE archive_segments SET name = ?, sha256 = ?, prev_sha256 = ? WHERE idx = ?', [
              row.name,
              row.sha256,
              row.prev_sha256,
              row.idx,
            ]);
        });
      },
    ],
    [
      'a forged mark (sealed with the keys the auditor holds, its replay the edited tables) beside a widened request',
      async (home) => {
        const record = await rawRecord(home);
        await editRawLedgerDb(home, record, (db) =>
          db.run(`UPDATE requests SET scope_from = '2026-10-01T00:00:00.000-07:00' WHERE id = '${base.request}'`),
        );
        const forged = await forgeSignedStateMark(home, record);
        // What the seal keeps out: opened, the forged mark would be accepted.
        await withSession(home, async (s) => {
          const replay = await acceptedSinceMark(s.ledger, s.home.json.version, undefined, forged);
          expect(replay, 'the forged content fits the edited ledger').toBeDefined();
          replay?.close();
        });
      },
    ],
    [
      'an older mark put back over a widened request',
      async (home) => {
        await withSession(home, (s) => requireSignedState(s, 'records'));
        fs.writeFileSync(path.join(home, 'signed-state.enc'), base.firstMark);
        await editRawLedgerDb(home, await rawRecord(home), (db) =>
          db.run(`UPDATE requests SET scope_from = '2026-10-01T00:00:00.000-07:00' WHERE id = '${base.request}'`),
        );
      },
    ],
  ];

  for (const [name, attack] of attacks)
    it(`${name}: refused by the whole check and the check from the mark alike`, async () => {
      const home = copyOfBase();
      await attack(home);
      expect(await verdicts(home)).toEqual(REFUSED);
    });

  it('an older mark put back: the check starts from it and is still right', async () => {
    const home = copyOfBase();
    await withSession(home, async (s) => {
      expect(await requireSignedState(s, 'records')).toBe('since-mark');
      for (let i = 0; i < 10; i++) access(s, 100 + i);
    });
    fs.writeFileSync(path.join(home, 'signed-state.enc'), base.firstMark);
    await withSession(home, async (s) => {
      expect(readMark(s.home, s.keys.evidence!)?.mark.head.seq).toBe(base.marked);
    });
    expect(await verdicts(home)).toEqual({ whole: true, sinceMark: true, gate: 'since-mark' });
  });

  it('an older ledger generation put back (a restore): the mark no longer fits, the whole check runs and decides', async () => {
    const home = copyOfBase();
    await withSession(home, (s) => requireSignedState(s, 'records'));
    fs.copyFileSync(path.join(home, 'ledger.enc.3'), path.join(home, 'ledger.enc'));
    await withSession(home, async (s) => {
      expect(s.ledger.head.seq).toBeGreaterThan(base.marked);
      const saved = readMark(s.home, s.keys.evidence!)!;
      expect(saved.mark.head.seq).toBeGreaterThan(s.ledger.head.seq);
      expect(await acceptedSinceMark(s.ledger, s.home.json.version, undefined, saved)).toBeUndefined();
      expect(await requireSignedState(s, 'records')).toBe('whole');
      // The new mark is of this ledger.
      expect(readMark(s.home, s.keys.evidence!)?.mark.head).toEqual(s.ledger.head);
    });
  });

  it('a password change rotates the evidence key: the mark its own check wrote is sealed again with the new key, the next check starts from it', async () => {
    const home = copyOfBase();
    const before = await withSession(home, (s) => Buffer.from(s.keys.evidence!));
    const oldMark = fs.readFileSync(path.join(home, 'signed-state.enc'));
    const dir = path.dirname(home);
    const pw = path.join(dir, 'asd.pw');
    const next = path.join(dir, 'asd-new.pw');
    fs.writeFileSync(pw, `${PASSWORD}\n`);
    fs.writeFileSync(next, 'a new custodian password 1\n');
    const env = { CUSTODY_HOME: home, CUSTODY_USER: 'asd', CUSTODY_PASSWORD_FILE: pw, NO_COLOR: '1' };
    const r = await run(['operator', 'passwd', '--new-password-file', next], { env, clock });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const s = await openAs(home, 'asd', 'a new custodian password 1');
    try {
      expect(s.keys.evidence!.equals(before), 'the evidence key rotated').toBe(false);
      const saved = readMark(s.home, s.keys.evidence!);
      expect(saved, 'the mark opens with the new key').toBeDefined();
      expect(saved!.mark.head.seq).toBe(s.ledger.head.seq - 1); // the check before the password change
      expect(await requireSignedState(s, 'records')).toBe('since-mark');
      // The mark sealed with the replaced key does not open with the new one.
      fs.writeFileSync(path.join(home, 'signed-state.enc'), oldMark);
      expect(readMark(s.home, s.keys.evidence!)).toBeUndefined();
      expect(await requireSignedState(s, 'records')).toBe('whole');
    } finally {
      s.close();
    }
  });

  it('before a rotation of the evidence key the check is whole: a mark sealed with the current evidence key (a designee about to leave) over an edited operators table is not taken over', async () => {
    const home = copyOfBase();
    const record = await rawRecord(home);
    await editRawLedgerDb(home, record, (db) =>
      db.run("UPDATE operators SET role = 'designee' WHERE username = 'audit1'"),
    );
    // Sealed with the evidence key a custodian's or designee's slot holds (here the custodian's).
    const slot = await openRawSlot(homeKeyringFiles(home), 'asd', PASSWORD);
    const forged = await forgeSignedStateMark(home, record, Buffer.from(slot.evidence!, 'base64'));
    await withSession(home, async (s) => {
      const replay = await acceptedSinceMark(s.ledger, s.home.json.version, undefined, forged);
      expect(replay, 'the gate would start from it (a designee holds the evidence key)').toBeDefined();
      replay?.close();
    });
    const dir = path.dirname(home);
    const pw = path.join(dir, 'asd.pw');
    const next = path.join(dir, 'asd-new.pw');
    fs.writeFileSync(pw, `${PASSWORD}\n`);
    fs.writeFileSync(next, 'a new custodian password 1\n');
    const env = { CUSTODY_HOME: home, CUSTODY_USER: 'asd', CUSTODY_PASSWORD_FILE: pw, NO_COLOR: '1' };
    const r = await run(['operator', 'passwd', '--new-password-file', next], { env, clock });
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/operators table does not match its signed events/);
  });

  it('a mark that cannot be written does not fail the check: the session says so', async () => {
    const home = copyOfBase();
    const file = path.join(home, 'signed-state.enc');
    fs.rmSync(file);
    fs.mkdirSync(file); // the atomic write's rename cannot replace a folder
    await withSession(home, async (s) => {
      expect(await requireSignedState(s, 'records')).toBe('whole');
      expect(s.takeWarnings()).toEqual([
        expect.stringMatching(
          /^the signed-state check passed, but its mark \(signed-state\.enc\) could not be written/,
        ),
      ]);
    });
  });

  it('an auditor has no mark to start from: their check is whole (their own password change)', async () => {
    const home = copyOfBase();
    const s = await openAs(home, 'audit1', AUDITOR_PW);
    try {
      const before = fs.readFileSync(path.join(home, 'signed-state.enc'));
      expect(await requireSignedState(s, 'operators table', ['operators'])).toBe('whole');
      expect(fs.readFileSync(path.join(home, 'signed-state.enc')).equals(before)).toBe(true);
    } finally {
      s.close();
    }
  });
});
