/**
 * Commands: release (an export as a BagIt bag, or a drive handed over) and receipt (verify,
 * ack) — policy §5: a log of when and to whom data was provided, and a receipt acknowledged in
 * writing.
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { canDrive } from '../../core/drive-state.js';
import { CustodyError } from '../../core/errors.js';
import { parseIsoWithOffset } from '../../core/time.js';
import {
  describeScope,
  findAgency,
  findRelease,
  findRequest,
  keepDocument,
  nextNumber,
  releaseRefusal,
  requestScope,
  scopeBatches,
  type AgencyRow,
  type ReleaseRow,
  type RequestRow,
} from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askConfirm, askText } from '../prompts.js';
import { bytes as fmtBytes, details, paint, printJson, table, useColor } from '../render.js';
import { withSession } from '../session.js';
import { findDrive, type DriveRow } from '../../ledger/drives.js';
import { releaseJson, sha256File } from './requests.js';

const sha256Hex = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function custodianLine(s: Session): { title: string; name: string } {
  const title = s.settings.custodianTitle;
  return { title: s.operator.role === 'custodian' ? title : `Designee of the ${title}`, name: s.operator.displayName };
}

interface ReleaseOptions {
  request?: string;
  drive?: string;
  to?: string;
  receipt?: string;
  allInRange?: boolean;
  ackDays?: number;
  yes?: boolean;
}

interface ReleaseOutcome {
  release: ReturnType<typeof releaseJson>;
  receiptFile: string;
  ledgerHead: string;
  bag?: string;
}

/** The receipt for a release recorded in the ledger: its data, rebuilt from the ledger rows. */
function receiptData(
  s: Session,
  rel: ReleaseRow,
  req: RequestRow,
  agency: AgencyRow,
  ledgerHead: string,
  handedOver: Record<string, unknown>,
) {
  return {
    receiptNumber: rel.id,
    agency: { name: agency.name, ori: agency.identifier ?? agency.id },
    officer: rel.officer,
    badge: rel.badge,
    caseNumber: req.case_number,
    requestId: req.id,
    purpose: req.purpose,
    requestedAt: req.received_at,
    releasedAt: rel.released_at,
    custodian: custodianLine(s),
    organization: s.settings.agencyName,
    handedOver,
    ledgerHead,
  };
}

async function release(ctx: CliContext, g: GlobalOptions, s: Session, o: ReleaseOptions): Promise<ReleaseOutcome> {
  const openReqs = s.ledger.rows<RequestRow>(
    "SELECT * FROM requests WHERE status IN ('open', 'fulfilled') ORDER BY id",
  );
  const reqId = await askChoice(ctx, o.request, {
    flag: '--request',
    message: 'Request to fulfil:',
    choices: openReqs.map((r) => ({
      name: `${r.id}  ${r.agency_id}  case ${r.case_number}  ${describeScope(requestScope(r))}`,
      value: r.id,
    })),
  }).catch((e: unknown) => {
    if (o.request !== undefined && e instanceof CustodyError && e.code === 'usage') return o.request;
    throw e;
  });
  if (o.ackDays !== undefined && !(Number.isInteger(o.ackDays) && o.ackDays >= 1 && o.ackDays <= 365))
    throw new CustodyError('usage', '--ack-days must be a whole number from 1 to 365.');
  const req = findRequest(s, reqId);
  if (req.status === 'denied' || req.status === 'withdrawn')
    throw new CustodyError('conflict', `Request ${req.id} is ${req.status}; nothing may be released on it.`);
  const agency = findAgency(s, req.agency_id);
  const refusal = releaseRefusal(agency);
  if (refusal)
    throw new CustodyError(
      'denied',
      `Release refused: ${refusal}`,
      'Nothing was written and nothing was recorded as released.',
    );
  const scope = requestScope(req);
  const batches = scopeBatches(s, scope);

  const how = await askChoice(ctx, o.drive !== undefined ? 'drive' : o.to !== undefined ? 'export' : undefined, {
    flag: '--to DIR (an export) or --drive ID',
    message: 'Hand over:',
    choices: [
      { name: 'an export of the matching images (a BagIt bag)', value: 'export' as const },
      { name: 'a drive itself', value: 'drive' as const },
    ],
  });

  const receiptNumber = nextNumber(s, 'releases', 'R');
  const releasedAt = s.now();
  const { collectReleaseItems, exportBag } = await import('../../media/release.js');

  let handedOver: Record<string, unknown>;
  let eventData: Record<string, unknown>;
  let receiptDefault: string | undefined;
  let drive: DriveRow | undefined;
  let bagDir: string | undefined;

  if (how === 'drive') {
    const candidates = s.ledger
      .rows<DriveRow>('SELECT * FROM drives ORDER BY id')
      .filter(
        (d) => (scope.drive === d.id || batches.some((b) => b.drive_id === d.id)) && canDrive(d.state, 'release'),
      );
    const driveId = await askChoice(ctx, o.drive, {
      flag: '--drive',
      message: 'Drive:',
      choices: candidates.map((d) => ({ name: `${d.id}  ${d.label ?? ''}  ${d.state}`, value: d.id })),
    }).catch((e: unknown) => {
      if (o.drive !== undefined && e instanceof CustodyError && e.code === 'usage') return o.drive;
      throw e;
    });
    drive = findDrive(s, driveId);
    const inScope = scope.drive === drive.id || batches.some((b) => b.drive_id === drive!.id);
    if (!inScope)
      throw new CustodyError(
        'denied',
        `Drive ${drive.id} is not within request ${req.id} (${describeScope(scope)}).`,
        'Only what the request asks for may be released.',
      );
    if (!canDrive(drive.state, 'release'))
      throw new CustodyError(
        'conflict',
        `Drive ${drive.id} is ${drive.state}; only a removed or stored drive can be handed over.`,
      );
    // What the drive itself holds: its recordings since it last went into a camera.
    const items = await collectReleaseItems(s, scopeBatches(s, { cameras: [], drive: drive.id, asOf: releasedAt }));
    const files = items
      .map((i) => ({ path: i.relPath, sha256: i.sha256, bytes: i.size }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    // A manifest in sha256sum's format of what the drive held when imported.
    const manifestSha256 = files.length ? sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join('')) : undefined;
    const dates = items
      .map((i) => i.recordedAt)
      .filter((x): x is string => !!x)
      .sort((a, b) => Date.parse(a) - Date.parse(b));
    const recordedFrom = drive.recorded_first ?? dates[0] ?? releasedAt;
    const recordedTo = drive.recorded_last ?? dates[dates.length - 1] ?? releasedAt;
    handedOver = {
      kind: 'drive',
      label: drive.label ?? '',
      serial: drive.serial ?? '',
      capacityBytes: drive.capacity_bytes ?? 0,
      recordedFrom,
      recordedTo,
      fileCount: files.length,
      ...(manifestSha256 ? { manifestSha256 } : {}),
      files,
    };
    eventData = {
      kind: 'drive',
      drive: drive.id,
      files: files.length,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      manifestSha256: manifestSha256 ?? null,
      recordedFrom,
      recordedTo,
      destination: null,
    };
    receiptDefault = undefined;
  } else {
    if (!batches.length && !scope.plate)
      throw new CustodyError('notFound', `Nothing in the store matches request ${req.id} (${describeScope(scope)}).`);
    const range = {
      from: scope.from ? parseIsoWithOffset(scope.from) : undefined,
      to: scope.to ? parseIsoWithOffset(scope.to) : undefined,
    };
    const only = scope.plate && !scope.drive && !o.allInRange ? await plateImages(s, req) : undefined;
    const dir = path.resolve(
      await askText(ctx, o.to, {
        flag: '--to',
        message: 'Folder to write the bag to (new or empty):',
        default: undefined,
      }),
    );
    const found = only ? [...new Set([...only].map((i) => i.split(':')[0]!))].sort() : [];
    const plateBatches = found
      .map(
        (id) =>
          s.ledger.one<{ id: string; camera_id: string | null }>('SELECT id, camera_id FROM batches WHERE id = ?', [
            id,
          ])!,
      )
      .filter(Boolean);
    const items = await collectReleaseItems(s, only ? plateBatches : batches, scope.drive ? {} : range, only);
    const st = s.settings;
    if (
      !(await askConfirm(ctx, o.yes, {
        flag: '--yes',
        message: `Export ${items.length} files to ${agency.name} (${req.officer}, badge ${req.badge}) at ${dir}?`,
        default: true,
      }))
    ) {
      throw new CustodyError('interrupted', 'Cancelled; nothing was written or recorded.');
    }
    const bag = await exportBag(
      s,
      dir,
      items,
      {
        'Source-Organization': st.agencyName,
        'Contact-Name': `${custodianLine(s).name}, ${custodianLine(s).title}`,
        'External-Description': `Licence-plate-camera images released to ${agency.name} under policy §5 (${describeScope(scope)})`,
        'Bagging-Date': releasedAt.slice(0, 10),
        'External-Identifier': `case ${req.case_number}; request ${req.id}`,
        'Internal-Sender-Identifier': receiptNumber,
      },
      s.clock(),
    );
    bagDir = bag.dir;
    const files = items
      .map((i) => ({ path: i.bagPath, sha256: i.sha256, bytes: i.size }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    handedOver = {
      kind: 'bag',
      name: path.basename(bag.dir),
      fileCount: bag.files,
      bytes: bag.bytes,
      recordedFrom: bag.recordedFrom ?? releasedAt,
      recordedTo: bag.recordedTo ?? releasedAt,
      manifestSha256: bag.manifestSha256,
      payloadOxum: bag.oxum,
      files,
    };
    const cameras = [...new Set(items.map((i) => i.camera).filter((c): c is string => !!c))];
    eventData = {
      ...(cameras.length === 1 ? { camera: cameras[0] } : {}),
      kind: 'bag',
      files: bag.files,
      bytes: bag.bytes,
      manifestSha256: bag.manifestSha256,
      oxum: bag.oxum,
      recordedFrom: bag.recordedFrom ?? null,
      recordedTo: bag.recordedTo ?? null,
      destination: bag.dir,
    };
    receiptDefault = path.join(path.dirname(bag.dir), `${receiptNumber}.pdf`);
  }

  const receiptFile = path.resolve(
    await askText(ctx, o.receipt, { flag: '--receipt', message: 'Write the receipt to:', default: receiptDefault }),
  );
  if (fs.existsSync(receiptFile))
    throw new CustodyError('conflict', `${receiptFile} already exists.`, 'Choose another --receipt file.');
  if (
    how === 'drive' &&
    !(await askConfirm(ctx, o.yes, {
      flag: '--yes',
      message: `Hand drive ${drive!.id} to ${agency.name} (${req.officer}, badge ${req.badge})?`,
      default: true,
    }))
  ) {
    throw new CustodyError('interrupted', 'Cancelled; nothing was recorded.');
  }

  // The release is appended first so the receipt carries the ledger head that records it; the
  // receipt is written before the commit, so a release is never on record without its receipt.
  if (drive) s.append('drive.released', { drive: drive.id, agency: agency.id, request: req.id, at: releasedAt });
  // The release is an access to the data too (Civ. Code 1798.90.52): on the access record with its purpose and request.
  s.append('access.recorded', {
    action: 'export',
    query: drive ? `drive ${drive.id}` : describeScope(scope),
    purpose: req.purpose,
    caseRef: req.case_number,
    requestId: req.id,
    organization: s.operator.organization,
    results: Number(eventData.files ?? 0),
    details: { release: receiptNumber, to: agency.id, kind: how },
    ...(drive ? { drive: drive.id } : typeof eventData.camera === 'string' ? { camera: eventData.camera } : {}),
  });
  s.append('release.recorded', {
    receipt: receiptNumber,
    request: req.id,
    agency: agency.id,
    officer: req.officer,
    badge: req.badge,
    ...eventData,
    ...(o.ackDays !== undefined ? { ackDays: o.ackDays } : {}),
  });
  const ledgerHead = s.ledger.head.hash;
  const rel = findRelease(s, receiptNumber);
  let pdf: Buffer;
  try {
    const { renderReceipt } = await import('../../documents/index.js');
    const id = s.home.loadIdentity(s.master);
    pdf = await renderReceipt(receiptData(s, rel, req, agency, ledgerHead, handedOver) as never, {
      p12: id.p12,
      passphrase: id.passphrase,
    });
    fs.mkdirSync(path.dirname(receiptFile), { recursive: true });
    fs.writeFileSync(receiptFile, pdf, { flag: 'wx' });
  } catch (e) {
    // Nothing is recorded (the session drops what was not committed); the bag is not handed over.
    if (bagDir) fs.rmSync(bagDir, { recursive: true, force: true });
    if (e instanceof CustodyError) throw e;
    throw new CustodyError(
      'io',
      `Writing the receipt ${receiptFile} failed: ${e instanceof Error ? e.message : String(e)}. Nothing was recorded${bagDir ? ' and the bag was removed' : ''}.`,
      undefined,
      { cause: e },
    );
  }
  s.commit();
  s.append('receipt.issued', {
    receipt: receiptNumber,
    request: req.id,
    sha256: sha256Hex(pdf),
    file: receiptFile,
    ledgerHead,
    ...(drive ? { drive: drive.id } : {}),
  });
  s.commit();
  void g;
  return { release: releaseJson(findRelease(s, receiptNumber)), receiptFile, ledgerHead, bag: bagDir };
}

/**
 * A plate request is fulfilled through the plate search (issue 5), run with the request as its
 * purpose and recorded in the access record (Civ. Code 1798.90.52): the images whose readings
 * match the plate exactly, in the request's cameras and time range.
 */
async function plateImages(s: Session, req: RequestRow): Promise<Set<string>> {
  const scope = requestScope(req);
  const plate = scope.plate!;
  const { searchPlates } = await import('./search.js');
  const { recordAccess } = await import('../../ledger/access.js');
  const from = scope.from ? Date.parse(scope.from) : undefined;
  const to = scope.to ? Date.parse(scope.to) : undefined;
  const r = await searchPlates(s, {
    plate,
    fuzzy: false,
    camera: scope.cameras.length === 1 ? scope.cameras[0] : undefined,
    from,
    to,
    limit: 1_000_000,
  });
  const hits = r.results.filter((x) => !scope.cameras.length || scope.cameras.includes(x.camera ?? ''));
  const query = [
    plate,
    scope.cameras.length ? `cameras=${scope.cameras.join(',')}` : null,
    scope.from ? `from=${scope.from}` : null,
    scope.to ? `to=${scope.to}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  recordAccess(
    s,
    'search',
    query,
    { purpose: req.purpose, caseRef: req.case_number, requestId: req.id },
    new Set(hits.map((h) => h.image)).size,
    { for: 'release' },
  );
  const hint =
    "Read the plates first with `custody ocr`, or release everything the request's cameras recorded in its time range with --all-in-range.";
  if (r.batchesUnread)
    throw new CustodyError(
      'conflict',
      `Request ${req.id} asks for plate ${plate}, which is found through the plate search, and ${r.batchesUnread} batch(es) in its range have no plate readings yet (\`custody ocr\`).`,
      hint,
    );
  if (!hits.length)
    throw new CustodyError(
      'notFound',
      `The plate search found no image of plate ${plate} within request ${req.id} (${describeScope(scope)}).`,
      `Try \`custody search ${plate} --fuzzy --request ${req.id} --purpose "${req.purpose}"\`; ${hint}`,
    );
  return new Set(hits.map((h) => h.image));
}

export interface ReceiptCheck {
  file: string;
  receipt: string | null;
  valid: boolean;
  checks: { check: string; ok: boolean; detail?: string }[];
}

/** Check a receipt: its signature, the signer (this home's certificate), and that what it lists is what the ledger recorded. */
export async function verifyReceipt(s: Session, file: string, bagDir?: string): Promise<ReceiptCheck> {
  const { extractReceiptFields, verifyPdfSignature } = await import('../../documents/index.js');
  let pdf: Buffer;
  try {
    pdf = fs.readFileSync(file);
  } catch (e) {
    throw new CustodyError(
      'notFound',
      `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  const checks: ReceiptCheck['checks'] = [];
  const add = (check: string, ok: boolean, detail?: string) =>
    checks.push({ check, ok, ...(detail ? { detail } : {}) });
  const fp = new X509Certificate(s.home.certificatePem()).fingerprint256;
  const sig = verifyPdfSignature(pdf, { trustedFingerprints: [fp] });
  add('signature valid', sig.valid, sig.valid ? sig.signer : sig.problems.join('; '));
  add("signed by this home's certificate", sig.trusted === true, sig.signerFingerprint256);
  let receipt: string | null = null;
  if (sig.valid) {
    try {
      const d = extractReceiptFields(pdf);
      receipt = d.receiptNumber;
      const rel = s.ledger.one<ReleaseRow>('SELECT * FROM releases WHERE id = ?', [d.receiptNumber]);
      add('receipt number in the ledger', !!rel, d.receiptNumber);
      if (rel) {
        const req = findRequest(s, rel.request_id);
        const agency = findAgency(s, rel.agency_id);
        const head = s.ledger.one<{ hash: string }>('SELECT hash FROM events WHERE seq = ?', [rel.event_seq]);
        const same = (what: string, a: unknown, b: unknown) =>
          add(what, a === b, a === b ? String(a) : `receipt ${String(a)}, ledger ${String(b)}`);
        same('request', d.requestId, rel.request_id);
        same('case', d.caseNumber, req.case_number);
        same('agency', d.agency.name, agency.name);
        same('officer', d.officer, rel.officer);
        same('badge', d.badge, rel.badge);
        same('purpose', d.purpose, req.purpose);
        same('released at', d.releasedAt, rel.released_at);
        same('what was handed over', d.handedOver.kind, rel.kind);
        same('file count', d.handedOver.kind === 'bag' ? d.handedOver.fileCount : d.handedOver.fileCount, rel.files);
        same('manifest digest', d.handedOver.manifestSha256 ?? null, rel.manifest_sha256);
        same('ledger head at the release', d.ledgerHead, head?.hash);
        if (rel.receipt_sha256) same('the PDF issued (SHA-256)', sha256Hex(pdf), rel.receipt_sha256);
        if (bagDir) {
          const { validateBag } = await import('../../media/bagit.js');
          const v = await validateBag(bagDir);
          add('bag valid (RFC 8493)', v.valid, v.problems.join('; ') || `${v.files} files`);
          const mf = path.join(bagDir, 'manifest-sha256.txt');
          same('bag manifest digest', fs.existsSync(mf) ? sha256File(mf) : null, d.handedOver.manifestSha256 ?? null);
        }
      }
    } catch (e) {
      add('receipt data readable', false, e instanceof Error ? e.message : String(e));
    }
  }
  return { file: path.resolve(file), receipt, valid: checks.every((c) => c.ok), checks };
}

export function registerRelease(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('release')
    .description(
      "hand data to a requesting agency (policy §5): an export of the request's images as a BagIt bag, or a drive; writes the signed receipt",
    )
    .option('--request <id>', 'the request fulfilled')
    .option('--to <dir>', 'export: write the bag to this new folder')
    .option('--drive <id>', 'hand over this drive instead')
    .option('--receipt <file>', 'where to write the receipt PDF (default: next to the bag)')
    .option('--all-in-range', 'for a plate request: release everything its cameras recorded in its time range')
    .option(
      '--ack-days <n>',
      'days within which the written acknowledgement is expected (default: the acknowledgementDays setting)',
      (v) => Number(v),
    )
    .option('--yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody release --request REQ-2026-0001 --to /media/usb/REQ-2026-0001\n  $ custody release --request REQ-2026-0002 --drive D001 --receipt ~/receipts/R-2026-0002.pdf',
    )
    .action(async (o: ReleaseOptions) => {
      const g = globals();
      await withSession(ctx, g, 'release', 'release', async (s) => {
        const r = await release(ctx, g, s, o);
        if (g.json) return printJson(ctx, r);
        const x = r.release;
        ctx.stdout.write(
          details([
            ['receipt', x.receipt],
            ['request', x.request],
            ['to', `${x.officer} (badge ${x.badge}), ${x.agency}`],
            ['released', x.releasedAt],
            [
              'handed over',
              x.kind === 'drive'
                ? `drive ${x.drive} (${x.files} files)`
                : `bag ${r.bag} (${x.files} files, ${fmtBytes(x.bytes)}, Payload-Oxum ${x.payloadOxum})`,
            ],
            ['manifest sha256', x.manifestSha256],
            ['ledger head', r.ledgerHead],
            ['receipt file', r.receiptFile],
          ]),
        );
        ctx.stdout.write(
          `Have the recipient sign the receipt; record it with \`custody receipt ack ${x.receipt} --scan FILE --date YYYY-MM-DD\`.\n`,
        );
      });
    });

  const receipt = program
    .command('receipt')
    .description('release receipts: verify one, record its written acknowledgement (policy §5)');
  receipt
    .command('verify <file>')
    .description("check a receipt's signature and that what it lists matches the ledger (exit 8 if not)")
    .option('--bag <dir>', 'also validate the bag it lists (RFC 8493) against the receipt')
    .addHelpText(
      'after',
      "\nChecks: the PDF signature covers the whole file and is this home's; the receipt number, request, case, agency, officer, badge, purpose, release time, file count, manifest digest and ledger head are those recorded; the file is the one issued. With --bag: the bag validates and its manifest digest is the receipt's.\nExit status 0 when everything matches, 8 when anything does not.\n\nExample:\n  $ custody receipt verify R-2026-0001.pdf --bag /media/usb/REQ-2026-0001",
    )
    .action(async (file: string, o: { bag?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'receipt verify', 'release', async (s) => {
        const r = await verifyReceipt(s, file, o.bag);
        if (g.json) printJson(ctx, r);
        else {
          const c = useColor(ctx, g);
          ctx.stdout.write(
            table(
              ['check', 'result', 'detail'],
              r.checks.map((x) => [x.check, x.ok ? paint(c, 'green', 'ok') : paint(c, 'red', 'FAILED'), x.detail]),
            ),
          );
          ctx.stdout.write(r.valid ? `Receipt ${r.receipt} is valid and matches the ledger.\n` : '');
        }
        if (!r.valid)
          throw new CustodyError(
            'integrity',
            `Receipt ${file} fails verification: ${r.checks
              .filter((x) => !x.ok)
              .map((x) => x.check)
              .join(', ')}.`,
            'It was altered or not issued by this home.',
          );
      });
    });

  receipt
    .command('ack <receipt>')
    .description("record the agency's written acknowledgement of a receipt (the signed copy, scanned)")
    .option('--scan <file>', 'the scanned signed receipt (recorded by its SHA-256)')
    .option('--date <date>', 'date of the acknowledgement (YYYY-MM-DD)')
    .action(async (id: string, o: { scan?: string; date?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'receipt ack', 'release', async (s) => {
        const rel = findRelease(s, id);
        if (rel.ack_date) throw new CustodyError('conflict', `Receipt ${id} was acknowledged on ${rel.ack_date}.`);
        const scan = await askText(ctx, o.scan, { flag: '--scan', message: 'Scan of the signed receipt:' });
        const scanSha256 = keepDocument(s, scan).sha256;
        const date = await askText(ctx, o.date, {
          flag: '--date',
          message: 'Date acknowledged (YYYY-MM-DD):',
          default: s.now().slice(0, 10),
        });
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
          throw new CustodyError('usage', `--date ${date} is not a date (YYYY-MM-DD).`);
        if (date < rel.released_at.slice(0, 10))
          throw new CustodyError('usage', `--date ${date} is before the release (${rel.released_at.slice(0, 10)}).`);
        s.append('receipt.acknowledged', {
          receipt: id,
          request: rel.request_id,
          date,
          scanSha256,
          ...(rel.drive_id ? { drive: rel.drive_id } : {}),
        });
        s.commit();
        if (g.json) return printJson(ctx, releaseJson(findRelease(s, id)));
        ctx.stdout.write(`Receipt ${id} acknowledged on ${date} (scan sha256 ${scanSha256}).\n`);
      });
    });
}
