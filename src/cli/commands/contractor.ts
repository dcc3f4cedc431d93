/**
 * Command: contractor (policy §2, §5) — requests for the data the city's ALPR contractor holds, and
 * the city's written permissions for the contractor to access footage.
 */
import { type Command, Option } from 'commander';
import { CONTRACTOR_PERMIT_MAX_DAYS, CONTRACTOR_PURPOSE } from '../../core/eligibility.js';
import { CustodyError } from '../../core/errors.js';
import type { Session } from '../../ledger/session.js';
import {
  type ContractorRequestStatus,
  contractorPermit,
  contractorPermits,
  contractorRequest,
  contractorRequests,
  contractorResolve,
  contractorRevoke,
  contractorShow,
  type PermitJson,
  permitToRevoke,
  readPermissionDocument,
} from '../../operations/contractor.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { dateFlag, flags } from '../options.js';
import { askChoice, askDate, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

type Globals = () => GlobalOptions;
const required = (what: string) => (v: string) => (v ? undefined : `${what} is required.`);
const contractorFlag = (description: string) => new Option('--contractor <name>', description);

interface PermitOpts {
  contractor?: string;
  document?: string;
  scope?: string;
  purpose?: string;
  case?: string;
  from?: string;
  until?: string;
  signedBy?: string;
}

async function permit(ctx: CliContext, s: Session, o: PermitOpts): Promise<PermitJson> {
  const contractor = await askText(ctx, o.contractor, {
    flag: '--contractor',
    message: 'Contractor:',
    validate: required('The contractor'),
  });
  const file = await askText(ctx, o.document, {
    flag: '--document',
    message: 'The signed permission (file):',
    validate: required('The document'),
  });
  const document = readPermissionDocument(file);
  const purpose = await askChoice(ctx, o.purpose, {
    flag: '--purpose',
    message: 'Purpose (policy §2):',
    choices: [{ name: CONTRACTOR_PURPOSE, value: CONTRACTOR_PURPOSE }],
  }).catch((e: unknown) => {
    // A purpose outside the list is refused by the use case with the policy's words.
    if (o.purpose !== undefined && e instanceof CustodyError && e.code === 'usage') return o.purpose;
    throw e;
  });
  const caseNumber = await askText(ctx, o.case, {
    flag: '--case',
    message: 'Case or incident number:',
    validate: required('The case or incident number'),
  });
  const scope = await askText(ctx, o.scope, {
    flag: '--scope',
    message: 'Footage it may access (cameras, days):',
    validate: required('The scope'),
  });
  const from = dateFlag(o.from, '--from', s);
  const until = await askDate(ctx, o.until, s, { flag: '--until', message: 'Last day in force:' });
  return contractorPermit(s, {
    contractor,
    document,
    scope,
    purpose,
    caseNumber,
    from,
    until,
    signedBy: o.signedBy,
  });
}

function registerPermit(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('permit')
    .description('record the city’s explicit written permission for the contractor to access footage')
    .addOption(contractorFlag('the contractor (a company)'))
    .option('--document <file>', 'the signed permission (kept out of the home; recorded by its SHA-256)')
    .option('--scope <text>', 'the footage it may access (e.g. "CAM-02, 3–4 November")')
    .addOption(flags.purpose(`policy §2: only "${CONTRACTOR_PURPOSE}"`))
    .addOption(flags.caseNumber('the case or incident number the evidence is for'))
    .addOption(flags.from('the first day it is in force (default: today)'))
    .option('--until <date>', `the last day it is in force (at most ${CONTRACTOR_PERMIT_MAX_DAYS} days from --from)`)
    .option('--signed-by <title>', 'who signed it for the city (a title, e.g. the custodian’s)')
    .addHelpText(
      'after',
      '\nExample:\n  $ custody contractor permit --contractor "Acme ALPR Inc." --document permission.pdf --purpose "evidence of a crime" --case 26-001234 --scope "CAM-02, 3–4 November" --until 2026-12-31',
    )
    .action(async (o: PermitOpts) => {
      const g = globals();
      await withSession(ctx, g, 'contractor permit', 'settings.manage', async (s) => {
        const out = await permit(ctx, s, o);
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          `Permission ${out.id} recorded: ${out.contractor} may access ${out.scope}, ${out.from} to ${out.until} (document sha256 ${out.document.sha256}).\n`,
        );
      });
    });
}

function registerRevoke(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('revoke <id>')
    .description('end a permission before its end date')
    .addOption(flags.reason('why'))
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'contractor revoke', 'settings.manage', async (s) => {
        permitToRevoke(s, id);
        const reason = await askText(ctx, o.reason, {
          flag: '--reason',
          message: 'Why is it revoked?',
          validate: required('A reason'),
        });
        const out = contractorRevoke(s, { id, reason });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Permission ${id} revoked.\n`);
      });
    });
}

function permitStatus(p: PermitJson, today: string): string {
  if (p.active) return 'ACTIVE';
  if (p.revokedAt) return `revoked ${p.revokedAt.slice(0, 10)}`;
  return p.from > today ? 'not yet in force' : 'ended';
}

function registerList(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('list')
    .description('the written permissions, the active ones marked')
    .option('--active', 'only those in force today')
    .action(async (o: { active?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'contractor list', 'reports', (s) => {
        const { today, permits } = contractorPermits(s, { active: o.active });
        if (g.json) return printJson(ctx, permits);
        ctx.stdout.write(
          table(
            ['', 'permission', 'contractor', 'scope', 'from', 'until', 'document sha256', 'status'],
            permits.map((p) => [
              p.active ? '*' : '',
              p.id,
              p.contractor,
              p.scope,
              p.from,
              p.until,
              p.document.sha256.slice(0, 16),
              permitStatus(p, today),
            ]),
          ),
        );
        if (permits.length) ctx.stdout.write('* in force today\n');
      });
    });
}

interface RequestOpts {
  contractor?: string;
  agency?: string;
  officer?: string;
  badge?: string;
  case?: string;
  purpose?: string;
  date?: string;
  status?: string;
  reason?: string;
}

async function request(ctx: CliContext, s: Session, o: RequestOpts) {
  const contractor = await askText(ctx, o.contractor, {
    flag: '--contractor',
    message: 'Contractor:',
    validate: required('The contractor'),
  });
  const agency = await askText(ctx, o.agency, {
    flag: '--agency',
    message: 'Requesting agency:',
    validate: required('The agency'),
  });
  const officer = await askText(ctx, o.officer, {
    flag: '--officer',
    message: 'Requesting officer:',
    validate: required('The officer'),
  });
  const caseNumber = await askText(ctx, o.case, {
    flag: '--case',
    message: 'Case number:',
    validate: required('The case number'),
  });
  const purpose = await askChoice(ctx, o.purpose, {
    flag: '--purpose',
    message: 'Purpose:',
    choices: s.settings.purposes.map((p) => ({ name: p, value: p })),
  });
  const date = dateFlag(o.date, '--date', s);
  const status = await askChoice(ctx, o.status as ContractorRequestStatus | undefined, {
    flag: '--status',
    message: 'Status:',
    choices: [
      { name: 'open', value: 'open' },
      { name: 'fulfilled', value: 'fulfilled' },
      { name: 'denied', value: 'denied' },
    ],
    default: 'open',
  });
  return contractorRequest(s, {
    contractor,
    agency,
    officer,
    badge: o.badge,
    caseNumber,
    purpose,
    date,
    status,
    reason: o.reason,
  });
}

function registerRequest(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('request')
    .description('log a law-enforcement request for data held by the contractor’s ALPR system')
    .addOption(contractorFlag('the contractor asked'))
    .option('--agency <id or name>', 'the requesting agency (an id from `custody agency list`, or its name)')
    .option('--officer <name>', 'the requesting officer')
    .option('--badge <number>', 'the officer’s badge or id number')
    .addOption(flags.caseNumber('the case number'))
    .addOption(flags.purpose('the official purpose (one of the city’s list)'))
    .addOption(flags.date('the day the request was made (default: today)'))
    .option('--status <status>', 'open (default), fulfilled or denied')
    .addOption(flags.reason('why it was denied'))
    .addHelpText(
      'after',
      '\nExample:\n  $ custody contractor request --contractor "Acme ALPR Inc." --agency ECSO --officer "Det. R. Alvarez" --badge 4417 --case 26-001234 --purpose "criminal investigation" --date 2026-11-20',
    )
    .action(async (o: RequestOpts) => {
      const g = globals();
      await withSession(ctx, g, 'contractor request', 'requests.manage', async (s) => {
        const { request: out, refusal } = await request(ctx, s, o);
        if (refusal) ctx.stderr.write(`warning: the contractor may not share data with it: ${refusal}\n`);
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Contractor request ${out.id} logged (${out.status}).\n`);
      });
    });
}

function registerResolve(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('resolve <id>')
    .description('record what became of a request to the contractor')
    .option('--fulfilled', 'the contractor provided the data')
    .option('--denied', 'it was refused')
    .option('--withdrawn', 'the agency withdrew it')
    .addOption(flags.reason('why (required when denied)'))
    .action(async (id: string, o: { fulfilled?: boolean; denied?: boolean; withdrawn?: boolean; reason?: string }) => {
      const g = globals();
      const chosen = (['fulfilled', 'denied', 'withdrawn'] as const).filter((k) => o[k]);
      if (chosen.length !== 1) throw new CustodyError('usage', 'Pass one of --fulfilled, --denied, --withdrawn.');
      const status = chosen[0]!;
      if (status === 'denied' && !o.reason) throw new CustodyError('usage', 'A denied request needs --reason.');
      await withSession(ctx, g, 'contractor resolve', 'requests.manage', async (s) => {
        const out = await contractorResolve(s, { id, status, reason: o.reason });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(`Contractor request ${id}: ${status}.\n`);
      });
    });
}

function registerRequests(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('requests')
    .description('the log of requests for data held by the contractor')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'contractor requests', 'requests.manage', (s) => {
        const list = contractorRequests(s);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['request', 'requested', 'contractor', 'agency', 'officer', 'case', 'purpose', 'status'],
            list.map((r) => [
              r.id,
              r.requestedOn,
              r.contractor,
              r.agency,
              r.officer + (r.badge ? ` (${r.badge})` : ''),
              r.case,
              r.purpose,
              r.status,
            ]),
          ),
        );
      });
    });
}

function printPermit(ctx: CliContext, p: PermitJson): void {
  ctx.stdout.write(
    details([
      ['permission', p.id],
      ['contractor', p.contractor],
      ['scope', p.scope],
      ['in force', `${p.from} to ${p.until}`],
      ['active today', p.active ? 'yes' : 'no'],
      ['document', `${p.document.name} (${p.document.bytes} bytes, sha256 ${p.document.sha256})`],
      ['signed by', p.signedBy],
      ['recorded', `${p.recordedAt} by ${p.recordedBy}`],
      ['revoked', p.revokedAt ? `${p.revokedAt} by ${p.revokedBy}: ${p.revokeReason}` : undefined],
    ]),
  );
}

function registerShow(contractor: Command, ctx: CliContext, globals: Globals): void {
  contractor
    .command('show <id>')
    .description('one permission (CP…) or contractor request (CR…)')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'contractor show', 'reports', (s) => {
        const found = contractorShow(s, id);
        const out = found.kind === 'request' ? found.request : found.permit;
        if (g.json) return printJson(ctx, out);
        if (found.kind === 'request')
          ctx.stdout.write(details(Object.entries(found.request).map(([k, v]) => [k, v as string | null])));
        else printPermit(ctx, found.permit);
      });
    });
}

export function registerContractor(program: Command, ctx: CliContext, globals: Globals): void {
  const contractor = program
    .command('contractor')
    .description(
      'the city’s ALPR contractor: requests for the data it holds, and the city’s written permissions for it to access footage (policy §2, §5)',
    );
  for (const sub of [
    registerPermit,
    registerRevoke,
    registerList,
    registerRequest,
    registerResolve,
    registerRequests,
    registerShow,
  ])
    sub(contractor, ctx, globals);
}
