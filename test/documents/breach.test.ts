import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../../src/core/errors.js';
import { BREACH_MIN_PT, renderBreachNotice } from '../../src/documents/breach.js';
import { defaultTemplatesDir } from '../../src/documents/layout.js';
import { fontSizesUsed, pdfPageCount, pdftotext, tmpDir } from './helpers.js';
import { sampleBreach } from './sample-data.js';

const HEADINGS = [
  'What Happened',
  'What Information Was Involved',
  'What We Are Doing',
  'What You Can Do',
  'For More Information',
];

describe('renderBreachNotice', async () => {
  const data = sampleBreach();
  const { pdf, html } = await renderBreachNotice(data);

  it('PDF: titled "Notice of Data Breach", the five statutory headings in order, one page', () => {
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    expect(text.indexOf('Notice of Data Breach')).toBeGreaterThanOrEqual(0);
    let at = text.indexOf('Notice of Data Breach');
    for (const h of HEADINGS) {
      const i = text.indexOf(h, at);
      expect(i, h).toBeGreaterThan(at);
      at = i;
    }
    expect(pdfPageCount(pdf)).toBe(1);
  });

  it('PDF: states the agency, dates, the delay answer and the contact (§ 1798.29(d)(2))', () => {
    const text = pdftotext(pdf, []).replace(/\s+/g, ' ');
    for (const s of [
      'Reporting agency City of Exampleton',
      'December 1, 2026',
      'November 10, 2026 to November 14, 2026',
      'Notification was not delayed as a result of a law-enforcement investigation.',
      '(555) 010-0199',
      'until at least December 31, 2026',
    ]) {
      expect(text, s).toContain(s);
    }
  });

  it('PDF: no type smaller than 10 pt', () => {
    const sizes = fontSizesUsed(pdf);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(BREACH_MIN_PT);
  });

  it('HTML: same title and headings, escaped text, no font size under 10pt', () => {
    expect(html).toContain('<h1>Notice of Data Breach</h1>');
    const h2 = [...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(h2).toEqual(HEADINGS);
    expect(html).toContain('<li>Images of vehicles and their license plates</li>');
    const sizes = [...html.matchAll(/font-size:\s*([\d.]+)(pt|px)/g)].map((m) =>
      m[2] === 'px' ? Number(m[1]) * 0.75 : Number(m[1]),
    );
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    expect(html).not.toMatch(/font-size:\s*[\d.]+(em|rem|%)|font-size:\s*(small|smaller|x-small)/);
  });

  it('says "was posted on" only for a recorded posting; otherwise the dates are the plan', async () => {
    const planned = await renderBreachNotice({ ...data, posting: { from: '2026-12-01', until: '2026-12-31' } });
    const plannedText = pdftotext(planned.pdf, []).replace(/\s+/g, ' ');
    expect(plannedText).toContain(
      'This notice is to be posted from December 1, 2026 until at least December 31, 2026.',
    );
    expect(plannedText).not.toContain('was posted on');
    const posted = await renderBreachNotice({
      ...data,
      posting: { from: '2026-12-01', until: '2026-12-31', recorded: true },
    });
    expect(pdftotext(posted.pdf, []).replace(/\s+/g, ' ')).toContain('This notice was posted on December 1, 2026');
    expect(posted.html).toContain('This notice was posted on December 1, 2026');
  });

  it('HTML escapes what it is given', async () => {
    const r = await renderBreachNotice({ ...data, whatHappened: 'A <script>alert(1)</script> & "quotes"' });
    expect(r.html).toContain('A &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(r.html).not.toContain('<script>');
  });

  it('refuses a posting period shorter than 30 days (policy §10)', async () => {
    const err = await renderBreachNotice({ ...data, posting: { from: '2026-12-01', until: '2026-12-20' } }).catch(
      (e: unknown) => e,
    );
    expect(isCustodyError(err, 'usage')).toBe(true);
    expect(String(err)).toContain('at least 30 days');
  });

  it('says when notice was delayed, and when the date is unknown', async () => {
    const r = await renderBreachNotice({ ...data, delayedByLawEnforcement: true, breach: undefined });
    const text = pdftotext(r.pdf, []).replace(/\s+/g, ' ');
    expect(text).toContain('Notification was delayed as a result of a law-enforcement investigation.');
    expect(text).toContain('Not yet known');
  });

  it('takes words from an edited template and refuses incomplete data', async () => {
    const dir = tmpDir();
    const t = JSON.parse(fs.readFileSync(path.join(defaultTemplatesDir(), 'breach-notice.json'), 'utf8'));
    t.intro = 'Edited introduction for {organization}.';
    fs.writeFileSync(path.join(dir, 'breach-notice.json'), JSON.stringify(t));
    const r = await renderBreachNotice(data, { templatesDir: dir });
    expect(r.html).toContain('Edited introduction for City of Exampleton.');
    const err = await renderBreachNotice({ ...data, contact: { phone: '' } }).catch((e: unknown) => e);
    expect(isCustodyError(err, 'usage')).toBe(true);
  });
});
