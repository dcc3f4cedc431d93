import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { isRole, ROLES } from '../../core/roles.js';
import { validatePassword, validateUsername } from '../../ledger/home.js';
import type { Operator, Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askChoice, askSecret, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { readSecretFile, withSession } from '../session.js';

function mustFind(s: Session, username: string): Operator {
  const op = s.findOperator(username);
  if (!op) throw new CustodyError('notFound', `No operator ${username}.`, 'See `custody operator list`.');
  return op;
}

async function newPassword(ctx: CliContext, file: string | undefined): Promise<string> {
  const p = file
    ? readSecretFile(file, 'new password')
    : await askSecret(ctx, { flag: '--new-password-file', message: 'New password:', confirm: true });
  return validatePassword(p);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function registerOperator(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const op = program
    .command('operator')
    .description('operators: who may log in, their role and training (policy §2, §3, §5)');

  op.command('add <username>')
    .description('add an operator (custodian only)')
    .option('--name <name>', 'full name')
    .option('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--organization <org>', 'organisation (recorded with every access; default: the agency)')
    .option('--new-password-file <file>', "file holding the new operator's first password", undefined)
    .addHelpText(
      'after',
      '\nExample:\n  $ custody operator add rlee --name "Robin Lee" --role designee --new-password-file ./first-password.txt',
    )
    .action(
      async (
        username: string,
        o: { name?: string; role?: string; organization?: string; newPasswordFile?: string },
      ) => {
        const g = globals();
        validateUsername(username);
        await withSession(ctx, g, 'operator add', 'operators.manage', async (s) => {
          if (s.findOperator(username)) throw new CustodyError('conflict', `Operator ${username} already exists.`);
          const displayName = await askText(ctx, o.name, { flag: '--name', message: 'Full name:' });
          const role = await askChoice(ctx, o.role, {
            flag: '--role',
            message: 'Role:',
            choices: ROLES.map((r) => ({ name: r, value: r })),
          });
          if (!isRole(role)) throw new CustodyError('usage', `--role must be one of ${ROLES.join(', ')}.`);
          const organization = o.organization ?? s.settings.agencyName;
          const password = await newPassword(ctx, o.newPasswordFile ?? ctx.env.CUSTODY_NEW_PASSWORD_FILE);
          s.append('operator.added', { username, displayName, role, organization });
          // The key is wrapped for the new operator only after the event is safely on disk.
          s.commit();
          await s.home.setOperatorKey(username, s.master, password);
          const out = { username, displayName, role, organization, trained: false };
          if (g.json) printJson(ctx, out);
          else
            ctx.stdout.write(
              `Added ${role} ${username} (${displayName}). Record their training with \`custody operator train ${username}\` before they can log in.\n`,
            );
        });
      },
    );

  op.command('list')
    .description('list operators')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'operator list', 'log.read', (s) => {
        const ops = s.ledger.rows<Record<string, unknown>>('SELECT * FROM operators ORDER BY username');
        const list = ops.map((r) => ({
          username: r.username,
          name: r.display_name,
          role: r.role,
          organization: r.organization,
          status: r.status,
          trainedOn: r.trained_on ?? null,
          course: r.course ?? null,
          trainer: r.trainer ?? null,
          failedLogins: r.failed_logins,
        }));
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['username', 'name', 'role', 'organisation', 'status', 'trained', 'failed log-ins'],
            list.map((r) => [
              r.username as string,
              r.name as string,
              r.role as string,
              r.organization as string,
              r.status as string,
              (r.trainedOn as string) ?? 'NOT TRAINED',
              r.failedLogins as number,
            ]),
          ),
        );
      });
    });

  op.command('disable <username>')
    .description('disable an operator: their key is removed, nothing is re-encrypted (custodian only)')
    .option('--reason <text>', 'why')
    .action(async (username: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'operator disable', 'operators.manage', async (s) => {
        const target = mustFind(s, username);
        if (target.status === 'disabled')
          throw new CustodyError('conflict', `Operator ${username} is already disabled.`);
        if (username === s.operator.username)
          throw new CustodyError('denied', 'You cannot disable yourself.', 'Another custodian must do it.');
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        s.append('operator.disabled', { username, reason });
        s.commit();
        s.home.removeOperatorKey(username);
        if (g.json) printJson(ctx, { username, status: 'disabled', reason });
        else ctx.stdout.write(`Disabled ${username}; their key was removed from the keyring.\n`);
      });
    });

  op.command('passwd [username]')
    .description('change your password (or, as custodian, set another operator’s)')
    .option('--new-password-file <file>', 'file holding the new password')
    .action(async (username: string | undefined, o: { newPasswordFile?: string }) => {
      const g = globals();
      await withSession(
        ctx,
        g,
        'operator passwd',
        null,
        async (s) => {
          const target = username ?? s.operator.username;
          if (target !== s.operator.username) s.require('operators.manage');
          const t = mustFind(s, target);
          if (t.status === 'disabled') throw new CustodyError('conflict', `Operator ${target} is disabled.`);
          const password = await newPassword(ctx, o.newPasswordFile ?? ctx.env.CUSTODY_NEW_PASSWORD_FILE);
          s.append('operator.password_changed', { username: target });
          s.commit();
          await s.home.setOperatorKey(target, s.master, password);
          if (g.json) printJson(ctx, { username: target, changed: true });
          else ctx.stdout.write(`Password changed for ${target}.\n`);
        },
        { allowUntrained: true },
      );
    });

  op.command('train <username>')
    .description('record an operator’s training (policy §3; custodian only)')
    .option('--date <YYYY-MM-DD>', 'date of the training')
    .option('--course <name>', 'course')
    .option('--trainer <name>', 'trainer')
    .action(async (username: string, o: { date?: string; course?: string; trainer?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'operator train', 'operators.manage', async (s) => {
        mustFind(s, username);
        const date = await askText(ctx, o.date, {
          flag: '--date',
          message: 'Date of training (YYYY-MM-DD):',
          validate: (v) => (DATE.test(v) ? undefined : 'use YYYY-MM-DD'),
        });
        if (!DATE.test(date) || Number.isNaN(Date.parse(date)))
          throw new CustodyError('usage', `--date ${date} is not a date (YYYY-MM-DD).`);
        if (Date.parse(date) > s.clock().getTime()) throw new CustodyError('usage', `--date ${date} is in the future.`);
        const course = await askText(ctx, o.course, { flag: '--course', message: 'Course:' });
        const trainer = await askText(ctx, o.trainer, { flag: '--trainer', message: 'Trainer:' });
        s.append('operator.trained', { username, date, course, trainer });
        s.commit();
        if (g.json) printJson(ctx, { username, date, course, trainer });
        else ctx.stdout.write(`Recorded training of ${username}: ${course}, ${date}, by ${trainer}.\n`);
      });
    });

  op.command('show <username>')
    .description('show one operator')
    .action(async (username: string) => {
      const g = globals();
      await withSession(ctx, g, 'operator show', 'log.read', (s) => {
        const t = mustFind(s, username);
        if (g.json) return printJson(ctx, t);
        ctx.stdout.write(
          details([
            ['username', t.username],
            ['name', t.displayName],
            ['role', t.role],
            ['organisation', t.organization],
            ['status', t.status],
            [
              'training',
              t.training ? `${t.training.course}, ${t.training.date}, by ${t.training.trainer}` : 'NOT TRAINED',
            ],
          ]),
        );
      });
    });
}
