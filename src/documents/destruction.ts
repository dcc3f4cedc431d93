/**
 * Certificate of destruction (policy §8: records are destroyed 60 days after recordation unless
 * a hold applies). Custody destroys a batch by destroying its key (crypto-shredding); the
 * certificate lists each batch with its file count, recordation range, manifest digest and the
 * moment its key was destroyed, is signed by the custodian, and carries the ledger head.
 * Its data is embedded as `custody-destruction.json`, recovered with
 * `extractDestructionFields(pdf)`.
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
  ensureSpace,
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
} from './layout.js';
import { embedJson, readEmbeddedJson } from './pdf-objects.js';
import { createSignedPdf, type SignerInput } from './sign.js';

/** Width of the label column of the summary ("Dates of recordation" on one line). */
const LABEL_W = 102;

export const DESTRUCTION_ATTACHMENT = 'custody-destruction.json';
export const DESTRUCTION_SCHEMA = 'custody.destruction/1';

const iso = z.string().refine(isIsoWithOffset, 'an ISO-8601 date-time with offset');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');
const nonEmpty = z.string().trim().min(1);

export const DestroyedBatchSchema = z.object({
  /** Import batch id. */
  id: nonEmpty,
  /** Camera or drive the batch came from, if known. */
  source: z.string().optional(),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative().optional(),
  recordedFrom: iso,
  recordedTo: iso,
  /** SHA-256 of the batch's manifest (its files and their digests) as the ledger kept it. */
  manifestSha256: sha256,
  keyDestroyedAt: iso,
});

export const DestructionDataSchema = z.object({
  certificateNumber: nonEmpty,
  organization: nonEmpty,
  custodian: z.object({ title: nonEmpty, name: nonEmpty }),
  /** When the destruction was carried out (the purge). */
  destroyedAt: iso,
  /** Operator who ran it, e.g. "Pat Example (pexample)". */
  destroyedBy: nonEmpty,
  /** How; the template's default (crypto-shredding) when absent. */
  method: z.string().optional(),
  /** The rule applied; the template's default (60 days, §8) when absent. */
  retentionRule: z.string().optional(),
  batches: z.array(DestroyedBatchSchema).min(1),
  /** Holds that kept records back from this destruction. */
  holdsExcluded: z
    .array(z.object({ id: nonEmpty, reason: z.string().optional(), files: z.number().int().nonnegative() }))
    .optional(),
  ledgerHead: sha256,
  location: z.string().optional(),
});

export type DestructionData = z.infer<typeof DestructionDataSchema>;
export type DestroyedBatch = z.infer<typeof DestroyedBatchSchema>;

const TEMPLATE_SHAPE = {
  office: '',
  documentLabel: '',
  title: '',
  subtitle: '',
  confidential: '',
  headings: { summary: '', batches: '', holds: '', statement: '', signatures: '', verification: '' },
  labels: {
    certificateNumber: '',
    destroyedAt: '',
    destroyedBy: '',
    method: '',
    retentionRule: '',
    batchCount: '',
    fileCount: '',
    bytes: '',
    recordation: '',
    batch: '',
    recorded: '',
    keyDestroyedAt: '',
    manifest: '',
    hold: '',
    holdReason: '',
    ledgerHead: '',
  },
  defaultMethod: '',
  defaultRetentionRule: '',
  statement: '',
  signatureCaptions: { custodian: '', custodianName: '', witness: '', witnessName: '', date: '' },
  verification: '',
  footer: '',
};
type DestructionTemplate = typeof TEMPLATE_SHAPE;

/** Earliest and latest recordation over all batches (ISO strings compared as instants). */
function span(batches: DestroyedBatch[]): { from: string; to: string } {
  let from = batches[0]!.recordedFrom;
  let to = batches[0]!.recordedTo;
  for (const b of batches) {
    if (Date.parse(b.recordedFrom) < Date.parse(from)) from = b.recordedFrom;
    if (Date.parse(b.recordedTo) > Date.parse(to)) to = b.recordedTo;
  }
  return { from, to };
}

export function destructionQrPayload(data: DestructionData): string {
  return JSON.stringify({
    destruction: data.certificateNumber,
    batches: data.batches.length,
    ledgerHead: data.ledgerHead,
  });
}

/** Render the certificate of destruction and sign it. Time of signing: `destroyedAt` unless given. */
export async function renderDestructionCertificate(
  input: DestructionData,
  identity: SignerInput,
  o: { signedAt?: Date; templatesDir?: string } = {},
): Promise<Buffer> {
  const parsed = DestructionDataSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CustodyError('usage', `Destruction data: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const data = parsed.data;
  const t = loadTemplate('destruction', TEMPLATE_SHAPE, o.templatesDir);
  const { from, to } = span(data.batches);
  const fileCount = data.batches.reduce((a, b) => a + b.files, 0);
  const bytes = data.batches.every((b) => b.bytes !== undefined)
    ? data.batches.reduce((a, b) => a + b.bytes!, 0)
    : undefined;
  const method = data.method ?? t.defaultMethod;
  const retentionRule = data.retentionRule ?? t.defaultRetentionRule;
  const vars = {
    organization: data.organization,
    custodianTitle: data.custodian.title,
    custodianName: data.custodian.name,
    certificateNumber: data.certificateNumber,
    destroyedAt: formatIso(data.destroyedAt),
    destroyedBy: data.destroyedBy,
    batchCount: data.batches.length.toLocaleString('en-US'),
    fileCount: fileCount.toLocaleString('en-US'),
    batches: count(data.batches.length, 'batch', 'batches'),
    files: count(fileCount, 'file'),
    recordedFrom: formatIso(from, { dateOnly: true }),
    recordedTo: formatIso(to, { dateOnly: true }),
    method,
    retentionRule,
  };
  const f = (s: string) => fill(s, vars);
  const qr = await QRCode.toBuffer(destructionQrPayload(data), {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 0,
    scale: 6,
  });
  const signedAt = o.signedAt ?? new Date(data.destroyedAt);

  return createSignedPdf(
    {
      signer: identity,
      signedAt,
      reason: `${f(t.title)} ${data.certificateNumber}`,
      location: data.location ?? data.organization,
      contactInfo: `${data.custodian.name}, ${data.custodian.title}, ${data.organization}`,
      info: {
        Title: `${f(t.title)} ${data.certificateNumber}`,
        Author: `${data.custodian.name}, ${data.custodian.title}`,
        Subject: `${count(data.batches.length, 'batch', 'batches')}, ${count(fileCount, 'file')} destroyed`,
        Keywords: `custody destruction ${data.certificateNumber} ledger ${data.ledgerHead}`,
      },
    },
    (doc) => {
      embedJson(doc, DESTRUCTION_ATTACHMENT, DESTRUCTION_SCHEMA, data, {
        description: `Data listed by certificate of destruction ${data.certificateNumber} (${DESTRUCTION_SCHEMA})`,
        date: signedAt,
      });
      const release = anchorVerification(doc, {
        qr,
        heading: f(t.headings.verification),
        body: f(t.verification),
        label: t.labels.ledgerHead,
        value: data.ledgerHead,
      });
      const L = t.labels;
      letterhead(doc, {
        organization: data.organization,
        office: f(t.office),
        label: f(t.documentLabel),
        number: data.certificateNumber,
      });
      title(doc, f(t.title), f(t.subtitle));

      sectionHeading(doc, f(t.headings.summary));
      table(
        doc,
        [
          { label: L.destroyedAt, value: formatIso(data.destroyedAt) },
          { label: L.destroyedBy, value: data.destroyedBy },
          { label: L.batchCount, value: data.batches.length.toLocaleString('en-US') },
          { label: L.fileCount, value: fileCount.toLocaleString('en-US') },
        ],
        { pairs: true, labelWidth: LABEL_W, gapAfter: 0 },
      );
      table(
        doc,
        [
          ...(bytes !== undefined ? [{ label: L.bytes, value: glueParens(formatBytesExact(bytes)) }] : []),
          { label: L.recordation, value: formatIsoRange(from, to) },
          { label: L.retentionRule, value: retentionRule },
          { label: L.method, value: method },
        ],
        { labelWidth: LABEL_W },
      );

      signedStatement(doc, {
        heading: f(t.headings.statement),
        paragraphs: [{ text: f(t.statement), size: 9.5 }],
        signaturesHeading: f(t.headings.signatures),
        signatures: [
          {
            signature: f(t.signatureCaptions.custodian),
            name: f(t.signatureCaptions.custodianName),
            date: f(t.signatureCaptions.date),
          },
          {
            signature: f(t.signatureCaptions.witness),
            name: f(t.signatureCaptions.witnessName),
            date: f(t.signatureCaptions.date),
          },
        ],
      });

      drawBatches(doc, data.batches, t, f);
      if (data.holdsExcluded?.length) {
        sectionHeading(doc, f(t.headings.holds));
        table(
          doc,
          data.holdsExcluded.map((h) => ({
            label: h.id,
            value: `${count(h.files, 'file')}${h.reason ? ` — ${h.reason}` : ''}`,
          })),
          { labelWidth: 130 },
        );
      }
      release();
      footers(doc, f(t.footer), f(t.confidential));
    },
  );
}

function drawBatches(
  doc: PDFKit.PDFDocument,
  batches: DestroyedBatch[],
  t: DestructionTemplate,
  f: (s: string) => string,
): void {
  const L = t.labels;
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  // On the page after the certification if page 1 is full, else below it.
  ensureSpace(doc, 120);
  sectionHeading(doc, f(t.headings.batches));
  const cols = [
    { label: L.batch, w: 130 },
    { label: L.fileCount, w: 50, align: 'right' as const },
    { label: L.recorded, w: 192 },
    { label: L.keyDestroyedAt, w: w - 130 - 50 - 192 },
  ];
  const header = () => {
    const y = doc.y;
    doc.rect(x, y, w, 16).fill(ACCENT);
    doc.font(FONT.bold).fontSize(9).fillColor('#ffffff');
    let cx = x;
    for (const c of cols) {
      doc.text(printable(c.label), cx + 4, y + 4, { width: c.w - 8, align: c.align ?? 'left', lineBreak: false });
      cx += c.w;
    }
    doc.y = y + 18;
  };
  header();
  const manifestLabel = `${printable(L.manifest)}: `;
  batches.forEach((b, i) => {
    // A cell is one or more runs, each in its own font (the batch id in mono, its source not).
    const cells = [
      [{ text: b.id, font: FONT.mono }, ...(b.source ? [{ text: b.source, font: FONT.regular }] : [])],
      [{ text: b.files.toLocaleString('en-US'), font: FONT.regular }],
      [{ text: `${formatIso(b.recordedFrom)}\n${formatIso(b.recordedTo)}`, font: FONT.regular }],
      [{ text: formatIso(b.keyDestroyedAt), font: FONT.regular }],
    ].map((runs) => runs.map((r) => ({ ...r, text: r.text.split('\n').map(printable).join('\n') })));
    // Each run measured in the font it is printed in; the manifest line goes under the tallest cell.
    const cellsH = Math.max(
      ...cells.map((runs, j) =>
        runs.reduce(
          (a, r) =>
            a +
            doc
              .font(r.font)
              .fontSize(9)
              .heightOfString(r.text, { width: cols[j]!.w - 8 }),
          0,
        ),
      ),
    );
    doc.font(FONT.regular).fontSize(9);
    const labelW = doc.widthOfString(manifestLabel);
    doc.font(FONT.mono).fontSize(9);
    const hashW = w - 8 - labelW;
    const hashH = doc.heightOfString(b.manifestSha256, { width: hashW });
    const h = 3 + cellsH + 3 + hashH + 5;
    if (doc.y + h > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    if (i % 2 === 1) doc.rect(x, y, w, h).fill(TINT);
    let cx = x;
    cells.forEach((runs, j) => {
      doc.y = y + 3;
      for (const r of runs) {
        doc.fillColor(INK).font(r.font).fontSize(9);
        doc.text(r.text, cx + 4, doc.y, { width: cols[j]!.w - 8, align: cols[j]!.align ?? 'left' });
      }
      cx += cols[j]!.w;
    });
    const my = y + 3 + cellsH + 3;
    doc
      .fillColor(MUTED)
      .font(FONT.regular)
      .fontSize(9)
      .text(manifestLabel, x + 4, my, { lineBreak: false });
    doc
      .fillColor(INK)
      .font(FONT.mono)
      .fontSize(9)
      .text(b.manifestSha256, x + 4 + labelW, my, { width: hashW });
    doc
      .moveTo(x, y + h)
      .lineTo(x + w, y + h)
      .lineWidth(0.3)
      .strokeColor(RULE)
      .stroke();
    doc.x = x;
    doc.y = y + h;
  });
  doc.moveDown(0.5);
  doc.fillColor(INK);
}

/** Recover what a certificate of destruction lists (does not check the signature). */
export function extractDestructionFields(pdf: Buffer): DestructionData {
  const rest = readEmbeddedJson(pdf, DESTRUCTION_ATTACHMENT, DESTRUCTION_SCHEMA, 'certificate of destruction');
  const r = DestructionDataSchema.safeParse(rest);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new CustodyError(
      'integrity',
      `The destruction data is malformed at ${first.path.join('.')}: ${first.message}`,
    );
  }
  return r.data;
}
