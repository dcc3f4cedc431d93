/**
 * Commands: contractor (policy §2, §5). The city's ALPR contractor holds data of its own: requests
 * for it are logged like the city's own, and the contractor may look at footage only under the
 * city's explicit written permission, recorded here by the document's SHA-256, scope and end date.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { localDate } from '../../core/time.js';
import {
  agencyForContractorRequest,
  allPermits,
  checkDate,
  contractorRequestJson,
  findContractorRequest,
  findPermit,
  nextId,
  permitJson,
  type ContractorRequestRow,
} from '../../ledger/breach.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

async function contractorRefusal(s: Session, agencyId: string): Promise<string | undefined> {
  const { findAgency, releaseRefusal } = await import('../../ledger/features/requests.js');
  return releaseRefusal(findAgency(s, agencyId));
}

const today = (s: Session) => localDate(s.clock(), s.settings.timeZone);
const required = (what: string) => (v: string) => (v ? undefined : `${what} is required.`);

export function registerContractor(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const contractor = program
    .command('contractor')
    .description(
      'the city’s ALPR contractor: requests for the data it holds, and the city’s written permissions for it to access footage (policy §2, §5)',
    );

  contractor
    .command('permit')
    .description('record the city’s explicit written permission for the contractor to access footage')
    .option('--contractor <name>', 'the contractor (a company)')
    .option('--document <file>', 'the signed permission (kept out of the home; recorded by its SHA-256)')
    .option('--scope <text>', 'what the contractor may access, and why (e.g. "CAM-01 footage, maintenance")')
    .option('--from <date>', 'the first day it is in force (default: today)')
    .option('--until <date>', 'the last day it is in force')
    .option('--signed-by <title>', 'who signed it for the city (a title, e.g. the custodian’s)')
    .addHelpText(
      'after',
      '\nExample:\n  $ custody contractor permit --contractor "Acme ALPR Inc." --document permission.pdf --scope "CAM-02 footage for a firmware fault" --until 2026-12-31',
    )
    .action(
      async (o: {
        contractor?: string;
        document?: string;
        scope?: string;
        from?: string;
        until?: string;
        signedBy?: string;
      }) => {
        const g = globals();
        await withSession(ctx, g, 'contractor permit', 'settings.manage', async (s) => {
          const name = await askText(ctx, o.contractor, {
            flag: '--contractor',
            message: 'Contractor:',
            validate: required('The contractor'),
          });
          const doc = await askText(ctx, o.document, {
            flag: '--document',
            message: 'The signed permission (file):',
            validate: required('The document'),
          });
          let bytes: Buffer;
          try {
            bytes = fs.readFileSync(doc);
          } catch (e) {
            throw new CustodyError(
              'notFound',
              `Cannot read the permission document ${doc}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
            );
          }
          const scope = await askText(ctx, o.scope, {
            flag: '--scope',
            message: 'Scope (what it may access, and why):',
            validate: required('The scope'),
          });
          const from = checkDate(o.from ?? today(s), '--from');
          const until = checkDate(
            await askText(ctx, o.until, {
              flag: '--until',
              message: 'Last day in force (YYYY-MM-DD):',
              validate: required('The end date'),
            }),
            '--until',
          );
          if (until < from) throw new CustodyError('usage', `--until ${until} is before --from ${from}.`);
          const id = nextId(s, 'contractor_permits', 'CP');
          s.append('contractor.permitted', {
            permit: id,
            contractor: name,
            scope,
            startsOn: from,
            endsOn: until,
            documentName: path.basename(doc),
            documentSha256: createHash('sha256').update(bytes).digest('hex'),
            documentBytes: bytes.length,
            signedBy: o.signedBy ?? s.settings.custodianTitle,
          });
          s.commit();
          const out = permitJson(findPermit(s, id), today(s));
          if (g.json) return printJson(ctx, out);
          ctx.stdout.write(
            `Permission ${id} recorded: ${name} may access ${scope}, ${from} to ${until} (document sha256 ${out.document.sha256}).\n`,
          );
        });
      },
    );

  contractor
    .command('revoke <id>')
    .description('end a permission before its end date')
    .option('--reason <text>', 'why')
    .action(async (id: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'contractor revoke', 'settings.manage', async (s) => {
        const p = findPermit(s, id);
        if (p.revoked_at)
          throw new CustodyError('conflict', `Permission ${id} was already revoked on ${p.revoked_at.slice(0, 10)}.`);
        const reason = await askText(ctx, o.reason, {
          flag: '--reason',
          message: 'Why is it revoked?',
          validate: required('A reason'),
        });
        s.append('contractor.permit_revoked', { permit: id, reason });
        s.commit();
        if (g.json) return printJson(ctx, permitJson(findPermit(s, id), today(s)));
        ctx.stdout.write(`Permission ${id} revoked.\n`);
      });
    });

  contractor
    .command('list')
    .description('the written permissions, the active ones marked')
    .option('--active', 'only those in force today')
    .action(async (o: { active?: boolean }) => {
      const g = globals();
      await withSession(ctx, g, 'contractor list', 'reports', (s) => {
        const t = today(s);
        const list = allPermits(s)
          .map((p) => permitJson(p, t))
          .filter((p) => !o.active || p.active);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['', 'permission', 'contractor', 'scope', 'from', 'until', 'document sha256', 'status'],
            list.map((p) => [
              p.active ? '*' : '',
              p.id,
              p.contractor,
              p.scope,
              p.from,
              p.until,
              p.document.sha256.slice(0, 16),
              p.active
                ? 'ACTIVE'
                : p.revokedAt
                  ? `revoked ${p.revokedAt.slice(0, 10)}`
                  : p.from > t
                    ? 'not yet in force'
                    : 'ended',
            ]),
          ),
        );
        if (list.length) ctx.stdout.write('* in force today\n');
      });
    });

  contractor
    .command('request')
    .description('log a law-enforcement request for data held by the contractor’s ALPR system')
    .option('--contractor <name>', 'the contractor asked')
    .option('--agency <id or name>', 'the requesting agency (an id from `custody agency list`, or its name)')
    .option('--officer <name>', 'the requesting officer')
    .option('--badge <number>', 'the officer’s badge or id number')
    .option('--case <number>', 'the case number')
    .option('--purpose <text>', 'the official purpose (one of the city’s list)')
    .option('--date <date>', 'the day the request was made (default: today)')
    .option('--status <status>', 'open (default), fulfilled or denied')
    .option('--reason <text>', 'why it was denied')
    .addHelpText(
      'after',
      '\nExample:\n  $ custody contractor request --contractor "Acme ALPR Inc." --agency ECSO --officer "Det. R. Alvarez" --badge 4417 --case 26-001234 --purpose "criminal investigation" --date 2026-11-20',
    )
    .action(
      async (o: {
        contractor?: string;
        agency?: string;
        officer?: string;
        badge?: string;
        case?: string;
        purpose?: string;
        date?: string;
        status?: string;
        reason?: string;
      }) => {
        const g = globals();
        await withSession(ctx, g, 'contractor request', 'requests.manage', async (s) => {
          const name = await askText(ctx, o.contractor, {
            flag: '--contractor',
            message: 'Contractor:',
            validate: required('The contractor'),
          });
          const agency = agencyForContractorRequest(
            s,
            await askText(ctx, o.agency, {
              flag: '--agency',
              message: 'Requesting agency:',
              validate: required('The agency'),
            }),
          );
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
          const purposes = s.settings.purposes;
          const purpose = await askChoice(ctx, o.purpose, {
            flag: '--purpose',
            message: 'Purpose:',
            choices: purposes.map((p) => ({ name: p, value: p })),
          });
          const date = checkDate(o.date ?? today(s), '--date');
          if (date > today(s)) throw new CustodyError('usage', `--date ${date} is in the future.`);
          const status = await askChoice(ctx, o.status as ContractorRequestRow['status'] | undefined, {
            flag: '--status',
            message: 'Status:',
            choices: [
              { name: 'open', value: 'open' },
              { name: 'fulfilled', value: 'fulfilled' },
              { name: 'denied', value: 'denied' },
            ],
            default: 'open',
          });
          if (status === 'denied' && !o.reason) throw new CustodyError('usage', 'A denied request needs --reason.');
          const id = nextId(s, 'contractor_requests', 'CR');
          s.append('contractor.request_recorded', {
            request: id,
            contractor: name,
            agency: agency.name,
            agencyId: agency.agencyId,
            agencyKind: agency.agencyKind,
            officer,
            badge: o.badge ?? null,
            caseNumber,
            purpose,
            requestedOn: date,
            status,
            reason: o.reason ?? null,
          });
          s.commit();
          const out = contractorRequestJson(findContractorRequest(s, id));
          // Policy §4/§5 and Civ. Code 1798.90.55(b) bind the contractor's data too: say so when the register's agency may not receive it.
          const refusal = agency.agencyId ? await contractorRefusal(s, agency.agencyId) : undefined;
          if (refusal) ctx.stderr.write(`warning: the contractor may not share data with it: ${refusal}\n`);
          if (g.json) return printJson(ctx, out);
          ctx.stdout.write(`Contractor request ${id} logged (${status}).\n`);
        });
      },
    );

  contractor
    .command('resolve <id>')
    .description('record what became of a request to the contractor')
    .option('--fulfilled', 'the contractor provided the data')
    .option('--denied', 'it was refused')
    .option('--withdrawn', 'the agency withdrew it')
    .option('--reason <text>', 'why (required when denied)')
    .action(async (id: string, o: { fulfilled?: boolean; denied?: boolean; withdrawn?: boolean; reason?: string }) => {
      const g = globals();
      const chosen = (['fulfilled', 'denied', 'withdrawn'] as const).filter((k) => o[k]);
      if (chosen.length !== 1) throw new CustodyError('usage', 'Pass one of --fulfilled, --denied, --withdrawn.');
      if (chosen[0] === 'denied' && !o.reason) throw new CustodyError('usage', 'A denied request needs --reason.');
      await withSession(ctx, g, 'contractor resolve', 'requests.manage', (s) => {
        const r = findContractorRequest(s, id);
        if (r.status !== 'open') throw new CustodyError('conflict', `Contractor request ${id} is already ${r.status}.`);
        s.append('contractor.request_resolved', { request: id, status: chosen[0], reason: o.reason ?? null });
        s.commit();
        if (g.json) return printJson(ctx, contractorRequestJson(findContractorRequest(s, id)));
        ctx.stdout.write(`Contractor request ${id}: ${chosen[0]}.\n`);
      });
    });

  contractor
    .command('requests')
    .description('the log of requests for data held by the contractor')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'contractor requests', 'requests.manage', (s) => {
        const list = s.ledger
          .rows<ContractorRequestRow>('SELECT * FROM contractor_requests ORDER BY requested_on, id')
          .map(contractorRequestJson);
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

  contractor
    .command('show <id>')
    .description('one permission (CP…) or contractor request (CR…)')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'contractor show', 'reports', (s) => {
        if (id.startsWith('CR')) {
          s.require('requests.manage');
          const r = contractorRequestJson(findContractorRequest(s, id));
          if (g.json) return printJson(ctx, r);
          ctx.stdout.write(details(Object.entries(r).map(([k, v]) => [k, v as string | null])));
          return;
        }
        const p = permitJson(findPermit(s, id), today(s));
        if (g.json) return printJson(ctx, p);
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
      });
    });
}
