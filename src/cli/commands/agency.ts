/** `custody agency`: agencies that may ask for data (policy §4, §5; Civ. Code 1798.90.55). */
import type { Command } from 'commander';
import {
  AGENCY_KINDS,
  type AgencyJson,
  type AgencyKind,
  type Jurisdiction,
  JURISDICTIONS,
} from '../../ledger/features/requests.js';
import type { Session } from '../../ledger/session.js';
import {
  type AgencyDetails,
  type AgencyInput,
  addAgency,
  checkNewAgencyId,
  confirmAgency,
  revokeAgencyConfirmation,
  listAgencies,
  showAgency,
  suggestAgencyId,
} from '../../operations/agencies.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askChoice, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

const KIND_WORDS: Record<AgencyKind, string> = {
  'law-enforcement': 'law enforcement',
  prosecutorial: 'prosecutorial',
  other: 'other',
};
const JURISDICTION_WORDS: Record<Jurisdiction, string> = {
  'california-local': 'California, local',
  'california-state': 'California, state',
  'other-state': 'another state',
  federal: 'federal',
  private: 'private',
};

interface AgencyAddOptions {
  id?: string;
  name?: string;
  kind?: AgencyKind;
  jurisdiction?: Jurisdiction;
  identifier?: string;
  contact?: string;
  recordIneligible?: string;
}

async function askAgency(ctx: CliContext, s: Session, o: AgencyAddOptions): Promise<AgencyInput> {
  const id = await askText(ctx, o.id, { flag: '--id', message: 'Agency id:', default: suggestAgencyId(s) });
  checkNewAgencyId(s, id);
  const name = await askText(ctx, o.name, {
    flag: '--name',
    message: 'Name:',
    validate: (x) => (x ? undefined : 'A name is needed.'),
  });
  const kind = await askChoice(ctx, o.kind, {
    flag: '--kind',
    message: 'Kind:',
    choices: AGENCY_KINDS.map((k) => ({ name: KIND_WORDS[k], value: k })),
  });
  const jurisdiction = await askChoice(ctx, o.jurisdiction, {
    flag: '--jurisdiction',
    message: 'Jurisdiction:',
    choices: JURISDICTIONS.map((k) => ({ name: JURISDICTION_WORDS[k], value: k })),
  });
  const identifier =
    (await askText(ctx, o.identifier, {
      flag: '--identifier',
      message: 'Identifier (e.g. ORI; empty if none):',
      default: '',
    })) || null;
  const contact =
    (await askText(ctx, o.contact, { flag: '--contact', message: 'Contact (empty if none):', default: '' })) || null;
  return { id, name, kind, jurisdiction, identifier, contact, recordOnly: o.recordIneligible };
}

function agencyTable(list: AgencyJson[]): string {
  return table(
    ['agency', 'name', 'kind', 'jurisdiction', 'identifier', 'may receive data'],
    list.map((a) => [
      a.id,
      a.name,
      KIND_WORDS[a.kind],
      JURISDICTION_WORDS[a.jurisdiction],
      a.identifier,
      a.mayReceiveData ? 'yes' : 'no',
    ]),
  );
}

function agencyDetails(a: AgencyDetails): string {
  return `${details([
    ['agency', a.id],
    ['name', a.name],
    ['kind', KIND_WORDS[a.kind]],
    ['jurisdiction', JURISDICTION_WORDS[a.jurisdiction]],
    ['identifier', a.identifier],
    ['contact', a.contact],
    ['added', a.addedAt],
    ['may receive data', a.refusal ? `no: ${a.refusal}` : 'yes'],
    ['registered only to record its requests', a.recordOnly ? `by ${a.recordOnly.by}: ${a.recordOnly.reason}` : null],
    [
      'override',
      a.override
        ? `${a.override.id}, signed by ${a.override.by} on ${a.override.at.slice(0, 10)}: ${a.override.reason}${a.override.purposes.length ? ` (purposes: ${a.override.purposes.join(', ')})` : ''}`
        : null,
    ],
  ])}\nRequests:\n${table(
    ['request', 'case', 'status', 'received'],
    a.requests.map((r) => [r.id, r.caseNumber, r.status, r.receivedAt]),
  )}`;
}

export function registerAgency(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const agency = program
    .command('agency')
    .description('agencies that may ask for data (policy §4, §5; Civ. Code 1798.90.55)');
  agency
    .command('add')
    .description('register an agency')
    .option('--id <id>', 'a short id (default: A001, A002 …)')
    .option('--name <name>', 'e.g. "Example County Sheriff\'s Office"')
    .option('--kind <kind>', `one of ${AGENCY_KINDS.join(', ')}`)
    .option('--jurisdiction <j>', `one of ${JURISDICTIONS.join(', ')}`)
    .option('--identifier <ori>', 'e.g. its ORI')
    .option('--contact <text>', 'phone, e-mail or address')
    .option(
      '--record-ineligible <reason>',
      'custodian only: register an agency the statute excludes (federal, another state, private, not law enforcement) only to record its requests and their refusal; it never receives data',
    )
    .addHelpText(
      'after',
      '\nA federal, other-state or private agency, or one that is not law enforcement or prosecutorial, is refused (exit 2; policy §4/§5, Civ. Code 1798.90.55(b)).\n\nExamples:\n  $ custody agency add --id ECSO --name "Example County Sheriff\'s Office" --kind law-enforcement --jurisdiction california-local --identifier CA0019900 --contact "records@ecso.example"\n  $ custody agency add --id FBI-SF --name "FBI San Francisco" --kind law-enforcement --jurisdiction federal --record-ineligible "to record its request of 2026-11-05 and its refusal"',
    )
    .action(async (o: AgencyAddOptions) => {
      const g = globals();
      await withSession(ctx, g, 'agency add', 'requests.manage', async (s) => {
        const a = addAgency(s, await askAgency(ctx, s, o));
        if (g.json) return printJson(ctx, a);
        ctx.stdout.write(`Agency ${a.id} added: ${a.name}.\n`);
        if (a.refusal) ctx.stderr.write(`warning: no data will be released to it: ${a.refusal}\n`);
      });
    });

  agency
    .command('confirm <id>')
    .description(
      "the custodian's signed override (policy §4/§5): confirm an agency whose identifier is a documented equivalent of an ORI, or allow it a purpose other than a criminal investigation; shown on every receipt and in the transparency report",
    )
    .addOption(flags.reason('why the city confirms it (e.g. what stands for its ORI)'))
    .addOption(flags.document('the signed confirmation (a file, kept under its SHA-256)'))
    .option('--purpose <text...>', 'a purpose from the settings to allow beyond a criminal investigation (repeatable)')
    .addHelpText(
      'after',
      '\nNo override makes a federal, other-state or private recipient eligible (Civ. Code 1798.90.55(b)).\n\nExample:\n  $ custody agency confirm CAHP --reason "CHP area office; ORI pending, letter of the commander" --document chp-letter.pdf',
    )
    .action(async (id: string, o: { reason?: string; document?: string; purpose?: string[] }) => {
      const g = globals();
      await withSession(ctx, g, 'agency confirm', 'settings.manage', async (s) => {
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Why is it confirmed?' });
        const document = await askText(ctx, o.document, {
          flag: '--document',
          message: 'The signed confirmation (a file):',
        });
        const a = confirmAgency(s, { id, reason, document, purposes: o.purpose ?? [] });
        if (g.json) return printJson(ctx, a);
        ctx.stdout.write(
          `Agency ${a.id} confirmed by override ${a.override?.id}${a.override?.purposes.length ? ` (purposes also allowed: ${a.override.purposes.join(', ')})` : ''}; ${a.mayReceiveData ? 'it may receive data' : `it still may not receive data: ${a.refusal}`}.\n`,
        );
      });
    });

  agency
    .command('list')
    .description('list agencies')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'agency list', 'requests.manage', (s) => {
        const list = listAgencies(s);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(agencyTable(list));
      });
    });

  agency
    .command('show <id>')
    .description('show one agency and its requests')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'agency show', 'requests.manage', (s) => {
        const a = showAgency(s, id);
        if (g.json) return printJson(ctx, a);
        ctx.stdout.write(agencyDetails(a));
      });
    });
  registerRevokeConfirmation(agency, ctx, globals);
}

function registerRevokeConfirmation(agency: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  agency
    .command('revoke-confirmation <id>')
    .description(
      "revoke the custodian's override of an agency (a signed event): releases that needed it are refused from now on; counted in the transparency report",
    )
    .addOption(flags.reason('why the override no longer stands'))
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'agency revoke-confirmation', 'settings.manage', async (s) => {
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Why is it revoked?' });
        const a = revokeAgencyConfirmation(s, { id, reason });
        if (g.json) return printJson(ctx, a);
        ctx.stdout.write(
          `The override of agency ${a.id} is revoked; ${a.mayReceiveData ? 'it may still receive data on its own facts' : `it may not receive data: ${a.refusal}`}.\n`,
        );
      });
    });
}
