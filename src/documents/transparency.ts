/**
 * The public transparency report: what the city's license plate cameras did in a period, in
 * counts only (policy §1–§10 and the ALPR statute's habit of public accounting, Civ. Code
 * 1798.90.51). It names no plate, person, badge, case or camera location: only numbers, the
 * city and the custodian's title. Signed with the home's identity, like every other report.
 */
import type { KindCounts, TransparencyData } from '../ledger/breach.js';
import {
  contentWidth,
  count,
  FONT,
  footers,
  formatIso,
  INK,
  letterhead,
  MUTED,
  paragraph,
  printable,
  sectionHeading,
  table,
  title,
  type Row,
} from './layout.js';
import { createSignedPdf, type SignerInput } from './sign.js';

const KIND_WORDS: Record<string, string> = {
  'law-enforcement': 'Law-enforcement agencies',
  prosecutorial: 'Prosecutorial agencies',
  other: 'Other agencies',
  unregistered: 'Agencies not in the register',
  all: 'All agencies',
};

const n = (x: number) => x.toLocaleString('en-US');

/** Rows of a requests-by-agency-kind table as text lines (the PDF draws them as a grid). */
function kindRows(doc: PDFKit.PDFDocument, rows: KindCounts[], total: KindCounts): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  const cols = [w * 0.4, w * 0.15, w * 0.15, w * 0.15, w * 0.15];
  const line = (cells: string[], bold: boolean) => {
    const y = doc.y;
    let cx = x;
    doc
      .font(bold ? FONT.bold : FONT.regular)
      .fontSize(10)
      .fillColor(INK);
    cells.forEach((c, i) => {
      doc.text(printable(c), cx + 2, y, { width: cols[i]! - 4, align: i === 0 ? 'left' : 'right', lineBreak: false });
      cx += cols[i]!;
    });
    doc.x = x;
    doc.y = y + 14;
  };
  line(['Agency kind', 'Received', 'Fulfilled', 'Denied', 'Withdrawn'], true);
  for (const r of [
    ...rows.filter((r) => r.kind !== 'unregistered' || r.received || r.fulfilled || r.denied || r.withdrawn),
    total,
  ]) {
    line([KIND_WORDS[r.kind] ?? r.kind, n(r.received), n(r.fulfilled), n(r.denied), n(r.withdrawn)], r === total);
  }
  doc.moveDown(0.5);
}

export async function renderTransparencyReport(
  d: TransparencyData,
  identity: SignerInput,
  signedAt: Date,
): Promise<Buffer> {
  const number = `T-${d.period.from}-${d.period.to}`;
  const span = `${formatIso(d.period.from, { dateOnly: true })} to ${formatIso(d.period.to, { dateOnly: true })}`;
  return createSignedPdf(
    {
      signer: identity,
      signedAt,
      reason: `Transparency report ${number}`,
      location: d.organization,
      info: {
        Title: `Transparency report ${span} — ${d.organization}`,
        Author: d.custodianTitle,
        Subject: 'Automated license plate recognition: public transparency report',
        Keywords: `custody transparency ledger ${d.ledgerHead}`,
      },
    },
    (doc) => {
      letterhead(doc, {
        organization: d.organization,
        office: 'Automated license plate recognition (ALPR) program',
        label: 'TRANSPARENCY',
        number,
      });
      title(
        doc,
        `Transparency report, ${span}`,
        'A public summary in counts only: it names no vehicle, plate, person, agency officer, case or place.',
      );
      doc
        .font(FONT.regular)
        .fontSize(10)
        .fillColor(MUTED)
        .text(
          printable(
            `Prepared ${formatIso(d.generatedAt)} by the office of the ${d.custodianTitle} from the hash-chained custody ledger, whose head was`,
          ),
          doc.page.margins.left,
          doc.y,
          { width: contentWidth(doc) },
        );
      doc
        .font(FONT.mono)
        .fontSize(10)
        .text(d.ledgerHead, { width: contentWidth(doc) });
      // A period ending on the day it is prepared: its "end" is the time prepared (ledger/breach.ts).
      if (d.countedTo.slice(0, 10) === d.period.to)
        doc
          .font(FONT.regular)
          .fontSize(10)
          .text(
            printable(
              `The period ends on the day this report was prepared: what is held, standing or past due at its end is counted as of ${formatIso(d.countedTo)}.`,
            ),
            { width: contentWidth(doc) },
          );
      doc.fillColor(INK).moveDown(0.3);
      sectionHeading(doc, 'Cameras and images');
      table(doc, [
        {
          label: 'Cameras in service',
          value: `${n(d.cameras.inService)} (${n(d.cameras.addedInPeriod)} added and ${n(d.cameras.retiredInPeriod)} retired in the period)`,
        },
        { label: 'Images imported in the period', value: n(d.images.importedInPeriod) },
        {
          label: 'Images held at the end of the period',
          value: `${n(d.images.heldAtEnd)} (in ${count(d.images.batchesHeldAtEnd, 'import batch', 'import batches')})`,
        },
        {
          label: 'Retention period',
          value: `${d.retentionDays} days from the date of recordation, longer only under a written hold (policy §8)`,
        },
      ] satisfies Row[]);

      sectionHeading(doc, 'Requests for data from the city’s system (policy §5)');
      if (d.requests.source === 'requests') kindRows(doc, d.requests.byAgencyKind, d.requests.total);
      else paragraph(doc, 'Requests are not recorded in this home.');
      if (d.releases !== null) paragraph(doc, `Releases of data made in the period: ${n(d.releases)}.`);
      if (d.overrides)
        paragraph(
          doc,
          `Releases resting on the custodian’s signed override of an agency’s eligibility (policy §4/§5): ${n(d.overrides.releases)}; overrides signed in the period: ${n(d.overrides.signed)}; overrides revoked in the period: ${n(d.overrides.revoked ?? 0)}.`,
        );

      sectionHeading(doc, 'Requests for data held by the city’s ALPR contractor (policy §2, §5)');
      kindRows(doc, d.contractor.requests.byAgencyKind, d.contractor.requests.total);
      paragraph(
        doc,
        `Written permissions for the contractor to access footage in force during the period: ${n(d.contractor.permissionsInForce)} (${n(d.contractor.permissionsGranted)} granted in the period).`,
      );

      sectionHeading(doc, 'Holds and destruction (policy §8)');
      const rows: Row[] = [];
      if (d.holds)
        rows.push(
          { label: 'Holds placed', value: n(d.holds.placed) },
          { label: 'Holds released', value: n(d.holds.released) },
          { label: 'Holds standing at the end', value: n(d.holds.standingAtEnd) },
        );
      if (d.destruction) {
        rows.push(
          {
            label: 'Recording days destroyed',
            value: `${n(d.destruction.recordingDaysDestroyed)} (${count(d.destruction.imagesDestroyed, 'image')})`,
          },
          {
            label: 'Destroyed on time',
            value: `${n(d.destruction.onTime)} (${count(d.destruction.imagesOnTime, 'image')})`,
          },
          { label: 'Destroyed late', value: `${n(d.destruction.late)} (${count(d.destruction.imagesLate, 'image')})` },
          {
            label: 'Destroyed after a hold ended',
            value: `${n(d.destruction.afterHold)} (${count(d.destruction.imagesAfterHold, 'image')})`,
          },
          { label: 'Past due and not destroyed at the end', value: n(d.destruction.overdueAtEnd) },
        );
      }
      if (rows.length) table(doc, rows, { pairs: true, labelWidth: 150 });
      else paragraph(doc, 'Holds and destruction are not recorded in this home.');

      sectionHeading(doc, 'Health of the system (policy §7) and use of the data (Civ. Code 1798.90.52)');
      table(
        doc,
        [
          ...(d.health
            ? [
                { label: 'Health checks run', value: n(d.health.checksRun) },
                { label: 'Problems logged', value: n(d.health.problemsLogged) },
                {
                  label: 'Days not working (all cameras)',
                  value: d.health.outageDays.toLocaleString('en-US', { maximumFractionDigits: 1 }),
                },
              ]
            : [{ label: 'Health checks', value: 'not recorded in this home' }]),
          { label: 'Data breaches discovered', value: n(d.breaches.discovered) },
          { label: 'Searches run', value: n(d.searches.run) },
          { label: 'Searches not tied to a request', value: n(d.searches.notTiedToRequest) },
          { label: 'Requests with no release', value: n(d.searches.requestsWithoutRelease) },
          { label: 'Images viewed, exported', value: `${n(d.searches.imageViews)}, ${n(d.searches.exports)}` },
        ],
        { pairs: true, labelWidth: 150 },
      );

      footers(doc, `${d.organization} · Transparency report ${span} · Page {page} of {pages}`, undefined, 10);
    },
  );
}
