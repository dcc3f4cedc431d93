/**
 * Commands: agency, request, hold (issue 6; policy §4, §5, §8). Release and receipt are in
 * requests-release.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { DAY_MS, isoInZone, parseIsoWithOffset, zoneOffsetMinutes } from '../../core/time.js';
import {
  AGENCY_KINDS,
  describeScope,
  findAgency,
  findHold,
  findRequest,
  HOLD_REASONS,
  keepDocument,
  readDocument,
  findRelease,
  JURISDICTIONS,
  nextNumber,
  releaseRefusal,
  requestScope,
  scopeBatches,
  startOfLocalDate,
  type AgencyKind,
  type AgencyRow,
  type HoldReason,
  type HoldRow,
  type Jurisdiction,
  type ReleaseRow,
  type RequestRow,
  type RequestScope,
} from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';
import { findCamera } from '../../ledger/cameras.js';
import { findDrive } from '../../ledger/drives.js';
import { registerRelease } from './requests-release.js';

const AGENCY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const KIND_WORDS: Record<AgencyKind, string> = {
  'law-enforcement': 'law enforcement',
  prosecutorial: 'prosecutorial',
  other: 'other',
};
const JURISDICTION_WORDS: Record<Jurisdiction, string> = {
  'california-local': 'California, local',
  'california-state': 'California, state',
  'other-state': 'another state',
  federal: 'federal',
  private: 'private',
};

export function sha256File(file: string): string {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch (e) {
    throw new CustodyError(
      'usage',
      `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
}

/** An instant given as ISO-8601 with an offset, or a date (start or end of that day in the home's zone). */
export function parseWhen(v: string, flag: string, s: Session, endOfDay = false): string {
  if (parseIsoWithOffset(v)) return v;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const tz = s.settings.timeZone;
    const guess = Date.parse(`${v}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`);
    if (!Number.isNaN(guess)) {
      const off = zoneOffsetMinutes(new Date(guess), tz);
      return isoInZone(new Date(guess - off * 60_000), tz);
    }
  }
  throw new CustodyError(
    'usage',
    `${flag} ${v} is not a date (YYYY-MM-DD) or ISO-8601 with an offset.`,
    'For example 2026-11-03T08:00:00-08:00.',
  );
}

function parseDate(v: string, flag: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
    throw new CustodyError('usage', `${flag} ${v} is not a date (YYYY-MM-DD).`);
  return v;
}

/** The written request: a file (kept in the home, encrypted, under its SHA-256) or, when no such file exists, a reference. */
async function writtenDocument(
  ctx: CliContext,
  s: Session,
  o: { document?: string; documentRef?: string },
  message: string,
): Promise<{ documentSha256: string | null; documentName: string | null; documentRef: string | null }> {
  if (o.document !== undefined) {
    const k = keepDocument(s, o.document);
    return { documentSha256: k.sha256, documentName: k.name, documentRef: o.documentRef ?? null };
  }
  const v = await askText(ctx, o.documentRef, {
    flag: '--document FILE or --document-ref TEXT',
    message,
    validate: (x) => (x ? undefined : 'Give a file or a reference.'),
  });
  if (o.documentRef === undefined && fs.existsSync(v) && fs.statSync(v).isFile()) {
    const k = keepDocument(s, v);
    return { documentSha256: k.sha256, documentName: k.name, documentRef: null };
  }
  return { documentSha256: null, documentName: null, documentRef: v };
}

export function agencyJson(a: AgencyRow) {
  return {
    id: a.id,
    name: a.name,
    kind: a.kind,
    jurisdiction: a.jurisdiction,
    identifier: a.identifier,
    contact: a.contact,
    addedAt: a.added_at,
    mayReceiveData: !releaseRefusal(a),
    refusal: releaseRefusal(a) ?? null,
  };
}

export function requestJson(r: RequestRow) {
  return {
    id: r.id,
    agency: r.agency_id,
    officer: r.officer,
    badge: r.badge,
    caseNumber: r.case_number,
    purpose: r.purpose,
    receivedAt: r.received_at,
    document: { sha256: r.document_sha256, name: r.document_name, reference: r.document_ref },
    scope: requestScope(r),
    status: r.status,
    statusAt: r.status_at,
    statusReason: r.status_reason,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by,
  };
}

export function holdJson(h: HoldRow, now: Date) {
  return {
    id: h.id,
    request: h.request_id,
    reason: h.reason,
    document: { sha256: h.document_sha256, name: h.document_name, reference: h.document_ref },
    reviewDate: h.review_date,
    placedAt: h.placed_at,
    placedBy: h.placed_by,
    releasedAt: h.released_at,
    releaseReason: h.release_reason,
    batches: JSON.parse(h.batches) as string[],
    drives: JSON.parse(h.drives) as string[],
    standing: !h.released_at || Date.parse(h.released_at) > now.getTime(),
  };
}

export function releaseJson(r: ReleaseRow) {
  return {
    receipt: r.id,
    request: r.request_id,
    agency: r.agency_id,
    kind: r.kind,
    drive: r.drive_id,
    releasedAt: r.released_at,
    releasedBy: r.released_by,
    officer: r.officer,
    badge: r.badge,
    destination: r.destination,
    files: r.files,
    bytes: r.bytes,
    manifestSha256: r.manifest_sha256,
    payloadOxum: r.oxum,
    recordedFrom: r.recorded_from,
    recordedTo: r.recorded_to,
    ledgerEvent: r.event_seq,
    receiptSha256: r.receipt_sha256,
    receiptFile: r.receipt_file,
    acknowledgementDays: r.ack_days,
    acknowledged: r.ack_date ? { date: r.ack_date, scanSha256: r.ack_scan_sha256, recordedAt: r.ack_at } : null,
  };
}

/** What needs the custodian's attention: receipts not acknowledged in time, old open requests, holds past review. */
export function attention(s: Session): { what: string; id: string; since: string; note: string }[] {
  const st = s.settings;
  const now = s.clock().getTime();
  const out: { what: string; id: string; since: string; note: string }[] = [];
  for (const r of s.ledger.rows<ReleaseRow>('SELECT * FROM releases WHERE ack_date IS NULL ORDER BY released_at')) {
    const days = Math.floor((now - Date.parse(r.released_at)) / DAY_MS);
    const within = r.ack_days ?? st.acknowledgementDays;
    if (days >= within)
      out.push({
        what: 'receipt not acknowledged',
        id: r.id,
        since: r.released_at,
        note: `request ${r.request_id}; released ${days} days ago (acknowledgement expected within ${within}); record it with \`custody receipt ack ${r.id}\``,
      });
  }
  for (const r of s.ledger.rows<RequestRow>("SELECT * FROM requests WHERE status = 'open' ORDER BY received_at")) {
    const days = Math.floor((now - Date.parse(r.received_at)) / DAY_MS);
    if (days >= st.openRequestDays)
      out.push({
        what: 'request open',
        id: r.id,
        since: r.received_at,
        note: `open ${days} days (more than ${st.openRequestDays})`,
      });
  }
  for (const h of s.ledger.rows<HoldRow>('SELECT * FROM holds WHERE released_at IS NULL ORDER BY review_date')) {
    if (startOfLocalDate(h.review_date, st.timeZone).getTime() <= now)
      out.push({
        what: 'hold due for review',
        id: h.id,
        since: h.review_date,
        note: `request ${h.request_id}; ${h.reason}`,
      });
  }
  return out;
}

interface RequestNewOptions {
  agency?: string;
  officer?: string;
  badge?: string;
  case?: string;
  purpose?: string;
  receivedAt?: string;
  document?: string;
  documentRef?: string;
  cameras?: string;
  from?: string;
  to?: string;
  plate?: string;
  drive?: string;
}

async function recordRequest(ctx: CliContext, s: Session, o: RequestNewOptions): Promise<RequestRow> {
  const agencies = s.ledger.rows<AgencyRow>('SELECT * FROM agencies ORDER BY id');
  if (!agencies.length && o.agency === undefined)
    throw new CustodyError('notFound', 'No agency is registered yet.', 'Add one with `custody agency add`.');
  const agencyId = await askChoice(ctx, o.agency, {
    flag: '--agency',
    message: 'Requesting agency:',
    choices: agencies.map((a) => ({ name: `${a.id}  ${a.name}`, value: a.id })),
  }).catch((e: unknown) => {
    if (o.agency !== undefined && e instanceof CustodyError && e.code === 'usage')
      throw new CustodyError('notFound', `No agency ${o.agency}.`, 'See `custody agency list`.');
    throw e;
  });
  const agency = findAgency(s, agencyId);
  const nonEmpty = (x: string) => (x ? undefined : 'An answer is needed.');
  const officer = await askText(ctx, o.officer, {
    flag: '--officer',
    message: 'Requesting officer:',
    validate: nonEmpty,
  });
  const badge = await askText(ctx, o.badge, { flag: '--badge', message: 'Badge or id number:', validate: nonEmpty });
  const caseNumber = await askText(ctx, o.case, { flag: '--case', message: 'Case number:', validate: nonEmpty });
  const purposes = s.settings.purposes;
  const purpose = await askChoice(ctx, o.purpose, {
    flag: '--purpose',
    message: 'Official purpose (policy §1):',
    choices: purposes.map((p) => ({ name: p, value: p })),
  });
  const receivedAt = parseWhen(
    await askText(ctx, o.receivedAt, { flag: '--received-at', message: 'Received (date and time):', default: s.now() }),
    '--received-at',
    s,
  );
  const doc = await writtenDocument(ctx, s, o, 'The written request (a file to attach, or its reference):');

  let kind: 'cameras' | 'plate' | 'drive' | undefined =
    o.drive !== undefined
      ? 'drive'
      : o.plate !== undefined
        ? 'plate'
        : o.cameras !== undefined || o.from !== undefined || o.to !== undefined
          ? 'cameras'
          : undefined;
  kind = await askChoice<'cameras' | 'plate' | 'drive'>(ctx, kind, {
    flag: '--cameras/--from/--to, --plate or --drive',
    message: 'What is asked for?',
    choices: [
      { name: 'cameras and a time range', value: 'cameras' as const },
      { name: 'a plate (needs `custody ocr` and the plate search)', value: 'plate' as const },
      { name: 'a specific drive', value: 'drive' as const },
    ],
  });
  const scope: RequestScope = { cameras: [] };
  if (kind === 'drive') {
    scope.drive = findDrive(s, await askText(ctx, o.drive, { flag: '--drive', message: 'Drive:' })).id;
  } else {
    if (kind === 'plate')
      scope.plate = (await askText(ctx, o.plate, { flag: '--plate', message: 'Plate:', validate: nonEmpty }))
        .toUpperCase()
        .replace(/\s+/g, '');
    const cams = await askText(ctx, o.cameras, {
      flag: '--cameras',
      message: kind === 'plate' ? 'Cameras (comma-separated; empty for all):' : 'Cameras (comma-separated):',
      default: kind === 'plate' ? '' : undefined,
    });
    scope.cameras = cams
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    for (const c of scope.cameras) findCamera(s, c);
    if (kind === 'cameras' && !scope.cameras.length)
      throw new CustodyError('usage', 'Name at least one camera (--cameras CAM-01,CAM-02).');
    const from = await askText(ctx, o.from, {
      flag: '--from',
      message: 'From (date or date and time):',
      default: kind === 'plate' ? '' : undefined,
    });
    const to = await askText(ctx, o.to, {
      flag: '--to',
      message: 'To (date or date and time):',
      default: kind === 'plate' ? '' : undefined,
    });
    if (from) scope.from = parseWhen(from, '--from', s);
    if (to) scope.to = parseWhen(to, '--to', s, true);
    if (kind === 'cameras' && (!scope.from || !scope.to))
      throw new CustodyError('usage', 'A request over cameras needs --from and --to.');
    if (scope.from && scope.to && Date.parse(scope.from) > Date.parse(scope.to))
      throw new CustodyError('usage', `--from ${scope.from} is after --to ${scope.to}.`);
  }
  const id = nextNumber(s, 'requests', 'REQ');
  s.append('request.recorded', {
    request: id,
    agency: agency.id,
    officer,
    badge,
    caseNumber,
    purpose,
    receivedAt,
    ...doc,
    scope: {
      cameras: scope.cameras,
      from: scope.from ?? null,
      to: scope.to ?? null,
      plate: scope.plate ?? null,
      drive: scope.drive ?? null,
    },
    ...(scope.drive ? { drive: scope.drive } : {}),
    ...(scope.cameras.length === 1 ? { camera: scope.cameras[0] } : {}),
  });
  return findRequest(s, id);
}

export function registerRequests(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  // ---------------------------------------------------------------------------------------- agency
  const agency = program
    .command('agency')
    .description('agencies that may ask for data (policy §4, §5; Civ. Code 1798.90.55)');
  agency
    .command('add')
    .description('register an agency')
    .option('--id <id>', 'a short id (default: A001, A002 …)')
    .option('--name <name>', 'e.g. "Example County Sheriff\'s Office"')
    .option('--kind <kind>', `one of ${AGENCY_KINDS.join(', ')}`)
    .option('--jurisdiction <j>', `one of ${JURISDICTIONS.join(', ')}`)
    .option('--identifier <ori>', 'e.g. its ORI')
    .option('--contact <text>', 'phone, e-mail or address')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody agency add --id ECSO --name "Example County Sheriff\'s Office" --kind law-enforcement --jurisdiction california-local --identifier CA0019900 --contact "records@ecso.example"',
    )
    .action(
      async (o: {
        id?: string;
        name?: string;
        kind?: AgencyKind;
        jurisdiction?: Jurisdiction;
        identifier?: string;
        contact?: string;
      }) => {
        const g = globals();
        await withSession(ctx, g, 'agency add', 'requests.manage', async (s) => {
          const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM agencies')?.n ?? 0);
          let def = n + 1;
          while (s.ledger.one('SELECT id FROM agencies WHERE id = ?', [`A${String(def).padStart(3, '0')}`])) def++;
          const id = await askText(ctx, o.id, {
            flag: '--id',
            message: 'Agency id:',
            default: `A${String(def).padStart(3, '0')}`,
          });
          if (!AGENCY_ID.test(id))
            throw new CustodyError('usage', `"${id}" is not a valid agency id (letters, digits, . _ -).`);
          if (s.ledger.one('SELECT id FROM agencies WHERE id = ?', [id]))
            throw new CustodyError('conflict', `Agency ${id} already exists.`);
          const name = await askText(ctx, o.name, {
            flag: '--name',
            message: 'Name:',
            validate: (x) => (x ? undefined : 'A name is needed.'),
          });
          const kind = await askChoice(ctx, o.kind, {
            flag: '--kind',
            message: 'Kind:',
            choices: AGENCY_KINDS.map((k) => ({ name: KIND_WORDS[k], value: k })),
          });
          const jurisdiction = await askChoice(ctx, o.jurisdiction, {
            flag: '--jurisdiction',
            message: 'Jurisdiction:',
            choices: JURISDICTIONS.map((k) => ({ name: JURISDICTION_WORDS[k], value: k })),
          });
          const identifier =
            (await askText(ctx, o.identifier, {
              flag: '--identifier',
              message: 'Identifier (e.g. ORI; empty if none):',
              default: '',
            })) || null;
          const contact =
            (await askText(ctx, o.contact, { flag: '--contact', message: 'Contact (empty if none):', default: '' })) ||
            null;
          s.append('agency.added', { agency: id, name, kind, jurisdiction, identifier, contact });
          s.commit();
          const a = findAgency(s, id);
          if (g.json) return printJson(ctx, agencyJson(a));
          ctx.stdout.write(`Agency ${id} added: ${name}.\n`);
          const refusal = releaseRefusal(a);
          if (refusal) ctx.stderr.write(`warning: no data will be released to it: ${refusal}\n`);
        });
      },
    );

  agency
    .command('list')
    .description('list agencies')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'agency list', 'requests.manage', (s) => {
        const list = s.ledger.rows<AgencyRow>('SELECT * FROM agencies ORDER BY id').map(agencyJson);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['agency', 'name', 'kind', 'jurisdiction', 'identifier', 'may receive data'],
            list.map((a) => [
              a.id,
              a.name,
              KIND_WORDS[a.kind],
              JURISDICTION_WORDS[a.jurisdiction],
              a.identifier,
              a.mayReceiveData ? 'yes' : 'no',
            ]),
          ),
        );
      });
    });

  agency
    .command('show <id>')
    .description('show one agency and its requests')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'agency show', 'requests.manage', (s) => {
        const a = agencyJson(findAgency(s, id));
        const reqs = s.ledger.rows<RequestRow>('SELECT * FROM requests WHERE agency_id = ? ORDER BY id', [id]);
        if (g.json)
          return printJson(ctx, {
            ...a,
            requests: reqs.map((r) => ({
              id: r.id,
              caseNumber: r.case_number,
              status: r.status,
              receivedAt: r.received_at,
            })),
          });
        ctx.stdout.write(
          details([
            ['agency', a.id],
            ['name', a.name],
            ['kind', KIND_WORDS[a.kind]],
            ['jurisdiction', JURISDICTION_WORDS[a.jurisdiction]],
            ['identifier', a.identifier],
            ['contact', a.contact],
            ['added', a.addedAt],
            ['may receive data', a.refusal ? `no: ${a.refusal}` : 'yes'],
          ]),
        );
        ctx.stdout.write(
          `\nRequests:\n${table(
            ['request', 'case', 'status', 'received'],
            reqs.map((r) => [r.id, r.case_number, r.status, r.received_at]),
          )}`,
        );
      });
    });

  // --------------------------------------------------------------------------------------- request
  const request = program
    .command('request')
    .description('law-enforcement requests for data (policy §5: when requested, when and to whom provided)');
  request
    .command('new')
    .description('record a request: agency, officer, case, purpose, the written request, and what is asked for')
    .option('--agency <id>', 'the requesting agency (custody agency list)')
    .option('--officer <name>', 'the requesting officer')
    .option('--badge <id>', 'badge or id number')
    .option('--case <number>', 'case number')
    .option('--purpose <text>', 'an official purpose from the settings (policy §1)')
    .option('--received-at <when>', 'when it was received (default now)')
    .option('--document <file>', 'the written request (attached by its SHA-256)')
    .option('--document-ref <text>', 'or its reference, e.g. a records-system number')
    .option('--cameras <list>', 'cameras, comma-separated')
    .option('--from <when>', 'start of the time range (date or ISO-8601)')
    .option('--to <when>', 'end of the time range (a date means its end)')
    .option('--plate <plate>', 'a plate (fulfilled through the plate search)')
    .option('--drive <id>', 'a specific drive')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody request new --agency ECSO --officer "Sgt. R. Alvarez" --badge 4417 --case 26-001234 --purpose "criminal investigation" --document letter.pdf --cameras CAM-01 --from 2026-11-02 --to 2026-11-03\n  $ custody request new --agency ECSO ... --drive D001',
    )
    .action(async (o: RequestNewOptions) => {
      const g = globals();
      await withSession(ctx, g, 'request new', 'requests.manage', async (s) => {
        const r = await recordRequest(ctx, s, o);
        s.commit();
        if (g.json) return printJson(ctx, requestJson(r));
        ctx.stdout.write(
          `Request ${r.id} recorded: ${r.agency_id}, case ${r.case_number}, ${describeScope(requestScope(r))}.\n`,
        );
        const refusal = releaseRefusal(findAgency(s, r.agency_id));
        if (refusal) ctx.stderr.write(`warning: it cannot be fulfilled: ${refusal}\n`);
        if (r.scope_plate)
          ctx.stderr.write(
            'note: a plate is found through `custody ocr` and `custody search` with this request as its purpose.\n',
          );
      });
    });

  request
    .command('list')
    .description('list requests; --attention lists what is overdue (acknowledgements, open requests, holds to review)')
    .option('--status <status>', 'open, fulfilled, denied or withdrawn')
    .option('--attention', 'only what needs attention')
    .action(async (o: { status?: string; attention?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'request list', 'requests.manage', (s) => {
        if (o.attention) {
          const a = attention(s);
          if (g.json) return printJson(ctx, a);
          ctx.stdout.write(
            table(
              ['what', 'id', 'since', 'note'],
              a.map((x) => [x.what, x.id, x.since.slice(0, 10), x.note]),
            ),
          );
          return;
        }
        const list = s.ledger
          .rows<RequestRow>(
            `SELECT * FROM requests ${o.status ? 'WHERE status = ?' : ''} ORDER BY id`,
            o.status ? [o.status] : [],
          )
          .map(requestJson);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['request', 'agency', 'case', 'purpose', 'received', 'asked for', 'status'],
            list.map((r) => [
              r.id,
              r.agency,
              r.caseNumber,
              r.purpose,
              r.receivedAt.slice(0, 16),
              describeScope(r.scope),
              r.status,
            ]),
          ),
        );
      });
    });

  request
    .command('show <id>')
    .description('show a request with its holds and releases')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'request show', 'requests.manage', (s) => {
        const r = requestJson(findRequest(s, id));
        const now = s.clock();
        const holds = s.ledger
          .rows<HoldRow>('SELECT * FROM holds WHERE request_id = ? ORDER BY id', [id])
          .map((h) => holdJson(h, now));
        const releases = s.ledger
          .rows<ReleaseRow>('SELECT * FROM releases WHERE request_id = ? ORDER BY id', [id])
          .map(releaseJson);
        const batches = scopeBatches(s, r.scope).map((b) => b.id);
        if (g.json) return printJson(ctx, { ...r, batchesInScope: batches, holds, releases });
        ctx.stdout.write(
          details([
            ['request', r.id],
            ['agency', r.agency],
            ['officer', `${r.officer} (badge ${r.badge})`],
            ['case', r.caseNumber],
            ['purpose', r.purpose],
            ['received', r.receivedAt],
            [
              'written request',
              r.document.sha256 ? `${r.document.name} (sha256 ${r.document.sha256})` : r.document.reference,
            ],
            ['asked for', describeScope(r.scope)],
            ['batches in scope', batches.join(', ') || '(none imported yet)'],
            ['status', `${r.status} since ${r.statusAt}${r.statusReason ? ` (${r.statusReason})` : ''}`],
          ]),
        );
        ctx.stdout.write(
          `\nHolds:\n${table(
            ['hold', 'reason', 'review', 'standing'],
            holds.map((h) => [h.id, h.reason, h.reviewDate, h.standing ? 'yes' : `released ${h.releasedAt}`]),
          )}`,
        );
        ctx.stdout.write(
          `\nReleases:\n${table(
            ['receipt', 'kind', 'released', 'files', 'manifest', 'acknowledged'],
            releases.map((x) => [
              x.receipt,
              x.kind === 'drive' ? `drive ${x.drive}` : 'export',
              x.releasedAt,
              x.files,
              x.manifestSha256?.slice(0, 16),
              x.acknowledged?.date ?? 'no',
            ]),
          )}`,
        );
      });
    });

  request
    .command('document <id>')
    .description(
      'write out a kept document: the written request of a request (REQ-…), of a hold (HOLD-…), or the acknowledgement scan of a receipt (R-…)',
    )
    .option('--out <file>', 'where to write it (must not exist)')
    .action(async (id: string, o: { out?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'request document', 'requests.manage', async (s) => {
        const sha = id.startsWith('HOLD-')
          ? findHold(s, id).document_sha256
          : id.startsWith('R-')
            ? findRelease(s, id).ack_scan_sha256
            : findRequest(s, id).document_sha256;
        if (!sha) throw new CustodyError('notFound', `${id} has no document kept (only a reference, or none).`);
        const data = readDocument(s, sha);
        const out = path.resolve(await askText(ctx, o.out, { flag: '--out', message: 'Write it to:' }));
        try {
          fs.writeFileSync(out, data, { flag: 'wx', mode: 0o600 });
        } catch (e) {
          throw new CustodyError(
            (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'conflict' : 'io',
            `Cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
          );
        }
        if (g.json) return printJson(ctx, { id, file: out, sha256: sha, bytes: data.length });
        ctx.stdout.write(`Wrote ${out} (${data.length} bytes, sha256 ${sha}).\n`);
      });
    });

  for (const [name, type, what] of [
    ['deny', 'request.denied', 'denied'],
    ['withdraw', 'request.withdrawn', 'withdrawn'],
  ] as const) {
    request
      .command(`${name} <id>`)
      .description(name === 'deny' ? 'deny a request, with the reason' : 'record that the agency withdrew a request')
      .option('--reason <text>', 'why')
      .action(async (id: string, o: { reason?: string }) => {
        const g = globals();
        await withSession(ctx, g, `request ${name}`, 'requests.manage', async (s) => {
          const r = findRequest(s, id);
          if (r.status !== 'open') throw new CustodyError('conflict', `Request ${id} is ${r.status}, not open.`);
          const reason = await askText(ctx, o.reason, {
            flag: '--reason',
            message: 'Reason:',
            default: name === 'withdraw' ? '' : undefined,
            validate: name === 'deny' ? (x) => (x ? undefined : 'A denial needs its reason.') : undefined,
          });
          s.append(type, { request: id, reason: reason || null });
          s.commit();
          if (g.json) return printJson(ctx, requestJson(findRequest(s, id)));
          ctx.stdout.write(`Request ${id} ${what}.\n`);
        });
      });
  }

  // ------------------------------------------------------------------------------------------ hold
  const hold = program
    .command('hold')
    .description('holds: keep data past the retention period on a written request (policy §8)');
  hold
    .command('add')
    .description("place a hold on exactly a request's scope (its batches and drives)")
    .option('--request <id>', 'the request')
    .option('--reason <reason>', `${HOLD_REASONS.map((r) => `"${r}"`).join(' or ')}`)
    .option('--document <file>', 'the written request for the hold (attached by its SHA-256)')
    .option('--document-ref <text>', 'or its reference')
    .option('--review <date>', 'review date (YYYY-MM-DD)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody hold add --request REQ-2026-0001 --reason "ongoing criminal investigation" --document preservation.pdf --review 2027-02-01',
    )
    .action(
      async (o: {
        request?: string;
        reason?: HoldReason;
        document?: string;
        documentRef?: string;
        review?: string;
      }) => {
        const g = globals();
        await withSession(ctx, g, 'hold add', 'requests.manage', async (s) => {
          const open = s.ledger.rows<RequestRow>(
            "SELECT * FROM requests WHERE status IN ('open', 'fulfilled') ORDER BY id",
          );
          const reqId = await askChoice(ctx, o.request, {
            flag: '--request',
            message: 'Request:',
            choices: open.map((r) => ({
              name: `${r.id}  case ${r.case_number}  ${describeScope(requestScope(r))}`,
              value: r.id,
            })),
          }).catch((e: unknown) => {
            if (o.request !== undefined && e instanceof CustodyError && e.code === 'usage') return o.request;
            throw e;
          });
          const r = findRequest(s, reqId);
          if (r.status === 'denied' || r.status === 'withdrawn')
            throw new CustodyError('conflict', `Request ${r.id} is ${r.status}; a hold needs a standing request.`);
          const reason = await askChoice(ctx, o.reason, {
            flag: '--reason',
            message: 'Reason (policy §8):',
            choices: HOLD_REASONS.map((x) => ({ name: x, value: x })),
          });
          const doc = await writtenDocument(ctx, s, o, 'The written request for the hold (a file, or its reference):');
          const review = parseDate(
            await askText(ctx, o.review, { flag: '--review', message: 'Review date (YYYY-MM-DD):' }),
            '--review',
          );
          if (Date.parse(`${review}T23:59:59Z`) < s.clock().getTime())
            throw new CustodyError('usage', `The review date ${review} has passed.`);
          const scope = requestScope(r);
          const batches = scopeBatches(s, scope);
          const drives = new Set(batches.map((b) => b.drive_id));
          if (scope.drive) drives.add(scope.drive);
          // Data not yet imported: the drives now recording in the request's cameras.
          if (scope.cameras.length && !scope.drive) {
            for (const d of s.ledger.rows<{ id: string; camera_id: string }>(
              "SELECT id, camera_id FROM drives WHERE state = 'in_camera'",
            ))
              if (scope.cameras.includes(d.camera_id)) drives.add(d.id);
          }
          if (!batches.length && !drives.size)
            throw new CustodyError(
              'notFound',
              `Request ${r.id} reaches no batch or drive (${describeScope(scope)}); a hold would cover nothing.`,
              'A plate-only request needs cameras or a time range to be held.',
            );
          const id = nextNumber(s, 'holds', 'HOLD');
          const driveList = [...drives].sort();
          s.append('hold.placed', {
            hold: id,
            request: r.id,
            reason,
            ...doc,
            reviewDate: review,
            batches: batches.map((b) => b.id),
            drives: driveList,
            ...(driveList.length === 1 ? { drive: driveList[0] } : {}),
          });
          s.commit();
          const h = holdJson(findHold(s, id), s.clock());
          if (g.json) return printJson(ctx, h);
          ctx.stdout.write(
            `Hold ${id} placed for request ${r.id} (${reason}), review on ${review}: ${h.batches.length} batch(es)${h.batches.length ? ` ${h.batches.join(', ')}` : ''}, drive(s) ${h.drives.join(', ') || 'none'}. Nothing it covers may be purged or recorded over until it is released.\n`,
          );
        });
      },
    );

  hold
    .command('list')
    .description('list holds (standing ones; --all for released too)')
    .option('--all', 'include released holds')
    .action(async (o: { all?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'hold list', 'requests.manage', (s) => {
        const now = s.clock();
        const list = s.ledger
          .rows<HoldRow>('SELECT * FROM holds ORDER BY id')
          .map((h) => holdJson(h, now))
          .filter((h) => o.all || h.standing);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['hold', 'request', 'reason', 'review', 'batches', 'drives', 'standing'],
            list.map((h) => [
              h.id,
              h.request,
              h.reason,
              h.reviewDate,
              h.batches.length,
              h.drives.join(', '),
              h.standing ? 'yes' : `released ${h.releasedAt?.slice(0, 10)}`,
            ]),
          ),
        );
      });
    });

  hold
    .command('release <id>')
    .description('release a hold: what it covered may then be purged or recorded over in the ordinary way')
    .option('--reason <text>', 'why, e.g. "case closed"')
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'hold release', 'requests.manage', async (s) => {
        const h = findHold(s, id);
        if (h.released_at) throw new CustodyError('conflict', `Hold ${id} was released on ${h.released_at}.`);
        const reason = await askText(ctx, o.reason, {
          flag: '--reason',
          message: 'Reason for releasing the hold:',
          validate: (x) => (x ? undefined : 'A reason is needed.'),
        });
        const drives = JSON.parse(h.drives) as string[];
        s.append('hold.released', {
          hold: id,
          request: h.request_id,
          reason,
          ...(drives.length === 1 ? { drive: drives[0] } : {}),
        });
        s.commit();
        if (g.json) return printJson(ctx, holdJson(findHold(s, id), s.clock()));
        ctx.stdout.write(`Hold ${id} released.\n`);
      });
    });

  registerRelease(program, ctx, globals);
}
