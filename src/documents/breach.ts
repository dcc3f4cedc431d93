/**
 * Notice of Data Breach (policy §10; Cal. Civ. Code § 1798.29(d)): written in plain language,
 * titled "Notice of Data Breach", with the headings "What Happened", "What Information Was
 * Involved", "What We Are Doing", "What You Can Do" and "For More Information", the title and
 * headings displayed conspicuously, and no type smaller than 10 point. It must name the
 * reporting agency and a contact, give the date of the notice and, if known, the date or range
 * of the breach, and say whether notice was delayed by a law-enforcement investigation.
 *
 * Rendered twice from the same words: a PDF to print and post for at least 30 days, and a
 * self-contained HTML page for the city's website.
 */
import { z } from 'zod';
import { CustodyError } from '../core/errors.js';
import {
  ACCENT,
  contentWidth,
  ensureSpace,
  fill,
  FONT,
  footers,
  formatIso,
  INK,
  isIsoWithOffset,
  letterhead,
  loadTemplate,
  MUTED,
  noBreak,
  printable,
  RULE,
  table,
  type Row,
} from './layout.js';
import { createPdf } from './sign.js';

/** No text in the notice is smaller than this (§ 1798.29(d)(1)). */
export const BREACH_MIN_PT = 10;
const BODY_PT = 10.5;

const iso = z.string().refine(isIsoWithOffset, 'an ISO-8601 date or date-time with offset');

export const BreachDataSchema = z.object({
  /** The agency giving notice, e.g. "City of Exampleton". */
  organization: z.string().trim().min(1),
  contact: z.object({
    name: z.string().optional(),
    title: z.string().optional(),
    phone: z.string().trim().min(1),
    email: z.string().optional(),
    address: z.string().optional(),
    website: z.string().optional(),
  }),
  noticeDate: iso,
  /** The breach's date, or a range, if known; `estimated` marks a best estimate. */
  breach: z
    .object({ date: iso.optional(), from: iso.optional(), to: iso.optional(), estimated: z.boolean().optional() })
    .optional(),
  discoveredAt: iso.optional(),
  delayedByLawEnforcement: z.boolean(),
  /** Paragraphs are separated by blank lines. */
  whatHappened: z.string().trim().min(1),
  informationInvolved: z.string().trim().min(1),
  /** Listed as bullets under "What Information Was Involved". */
  informationTypes: z.array(z.string().trim().min(1)).optional(),
  whatWeAreDoing: z.string().trim().min(1),
  /** @default the template's defaultWhatYouCanDo */
  whatYouCanDo: z.string().optional(),
  /** Text before the contact line under "For More Information". */
  moreInformation: z.string().optional(),
  /**
   * Where and how long it is posted (policy §10: at least 30 days). `recorded`: the ledger records the
   * posting (`breach duty --posted`); otherwise the dates are the plan and the notice says so.
   */
  posting: z.object({ from: iso, until: iso, recorded: z.boolean().optional() }).optional(),
});

export type BreachData = z.infer<typeof BreachDataSchema>;

const TEMPLATE_SHAPE = {
  documentLabel: '',
  office: '',
  title: '',
  headings: { whatHappened: '', informationInvolved: '', whatWeAreDoing: '', whatYouCanDo: '', moreInformation: '' },
  labels: {
    noticeDate: '',
    breachDate: '',
    breachDateEstimated: '',
    breachRange: '',
    breachUnknown: '',
    breachUnknownValue: '',
    discovered: '',
    reportingAgency: '',
    delay: '',
  },
  delayed: '',
  notDelayed: '',
  intro: '',
  defaultWhatYouCanDo: '',
  moreInformationLead: '',
  posting: '',
  postingPlanned: '',
  footer: '',
};
type BreachTemplate = typeof TEMPLATE_SHAPE;

interface Section {
  heading: string;
  paragraphs: string[];
  bullets?: string[];
}

/** Everything the notice says, in order; both renderings draw from this. */
interface NoticeContent {
  title: string;
  organization: string;
  office: string;
  label: string;
  intro: string;
  facts: { label: string; value: string }[];
  sections: Section[];
  posting?: string;
  footer: string;
}

const paras = (s: string) =>
  s
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);

/**
 * "Name, title: phone; e-mail; address; website". For print the phone number is glued
 * (`noBreak`): a reader must never see "(555)" at the end of one line and "010-0142" on the next.
 */
function contactLine(c: BreachData['contact'], forPrint: boolean): string {
  const who = [c.name, c.title].filter(Boolean).join(', ');
  const ways = [forPrint ? noBreak(c.phone) : c.phone, c.email, c.address, c.website].filter(Boolean).join('; ');
  return who ? `${who}: ${ways}` : ways;
}

function buildContent(data: BreachData, t: BreachTemplate, forPrint: boolean): NoticeContent {
  const vars = {
    organization: data.organization,
    noticeDate: formatIso(data.noticeDate, { dateOnly: true }),
    contactLine: contactLine(data.contact, forPrint),
    postedFrom: data.posting ? formatIso(data.posting.from, { dateOnly: true }) : '',
    postedUntil: data.posting ? formatIso(data.posting.until, { dateOnly: true }) : '',
  };
  const f = (s: string) => fill(s, vars);
  const L = t.labels;
  const facts: { label: string; value: string }[] = [
    { label: L.reportingAgency, value: data.organization },
    { label: L.noticeDate, value: formatIso(data.noticeDate, { dateOnly: true }) },
  ];
  const b = data.breach;
  if (b?.from && b?.to) {
    facts.push({
      label: L.breachRange,
      value: `${formatIso(b.from, { dateOnly: true })} to ${formatIso(b.to, { dateOnly: true })}`,
    });
  } else if (b?.date) {
    facts.push({
      label: b.estimated ? L.breachDateEstimated : L.breachDate,
      value: formatIso(b.date, { dateOnly: true }),
    });
  } else {
    facts.push({ label: L.breachUnknown, value: L.breachUnknownValue });
  }
  if (data.discoveredAt) facts.push({ label: L.discovered, value: formatIso(data.discoveredAt, { dateOnly: true }) });
  facts.push({ label: L.delay, value: data.delayedByLawEnforcement ? t.delayed : t.notDelayed });

  return {
    title: f(t.title),
    organization: data.organization,
    office: f(t.office),
    label: f(t.documentLabel),
    intro: f(t.intro),
    facts,
    sections: [
      { heading: t.headings.whatHappened, paragraphs: paras(data.whatHappened) },
      {
        heading: t.headings.informationInvolved,
        paragraphs: paras(data.informationInvolved),
        bullets: data.informationTypes,
      },
      { heading: t.headings.whatWeAreDoing, paragraphs: paras(data.whatWeAreDoing) },
      { heading: t.headings.whatYouCanDo, paragraphs: paras(data.whatYouCanDo ?? f(t.defaultWhatYouCanDo)) },
      {
        heading: t.headings.moreInformation,
        paragraphs: [...paras(data.moreInformation ?? ''), f(t.moreInformationLead)],
      },
    ],
    posting: data.posting ? f(data.posting.recorded ? t.posting : t.postingPlanned) : undefined,
    footer: f(t.footer),
  };
}

/**
 * Render the notice as a PDF (Letter, nothing under 10 pt) and as a self-contained HTML page.
 * `createdAt` (the PDF's creation date) defaults to the notice date.
 */
export async function renderBreachNotice(
  input: BreachData,
  o: { templatesDir?: string; createdAt?: Date } = {},
): Promise<{ pdf: Buffer; html: string }> {
  const parsed = BreachDataSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CustodyError('usage', `Breach notice data: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const data = parsed.data;
  if (data.posting) {
    // Policy §10: posted conspicuously for at least 30 days (day counts are whole calendar days).
    const days = (Date.parse(data.posting.until) - Date.parse(data.posting.from)) / 86_400_000;
    if (days < 29.9) {
      throw new CustodyError(
        'usage',
        `The notice must stay posted for at least 30 days; ${data.posting.from} to ${data.posting.until} is ${Math.floor(days)}.`,
      );
    }
  }
  const t = loadTemplate('breach-notice', TEMPLATE_SHAPE, o.templatesDir);
  const c = buildContent(data, t, true);
  const pdf = await createPdf(
    {
      createdAt: o.createdAt ?? new Date(data.noticeDate),
      info: { Title: `${c.title} — ${c.organization}`, Author: c.organization, Subject: c.title },
    },
    (doc) => drawNotice(doc, c),
  );
  return { pdf, html: noticeHtml(buildContent(data, t, false)) };
}

// ---------------------------------------------------------------------------------------------
// PDF

function drawNotice(doc: PDFKit.PDFDocument, c: NoticeContent): void {
  const x = doc.page.margins.left;
  const w = contentWidth(doc);
  letterhead(doc, { organization: c.organization, office: c.office, label: c.label });

  // The title in a dark band: conspicuous, as the statute asks.
  const bandH = 36;
  const bandY = doc.y;
  doc.rect(x, bandY, w, bandH).fill(ACCENT);
  doc.fillColor('#ffffff').font(FONT.bold).fontSize(22);
  doc.text(printable(c.title), x + 14, bandY + 8, { width: w - 28, lineBreak: false });
  doc.x = x;
  doc.y = bandY + bandH + 10;

  doc.fillColor(INK).font(FONT.regular).fontSize(11).text(printable(c.intro), x, doc.y, { width: w, lineGap: 1 });
  doc.moveDown(0.5);
  doc.moveDown(0.1);
  table(
    doc,
    c.facts.map((f): Row => ({ label: f.label, value: f.value })),
    { labelWidth: 150, labelSize: 10, valueSize: 10.5 },
  );

  // The model form's layout: each heading in a left column beside its text.
  const headW = 140;
  const gap = 14;
  const bodyX = x + headW + gap;
  const bodyW = w - headW - gap;
  for (const s of c.sections) {
    doc.font(FONT.regular).fontSize(BODY_PT);
    const bodyH =
      s.paragraphs.reduce((a, p) => a + doc.heightOfString(printable(p), { width: bodyW, lineGap: 1 }) + 4, 0) +
      (s.bullets ?? []).reduce(
        (a, b) => a + doc.heightOfString(printable(b), { width: bodyW - 14, lineGap: 1 }) + 2,
        0,
      );
    ensureSpace(doc, Math.min(bodyH, 160) + 12);
    const top = doc.y + 4;
    doc
      .moveTo(x, top - 4)
      .lineTo(x + w, top - 4)
      .lineWidth(0.8)
      .strokeColor(RULE)
      .stroke();
    doc
      .fillColor(ACCENT)
      .font(FONT.bold)
      .fontSize(13)
      .text(printable(s.heading), x, top + 2, { width: headW });
    const headBottom = doc.y;
    doc.y = top + 3;
    for (const p of s.paragraphs) {
      doc
        .fillColor(INK)
        .font(FONT.regular)
        .fontSize(BODY_PT)
        .text(printable(p), bodyX, doc.y, { width: bodyW, lineGap: 1 });
      doc.y += 4;
    }
    for (const b of s.bullets ?? []) {
      const y = doc.y;
      doc
        .fillColor(INK)
        .font(FONT.regular)
        .fontSize(BODY_PT)
        .text('•', bodyX + 2, y, { width: 10, lineBreak: false });
      doc.text(printable(b), bodyX + 14, y, { width: bodyW - 14, lineGap: 1 });
      doc.y += 2;
    }
    doc.x = x;
    doc.y = Math.max(doc.y, headBottom) + 5;
  }
  if (c.posting) {
    ensureSpace(doc, 30);
    doc
      .moveTo(x, doc.y)
      .lineTo(x + w, doc.y)
      .lineWidth(0.8)
      .strokeColor(RULE)
      .stroke();
    doc.moveDown(0.5);
    doc.fillColor(MUTED).font(FONT.italic).fontSize(10.5).text(printable(c.posting), x, doc.y, { width: w });
  }
  footers(doc, c.footer, undefined, BREACH_MIN_PT);
}

// ---------------------------------------------------------------------------------------------
// HTML

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function noticeHtml(c: NoticeContent): string {
  const facts = c.facts
    .map((f) => `      <tr><th scope="row">${esc(f.label)}</th><td>${esc(f.value)}</td></tr>`)
    .join('\n');
  const sections = c.sections
    .map((s) => {
      const ps = s.paragraphs.map((p) => `      <p>${esc(p)}</p>`).join('\n');
      const ul = s.bullets?.length
        ? `\n      <ul>\n${s.bullets.map((b) => `        <li>${esc(b)}</li>`).join('\n')}\n      </ul>`
        : '';
      return `    <section>\n      <h2>${esc(s.heading)}</h2>\n${ps}${ul}\n    </section>`;
    })
    .join('\n');
  // Every font size is at least 10pt (Cal. Civ. Code § 1798.29(d)(1)); relative units are avoided
  // so the minimum holds whatever the page's base size.
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(c.title)} — ${esc(c.organization)}</title>
  <style>
    body { font-family: Helvetica, Arial, sans-serif; font-size: 12pt; line-height: 1.45; color: #111; margin: 0; background: #fff; }
    main { max-width: 46rem; margin: 0 auto; padding: 24px 20px 40px; }
    .org { font-size: 14pt; font-weight: bold; margin: 0; }
    .office { font-size: 11pt; color: #4a4a4a; margin: 0 0 16px; }
    h1 { font-size: 24pt; background: ${ACCENT}; color: #fff; padding: 10px 14px; margin: 0 0 16px; }
    .intro { font-size: 12pt; }
    table.facts { border-collapse: collapse; width: 100%; margin: 12px 0 20px; font-size: 12pt; }
    table.facts th { text-align: left; background: #eef1f5; color: #333; font-size: 11pt; padding: 6px 10px; width: 13rem; vertical-align: top; }
    table.facts td { padding: 6px 10px; border-bottom: 1px solid #9a9a9a; }
    section { border-top: 2px solid #9a9a9a; padding: 6px 0 4px; }
    h2 { font-size: 16pt; color: ${ACCENT}; margin: 6px 0; }
    p, li { font-size: 12pt; }
    .posting { font-size: 11pt; font-style: italic; color: #4a4a4a; border-top: 1px solid #9a9a9a; padding-top: 8px; }
  </style>
</head>
<body>
  <main>
    <p class="org">${esc(c.organization)}</p>
    <p class="office">${esc(c.office)}</p>
    <h1>${esc(c.title)}</h1>
    <p class="intro">${esc(c.intro)}</p>
    <table class="facts">
${facts}
    </table>
${sections}${c.posting ? `\n    <p class="posting">${esc(c.posting)}</p>` : ''}
  </main>
</body>
</html>
`;
}
