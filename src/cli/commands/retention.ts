/** Commands: retention, purge, problem (issue 7; policy §7, §8). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { Finding } from '../../core/health.js';
import { isoInZone, parseIsoWithOffset } from '../../core/time.js';
import {
  currentOverdueDuties,
  executePurge,
  lastHealthCheck,
  planPurge,
  purgeRecords,
  retentionReport,
  type DestroyedRecord,
} from '../../ledger/purge.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askConfirm, askText } from '../prompts.js';
import { bytes, details, printJson, table } from '../render.js';
import { registerLoginNotice, withSession } from '../session.js';

// Policy §7, §8: every command that logs in says, in one line, when a duty is overdue.
registerLoginNotice((s) => {
  let duties: string[];
  try {
    duties = currentOverdueDuties(s);
  } catch {
    return [];
  }
  if (!duties.length) return [];
  return [`Overdue: ${duties.join(' ')}`];
});

function whenOpt(v: string | undefined, flag: string, s: Session): string {
  if (v === undefined) return s.now();
  if (!parseIsoWithOffset(v))
    throw new CustodyError(
      'usage',
      `${flag} ${v} is not ISO-8601 with an offset.`,
      'For example 2026-11-26T09:30:00-08:00.',
    );
  return v;
}

export interface ProblemRow {
  id: string;
  camera_id: string | null;
  part: string | null;
  description: string;
  discovered_at: string;
  down_from: string | null;
  down_to: string | null;
  action: string | null;
  fixed_at: string | null;
  status: string;
  logged_by: string;
  logged_at: string;
  resolved_by: string | null;
  health_check_seq: number | null;
  finding: number | null;
}

export function problemJson(p: ProblemRow) {
  return {
    id: p.id,
    camera: p.camera_id,
    part: p.part,
    description: p.description,
    discoveredAt: p.discovered_at,
    notWorkingFrom: p.down_from,
    notWorkingTo: p.down_to,
    correctiveAction: p.action,
    fixedAt: p.fixed_at,
    status: p.status,
    loggedBy: p.logged_by,
    loggedAt: p.logged_at,
    resolvedBy: p.resolved_by,
    healthCheck: p.health_check_seq,
    finding: p.finding,
  };
}

function nextProblemId(s: Session): string {
  const n = Number(s.ledger.one<{ n: number }>('SELECT count(*) AS n FROM problems')?.n ?? 0) + 1;
  for (let i = n; ; i++) {
    const id = `P${String(i).padStart(3, '0')}`;
    if (!s.ledger.one('SELECT id FROM problems WHERE id = ?', [id])) return id;
  }
}

async function writeCertificate(
  s: Session,
  purge: string,
  records: DestroyedRecord[],
  file: string,
  held: { id: string; files: number }[],
): Promise<string> {
  const { renderDestructionCertificate } = await import('../../documents/index.js');
  const settings = s.settings;
  const custodian = s.ledger.one<{ display_name: string }>(
    "SELECT display_name FROM operators WHERE role = 'custodian' AND status = 'active' ORDER BY created_at LIMIT 1",
  );
  const last = records.reduce((a, r) => (r.destroyedAt > a ? r.destroyedAt : a), records[0]!.destroyedAt);
  const pdf = await renderDestructionCertificate(
    {
      certificateNumber: purge,
      organization: settings.agencyName,
      custodian: { title: settings.custodianTitle, name: custodian?.display_name ?? s.operator.displayName },
      destroyedAt: last,
      destroyedBy: `${s.operator.displayName} (${s.operator.username})`,
      retentionRule: `${settings.retentionDays} days from the date of recordation (policy §8)`,
      batches: records.map((r) => ({
        id: r.batch,
        source:
          [r.camera ? `camera ${r.camera}` : undefined, r.drive ? `drive ${r.drive}` : undefined]
            .filter(Boolean)
            .join(', ') || undefined,
        files: r.stored,
        bytes: r.bytes,
        recordedFrom: r.recordedFirst,
        recordedTo: r.recordedLast,
        manifestSha256: r.manifestSha256 ?? '0'.repeat(64),
        keyDestroyedAt: r.keyDestroyedAt,
      })),
      holdsExcluded: held.length ? held : undefined,
      ledgerHead: s.ledger.head.hash,
    },
    s.home.loadIdentity(s.master),
    { signedAt: s.clock() },
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pdf);
  const { createHash } = await import('node:crypto');
  s.append('purge.certificate', { purge, sha256: createHash('sha256').update(pdf).digest('hex') });
  s.commit();
  return file;
}

export function registerRetention(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('retention')
    .description(
      'each import batch and drive: dates of recordation, destruction date, holds, and what is overdue (policy §8)',
    )
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'retention', 'reports', (s) => {
        const tz = s.settings.timeZone;
        const r = retentionReport(s);
        const out = {
          retentionDays: s.settings.retentionDays,
          batches: r.batches.map((b) => ({
            id: b.batch.id,
            camera: b.batch.camera_id,
            drive: b.batch.drive_id,
            recordedFirst: b.batch.recorded_first,
            recordedLast: b.batch.recorded_last,
            destructionDate: b.entry.dueDate ? isoInZone(b.entry.dueDate, tz) : null,
            state: b.entry.state,
            heldBy: b.entry.heldBy,
            overdueDays: b.entry.overdueDays,
            daysLeft: b.entry.daysLeft,
            destroyedAt: b.batch.destroyed_at,
            files: b.batch.stored,
          })),
          drives: r.drives.map((d) => ({
            id: d.drive.id,
            driveState: d.drive.state,
            camera: d.drive.camera_id,
            location: d.drive.location,
            releasedTo: d.drive.released_to,
            recordedFirst: d.drive.recorded_first,
            recordedLast: d.drive.recorded_last,
            destructionDate: d.entry.dueDate ? isoInZone(d.entry.dueDate, tz) : null,
            state: d.entry.state,
            heldBy: d.entry.heldBy,
            overdueDays: d.entry.overdueDays,
            daysLeft: d.entry.daysLeft,
          })),
          overdue: currentOverdueDuties(s),
        };
        if (g.json) return printJson(ctx, out);
        const state = (x: { state: string; overdueDays: number; daysLeft: number; heldBy: string[] }) =>
          x.state === 'due'
            ? `DUE${x.overdueDays ? ` (${x.overdueDays} d overdue)` : ''}`
            : x.state === 'held'
              ? `held (${x.heldBy.join(', ')})`
              : x.state === 'retained'
                ? `kept (${x.daysLeft} d left)`
                : x.state;
        ctx.stdout.write(`Import batches (kept ${out.retentionDays} days from the newest recording):\n`);
        ctx.stdout.write(
          table(
            ['batch', 'camera', 'drive', 'recorded', 'destruction date', 'files', 'status'],
            out.batches.map((b) => [
              b.id,
              b.camera,
              b.drive,
              `${b.recordedFirst?.slice(0, 10)} – ${b.recordedLast?.slice(0, 10)}`,
              b.destructionDate?.slice(0, 10),
              b.files,
              b.destroyedAt ? `destroyed ${b.destroyedAt.slice(0, 10)}` : state(b),
            ]),
          ),
        );
        ctx.stdout.write('\nDrives:\n');
        ctx.stdout.write(
          table(
            ['drive', 'state', 'where', 'recorded', 'may be recorded over', 'status'],
            out.drives.map((d) => [
              d.id,
              d.driveState,
              d.driveState === 'in_camera' ? d.camera : d.driveState === 'released' ? d.releasedTo : d.location,
              d.recordedFirst ? `${d.recordedFirst.slice(0, 10)} – ${d.recordedLast?.slice(0, 10)}` : '',
              d.destructionDate?.slice(0, 10),
              d.state === 'released' ? 'released: out of the rotation' : state(d),
            ]),
          ),
        );
        if (out.overdue.length) ctx.stdout.write(`\nOverdue:\n${out.overdue.map((l) => `- ${l}`).join('\n')}\n`);
        else ctx.stdout.write('\nNothing is overdue.\n');
      });
    });

  program
    .command('purge')
    .description(
      'destroy what is past its destruction date and not held (policy §8): the key first, then the files; with a certificate of destruction',
    )
    .option('--yes', 'do it (without it, only show what would be destroyed)')
    .option('--certificate <file>', 'where to write the certificate of destruction (PDF)')
    .option('--out <dir>', 'folder for the certificate (default: the current folder)')
    .option('--no-certificate', 'write no certificate')
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody purge                 # what would be destroyed\n  $ custody purge --yes --out ~/certificates',
    )
    .action(async (o: { yes?: boolean; certificate?: string | boolean; out?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'purge', 'purge', async (s) => {
        const tz = s.settings.timeZone;
        const plan = await planPurge(s);
        const planJson = {
          due: plan.due.map((b) => ({
            batch: b.batch.id,
            camera: b.batch.camera_id,
            drive: b.batch.drive_id,
            files: b.batch.stored,
            recordedFirst: b.batch.recorded_first,
            recordedLast: b.batch.recorded_last,
            destructionDate: b.entry.dueDate ? isoInZone(b.entry.dueDate, tz) : null,
          })),
          held: plan.held.map((b) => ({ batch: b.batch.id, heldBy: b.entry.heldBy })),
          unfinished: plan.unfinished,
        };
        const nothing = !plan.due.length && !plan.unfinished.length;
        if (!o.yes) {
          if (g.json) return printJson(ctx, { done: false, ...planJson });
          if (nothing) ctx.stdout.write('Nothing is due for destruction.\n');
          else {
            ctx.stdout.write(
              `Would destroy ${plan.due.length} import ${plan.due.length === 1 ? 'batch' : 'batches'} (key first, then files):\n`,
            );
            ctx.stdout.write(
              table(
                ['batch', 'camera', 'drive', 'files', 'recorded', 'destruction date'],
                planJson.due.map((b) => [
                  b.batch,
                  b.camera,
                  b.drive,
                  b.files,
                  `${b.recordedFirst?.slice(0, 10)} – ${b.recordedLast?.slice(0, 10)}`,
                  b.destructionDate?.slice(0, 10),
                ]),
              ),
            );
            if (plan.unfinished.length)
              ctx.stdout.write(
                `Would finish ${plan.unfinished.length} destruction(s) an earlier purge left half-done: ${plan.unfinished.map((u) => u.batch).join(', ')}.\n`,
              );
          }
          for (const h of planJson.held) ctx.stdout.write(`Kept under hold: ${h.batch} (${h.heldBy.join(', ')}).\n`);
          if (!nothing) ctx.stdout.write('Run `custody purge --yes` to destroy it.\n');
          return;
        }
        if (nothing) {
          if (g.json)
            return printJson(ctx, { done: true, purge: null, destroyed: [], held: planJson.held, certificate: null });
          ctx.stdout.write('Nothing is due for destruction.\n');
          for (const h of planJson.held) ctx.stdout.write(`Kept under hold: ${h.batch} (${h.heldBy.join(', ')}).\n`);
          return;
        }
        const result = await executePurge(s);
        let certificate: string | null = null;
        if (o.certificate !== false && result.purge) {
          const recs = purgeRecords(s, result.purge);
          if (recs.length) {
            const file =
              typeof o.certificate === 'string'
                ? path.resolve(o.certificate)
                : path.resolve(o.out ?? '.', `destruction-${result.purge}.pdf`);
            certificate = await writeCertificate(
              s,
              result.purge,
              recs,
              file,
              result.held.map((h) => ({ id: h.entry.heldBy.join(', '), files: h.batch.stored ?? 0 })),
            );
          }
        }
        const out = {
          done: true,
          purge: result.purge,
          destroyed: result.destroyed,
          cancelled: result.cancelled,
          held: planJson.held,
          certificate,
        };
        if (g.json) return printJson(ctx, out);
        const files = result.destroyed.reduce((a, d) => a + d.stored, 0);
        ctx.stdout.write(
          `Destroyed ${result.destroyed.length} import ${result.destroyed.length === 1 ? 'batch' : 'batches'} (${files} stored files, ${bytes(result.destroyed.reduce((a, d) => a + d.bytes, 0))}): ${result.destroyed.map((d) => d.batch).join(', ')}. Their keys are destroyed, so no copy can be read.\n`,
        );
        for (const h of planJson.held) ctx.stdout.write(`Kept under hold: ${h.batch} (${h.heldBy.join(', ')}).\n`);
        if (certificate) ctx.stdout.write(`Certificate of destruction: ${certificate}\n`);
      });
    });

  const problem = program
    .command('problem')
    .description('the problem log (policy §7): each problem, when found, and how long the system was not working');

  problem
    .command('add')
    .description('log a problem with a camera or part')
    .option('--camera <id>', 'the camera')
    .option('--part <text>', 'the part, if not a whole camera (e.g. "drive D003", "home disk")')
    .option('--description <text>', 'what was wrong')
    .option('--discovered-at <iso>', 'when it was discovered (default now)')
    .option('--from <iso>', 'not working from')
    .option('--to <iso>', 'not working until (leave out while it still is not)')
    .option('--from-finding <n>', 'take camera, period and description from finding N of the last health check', (v) =>
      Number(v),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ custody problem add --from-finding 2\n  $ custody problem add --camera CAM-02 --description "lens cover cracked" --from 2026-11-02T08:00:00-08:00',
    )
    .action(
      async (o: {
        camera?: string;
        part?: string;
        description?: string;
        discoveredAt?: string;
        from?: string;
        to?: string;
        fromFinding?: number;
      }) => {
        const g = globals();
        await withSession(ctx, g, 'problem add', 'cameras.manage', async (s) => {
          let finding: Finding | undefined;
          let check: { seq: number; at: string } | undefined;
          if (o.fromFinding !== undefined) {
            const last = lastHealthCheck(s);
            if (!last)
              throw new CustodyError('notFound', 'No health check has been run.', 'Run `custody health` first.');
            const findings = JSON.parse(last.findings) as Finding[];
            if (!Number.isInteger(o.fromFinding) || o.fromFinding < 1 || o.fromFinding > findings.length)
              throw new CustodyError(
                'usage',
                `The last health check (${last.at}) has findings 1 to ${findings.length}; there is no finding ${o.fromFinding}.`,
              );
            finding = findings[o.fromFinding - 1];
            check = last;
          }
          const cameraDefault =
            finding?.area === 'camera' && s.ledger.one('SELECT id FROM cameras WHERE id = ?', [finding.subject])
              ? finding.subject
              : undefined;
          // A finding about storage, the ledger or a drive names its part instead of a camera.
          const part = o.part ?? (finding && !cameraDefault ? `${finding.area} ${finding.subject}` : undefined);
          const camera =
            o.camera ??
            cameraDefault ??
            (part ? undefined : await askText(ctx, undefined, { flag: '--camera or --part', message: 'Camera:' }));
          if (camera && !s.ledger.one('SELECT id FROM cameras WHERE id = ?', [camera]))
            throw new CustodyError('notFound', `No camera ${camera}.`, 'See `custody camera list`.');
          const description =
            o.description ??
            finding?.message ??
            (await askText(ctx, undefined, { flag: '--description', message: 'What was wrong?' }));
          const from = o.from ?? finding?.period?.from;
          const to = o.to ?? finding?.period?.to;
          for (const [v, f] of [
            [from, '--from'],
            [to, '--to'],
          ] as const)
            if (v !== undefined) whenOpt(v, f, s);
          if (from && to && Date.parse(to) < Date.parse(from))
            throw new CustodyError('usage', '--to is before --from.');
          const id = nextProblemId(s);
          s.append('problem.logged', {
            problem: id,
            camera: camera ?? null,
            part: part ?? null,
            description,
            discoveredAt:
              o.discoveredAt !== undefined ? whenOpt(o.discoveredAt, '--discovered-at', s) : (check?.at ?? s.now()),
            from: from ?? null,
            to: to ?? null,
            healthCheck: check?.seq ?? null,
            finding: o.fromFinding ?? null,
          });
          s.commit();
          const p = s.ledger.one<ProblemRow>('SELECT * FROM problems WHERE id = ?', [id])!;
          if (g.json) return printJson(ctx, problemJson(p));
          ctx.stdout.write(
            `Logged problem ${id}${camera ? ` (camera ${camera})` : ''}${from ? `: not working from ${from}${to ? ` to ${to}` : ''}` : ''}.\n`,
          );
        });
      },
    );

  problem
    .command('list')
    .description('the problem log')
    .option('--open', 'only problems not yet resolved')
    .option('--camera <id>', 'only this camera')
    .action(async (o: { open?: boolean; camera?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'problem list', 'reports', (s) => {
        const where: string[] = [];
        const params: string[] = [];
        if (o.open) where.push("status = 'open'");
        if (o.camera) {
          where.push('camera_id = ?');
          params.push(o.camera);
        }
        const list = s.ledger
          .rows<ProblemRow>(
            `SELECT * FROM problems ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
            params,
          )
          .map(problemJson);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['problem', 'camera/part', 'discovered', 'not working', 'corrective action', 'fixed', 'status'],
            list.map((p) => [
              p.id,
              p.camera ?? p.part,
              p.discoveredAt.slice(0, 16).replace('T', ' '),
              p.notWorkingFrom
                ? `${p.notWorkingFrom.slice(0, 16).replace('T', ' ')} – ${p.notWorkingTo ? p.notWorkingTo.slice(0, 16).replace('T', ' ') : '(still)'}`
                : '',
              p.correctiveAction,
              p.fixedAt?.slice(0, 10),
              p.status,
            ]),
          ),
        );
      });
    });

  problem
    .command('show <id>')
    .description('one problem')
    .action(async (id: string) => {
      const g = globals();
      await withSession(ctx, g, 'problem show', 'reports', (s) => {
        const p = s.ledger.one<ProblemRow>('SELECT * FROM problems WHERE id = ?', [id]);
        if (!p) throw new CustodyError('notFound', `No problem ${id}.`, 'See `custody problem list`.');
        const j = problemJson(p);
        if (g.json) return printJson(ctx, j);
        ctx.stdout.write(
          details([
            ['problem', j.id],
            ['camera', j.camera ?? undefined],
            ['part', j.part ?? undefined],
            ['description', j.description],
            ['discovered', j.discoveredAt],
            ['not working from', j.notWorkingFrom],
            ['not working to', j.notWorkingTo],
            ['corrective action', j.correctiveAction],
            ['fixed', j.fixedAt],
            ['status', j.status],
            ['logged by', `${j.loggedBy} at ${j.loggedAt}`],
          ]),
        );
      });
    });

  problem
    .command('resolve <id>')
    .description('record the corrective action and when it was fixed')
    .option('--action <text>', 'the corrective action')
    .option('--fixed-at <iso>', 'when it was fixed (default now)')
    .option('--to <iso>', 'not working until (default: unchanged, or when fixed if unknown)')
    .action(async (id: string, o: { action?: string; fixedAt?: string; to?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'problem resolve', 'cameras.manage', async (s) => {
        const p = s.ledger.one<ProblemRow>('SELECT * FROM problems WHERE id = ?', [id]);
        if (!p) throw new CustodyError('notFound', `No problem ${id}.`, 'See `custody problem list`.');
        if (p.status === 'resolved')
          throw new CustodyError('conflict', `Problem ${id} is already resolved (${p.fixed_at}).`);
        const action = await askText(ctx, o.action, { flag: '--action', message: 'Corrective action:' });
        const fixedAt = whenOpt(o.fixedAt, '--fixed-at', s);
        const to = o.to !== undefined ? whenOpt(o.to, '--to', s) : p.down_from && !p.down_to ? fixedAt : null;
        if (!(await askConfirm(ctx, true, { flag: '--yes', message: 'Record it?' }))) return;
        s.append('problem.resolved', { problem: id, camera: p.camera_id, action, fixedAt, to });
        s.commit();
        const q = s.ledger.one<ProblemRow>('SELECT * FROM problems WHERE id = ?', [id])!;
        if (g.json) return printJson(ctx, problemJson(q));
        ctx.stdout.write(`Problem ${id} resolved on ${fixedAt.slice(0, 10)}: ${action}\n`);
      });
    });
}
