/**
 * Commands: breach (policy §10; Cal. Civ. Code 1798.29), and — from breach-contractor.ts and
 * breach-transparency.ts — contractor and transparency (issue 8).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { localDate } from '../../core/time.js';
import {
  addDaysToDate,
  allBreaches,
  breachDuties,
  breachJson,
  breachNoticeLines,
  checkDate,
  checkWhen,
  findBreach,
  nextId,
  POSTING_DAYS,
  type BreachContact,
  type BreachRow,
} from '../../ledger/breach.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { registerLoginNotice, withSession } from '../session.js';
import { registerContractor } from './breach-contractor.js';
import { registerTransparency } from './breach-transparency.js';

// Policy §10: every log-in says, in one line per open breach, which notification duties are unmet.
registerLoginNotice((s) => {
  try {
    return breachNoticeLines(s);
  } catch {
    return [];
  }
});

const collect = (v: string, prev: string[] = []) => [...prev, v];
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const today = (s: Session) => localDate(s.clock(), s.settings.timeZone);

interface BreachOpts {
  discovered?: string;
  occurred?: string;
  occurredFrom?: string;
  occurredTo?: string;
  estimated?: boolean;
  whatHappened?: string;
  information?: string;
  informationType?: string[];
  doing?: string;
  youCanDo?: string;
  moreInfo?: string;
  delayed?: string;
  delayUntil?: string;
  phone?: string;
  email?: string;
  contactName?: string;
  contactTitle?: string;
  address?: string;
  website?: string;
}

const breachOptions = (c: Command): Command =>
  c
    .option('--discovered <date>', 'when the breach was discovered (YYYY-MM-DD or ISO time)')
    .option('--occurred <date>', 'when it happened, if known (a single date)')
    .option('--occurred-from <date>', 'or the start of the range in which it happened')
    .option('--occurred-to <date>', 'and the end of that range')
    .option('--estimated', 'the date or range is a best estimate')
    .option('--what-happened <text>', 'what happened, in plain words (paragraphs separated by a blank line)')
    .option('--information <text>', 'what information was involved')
    .option('--information-type <text>', 'a kind of information involved, listed as a bullet (repeatable)', collect)
    .option('--doing <text>', 'what the city is doing about it')
    .option('--you-can-do <text>', 'what people can do (default: the template’s words)')
    .option('--more-info <text>', 'text before the contact line under "For More Information"')
    .option('--delayed <yes|no>', 'whether notice was delayed at law enforcement’s request')
    .option(
      '--delay-until <date>',
      'law enforcement asked the city to wait until this day (implies --delayed yes; the duties start then)',
    )
    .option('--phone <number>', 'the contact telephone number printed on the notice')
    .option('--email <address>', 'a contact e-mail address')
    .option('--contact-name <name>', 'a contact person (default: none; the custodian’s title is printed)')
    .option('--contact-title <title>', 'the contact’s title (default: the custodian’s title)')
    .option('--address <text>', 'a postal address')
    .option('--website <url>', 'a web address for more information');

function occurred(o: BreachOpts): {
  occurredDate: string | null;
  occurredFrom: string | null;
  occurredTo: string | null;
} {
  if (o.occurred && (o.occurredFrom || o.occurredTo))
    throw new CustodyError('usage', 'Give --occurred, or --occurred-from and --occurred-to, not both.');
  if (!!o.occurredFrom !== !!o.occurredTo)
    throw new CustodyError('usage', 'A range needs both --occurred-from and --occurred-to.');
  const from = o.occurredFrom ? checkWhen(o.occurredFrom, '--occurred-from') : null;
  const to = o.occurredTo ? checkWhen(o.occurredTo, '--occurred-to') : null;
  if (from && to && Date.parse(to) < Date.parse(from))
    throw new CustodyError('usage', '--occurred-to is before --occurred-from.');
  return { occurredDate: o.occurred ? checkWhen(o.occurred, '--occurred') : null, occurredFrom: from, occurredTo: to };
}

function yesNo(v: string, flag: string): boolean {
  if (/^(y|yes|true)$/i.test(v)) return true;
  if (/^(n|no|false)$/i.test(v)) return false;
  throw new CustodyError('usage', `${flag} must be yes or no.`);
}

function contactOf(o: BreachOpts, s: Session, phone: string): BreachContact {
  const c: BreachContact = { phone, title: o.contactTitle ?? s.settings.custodianTitle };
  if (o.contactName) c.name = o.contactName;
  if (o.email) c.email = o.email;
  if (o.address) c.address = o.address;
  if (o.website) c.website = o.website;
  return c;
}

function printBreach(ctx: CliContext, b: ReturnType<typeof breachJson>): void {
  const occ = b.occurred
    ? ('date' in b.occurred ? b.occurred.date : `${b.occurred.from} – ${b.occurred.to}`) +
      (b.occurred.estimated ? ' (estimated)' : '')
    : 'not known';
  ctx.stdout.write(
    details([
      ['breach', b.id],
      [
        'status',
        b.status +
          (b.closedAt
            ? ` (closed ${b.closedAt.slice(0, 10)} by ${b.closedBy}${b.closeNote ? `: ${b.closeNote}` : ''})`
            : ''),
      ],
      ['discovered', b.discoveredAt],
      ['happened', occ],
      [
        'notice delayed by law enforcement',
        b.delayedByLawEnforcement ? `yes${b.delayedUntil ? `, until ${b.delayedUntil}` : ''}` : 'no',
      ],
      ['what happened', b.whatHappened],
      [
        'information involved',
        b.informationInvolved + (b.informationTypes.length ? ` (${b.informationTypes.join('; ')})` : ''),
      ],
      ['what we are doing', b.whatWeAreDoing],
      [
        'contact',
        [b.contact.name, b.contact.title, b.contact.phone, b.contact.email, b.contact.website]
          .filter(Boolean)
          .join(', '),
      ],
      [
        'notice',
        b.notice
          ? `dated ${b.notice.date}, written ${b.notice.writtenAt?.slice(0, 16).replace('T', ' ')} (PDF sha256 ${b.notice.pdfSha256})`
          : 'not written yet (`custody breach notice`)',
      ],
      [
        'posted on the website',
        b.duties.posted
          ? `${b.duties.posted.on}, until at least ${b.duties.posted.until}${b.duties.posted.url ? ` at ${b.duties.posted.url}` : ''}`
          : 'not yet',
      ],
      [
        'statewide media told',
        b.duties.media ? `${b.duties.media.on} (${b.duties.media.outlets.join(', ')})` : 'not yet',
      ],
      ['Office of Information Security told', b.duties.ois ? b.duties.ois.on : 'not yet'],
      ['opened', `${b.openedAt.slice(0, 16).replace('T', ' ')} by ${b.openedBy}`],
    ]),
  );
  if (b.duties.unmet.length)
    ctx.stdout.write(`\nStill to do:\n${b.duties.unmet.map((u) => `- ${u.message}`).join('\n')}\n`);
}

export function registerBreach(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const breach = program
    .command('breach')
    .description(
      'a breach of the camera data: the Notice of Data Breach and the duties to post it and notify (policy §10, Civ. Code 1798.29)',
    );

  breachOptions(
    breach
      .command('open')
      .description(
        'record a breach: when it was discovered and happened, what happened, what data, what the city is doing',
      ),
  )
    .addHelpText(
      'after',
      '\nThe details stay in the encrypted ledger; only the notice you write with `custody breach notice` is public.\n\nExample:\n  $ custody breach open --discovered 2026-11-20 --occurred-from 2026-11-10 --occurred-to 2026-11-14 \\\n      --what-happened "A laptop holding an export was stolen." --information "Images of vehicles and their plates." \\\n      --doing "We revoked access and told the sheriff." --delayed no --phone "(555) 010-0199"',
    )
    .action(async (o: BreachOpts) => {
      const g = globals();
      const occ = occurred(o);
      await withSession(ctx, g, 'breach open', 'settings.manage', async (s) => {
        const discovered = checkWhen(
          await askText(ctx, o.discovered, {
            flag: '--discovered',
            message: 'When was the breach discovered (YYYY-MM-DD)?',
          }),
          '--discovered',
        );
        if (discovered.slice(0, 10) > today(s))
          throw new CustodyError('usage', `--discovered ${discovered} is in the future.`);
        const whatHappened = await askText(ctx, o.whatHappened, {
          flag: '--what-happened',
          message: 'What happened?',
          validate: (v) => (v ? undefined : 'Say what happened.'),
        });
        const information = await askText(ctx, o.information, {
          flag: '--information',
          message: 'What information was involved?',
          validate: (v) => (v ? undefined : 'Say what was involved.'),
        });
        const doing = await askText(ctx, o.doing, {
          flag: '--doing',
          message: 'What is the city doing?',
          validate: (v) => (v ? undefined : 'Say what the city is doing.'),
        });
        const delayUntil = o.delayUntil ? checkDate(o.delayUntil, '--delay-until') : null;
        if (delayUntil && o.delayed !== undefined && !yesNo(o.delayed, '--delayed'))
          throw new CustodyError('usage', '--delay-until goes with --delayed yes.');
        const delayed =
          (await askChoice(
            ctx,
            delayUntil ? 'yes' : o.delayed === undefined ? undefined : yesNo(o.delayed, '--delayed') ? 'yes' : 'no',
            {
              flag: '--delayed yes|no',
              message: 'Was notice delayed at law enforcement’s request?',
              choices: [
                { name: 'no', value: 'no' },
                { name: 'yes', value: 'yes' },
              ],
            },
          )) === 'yes';
        const phone = await askText(ctx, o.phone, {
          flag: '--phone',
          message: 'Contact telephone number for the notice:',
          validate: (v) => (v ? undefined : 'A telephone number is needed.'),
        });
        const id = nextId(s, 'breaches', 'B');
        s.append('breach.opened', {
          breach: id,
          discoveredAt: discovered,
          ...occ,
          occurredEstimated: !!o.estimated,
          whatHappened,
          informationInvolved: information,
          informationTypes: o.informationType ?? [],
          whatWeAreDoing: doing,
          whatYouCanDo: o.youCanDo ?? null,
          moreInformation: o.moreInfo ?? null,
          delayedByLawEnforcement: delayed,
          delayedUntil: delayUntil,
          contact: contactOf(o, s, phone),
        });
        s.commit();
        const b = breachJson(findBreach(s, id), today(s));
        if (g.json) return printJson(ctx, b);
        ctx.stdout.write(`Breach ${id} recorded.\n`);
        ctx.stdout.write(
          `Next: \`custody breach notice ${id} --out DIR\`, post it on the website for at least ${POSTING_DAYS} days, tell major statewide media and the Office of Information Security, and record each with \`custody breach duty ${id}\`.\n`,
        );
      });
    });

  breachOptions(
    breach
      .command('update <id>')
      .description('change what an open breach says (e.g. what the city is doing), before writing the notice again'),
  ).action(async (id: string, o: BreachOpts) => {
    const g = globals();
    const occ = o.occurred || o.occurredFrom || o.occurredTo ? occurred(o) : {};
    await withSession(ctx, g, 'breach update', 'settings.manage', (s) => {
      const b = findBreach(s, id);
      if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${id} is closed.`);
      const changes: Record<string, unknown> = { ...occ };
      if (o.discovered) changes.discoveredAt = checkWhen(o.discovered, '--discovered');
      if (o.estimated) changes.occurredEstimated = true;
      if (o.whatHappened) changes.whatHappened = o.whatHappened;
      if (o.information) changes.informationInvolved = o.information;
      if (o.informationType) changes.informationTypes = o.informationType;
      if (o.doing) changes.whatWeAreDoing = o.doing;
      if (o.youCanDo) changes.whatYouCanDo = o.youCanDo;
      if (o.moreInfo) changes.moreInformation = o.moreInfo;
      if (o.delayed !== undefined) changes.delayedByLawEnforcement = yesNo(o.delayed, '--delayed');
      if (o.delayUntil)
        Object.assign(changes, {
          delayedUntil: checkDate(o.delayUntil, '--delay-until'),
          delayedByLawEnforcement: true,
        });
      if (o.phone || o.email || o.contactName || o.contactTitle || o.address || o.website) {
        const old = JSON.parse(b.contact) as BreachContact;
        changes.contact = {
          ...old,
          ...contactOf({ ...o, contactTitle: o.contactTitle ?? old.title }, s, o.phone ?? old.phone),
        };
      }
      if (!Object.keys(changes).length)
        throw new CustodyError('usage', 'Nothing to change: pass the flags to change (see --help).');
      s.append('breach.updated', { breach: id, changes });
      s.commit();
      const out = breachJson(findBreach(s, id), today(s));
      if (g.json) return printJson(ctx, out);
      ctx.stdout.write(`Breach ${id} updated: ${Object.keys(changes).join(', ')}.\n`);
    });
  });

  breach
    .command('list')
    .description('every breach, open and closed, with its unmet duties')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'breach list', 'reports', (s) => {
        const t = today(s);
        const list = allBreaches(s).map((b) => breachJson(b, t));
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['breach', 'status', 'discovered', 'notice', 'posted', 'media', 'OIS', 'still to do'],
            list.map((b) => [
              b.id,
              b.status,
              b.discoveredAt.slice(0, 10),
              b.notice?.date,
              b.duties.posted ? `${b.duties.posted.on} – ${b.duties.posted.until}` : '',
              b.duties.media?.on,
              b.duties.ois?.on,
              b.duties.unmet.length,
            ]),
          ),
        );
      });
    });

  breach
    .command('show <id>')
    .description('a breach: what is recorded, the notice, and which duties are met')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'breach show', 'reports', (s) => {
        const b = breachJson(findBreach(s, id), today(s));
        if (g.json) return printJson(ctx, b);
        printBreach(ctx, b);
      });
    });

  breach
    .command('notice <id>')
    .description('write the Notice of Data Breach as a PDF to post and print and an HTML page for the city’s website')
    .option('--out <dir>', 'the folder to write notice-of-data-breach-ID.pdf and .html into')
    .option('--date <date>', 'the date of the notice (default: today)')
    .option(
      '--post-on <date>',
      'the day it goes up on the website (default: when recorded as posted, else the notice date)',
    )
    .addHelpText(
      'after',
      `\nThe notice is titled "Notice of Data Breach", has the five statutory headings and no type under 10 point, and says it stays posted for at least ${POSTING_DAYS} days.\n\nExample:\n  $ custody breach notice B1 --out notices/`,
    )
    .action(async (id: string, o: { out?: string; date?: string; postOn?: string }) => {
      const g = globals();
      if (!o.out) throw new CustodyError('usage', 'Missing the destination: pass --out DIR.');
      const date = o.date ? checkDate(o.date, '--date') : undefined;
      const postOn = o.postOn ? checkDate(o.postOn, '--post-on') : undefined;
      await withSession(ctx, g, 'breach notice', 'settings.manage', async (s) => {
        const b = findBreach(s, id);
        const noticeDate = date ?? today(s);
        const from = postOn ?? b.posted_on ?? noticeDate;
        const { pdf, html } = await renderNotice(s, b, noticeDate, from);
        const dir = path.resolve(o.out!);
        fs.mkdirSync(dir, { recursive: true });
        const pdfFile = path.join(dir, `notice-of-data-breach-${id}.pdf`);
        const htmlFile = path.join(dir, `notice-of-data-breach-${id}.html`);
        fs.writeFileSync(pdfFile, pdf);
        fs.writeFileSync(htmlFile, html);
        const out = {
          breach: id,
          noticeDate,
          postedFrom: from,
          postedUntil: addDaysToDate(from, POSTING_DAYS),
          pdf: pdfFile,
          html: htmlFile,
          pdfSha256: sha256(pdf),
          htmlSha256: sha256(html),
        };
        s.append('breach.notice_written', {
          breach: id,
          noticeDate,
          pdfSha256: out.pdfSha256,
          htmlSha256: out.htmlSha256,
        });
        s.commit();
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Notice of Data Breach for ${id}, dated ${noticeDate}:\n  ${pdfFile}\n  ${htmlFile}\n`);
        ctx.stdout.write(
          `Post it on the website from ${from} until at least ${out.postedUntil}, then \`custody breach duty ${id} --posted ${from}\`.\n`,
        );
      });
    });

  breach
    .command('duty <id>')
    .description(
      'record a notification duty done: posted on the website, major statewide media told, the Office of Information Security told',
    )
    .option('--posted <date>', 'the day the notice went up on the city’s website')
    .option('--url <url>', 'where it is posted')
    .option('--media <date>', 'the day major statewide media were notified')
    .option('--outlets <names>', 'the media outlets notified, separated by commas (with --media)')
    .option('--ois <date>', 'the day the state’s Office of Information Security was notified')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody breach duty B1 --posted 2026-12-01 --url https://example.gov/notice\n  $ custody breach duty B1 --media 2026-12-01 --outlets "Example Times, KEXA News"\n  $ custody breach duty B1 --ois 2026-12-02',
    )
    .action(
      async (id: string, o: { posted?: string; url?: string; media?: string; outlets?: string; ois?: string }) => {
        const g = globals();
        if (!o.posted && !o.media && !o.ois)
          throw new CustodyError(
            'usage',
            'Say which duty was done: --posted DATE, --media DATE --outlets ..., or --ois DATE.',
          );
        const outlets = (o.outlets ?? '')
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        if (o.media && !outlets.length)
          throw new CustodyError('usage', 'Name the media outlets notified: --outlets "Outlet A, Outlet B".');
        if (!o.media && outlets.length) throw new CustodyError('usage', '--outlets goes with --media DATE.');
        if (o.url && !o.posted) throw new CustodyError('usage', '--url goes with --posted DATE.');
        const dates = {
          posted: o.posted && checkDate(o.posted, '--posted'),
          media: o.media && checkDate(o.media, '--media'),
          ois: o.ois && checkDate(o.ois, '--ois'),
        };
        await withSession(ctx, g, 'breach duty', 'settings.manage', (s) => {
          const b = findBreach(s, id);
          if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${id} is closed.`);
          const t = today(s);
          for (const [k, v] of Object.entries(dates))
            if (v && v > t)
              throw new CustodyError('usage', `--${k} ${v} is in the future; record a duty once it is done.`);
          if (dates.posted)
            s.append('breach.duty_done', { breach: id, duty: 'posted', on: dates.posted, url: o.url ?? null });
          if (dates.media) s.append('breach.duty_done', { breach: id, duty: 'media', on: dates.media, outlets });
          if (dates.ois) s.append('breach.duty_done', { breach: id, duty: 'ois', on: dates.ois });
          s.commit();
          const out = breachJson(findBreach(s, id), t);
          if (g.json) return printJson(ctx, out);
          if (out.duties.posted)
            ctx.stdout.write(
              `Posted on the website ${out.duties.posted.on}; the ${POSTING_DAYS} days end ${out.duties.posted.until}: keep it posted until at least then.\n`,
            );
          ctx.stdout.write(
            out.duties.unmet.length
              ? `Still to do:\n${out.duties.unmet.map((u) => `- ${u.message}`).join('\n')}\n`
              : `Every notification duty of breach ${id} is met.\n`,
          );
        });
      },
    );

  breach
    .command('close <id>')
    .description(
      'close a breach once its duties are met (posted for 30 days, media and the Office of Information Security told)',
    )
    .option('--note <text>', 'a closing note (required with --force)')
    .option('--force', 'close even though duties are unmet (say why in --note)')
    .action(async (id: string, o: { note?: string; force?: boolean }) => {
      const g = globals();
      if (o.force && !o.note)
        throw new CustodyError('usage', '--force needs a --note saying why the duties are not met.');
      await withSession(ctx, g, 'breach close', 'settings.manage', (s) => {
        const b: BreachRow = findBreach(s, id);
        if (b.status !== 'open') throw new CustodyError('conflict', `Breach ${id} is already closed.`);
        const unmet = breachDuties(b, today(s)).unmet;
        if (unmet.length && !o.force)
          throw new CustodyError(
            'denied',
            `Breach ${id} still has unmet duties: ${unmet.map((u) => u.short).join('; ')}.`,
            'Record them with `custody breach duty`, or close with --force --note WHY.',
          );
        s.append('breach.closed', { breach: id, note: o.note ?? null, unmetDuties: unmet.map((u) => u.duty) });
        s.commit();
        if (g.json) return printJson(ctx, breachJson(findBreach(s, id), today(s)));
        ctx.stdout.write(`Breach ${id} closed.\n`);
      });
    });

  registerContractor(program, ctx, globals);
  registerTransparency(program, ctx, globals);
}

async function renderNotice(
  s: Session,
  b: BreachRow,
  noticeDate: string,
  postedFrom: string,
): Promise<{ pdf: Buffer; html: string }> {
  const { renderBreachNotice } = await import('../../documents/breach.js');
  const j = breachJson(b, noticeDate);
  return renderBreachNotice({
    organization: s.settings.agencyName,
    contact: j.contact,
    noticeDate,
    breach: j.occurred
      ? 'date' in j.occurred
        ? { date: j.occurred.date ?? undefined, estimated: j.occurred.estimated }
        : { from: j.occurred.from ?? undefined, to: j.occurred.to ?? undefined, estimated: j.occurred.estimated }
      : undefined,
    discoveredAt: b.discovered_at,
    delayedByLawEnforcement: j.delayedByLawEnforcement,
    whatHappened: j.whatHappened,
    informationInvolved: j.informationInvolved,
    informationTypes: j.informationTypes.length ? j.informationTypes : undefined,
    whatWeAreDoing: j.whatWeAreDoing,
    whatYouCanDo: j.whatYouCanDo ?? undefined,
    moreInformation: j.moreInformation ?? undefined,
    posting: { from: postedFrom, until: addDaysToDate(postedFrom, POSTING_DAYS) },
  });
}
