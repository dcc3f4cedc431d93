/** Command: breach — the Notice of Data Breach and the duties to post it and notify (policy §10; Cal. Civ. Code 1798.29). */
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { Session } from '../../ledger/session.js';
import {
  type BreachJson,
  type BreachUpdateInput,
  breachClose,
  breachDuty,
  breachList,
  breachNotice,
  breachOpen,
  breachShow,
  breachUpdate,
  checkDiscovered,
  type ContactInput,
  type Occurred,
  POSTING_DAYS,
} from '../../operations/breach.js';
import type { OutputMode } from '../../ledger/fsutil.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { dateFlag, dateOrWhenFlag, flags } from '../options.js';
import { askChoice, askText, problemOf } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

type Globals = () => GlobalOptions;
const collect = (v: string, prev: string[] = []) => [...prev, v];

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

/** The shape of --occurred / --occurred-from / --occurred-to, checked before log-in. */
function checkOccurredFlags(o: BreachOpts): void {
  if (o.occurred && (o.occurredFrom || o.occurredTo))
    throw new CustodyError('usage', 'Give --occurred, or --occurred-from and --occurred-to, not both.');
  if (!!o.occurredFrom !== !!o.occurredTo)
    throw new CustodyError('usage', 'A range needs both --occurred-from and --occurred-to.');
}

/** When it happened, read in the home's time zone (a bare date stays a date). */
function occurredOf(o: BreachOpts, s: Session): Occurred {
  return {
    occurredDate: dateOrWhenFlag(o.occurred, '--occurred', s) ?? null,
    occurredFrom: dateOrWhenFlag(o.occurredFrom, '--occurred-from', s) ?? null,
    occurredTo: dateOrWhenFlag(o.occurredTo, '--occurred-to', s) ?? null,
  };
}

function yesNo(v: string, flag: string): boolean {
  if (/^(y|yes|true)$/i.test(v)) return true;
  if (/^(n|no|false)$/i.test(v)) return false;
  throw new CustodyError('usage', `${flag} must be yes or no.`);
}

function contactFlags(o: BreachOpts): ContactInput {
  return {
    phone: o.phone,
    name: o.contactName,
    title: o.contactTitle,
    email: o.email,
    address: o.address,
    website: o.website,
  };
}

const required = (what: string) => (v: string) => (v ? undefined : what);

async function askDelayed(ctx: CliContext, o: BreachOpts, delayUntil: string | undefined): Promise<boolean> {
  if (delayUntil && o.delayed !== undefined && !yesNo(o.delayed, '--delayed'))
    throw new CustodyError('usage', '--delay-until goes with --delayed yes.');
  const given = delayUntil ? 'yes' : o.delayed === undefined ? undefined : yesNo(o.delayed, '--delayed') ? 'yes' : 'no';
  const answer = await askChoice(ctx, given, {
    flag: '--delayed yes|no',
    message: 'Was notice delayed at law enforcement’s request?',
    choices: [
      { name: 'no', value: 'no' },
      { name: 'yes', value: 'yes' },
    ],
  });
  return answer === 'yes';
}

/** An answer "2026-11-10 to 2026-11-14", "2026-11-28" or "unknown", as --occurred / --occurred-from and -to. */
function occurredAnswer(v: string): Pick<BreachOpts, 'occurred' | 'occurredFrom' | 'occurredTo'> {
  if (!v || /^(unknown|not known|don'?t know|\?)$/i.test(v)) return {};
  const range = /^(.+?)\s+(?:to|until|-|–)\s+(.+)$/i.exec(v);
  return range ? { occurredFrom: range[1], occurredTo: range[2] } : { occurred: v };
}

/** When it happened: the flags, else asked on a terminal (a date, a range, or unknown). */
async function askOccurred(ctx: CliContext, s: Session, o: BreachOpts): Promise<Occurred> {
  if (o.occurred || o.occurredFrom || o.occurredTo) return occurredOf(o, s);
  const answer = await askText(ctx, undefined, {
    flag: '--occurred or --occurred-from/--occurred-to',
    message: 'When did the breach happen? (a date, a range such as "2026-11-10 to 2026-11-14", or unknown)',
    default: 'unknown',
    validate: (v) => problemOf(() => occurredOf({ ...o, ...occurredAnswer(v) }, s)),
  });
  return occurredOf({ ...o, ...occurredAnswer(answer) }, s);
}

/** The notice's other ways to reach the city: the flags, else asked on a terminal (each may be left empty). */
async function askContact(ctx: CliContext, o: BreachOpts): Promise<ContactInput> {
  const optional = async (value: string | undefined, flag: string, message: string) =>
    (await askText(ctx, value, { flag, message, default: '' })) || undefined;
  return {
    ...contactFlags(o),
    email: await optional(o.email, '--email', 'Contact e-mail address for the notice (empty for none):'),
    address: await optional(o.address, '--address', 'Postal address for the notice (empty for none):'),
    website: await optional(o.website, '--website', 'Web address for more information (empty for none):'),
  };
}

async function openBreach(ctx: CliContext, s: Session, o: BreachOpts): Promise<BreachJson> {
  const when = await askText(ctx, o.discovered, {
    flag: '--discovered',
    message: 'When was the breach discovered?',
    validate: (v) => problemOf(() => dateOrWhenFlag(v, '--discovered', s)),
  });
  const discoveredAt = checkDiscovered(s, dateOrWhenFlag(when, '--discovered', s));
  const occurred = await askOccurred(ctx, s, o);
  const whatHappened = await askText(ctx, o.whatHappened, {
    flag: '--what-happened',
    message: 'What happened?',
    validate: required('Say what happened.'),
  });
  const informationInvolved = await askText(ctx, o.information, {
    flag: '--information',
    message: 'What information was involved?',
    validate: required('Say what was involved.'),
  });
  const whatWeAreDoing = await askText(ctx, o.doing, {
    flag: '--doing',
    message: 'What is the city doing?',
    validate: required('Say what the city is doing.'),
  });
  const delayedUntil = dateFlag(o.delayUntil, '--delay-until', s);
  const delayedByLawEnforcement = await askDelayed(ctx, o, delayedUntil);
  const phone = await askText(ctx, o.phone, {
    flag: '--phone',
    message: 'Contact telephone number for the notice:',
    validate: required('A telephone number is needed.'),
  });
  return breachOpen(s, {
    discoveredAt,
    occurred,
    estimated: !!o.estimated,
    whatHappened,
    informationInvolved,
    informationTypes: o.informationType ?? [],
    whatWeAreDoing,
    whatYouCanDo: o.youCanDo,
    moreInformation: o.moreInfo,
    delayedByLawEnforcement,
    delayedUntil,
    phone,
    contact: await askContact(ctx, o),
  });
}

function registerOpen(breach: Command, ctx: CliContext, globals: Globals): void {
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
      checkOccurredFlags(o);
      await withSession(ctx, g, 'breach open', 'settings.manage', async (s) => {
        const b = await openBreach(ctx, s, o);
        if (g.json) return printJson(ctx, b);
        ctx.stdout.write(`Breach ${b.id} recorded.\n`);
        ctx.stdout.write(
          `Next: \`custody breach notice ${b.id} --out DIR\`, post it on the website for at least ${POSTING_DAYS} days, tell major statewide media and the Office of Information Security, and record each with \`custody breach duty ${b.id}\`.\n`,
        );
      });
    });
}

function updateInput(o: BreachOpts, s: Session): BreachUpdateInput {
  const contactGiven = o.phone || o.email || o.contactName || o.contactTitle || o.address || o.website;
  return {
    occurred: o.occurred || o.occurredFrom || o.occurredTo ? occurredOf(o, s) : undefined,
    discoveredAt: dateOrWhenFlag(o.discovered, '--discovered', s),
    estimated: o.estimated,
    whatHappened: o.whatHappened,
    informationInvolved: o.information,
    informationTypes: o.informationType,
    whatWeAreDoing: o.doing,
    whatYouCanDo: o.youCanDo,
    moreInformation: o.moreInfo,
    delayedByLawEnforcement: o.delayed === undefined ? undefined : yesNo(o.delayed, '--delayed'),
    delayedUntil: dateFlag(o.delayUntil, '--delay-until', s),
    contact: contactGiven ? contactFlags(o) : undefined,
  };
}

function registerUpdate(breach: Command, ctx: CliContext, globals: Globals): void {
  breachOptions(
    breach
      .command('update <id>')
      .description('change what an open breach says (e.g. what the city is doing), before writing the notice again'),
  ).action(async (id: string, o: BreachOpts) => {
    const g = globals();
    if (o.occurred || o.occurredFrom || o.occurredTo) checkOccurredFlags(o);
    await withSession(ctx, g, 'breach update', 'settings.manage', (s) => {
      const r = breachUpdate(s, id, updateInput(o, s));
      if (g.json) return printJson(ctx, r.breach);
      ctx.stdout.write(`Breach ${id} updated: ${r.changed.join(', ')}.\n`);
    });
  });
}

function registerList(breach: Command, ctx: CliContext, globals: Globals): void {
  breach
    .command('list')
    .description('every breach, open and closed, with its unmet duties')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'breach list', 'reports', (s) => {
        const list = breachList(s);
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
}

function printBreach(ctx: CliContext, b: BreachJson): void {
  const occ = b.occurred
    ? ('date' in b.occurred ? b.occurred.date : `${b.occurred.from} – ${b.occurred.to}`) +
      (b.occurred.estimated ? ' (estimated)' : '')
    : 'not known';
  const closed = b.closedAt
    ? ` (closed ${b.closedAt.slice(0, 10)} by ${b.closedBy}${b.closeNote ? `: ${b.closeNote}` : ''})`
    : '';
  const { posted, media, ois } = b.duties;
  ctx.stdout.write(
    details([
      ['breach', b.id],
      ['status', b.status + closed],
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
        posted ? `${posted.on}, until at least ${posted.until}${posted.url ? ` at ${posted.url}` : ''}` : 'not yet',
      ],
      ['statewide media told', media ? `${media.on} (${media.outlets.join(', ')})` : 'not yet'],
      ['Office of Information Security told', ois ? ois.on : 'not yet'],
      ['opened', `${b.openedAt.slice(0, 16).replace('T', ' ')} by ${b.openedBy}`],
    ]),
  );
  if (b.duties.unmet.length)
    ctx.stdout.write(`\nStill to do:\n${b.duties.unmet.map((u) => `- ${u.message}`).join('\n')}\n`);
}

function registerShow(breach: Command, ctx: CliContext, globals: Globals): void {
  breach
    .command('show <id>')
    .description('a breach: what is recorded, the notice, and which duties are met')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'breach show', 'reports', (s) => {
        const b = breachShow(s, id);
        if (g.json) return printJson(ctx, b);
        printBreach(ctx, b);
      });
    });
}

function registerNotice(breach: Command, ctx: CliContext, globals: Globals): void {
  breach
    .command('notice <id>')
    .description('write the Notice of Data Breach as a PDF to post and print and an HTML page for the city’s website')
    .addOption(flags.outDir('the folder to write notice-of-data-breach-ID.pdf and .html into'))
    .addOption(flags.mode('permissions of the files, in octal (default 600: only you; e.g. 644 to publish)'))
    .addOption(flags.date('the date of the notice (default: today)'))
    .option(
      '--post-on <date>',
      'the day it goes up on the website (default: when recorded as posted, else the notice date)',
    )
    .addHelpText(
      'after',
      `\nThe notice is titled "Notice of Data Breach", has the five statutory headings and no type under 10 point, and says it stays posted for at least ${POSTING_DAYS} days.\n\nExample:\n  $ custody breach notice B1 --out notices/`,
    )
    .action(async (id: string, o: { out?: string; date?: string; postOn?: string; mode?: OutputMode }) => {
      const g = globals();
      if (!o.out) throw new CustodyError('usage', 'Missing the destination: pass --out DIR.');
      const outDir = o.out;
      await withSession(ctx, g, 'breach notice', 'settings.manage', async (s) => {
        const date = dateFlag(o.date, '--date', s);
        const postOn = dateFlag(o.postOn, '--post-on', s);
        const out = await breachNotice(s, { id, outDir, date, postOn, mode: o.mode });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Notice of Data Breach for ${id}, dated ${out.noticeDate}:\n  ${out.pdf}\n  ${out.html}\n`);
        ctx.stdout.write(
          `Post it on the website from ${out.postedFrom} until at least ${out.postedUntil}, then \`custody breach duty ${id} --posted ${out.postedFrom}\`.\n`,
        );
      });
    });
}

interface DutyOpts {
  posted?: string;
  url?: string;
  media?: string;
  outlets?: string;
  ois?: string;
}

/** The duty flags, checked before log-in; their dates are read after it (in the home's zone). */
function dutyFlags(o: DutyOpts): (s: Session) => {
  posted?: string;
  url?: string;
  media?: string;
  outlets: string[];
  ois?: string;
} {
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
  return (s) => ({
    posted: dateFlag(o.posted, '--posted', s),
    url: o.url,
    media: dateFlag(o.media, '--media', s),
    outlets,
    ois: dateFlag(o.ois, '--ois', s),
  });
}

/** What was just recorded first (in the order the flags name it), then where the breach stands. */
function printDuties(
  ctx: CliContext,
  id: string,
  out: BreachJson,
  done: { posted?: string; media?: string; ois?: string },
): void {
  const d = out.duties;
  const lines: string[] = [];
  if (done.media && d.media)
    lines.push(`Recorded: major statewide media notified on ${d.media.on} (${d.media.outlets.join(', ')}).`);
  if (done.ois && d.ois) lines.push(`Recorded: the state's Office of Information Security notified on ${d.ois.on}.`);
  if (d.posted)
    lines.push(
      `${done.posted ? 'Recorded: posted' : 'Posted'} on the website ${d.posted.on}; the ${POSTING_DAYS} days end ${d.posted.until}: keep it posted until at least then.`,
    );
  // A posting recorded now is said first; one recorded before comes after what was just done.
  if (done.posted && d.posted) lines.unshift(lines.pop()!);
  if (lines.length) ctx.stdout.write(`${lines.join('\n')}\n`);
  ctx.stdout.write(
    out.duties.unmet.length
      ? `Still to do:\n${out.duties.unmet.map((u) => `- ${u.message}`).join('\n')}\n`
      : `Every notification duty of breach ${id} is met.\n`,
  );
}

function registerDuty(breach: Command, ctx: CliContext, globals: Globals): void {
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
    .action(async (id: string, o: DutyOpts) => {
      const g = globals();
      const duties = dutyFlags(o);
      await withSession(ctx, g, 'breach duty', 'settings.manage', (s) => {
        const given = duties(s);
        const out = breachDuty(s, { id, ...given });
        if (g.json) return printJson(ctx, out);
        printDuties(ctx, id, out, given);
      });
    });
}

function registerClose(breach: Command, ctx: CliContext, globals: Globals): void {
  breach
    .command('close <id>')
    .description(
      'close a breach once its duties are met (posted for 30 days, media and the Office of Information Security told)',
    )
    .addOption(flags.note('a closing note (required with --force)'))
    .option('--force', 'close even though duties are unmet (say why in --note)')
    .action(async (id: string, o: { note?: string; force?: boolean }) => {
      const g = globals();
      if (o.force && !o.note)
        throw new CustodyError('usage', '--force needs a --note saying why the duties are not met.');
      await withSession(ctx, g, 'breach close', 'settings.manage', (s) => {
        const out = breachClose(s, { id, note: o.note, force: o.force });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Breach ${id} closed.\n`);
      });
    });
}

export function registerBreach(program: Command, ctx: CliContext, globals: Globals): void {
  const breach = program
    .command('breach')
    .description(
      'a breach of the camera data: the Notice of Data Breach and the duties to post it and notify (policy §10, Civ. Code 1798.29)',
    );
  for (const sub of [
    registerOpen,
    registerUpdate,
    registerList,
    registerShow,
    registerNotice,
    registerDuty,
    registerClose,
  ])
    sub(breach, ctx, globals);
}
