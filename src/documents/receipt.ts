/**
 * The release receipt (policy §5: "receipt acknowledged in writing"): a signed PDF that lists
 * what was handed to which agency, for which case, with lines for the recipient's and the
 * custodian's wet signatures, a QR code and the ledger head.
 *
 * What the receipt lists is also attached to the PDF as `custody-receipt.json` (an embedded
 * file, inside the signed byte range), so a verifier recovers it exactly with
 * `readReceipt(pdf)` / `extractReceiptFields(pdf)` instead of scraping text.
 */
import QRCode from 'qrcode';
import { z } from 'zod';
import { CustodyError } from '../core/errors.js';
import { formatBytesExact } from '../core/format.js';
import {
  ACCENT,
  anchorVerification,
  contentWidth,
  count,
  fill,
  FONT,
  footers,
  formatIso,
  formatIsoRange,
  glueParens,
  INK,
  isIsoWithOffset,
  letterhead,
  loadTemplate,
  MUTED,
  printable,
  RULE,
  sectionHeading,
  signedStatement,
  table,
  TINT,
  title,
  type Row,
} from './layout.js';
import { embedJson, readEmbeddedJson } from './pdf-objects.js';
import {
  createSignedPdf,
  verifyPdfSignature,
  type PdfSignatureCheck,
  type SignerInput,
  type VerifyOptions,
} from './sign.js';

/** Width of the label column of page 1's tables ("Dates of recordation" on one line). */
const LABEL_W = 102;

/** Name of the embedded file that carries the receipt's data. */
export const RECEIPT_ATTACHMENT = 'custody-receipt.json';
export const RECEIPT_SCHEMA = 'custody.receipt/1';

const iso = z.string().refine(isIsoWithOffset, 'an ISO-8601 date-time with offset');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');
const nonEmpty = z.string().trim().min(1);

export const ReceiptFileSchema = z.object({
  /** Path relative to the bag's data/ folder (or the drive's root). */
  path: z.string().min(1),
  sha256,
  bytes: z.number().int().nonnegative().optional(),
  /**
   * A bag's file whose path is not `<camera>/<batch>/<its path on the drive>` verbatim (made safe,
   * or numbered so no disk takes two names for one: core/bag-names.ts): its path on the drive.
   */
  drivePath: z.string().min(1).optional(),
});

const DriveSchema = z.object({
  kind: z.literal('drive'),
  label: z.string(),
  serial: z.string(),
  capacityBytes: z.number().int().nonnegative(),
  recordedFrom: iso,
  recordedTo: iso,
  fileCount: z.number().int().nonnegative().optional(),
  manifestSha256: sha256.optional(),
  files: z.array(ReceiptFileSchema).optional(),
  /** When the drive was re-read before it was handed over, and how many files matched (policy §5). */
  reread: z.object({ at: iso, files: z.number().int().nonnegative() }).optional(),
});

const BagSchema = z.object({
  kind: z.literal('bag'),
  /** The bag's folder name or External-Identifier. */
  name: z.string().optional(),
  fileCount: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  recordedFrom: iso,
  recordedTo: iso,
  /** SHA-256 of the bag's manifest-sha256.txt. */
  manifestSha256: sha256,
  payloadOxum: z
    .string()
    .regex(/^\d+\.\d+$/)
    .optional(),
  files: z.array(ReceiptFileSchema),
});

export const ReceiptDataSchema = z.object({
  receiptNumber: nonEmpty,
  agency: z.object({ name: nonEmpty, ori: nonEmpty }),
  officer: nonEmpty,
  badge: nonEmpty,
  caseNumber: nonEmpty,
  requestId: nonEmpty,
  purpose: nonEmpty,
  requestedAt: iso,
  releasedAt: iso,
  /**
   * Who issued it: their name and the title they sign with ("Designee of the Custodian of
   * Records" for a designee); `office` is the custodian's title, the office they act for.
   */
  custodian: z.object({ title: nonEmpty, name: nonEmpty, office: nonEmpty.optional() }),
  /** The issuing organization, e.g. "City of Exampleton". */
  organization: nonEmpty,
  /** Place of signing, e.g. "Exampleton, California" (the signature's /Location). */
  location: z.string().optional(),
  handedOver: z.discriminatedUnion('kind', [DriveSchema, BagSchema]),
  /** Head hash of the custody ledger when the release was recorded. */
  ledgerHead: sha256,
  /** The written request as recorded: the kept file, or only a reference, or nothing. */
  requestDocument: z
    .object({ name: z.string().nullable(), sha256: sha256.nullable(), reference: z.string().nullable() })
    .optional(),
  /** The custodian's override the agency's eligibility rests on, when it rests on one. */
  override: z
    .object({ id: nonEmpty, by: nonEmpty, at: iso, reason: nonEmpty, purposes: z.array(z.string()) })
    .optional(),
});

export type ReceiptData = z.infer<typeof ReceiptDataSchema>;
export type ReceiptFile = z.infer<typeof ReceiptFileSchema>;
/** What a receipt lists as handed over: a bag, or a drive itself. */
export type ReceiptHandedOver = ReceiptData['handedOver'];

const TEMPLATE_SHAPE = {
  office: '',
  documentLabel: '',
  title: '',
  subtitle: '',
  confidential: '',
  headings: { particulars: '', handedOver: '', statement: '', signatures: '', verification: '', appendix: '' },
  labels: {
    receiptNumber: '',
    requestId: '',
    agency: '',
    ori: '',
    officer: '',
    badge: '',
    caseNumber: '',
    purpose: '',
    requestedAt: '',
    releasedAt: '',
    releasedBy: '',
    kindBag: '',
    kindDrive: '',
    format: '',
    driveLabel: '',
    driveSerial: '',
    driveCapacity: '',
    bagName: '',
    fileCount: '',
    bytes: '',
    payloadOxum: '',
    recordation: '',
    manifest: '',
    ledgerHead: '',
    certificate: '',
    file: '',
    sha256: '',
    size: '',
    onDrive: '',
  },
  statement: '',
  statementDrive: '',
  requestBasis: { document: '', reference: '', none: '' },
  agencyIdentity: { ori: '', other: '', none: '' },
  driveReread: '',
  override: '',
  acknowledgement: '',
  signatureCaptions: { recipient: '', recipientName: '', custodian: '', custodianName: '', date: '' },
  verification: '',
  appendixIntro: '',
  appendixIntroDrive: '',
  footer: '',
};
export type ReceiptTemplate = typeof TEMPLATE_SHAPE;

export interface RenderReceiptOptions {
  /** The signing time written into the signature. @default the release time (data.releasedAt) */
  signedAt?: Date;
  /** Folder with receipt.json (a city's edited words). @default the templates shipped with custody */
  templatesDir?: string;
}

/** The QR code's payload: small enough for a phone to read from paper. */
export function receiptQrPayload(data: ReceiptData): string {
  return JSON.stringify({
    receipt: data.receiptNumber,
    manifest: data.handedOver.manifestSha256 ?? null,
    ledgerHead: data.ledgerHead,
  });
}

function parseData(data: unknown, where: string): ReceiptData {
  const r = ReceiptDataSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new CustodyError('usage', `${where}: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return r.data;
}

/** Render the receipt and sign it with the custodian's identity. */
export async function renderReceipt(
  input: ReceiptData,
  identity: SignerInput,
  o: RenderReceiptOptions = {},
): Promise<Buffer> {
  const data = parseData(input, 'Receipt data');
  const t = loadTemplate('receipt', TEMPLATE_SHAPE, o.templatesDir);
  const h = data.handedOver;
  const fileCount = h.kind === 'bag' ? h.fileCount : (h.fileCount ?? h.files?.length);
  const vars = {
    organization: data.organization,
    custodianTitle: data.custodian.title,
    custodianName: data.custodian.name,
    officeTitle: data.custodian.office ?? data.custodian.title,
    agencyName: data.agency.name,
    agencyOri: data.agency.ori,
    officer: data.officer,
    badge: data.badge,
    caseNumber: data.caseNumber,
    requestId: data.requestId,
    purpose: data.purpose,
    receiptNumber: data.receiptNumber,
    requestedAt: formatIso(data.requestedAt, { dateOnly: true }),
    releasedAt: formatIso(data.releasedAt),
    fileCount: fileCount === undefined ? '' : fileCount.toLocaleString('en-US'),
    files: fileCount === undefined ? '' : count(fileCount, 'file'),
    recordedFrom: formatIso(h.recordedFrom),
    recordedTo: formatIso(h.recordedTo),
    what: h.kind === 'bag' ? t.labels.kindBag : t.labels.kindDrive,
  };
  const f0 = (s: string) => fill(s, vars);
  const facts = factVars(data, t, f0);
  const f = (s: string) => fill(s, { ...vars, ...facts });
  const qr = await QRCode.toBuffer(receiptQrPayload(data), {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 0,
    scale: 6,
  });
  const signedAt = o.signedAt ?? new Date(data.releasedAt);

  return createSignedPdf(
    {
      signer: identity,
      signedAt,
      reason: `${f(t.title)} ${data.receiptNumber}`,
      location: data.location ?? data.organization,
      contactInfo: `${data.custodian.name}, ${data.custodian.title}, ${data.organization}`,
      info: {
        Title: `${f(t.title)} ${data.receiptNumber}`,
        Author: `${data.custodian.name}, ${data.custodian.title}`,
        Subject: `Case ${data.caseNumber}; request ${data.requestId}; ${data.agency.name}`,
        Keywords: `custody receipt ${data.receiptNumber} ledger ${data.ledgerHead}`,
      },
    },
    (doc) => {
      embedJson(doc, RECEIPT_ATTACHMENT, RECEIPT_SCHEMA, data, {
        description: `Data listed by receipt ${data.receiptNumber} (${RECEIPT_SCHEMA})`,
        date: signedAt,
      });
      drawPageOne(doc, data, t, f, qr);
      if (h.files && h.files.length > 0)
        drawAppendix(doc, h.files, t, f, h.kind === 'drive' ? t.appendixIntroDrive : t.appendixIntro);
      footers(doc, f(t.footer), f(t.confidential));
    },
  );
}

/**
 * The sentences a receipt builds from recorded facts (policy §5): the written request or its
 * absence, the agency's identifier as recorded, the re-reading of a drive, the override.
 */
function factVars(data: ReceiptData, t: ReceiptTemplate, f: (s: string) => string): Record<string, string> {
  const doc = data.requestDocument;
  const docVars = {
    documentName: doc?.name ?? '',
    documentSha256: doc?.sha256 ?? '',
    documentReference: doc?.reference ?? '',
  };
  const basis = doc?.sha256 ? t.requestBasis.document : doc?.reference ? t.requestBasis.reference : t.requestBasis.none;
  const ov = data.override;
  const ovVars = ov
    ? {
        overrideId: ov.id,
        overrideBy: ov.by,
        overrideAt: formatIso(ov.at, { dateOnly: true }),
        overrideReason: ov.reason,
      }
    : {};
  const ori = data.agency.ori;
  // The release passes `none` when the register holds no identifier for the agency.
  const identity = /^CA[0-9A-Z]{7}$/i.test(ori)
    ? t.agencyIdentity.ori
    : ori === 'none'
      ? t.agencyIdentity.none
      : t.agencyIdentity.other;
  const h = data.handedOver;
  const reread =
    h.kind === 'drive' && h.reread
      ? { rereadAt: formatIso(h.reread.at), rereadFiles: h.reread.files.toLocaleString('en-US') }
      : {};
  const fx = (x: string) => fill(f(x), { ...docVars, ...ovVars, ...reread });
  return {
    requestBasis: fx(basis),
    agencyIdentity: fx(identity),
    driveCondition: h.kind === 'drive' && h.reread ? fx(t.driveReread) : '',
    overrideNote: ov ? fx(t.override) : '',
  };
}

function drawPageOne(
  doc: PDFKit.PDFDocument,
  data: ReceiptData,
  t: ReceiptTemplate,
  f: (s: string) => string,
  qr: Buffer,
): void {
  const L = t.labels;
  const h = data.handedOver;
  // The QR code and the ledger head belong on page 1 whatever else happens.
  const release = anchorVerification(doc, {
    qr,
    heading: f(t.headings.verification),
    body: f(t.verification),
    label: t.labels.ledgerHead,
    value: data.ledgerHead,
  });
  letterhead(doc, {
    organization: data.organization,
    office: f(t.office),
    label: f(t.documentLabel),
    number: data.receiptNumber,
  });
  title(doc, f(t.title), f(t.subtitle));

  sectionHeading(doc, f(t.headings.particulars));
  table(
    doc,
    [
      { label: L.requestId, value: data.requestId, mono: true },
      { label: L.caseNumber, value: data.caseNumber, mono: true },
      { label: L.agency, value: data.agency.name },
      { label: L.ori, value: data.agency.ori, mono: true },
      { label: L.officer, value: data.officer },
      { label: L.badge, value: data.badge },
      { label: L.requestedAt, value: formatIso(data.requestedAt) },
      { label: L.releasedAt, value: formatIso(data.releasedAt) },
    ],
    { pairs: true, labelWidth: LABEL_W, gapAfter: 0 },
  );
  table(
    doc,
    [
      { label: L.purpose, value: data.purpose },
      { label: L.releasedBy, value: `${data.custodian.name}, ${data.custodian.title}, ${data.organization}` },
    ],
    { labelWidth: LABEL_W },
  );

  sectionHeading(doc, f(t.headings.handedOver));
  const pairs: Row[] = [];
  if (h.kind === 'drive') {
    table(doc, [{ label: L.format, value: L.kindDrive }], { labelWidth: LABEL_W, gapAfter: 0 });
    pairs.push(
      { label: L.driveLabel, value: h.label },
      { label: L.driveSerial, value: h.serial, mono: true },
      { label: L.driveCapacity, value: glueParens(formatBytesExact(h.capacityBytes)) },
      { label: L.fileCount, value: h.fileCount === undefined ? '' : h.fileCount.toLocaleString('en-US') },
    );
  } else {
    pairs.push(
      { label: L.format, value: L.kindBag },
      { label: L.bagName, value: h.name ?? '', mono: true },
      { label: L.fileCount, value: h.fileCount.toLocaleString('en-US') },
      { label: L.bytes, value: glueParens(formatBytesExact(h.bytes)) },
    );
  }
  table(doc, pairs, { pairs: true, labelWidth: LABEL_W, gapAfter: 0 });
  const full: Row[] = [{ label: L.recordation, value: formatIsoRange(h.recordedFrom, h.recordedTo) }];
  if (h.manifestSha256) full.push({ label: L.manifest, value: h.manifestSha256, mono: true, size: 9 });
  table(doc, full, { labelWidth: LABEL_W });

  signedStatement(doc, {
    heading: f(t.headings.statement),
    paragraphs: [
      { text: f(h.kind === 'drive' ? t.statementDrive : t.statement), size: 9 },
      ...(data.override ? [{ text: f('{overrideNote}'), size: 9 }] : []),
      { text: f(t.acknowledgement), italic: true, size: 9 },
    ],
    signaturesHeading: f(t.headings.signatures),
    signatures: [
      {
        signature: f(t.signatureCaptions.recipient),
        name: f(t.signatureCaptions.recipientName),
        date: f(t.signatureCaptions.date),
      },
      {
        signature: f(t.signatureCaptions.custodian),
        name: f(t.signatureCaptions.custodianName),
        date: f(t.signatureCaptions.date),
      },
    ],
  });
  release();
}

function drawAppendix(
  doc: PDFKit.PDFDocument,
  files: ReceiptFile[],
  t: ReceiptTemplate,
  f: (s: string) => string,
  intro: string,
): void {
  doc.addPage();
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  doc
    .font(FONT.bold)
    .fontSize(13)
    .fillColor(INK)
    .text(printable(f(t.headings.appendix)), x, doc.y, { width: w });
  doc.moveDown(0.2);
  doc
    .font(FONT.regular)
    .fontSize(9.5)
    .fillColor(MUTED)
    .text(printable(f(intro)), { width: w });
  doc.moveDown(0.6);

  const numW = 40;
  const sizeW = 110;
  const header = () => {
    const y = doc.y;
    doc.rect(x, y, w, 16).fill(ACCENT);
    doc.font(FONT.bold).fontSize(9).fillColor('#ffffff');
    doc.text('#', x + 4, y + 4, { width: numW - 8, align: 'right', lineBreak: false });
    doc.text(`${printable(t.labels.file)} / ${printable(t.labels.sha256)}`, x + numW + 4, y + 4, {
      width: w - numW - sizeW,
      lineBreak: false,
    });
    doc.text(printable(t.labels.size), x + w - sizeW, y + 4, { width: sizeW - 6, align: 'right', lineBreak: false });
    doc.y = y + 18;
  };
  header();
  files.forEach((file, i) => {
    const name = file.drivePath
      ? `${printable(file.path)}\n(${printable(t.labels.onDrive)}: ${printable(file.drivePath)})`
      : printable(file.path);
    doc.font(FONT.regular).fontSize(9.5);
    const nameH = doc.heightOfString(name, { width: w - numW - sizeW - 8 });
    const rowH = nameH + 12 + 6;
    if (doc.y + rowH > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    if (i % 2 === 1) doc.rect(x, y, w, rowH).fill(TINT);
    doc
      .fillColor(MUTED)
      .font(FONT.regular)
      .fontSize(9)
      .text(String(i + 1), x + 4, y + 3, { width: numW - 8, align: 'right' });
    doc
      .fillColor(INK)
      .font(FONT.regular)
      .fontSize(9.5)
      .text(name, x + numW + 4, y + 3, { width: w - numW - sizeW - 8 });
    doc
      .fillColor(INK)
      .font(FONT.mono)
      .fontSize(9)
      .text(file.sha256, x + numW + 4, y + 3 + nameH + 1, { width: w - numW - 8, lineBreak: false });
    if (file.bytes !== undefined) {
      doc.fillColor(MUTED).font(FONT.regular).fontSize(9);
      doc.text(file.bytes.toLocaleString('en-US'), x + w - sizeW, y + 3, {
        width: sizeW - 6,
        align: 'right',
        lineBreak: false,
      });
    }
    doc
      .moveTo(x, y + rowH)
      .lineTo(x + w, y + rowH)
      .lineWidth(0.3)
      .strokeColor(RULE)
      .stroke();
    doc.x = x;
    doc.y = y + rowH;
  });
  doc.fillColor(INK);
}

/**
 * Recover the data a receipt lists from its attachment, checked against the schema. Does not
 * check the signature: use `readReceipt` for both, or `verifyPdfSignature` first.
 * Throws CustodyError('integrity') if the PDF carries no readable receipt data.
 */
export function extractReceiptFields(pdf: Buffer): ReceiptData {
  const rest = readEmbeddedJson(pdf, RECEIPT_ATTACHMENT, RECEIPT_SCHEMA, 'receipt');
  const r = ReceiptDataSchema.safeParse(rest);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new CustodyError('integrity', `The receipt data is malformed at ${first.path.join('.')}: ${first.message}`);
  }
  return r.data;
}

/** Check a receipt's signature and recover its data (the data only if the signature holds). */
export function readReceipt(pdf: Buffer, o: VerifyOptions = {}): { signature: PdfSignatureCheck; data?: ReceiptData } {
  const signature = verifyPdfSignature(pdf, o);
  if (!signature.valid) return { signature };
  return { signature, data: extractReceiptFields(pdf) };
}
