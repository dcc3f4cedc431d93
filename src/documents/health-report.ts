/**
 * The monthly health report (policy §7): a summary page, a timeline per camera (recordings per
 * day, gaps found and outages logged shaded), storage and duties, and the ledger head. Signed
 * with the home's identity, like receipts and certificates.
 */
import { formatBytesExact } from '../core/format.js';
import type { HealthResult } from '../ledger/health.js';
import {
  ACCENT,
  contentWidth,
  ensureSpace,
  FONT,
  footers,
  INK,
  letterhead,
  MUTED,
  paragraph,
  printable,
  RULE,
  sectionHeading,
  table,
  TINT,
  title,
} from './layout.js';
import { createSignedPdf, type SignerInput } from './sign.js';

export interface HealthReportInput {
  result: HealthResult;
  organization: string;
  custodianTitle: string;
  ranBy: string;
  ledgerHead: string;
  checkSeq: number;
  timeZone: string;
}

const SEV_COLOR = { critical: '#b3261e', warning: '#b26a00', info: '#4a4a4a' } as const;
const GAP = '#f3c1bd';
const OUTAGE_BAND = '#5b7fb5';
const BAR = '#1f3a5f';

type Doc = PDFKit.PDFDocument;

function dayIndex(dates: string[], iso: string): number {
  // Position of an instant (ISO with offset) on the day axis, in days from the first date (local dates).
  const local = iso.slice(0, 10);
  const i = dates.indexOf(local);
  const frac = (Number(iso.slice(11, 13)) * 60 + Number(iso.slice(14, 16))) / 1440;
  if (i >= 0) return i + frac;
  return local < dates[0]! ? 0 : dates.length;
}

function timeline(doc: Doc, cam: HealthResult['cameras'][number]): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const h = 110;
  ensureSpace(doc, h + 60);
  doc
    .font(FONT.bold)
    .fontSize(10.5)
    .fillColor(INK)
    .text(printable(`Camera ${cam.camera} — ${cam.location}`), x, doc.y, { width: w });
  doc
    .font(FONT.regular)
    .fontSize(9)
    .fillColor(MUTED)
    .text(
      printable(
        `Last swap ${cam.lastSwap ? cam.lastSwap.slice(0, 10) : 'never'}${cam.daysSinceSwap !== null ? ` (${cam.daysSinceSwap} days ago)` : ''}; ${cam.perDay.reduce((a, d) => a + d.count, 0)} recordings examined; ${cam.gaps.length} gap(s) found; ${cam.outages.length} outage(s) logged.`,
      ),
      x,
      doc.y,
      { width: w },
    );
  doc.moveDown(0.3);
  const top = doc.y;
  const days = cam.perDay.map((d) => d.date);
  if (!days.length) {
    doc.font(FONT.italic).fontSize(9).fillColor(MUTED).text('No recordings held to chart.', x, top);
    doc.moveDown(0.8);
    return;
  }
  const axisW = 34;
  const cx = x + axisW;
  const cw = w - axisW;
  const max = Math.max(1, ...cam.perDay.map((d) => d.count));
  const dx = cw / days.length;
  doc.rect(cx, top, cw, h).fill('#fbfbfb');
  // Shading: logged outages (blue) under gaps found (red).
  const shade = (from: string, to: string | null, color: string) => {
    const a = dayIndex(days, from);
    const b = to ? dayIndex(days, to) : days.length;
    if (b > a) doc.rect(cx + a * dx, top, Math.max(1, (b - a) * dx), h).fill(color);
  };
  for (const g of cam.gaps) shade(g.from, g.to, GAP);
  // Logged outages: a band along the top, labelled with the problem's id.
  for (const o of cam.outages) {
    const a = dayIndex(days, o.from);
    const b = o.to ? dayIndex(days, o.to) : days.length;
    if (b <= a) continue;
    doc.rect(cx + a * dx, top, Math.max(1, (b - a) * dx), 11).fill(OUTAGE_BAND);
    doc
      .font(FONT.bold)
      .fontSize(7)
      .fillColor('#ffffff')
      .text(printable(o.id), cx + a * dx + 2, top + 2, { width: Math.max(20, (b - a) * dx - 4), lineBreak: false });
  }
  cam.perDay.forEach((d, i) => {
    const bh = (d.count / max) * (h - 6);
    if (bh > 0) doc.rect(cx + i * dx + dx * 0.15, top + h - bh, Math.max(0.6, dx * 0.7), bh).fill(BAR);
  });
  doc.rect(cx, top, cw, h).lineWidth(0.5).strokeColor(RULE).stroke();
  doc.font(FONT.regular).fontSize(7.5).fillColor(MUTED);
  doc.text(String(max), x, top - 3, { width: axisW - 4, align: 'right' });
  doc.text('0', x, top + h - 7, { width: axisW - 4, align: 'right' });
  const step = Math.max(1, Math.ceil(days.length / 8));
  for (let i = 0; i < days.length; i += step) {
    doc
      .moveTo(cx + i * dx, top + h)
      .lineTo(cx + i * dx, top + h + 3)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    doc.text(days[i]!.slice(5), cx + i * dx - 14, top + h + 4, { width: 28, align: 'center', lineBreak: false });
  }
  // Legend
  const ly = top + h + 16;
  let lx = cx;
  for (const [color, label] of [
    [BAR, 'recordings per day'],
    [GAP, 'gap found'],
    [OUTAGE_BAND, 'outage logged (problem log)'],
  ] as const) {
    doc.rect(lx, ly + 1, 8, 7).fill(color);
    doc.fillColor(MUTED).text(label, lx + 11, ly, { lineBreak: false });
    lx += 11 + doc.widthOfString(label) + 16;
  }
  doc.x = x;
  doc.y = ly + 18;
  doc.fillColor(INK);
}

export async function renderHealthReport(
  input: HealthReportInput,
  identity: SignerInput,
  signedAt: Date,
): Promise<Buffer> {
  const r = input.result;
  const number = `H-${r.at.slice(0, 10)}-${input.checkSeq}`;
  return createSignedPdf(
    {
      signer: identity,
      signedAt,
      reason: `Health check report ${number} (policy §7)`,
      location: input.organization,
      info: {
        Title: `Health check report ${number}`,
        Author: input.custodianTitle,
        Subject: `${r.summary.critical} critical, ${r.summary.warning} warnings`,
        Keywords: `custody health ledger ${input.ledgerHead}`,
      },
    },
    (doc) => {
      letterhead(doc, {
        organization: input.organization,
        office: `Office of the ${input.custodianTitle}`,
        label: 'HEALTH CHECK',
        number,
      });
      title(
        doc,
        'Monthly health check of the licence-plate cameras and their storage',
        'Policy §7: at least every 30 days, check the cameras and the storage; log each problem, when found, and how long the system was not working.',
      );
      table(
        doc,
        [
          { label: 'Run at', value: r.at.replace('T', ' ').slice(0, 16) },
          { label: 'Run by', value: input.ranBy },
          { label: 'Recorded as event', value: `#${input.checkSeq}` },
          {
            label: 'Result',
            value: `${r.summary.critical} critical, ${r.summary.warning} warnings, ${r.summary.info} notes`,
          },
          { label: 'Cameras', value: String(r.cameras.length) },
          {
            label: 'Stored files',
            value: `${r.storage.filesInStore} (${r.storage.filesChecked} re-hashed${r.storage.full ? ', all' : ', monthly sample'}; ${r.storage.fixityFailures} failed)`,
          },
          { label: 'Ledger head', value: input.ledgerHead, mono: true },
        ],
        { pairs: false },
      );
      sectionHeading(doc, 'Findings');
      if (!r.findings.length) paragraph(doc, 'No findings.');
      r.findings.forEach((f, i) => {
        const x = doc.page.margins.left;
        const w = contentWidth(doc);
        doc.font(FONT.regular).fontSize(9.5);
        const text = printable(f.message);
        const hh = doc.heightOfString(text, { width: w - 90 });
        ensureSpace(doc, hh + 6);
        const y = doc.y;
        doc
          .font(FONT.bold)
          .fontSize(9)
          .fillColor(SEV_COLOR[f.severity])
          .text(`${i + 1}. ${f.severity.toUpperCase()}`, x, y, { width: 84 });
        doc
          .font(FONT.regular)
          .fontSize(9.5)
          .fillColor(INK)
          .text(text, x + 90, y, { width: w - 90 });
        doc.y = Math.max(doc.y, y + 12) + 3;
      });

      doc.addPage();
      sectionHeading(doc, 'Cameras: recordings per day');
      for (const c of r.cameras) timeline(doc, c);

      sectionHeading(doc, 'Storage');
      table(doc, [
        {
          label: 'Free space',
          value: r.storage.freeBytes === null ? 'unknown' : formatBytesExact(r.storage.freeBytes),
        },
        {
          label: 'Imports per day',
          value: r.storage.bytesPerDay ? formatBytesExact(r.storage.bytesPerDay) : 'none in the last 30 days',
        },
        { label: 'Days of imports left', value: r.storage.daysLeft === null ? '—' : String(r.storage.daysLeft) },
        {
          label: 'Fixity',
          value: `${r.storage.filesChecked} of ${r.storage.filesInStore} stored files re-hashed; ${r.storage.fixityFailures} did not match`,
        },
      ]);
      sectionHeading(doc, 'Ledger');
      table(doc, [
        { label: 'Chain and signatures', value: r.ledger.ok ? 'verified' : `PROBLEMS: ${r.ledger.problems.join(' ')}` },
        { label: 'Events', value: String(r.ledger.events) },
        { label: 'Head hash', value: input.ledgerHead, mono: true },
      ]);
      sectionHeading(doc, 'Duties');
      const duties = r.findings.filter((f) => f.area === 'duty');
      if (!duties.length) paragraph(doc, 'No duty is overdue.');
      for (const d of duties) paragraph(doc, `• ${d.message}`, { size: 9.5 });
      doc.moveDown(0.5);
      doc
        .font(FONT.italic)
        .fontSize(9)
        .fillColor(MUTED)
        .text(
          printable(
            "This report is signed digitally; the ledger head above witnesses the ledger's history at the time of the check (`custody verify`).",
          ),
          doc.page.margins.left,
          doc.y,
          { width: contentWidth(doc) },
        );
      doc.fillColor(INK);
      footers(
        doc,
        `${input.organization} · Health check ${number} · page {page} of {pages}`,
        'CONFIDENTIAL — policy §4',
      );
      void ACCENT;
      void TINT;
    },
  );
}
