/**
 * Every document, rendered with ordinary data and with awkward data (names long enough to wrap,
 * a 30-character phone-like string, hundreds of rows), read back with poppler's tools: no text
 * printed over other text, nothing off the page, the signature lines on the page of the statement
 * they sign (and drawn there), only embedded fonts, and numbers that say what they mean.
 */
import { describe, expect, it } from 'vitest';
import { renderBreachNotice } from '../../src/documents/breach.js';
import { renderDestructionCertificate } from '../../src/documents/destruction.js';
import { renderHealthReport } from '../../src/documents/health-report.js';
import { formatDaysLeft } from '../../src/documents/layout.js';
import { renderReceipt } from '../../src/documents/receipt.js';
import { renderTransparencyReport } from '../../src/documents/transparency.js';
import { pdfsig, testIdentity } from './helpers.js';
import {
  fonts,
  ink,
  layout,
  lines,
  outsidePage,
  overlaps,
  pagesWith,
  phraseBoxes,
  renderGray,
  ruleAbove,
  type Layout,
} from './layout-check.js';
import {
  sampleBagReceipt,
  sampleBreach,
  sampleDestruction,
  sampleDriveReceipt,
  sampleHealth,
  sampleTransparency,
} from './sample-data.js';

const LONG_ORG = 'City and County of San Exampleton Heights and Unincorporated Exampleton Valley';
const LONG_AGENCY =
  "Exampleton County Sheriff's Office, Investigations Division — Regional Auto Theft and Major Crimes Task Force";
const LONG_TITLE = 'Deputy Administrative Services Director and Custodian of ALPR Records';
/** 30 characters, shaped like a phone number with an extension. */
const PHONE = '+1 (555) 010-0142 ext. 4417 #9';

/** The faults a reader would see, as sentences (an empty list is a clean document). */
function faults(pdf: Buffer, l: Layout = layout(pdf)): string[] {
  const out: string[] = [];
  for (const [a, b] of overlaps(l)) out.push(`page ${a.page}: "${a.text}" is printed over "${b.text}"`);
  for (const w of outsidePage(l)) out.push(`page ${w.page}: "${w.text}" runs off the page`);
  for (const f of fonts(pdf)) {
    if (!f.embedded) out.push(`font ${f.name} is not embedded`);
    if (/Helvetica|Courier|Times|Symbol|ZapfDingbats/i.test(f.name)) out.push(`font ${f.name} is a standard font`);
  }
  for (let p = 1; p <= l.pages.length; p++) {
    if (ink(renderGray(pdf, p, 20)) === 0) out.push(`page ${p} is blank`);
  }
  return out;
}

/**
 * The statement (whole) and every signature caption are on one page, and a signature line is
 * drawn just above each caption on that page.
 */
function signaturesWithStatement(
  pdf: Buffer,
  l: Layout,
  statement: string,
  captions: string[],
  alsoThere: string[] = [],
): string[] {
  const out: string[] = [];
  const pages = pagesWith(l, statement);
  if (pages.length !== 1) return [`the statement is on ${pages.length ? `pages ${pages}` : 'no single page'}`];
  const page = pages[0]!;
  for (const s of alsoThere)
    if (!pagesWith(l, s).includes(page)) out.push(`"${s}" is not on page ${page} with the statement`);
  const dpi = 216; // a 0.7 pt line is two pixels high: at least one of them fully dark
  const img = renderGray(pdf, page, dpi);
  for (const c of captions) {
    if (!pagesWith(l, c).includes(page)) {
      out.push(`"${c}" is not on page ${page} with the statement`);
      continue;
    }
    const box = phraseBoxes(l, page, c)[0]!;
    if (!ruleAbove(img, dpi, box.xMin, box.xMin + 60, box.yMin)) out.push(`no signature line above "${c}"`);
  }
  return out;
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

function awkwardReceipt(n: number) {
  const d = sampleBagReceipt(n);
  d.organization = LONG_ORG;
  d.agency = { name: LONG_AGENCY, ori: 'CA0199900' };
  d.officer = 'Sgt. Maria-Guadalupe Fernández-Oyelaran';
  d.badge = PHONE;
  d.caseNumber = 'EPD-26-011873-SUPPL-0004-A-2026-X';
  d.custodian = { title: LONG_TITLE, name: 'Pat Example-Worthington' };
  d.purpose = `${d.purpose} The request covers the vehicles seen at three intersections in the hour after the collision, as the written request of the investigating officer describes in full.`;
  if (d.handedOver.kind === 'bag') {
    d.handedOver.files[7] = {
      path: `CAM-01 Main St/${'very-long-folder-name-without-any-spaces-'.repeat(4)}IMG_0008.jpg`,
      sha256: d.handedOver.files[7]!.sha256,
      bytes: 1,
    };
  }
  return d;
}

describe('receipt layout', async () => {
  const id = testIdentity();
  const cases = {
    ordinary: sampleBagReceipt(45),
    awkward: awkwardReceipt(300),
    'ordinary drive': sampleDriveReceipt(),
    'awkward drive': {
      ...sampleDriveReceipt(),
      organization: LONG_ORG,
      agency: { name: LONG_AGENCY, ori: 'CA0199900' },
    },
  };
  const pdfs = await Promise.all(Object.values(cases).map((d) => renderReceipt(d, id)));

  Object.keys(cases).forEach((name, i) => {
    const data = Object.values(cases)[i]!;
    const pdf = pdfs[i]!;
    it(`${name}: no text over text, nothing off the page, only embedded fonts, a valid signature`, () => {
      expect(faults(pdf)).toEqual([]);
      expect(pdfsig(pdf)).toContain('Signature is Valid');
    });

    it(`${name}: the statement, the acknowledgment and all four signature lines share a page`, () => {
      const l = layout(pdf);
      const statement = flat(pagesText(l)).match(
        /I, Pat Example.*?for no other purpose\..*?(named above|recorded in the custody ledger)\./,
      )?.[0];
      expect(statement, 'statement printed').toBeTruthy();
      const ack = 'I acknowledge receipt of the records described above.';
      expect(
        signaturesWithStatement(
          pdf,
          l,
          statement!,
          ['Signature of recipient', 'Signature of custodian', 'Printed name and badge of'],
          [ack],
        ),
      ).toEqual([]);
      // The heading over the lines is on that page too (never alone at the foot of the page before).
      expect(pagesWith(l, 'SIGNATURES')).toEqual(pagesWith(l, 'Signature of recipient'));
      expect(pagesWith(l, data.ledgerHead)).toContain(1);
    });
  });

  it('ordinary receipts keep everything but the appendix on page 1', () => {
    for (const pdf of [pdfs[0]!, pdfs[2]!]) {
      const l = layout(pdf);
      expect(pagesWith(l, 'Signature of recipient')).toEqual([1]);
      expect(pagesWith(l, 'CHAIN-OF-CUSTODY STATEMENT')).toEqual([1]);
    }
  });

  it('counts files with the right noun', async () => {
    const one = await renderReceipt(sampleBagReceipt(1), id);
    const text = flat(pagesText(layout(one)));
    expect(text).toContain('1 file. Paths are relative');
    expect(flat(pagesText(layout(pdfs[0]!)))).toContain('45 files. Paths are relative');
  });
});

function pagesText(l: Layout): string {
  return l.words.map((w) => w.text).join(' ');
}

describe('certificate of destruction layout', async () => {
  const id = testIdentity();
  const awkward = sampleDestruction(40);
  awkward.organization = LONG_ORG;
  awkward.custodian = { title: LONG_TITLE, name: 'Pat Example-Worthington' };
  awkward.destroyedBy = 'Pat Example-Worthington (pexampleworthington), acting for the custodian of records';
  awkward.batches.forEach((b, i) => {
    // As the purge writes them: "camera CAM-01, drive D001", here longer still.
    b.source = `camera CAM-0${(i % 3) + 1}, drive D00${i % 9}${i % 4 === 0 ? ' (replacement drive from the spare cabinet)' : ''}`;
  });
  awkward.holdsExcluded = Array.from({ length: 5 }, (_, i) => ({
    id: `HOLD-2026-00${i + 1}`,
    reason: `Written request of ${LONG_AGENCY}, case EPD-26-00911${i} (court proceeding set for trial)`,
    files: i === 0 ? 1 : 312 * i,
  }));
  const cases = { ordinary: sampleDestruction(6), 'purge-like': sampleDestruction(3), awkward };
  cases['purge-like'].batches.forEach((b, i) => {
    b.source = `camera CAM-0${i + 1}, drive D00${i + 1}`;
  });
  const pdfs = await Promise.all(Object.values(cases).map((d) => renderDestructionCertificate(d, id)));

  Object.keys(cases).forEach((name, i) => {
    const pdf = pdfs[i]!;
    it(`${name}: no text over text (no drive id over "Manifest SHA-256:"), only embedded fonts, a valid signature`, () => {
      expect(faults(pdf)).toEqual([]);
      expect(pdfsig(pdf)).toContain('Signature is Valid');
    });

    it(`${name}: the certification and both signature lines share a page`, () => {
      const l = layout(pdf);
      const statement = flat(pagesText(l)).match(/I, Pat Example.*?No record under a hold was destroyed\./)?.[0];
      expect(statement, 'statement printed').toBeTruthy();
      expect(signaturesWithStatement(pdf, l, statement!, ['Signature of custodian', 'Signature of witness'])).toEqual(
        [],
      );
    });
  });

  it('says "1 file in 1 batch", "24 files in 1 batch", "8,751 files in 3 batches"', async () => {
    const one = sampleDestruction(1);
    one.batches[0]!.files = 1;
    one.holdsExcluded = [{ id: 'HOLD-2026-003', files: 1 }];
    const t1 = flat(pagesText(layout(await renderDestructionCertificate(one, id))));
    expect(t1).toContain('the 1 file in 1 batch listed');
    expect(t1).toContain('HOLD-2026-003 1 file');
    one.batches[0]!.files = 24;
    const t24 = flat(pagesText(layout(await renderDestructionCertificate(one, id))));
    expect(t24).toContain('the 24 files in 1 batch listed');
    expect(flat(pagesText(layout(pdfs[1]!)))).toContain('the 8,751 files in 3 batches listed');
  });
});

describe('breach notice layout', async () => {
  const awkward = sampleBreach();
  awkward.organization = LONG_ORG;
  awkward.contact = {
    name: 'Pat Example-Worthington',
    title: LONG_TITLE,
    phone: PHONE,
    email: 'alpr-privacy-and-records@exampleton-heights.example',
    address: '100 Civic Center Plaza, Suite 400, Exampleton Heights, CA 90000',
    website: 'https://www.exampleton-heights.example/alpr/notices/2026-12-01-data-breach',
  };
  awkward.informationTypes = Array.from(
    { length: 12 },
    (_, i) => `Type of information number ${i + 1}: ${'images '.repeat(i)}`,
  );
  awkward.whatHappened = Array.from({ length: 6 }, () => sampleBreach().whatHappened).join('\n\n');
  const cases = { ordinary: sampleBreach(), awkward };
  const pdfs = await Promise.all(Object.values(cases).map(async (d) => (await renderBreachNotice(d)).pdf));

  Object.keys(cases).forEach((name, i) => {
    it(`${name}: no text over text, nothing off the page, only embedded fonts`, () => {
      expect(faults(pdfs[i]!)).toEqual([]);
    });
  });

  it('never breaks a phone number over two lines, wherever it falls on the line', async () => {
    // The contact line moves by one character each time, so the number meets the line's end.
    const broken: number[] = [];
    for (let n = 0; n < 12; n++) {
      const d = sampleBreach();
      d.contact = { name: `Pat ${'x'.repeat(n)}`, title: 'Administrative Services Director', phone: PHONE };
      const l = layout((await renderBreachNotice(d)).pdf);
      if (!lines(l).some((x) => x.text.includes(PHONE))) broken.push(n);
    }
    expect(broken).toEqual([]);
  });
});

describe('health report layout', async () => {
  const id = testIdentity();
  const ordinary = sampleHealth();
  const awkward = sampleHealth({ cameras: 6, findings: 30, daysLeft: 3_888_916 });
  awkward.organization = LONG_ORG;
  awkward.custodianTitle = LONG_TITLE;
  awkward.result.cameras.forEach((c, i) => {
    c.location = `${LONG_AGENCY.slice(0, 40 + i * 10)} — pole ${i + 1}`;
  });
  const cases = { ordinary, awkward };
  const pdfs = await Promise.all(Object.values(cases).map((d) => renderHealthReport(d, id, new Date(d.result.at))));

  Object.keys(cases).forEach((name, i) => {
    it(`${name}: no text over text, nothing off the page, only embedded fonts, a valid signature`, () => {
      expect(faults(pdfs[i]!)).toEqual([]);
      expect(pdfsig(pdfs[i]!)).toContain('Signature is Valid');
    });
  });

  it('names the check by date and ledger event, and counts events consistently with the head', () => {
    const text = flat(pagesText(layout(pdfs[0]!)));
    expect(text).toContain('Health check of November 30, 2026 (ledger event #50)');
    expect(text).toContain('Recorded in the ledger as Event #50');
    expect(text).toContain('verified, events #1 to #49 (49 events), before this check was recorded');
    expect(text).toContain('Head (event #50)');
    expect(text).not.toMatch(/Health check #50|Events 49/);
    expect(text).toContain('1 critical finding, 1 warning, 1 note');
    expect(text).toContain('1 gap in recording found; 2 outages logged (P1, P2)');
    expect(text).toContain('about 5 months at that rate');
  });

  it('says "more than 10 years" instead of millions of days', () => {
    const text = flat(pagesText(layout(pdfs[1]!)));
    expect(text).toContain('Room left for imports more than 10 years at that rate');
    expect(text).not.toContain('3888916');
    expect(text).not.toContain('3,888,916');
  });

  it('keeps the ledger section and the closing note together', () => {
    for (const pdf of pdfs) {
      const l = layout(pdf);
      const at = pagesWith(l, 'This check recorded as event #50');
      expect(at).toHaveLength(1);
      expect(pagesWith(l, 'This report is signed digitally.')).toEqual(at);
    }
  });
});

describe('transparency report layout', async () => {
  const id = testIdentity();
  const awkward = sampleTransparency();
  awkward.organization = LONG_ORG;
  awkward.custodianTitle = LONG_TITLE;
  awkward.images = { importedInPeriod: 123_456_789, heldAtEnd: 98_765_432, batchesHeldAtEnd: 4_321 };
  const one = sampleTransparency();
  const cases = { ordinary: one, awkward };
  const pdfs = await Promise.all(
    Object.values(cases).map((d) => renderTransparencyReport(d, id, new Date(d.generatedAt))),
  );

  Object.keys(cases).forEach((name, i) => {
    it(`${name}: no text over text, nothing off the page, only embedded fonts, a valid signature`, () => {
      expect(faults(pdfs[i]!)).toEqual([]);
      expect(pdfsig(pdfs[i]!)).toContain('Signature is Valid');
    });
  });

  it('counts with the right noun and speaks US English', () => {
    const text = flat(pagesText(layout(pdfs[0]!)));
    expect(text).toContain('540,112 (in 1 import batch)');
    expect(text).toContain('Recording days destroyed 362 (1,061,870 images)');
    expect(text).toContain('license plate');
    expect(text).not.toMatch(/licence|organisation/i);
  });
});

describe('words on documents', () => {
  it('formatDaysLeft says how long the space lasts as a person would', () => {
    expect(formatDaysLeft(0)).toBe('less than a day');
    expect(formatDaysLeft(1)).toBe('about 1 day');
    expect(formatDaysLeft(20)).toBe('about 20 days');
    expect(formatDaysLeft(158)).toBe('about 5 months');
    expect(formatDaysLeft(1000)).toBe('about 2 years');
    expect(formatDaysLeft(3_888_916)).toBe('more than 10 years');
  });

  it('the shipped templates are in US English', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { defaultTemplatesDir } = await import('../../src/documents/layout.js');
    for (const f of fs.readdirSync(defaultTemplatesDir())) {
      const text = fs.readFileSync(path.join(defaultTemplatesDir(), f), 'utf8');
      expect(text, f).not.toMatch(/licence|organis|recognis|authoris|colour|behaviour|centre\b|judgement/i);
    }
  });
});
