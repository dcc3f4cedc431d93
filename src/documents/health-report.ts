/**
 * The monthly health report (policy §7): a summary page, a timeline per camera (recordings per
 * day, gaps found and outages logged shaded), storage and duties, and the ledger head. Signed
 * with the home's identity, like receipts and certificates.
 */
import { formatBytesExact } from '../core/format.js';
import type { HealthResult } from '../ledger/health.js';
import {
  contentWidth,
  count,
  ensureSpace,
  FONT,
  footers,
  formatDaysLeft,
  formatIso,
  glueParens,
  INK,
  keepTogether,
  letterhead,
  MUTED,
  paragraph,
  paragraphHeight,
  printable,
  RULE,
  sectionHeading,
  sectionHeadingHeight,
  table,
  tableHeight,
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
/** Label column of the report's tables: the ledger head's 64 hex digits fit on one line beside it. */
const LABEL_W = 132;
const SEV_WORD = { critical: 'CRITICAL', warning: 'WARNING', info: 'NOTE' } as const;
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
  const heading = printable(`Camera ${cam.camera} — ${cam.location}`);
  const outageIds = cam.outages.length ? ` (${cam.outages.map((o) => o.id).join(', ')})` : '';
  const sentence = printable(
    `Last swap ${cam.lastSwap ? formatIso(cam.lastSwap, { dateOnly: true }) : 'never'}${cam.daysSinceSwap !== null ? ` (${cam.daysSinceSwap === 0 ? 'today' : `${count(cam.daysSinceSwap, 'day')} ago`})` : ''}; ${count(
      cam.perDay.reduce((a, d) => a + d.count, 0),
      'recording',
    )} examined; ${count(cam.gaps.length, 'gap')} in recording found; ${count(cam.outages.length, 'outage')} logged${outageIds}.`,
  );
  doc.font(FONT.bold).fontSize(10.5);
  const headingH = doc.heightOfString(heading, { width: w });
  doc.font(FONT.regular).fontSize(9);
  const sentenceH = doc.heightOfString(sentence, { width: w });
  // Heading, sentence, chart, ticks and legend on one page.
  ensureSpace(doc, headingH + sentenceH + 4 + h + 40);
  doc.font(FONT.bold).fontSize(10.5).fillColor(INK).text(heading, x, doc.y, { width: w });
  doc.font(FONT.regular).fontSize(9).fillColor(MUTED).text(sentence, x, doc.y, { width: w });
  doc.y += 4;
  const top = doc.y;
  const days = cam.perDay.map((d) => d.date);
  if (!days.length) {
    doc.font(FONT.italic).fontSize(9).fillColor(MUTED).text('No recordings held to chart.', x, top);
    doc.y += 10;
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
  // Logged outages: a band along the top, labeled with the problem's id where the band is wide
  // enough for it (the sentence above lists them all).
  for (const o of cam.outages) {
    const a = dayIndex(days, o.from);
    const b = o.to ? dayIndex(days, o.to) : days.length;
    if (b <= a) continue;
    const bw = Math.max(1, (b - a) * dx);
    doc.rect(cx + a * dx, top, bw, 13).fill(OUTAGE_BAND);
    doc.font(FONT.bold).fontSize(9);
    if (doc.widthOfString(printable(o.id)) + 4 <= bw) {
      doc.fillColor('#ffffff').text(printable(o.id), cx + a * dx + 2, top + 1.5, { width: bw - 4, lineBreak: false });
    }
  }
  cam.perDay.forEach((d, i) => {
    const bh = (d.count / max) * (h - 6);
    if (bh > 0) doc.rect(cx + i * dx + dx * 0.15, top + h - bh, Math.max(0.6, dx * 0.7), bh).fill(BAR);
  });
  doc.rect(cx, top, cw, h).lineWidth(0.5).strokeColor(RULE).stroke();
  doc.font(FONT.regular).fontSize(9).fillColor(MUTED);
  doc.text(max.toLocaleString('en-US'), x, top - 3, { width: axisW - 4, align: 'right', lineBreak: false });
  doc.text('0', x, top + h - 9, { width: axisW - 4, align: 'right', lineBreak: false });
  const step = Math.max(1, Math.ceil(days.length / 8));
  for (let i = 0; i < days.length; i += step) {
    doc
      .moveTo(cx + i * dx, top + h)
      .lineTo(cx + i * dx, top + h + 3)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    // US month/day: "11/2".
    const label = `${Number(days[i]!.slice(5, 7))}/${Number(days[i]!.slice(8, 10))}`;
    doc.text(label, cx + i * dx - 15, top + h + 4, { width: 30, align: 'center', lineBreak: false });
  }
  // Legend
  const ly = top + h + 18;
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
  doc.y = ly + 20;
  doc.fillColor(INK);
}

/** "1 critical finding, 2 warnings, 1 note". */
function resultWords(r: HealthResult['summary']): string {
  return `${count(r.critical, 'critical finding')}, ${count(r.warning, 'warning')}, ${count(r.info, 'note')}`;
}

export async function renderHealthReport(
  input: HealthReportInput,
  identity: SignerInput,
  signedAt: Date,
): Promise<Buffer> {
  const r = input.result;
  // The check is known by its date and by the ledger event that records it ("event #50" is the
  // 50th event of the ledger, not the 50th health check).
  const day = formatIso(r.at, { dateOnly: true });
  const event = `ledger event #${input.checkSeq}`;
  const name = `Health check of ${day} (${event})`;
  return createSignedPdf(
    {
      signer: identity,
      signedAt,
      reason: `${name} (policy §7)`,
      location: input.organization,
      info: {
        Title: name,
        Author: input.custodianTitle,
        Subject: resultWords(r.summary),
        Keywords: `custody health ledger ${input.ledgerHead}`,
      },
    },
    (doc) => {
      letterhead(doc, {
        organization: input.organization,
        office: `Office of the ${input.custodianTitle}`,
        label: 'HEALTH CHECK',
        number: `Event #${input.checkSeq}`,
      });
      title(
        doc,
        'Monthly health check of the license plate cameras and their storage',
        'Policy §7: at least every 30 days, check the cameras and the storage; log each problem, when found, and how long the system was not working.',
      );
      const st = r.storage;
      table(
        doc,
        [
          { label: 'Run at', value: formatIso(r.at) },
          { label: 'Run by', value: input.ranBy },
          { label: 'Recorded in the ledger as', value: `Event #${input.checkSeq}` },
          { label: 'Result', value: resultWords(r.summary) },
          { label: 'Cameras', value: r.cameras.length.toLocaleString('en-US') },
          {
            label: 'Stored files',
            value: `${st.filesInStore.toLocaleString('en-US')} (${st.full || st.filesChecked === st.filesInStore ? 'all' : `a monthly sample of ${st.filesChecked.toLocaleString('en-US')}`} re-hashed; ${st.fixityFailures.toLocaleString('en-US')} did not match)`,
          },
          { label: `Ledger head (event #${input.checkSeq})`, value: input.ledgerHead, mono: true, size: 9 },
        ],
        { labelWidth: LABEL_W },
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
          .text(`${i + 1}. ${SEV_WORD[f.severity]}`, x, y, { width: 84 });
        doc
          .font(FONT.regular)
          .fontSize(9.5)
          .fillColor(INK)
          .text(text, x + 90, y, { width: w - 90 });
        doc.y = Math.max(doc.y, y + 12) + 3;
      });

      doc.addPage();
      sectionHeading(doc, 'Cameras: recordings per day');
      if (!r.cameras.length) paragraph(doc, 'No camera is registered.');
      for (const c of r.cameras) timeline(doc, c);

      sectionHeading(doc, 'Storage');
      table(
        doc,
        [
          {
            label: 'Free space',
            value: st.freeBytes === null ? 'unknown' : glueParens(formatBytesExact(st.freeBytes)),
          },
          {
            label: 'Imports per day',
            value: st.bytesPerDay
              ? `${glueParens(formatBytesExact(Math.round(st.bytesPerDay)))} (average of the last 30 days)`
              : 'none in the last 30 days',
          },
          {
            label: 'Room left for imports',
            value:
              st.daysLeft === null
                ? 'not known (no imports in the last 30 days, or free space unknown)'
                : `${formatDaysLeft(st.daysLeft)} at that rate`,
          },
          {
            label: 'Fixity',
            value: `${st.filesChecked.toLocaleString('en-US')} of ${count(st.filesInStore, 'stored file')} re-hashed; ${st.fixityFailures.toLocaleString('en-US')} did not match`,
          },
        ],
        { labelWidth: LABEL_W },
      );
      const note =
        "This report is signed digitally. The ledger head above is the hash of the event that records this check: it witnesses the ledger's history up to and including the check (`custody verify` compares it with the ledger).";
      const ledgerRows = [
        {
          label: 'Chain and signatures',
          value: r.ledger.ok
            ? `verified, ${r.ledger.events === 0 ? 'no events' : `events #1 to #${r.ledger.head.seq} (${count(r.ledger.events, 'event')})`}, before this check was recorded`
            : `PROBLEMS: ${r.ledger.problems.join(' ')}`,
        },
        { label: 'This check', value: `recorded as event #${input.checkSeq}` },
        { label: `Head (event #${input.checkSeq})`, value: input.ledgerHead, mono: true, size: 9 },
      ];
      // The ledger section, the duties and the closing note stay together.
      const duties = r.findings.filter((f) => f.area === 'duty');
      const dutyTexts = duties.length ? duties.map((d) => `• ${d.message}`) : ['No duty is overdue.'];
      keepTogether(
        doc,
        sectionHeadingHeight(doc, 'Ledger') +
          tableHeight(doc, ledgerRows, { labelWidth: LABEL_W }) +
          sectionHeadingHeight(doc, 'Duties') +
          dutyTexts.reduce((a, t) => a + paragraphHeight(doc, t, { size: 9.5 }), 0) +
          paragraphHeight(doc, note, { size: 9, italic: true }),
      );
      sectionHeading(doc, 'Ledger');
      table(doc, ledgerRows, { labelWidth: LABEL_W });
      sectionHeading(doc, 'Duties');
      for (const t of dutyTexts) paragraph(doc, t, { size: 9.5 });
      paragraph(doc, note, { size: 9, italic: true });
      footers(doc, `${input.organization} · ${name} · Page {page} of {pages}`, 'CONFIDENTIAL — policy §4');
    },
  );
}
