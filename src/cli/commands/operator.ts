/** Command: operator — who may log in, their role and training (policy §2, §3, §5). */
import { type Command, Option } from 'commander';
import {
  checkNewOperator,
  checkUsername,
  operatorAdd,
  operatorDisable,
  operatorList,
  operatorPasswd,
  operatorCertificate,
  operatorShow,
  operatorToDisable,
  operatorTrain,
  passwordTarget,
  ROLES,
} from '../../operations/operators.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { askChoice, askDate, askSecret, askText } from '../prompts.js';
import { details, printJson, table } from '../render.js';
import { readSecretFile, withSession } from '../session.js';

type Globals = () => GlobalOptions;

async function newPassword(ctx: CliContext, file: string | undefined): Promise<string> {
  return file
    ? readSecretFile(file, 'new password')
    : await askSecret(ctx, { flag: '--new-password-file', message: 'New password:', confirm: true });
}

const newPasswordFile = (description: string) => new Option('--new-password-file <file>', description);

function registerAdd(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('add <username>')
    .description('add an operator (custodian only)')
    .option('--name <name>', 'full name')
    .option('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--organization <org>', 'organization (recorded with every access; default: the agency)')
    .addOption(newPasswordFile("file holding the new operator's first password"))
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
        checkUsername(username);
        await withSession(ctx, g, 'operator add', 'operators.manage', async (s) => {
          checkNewOperator(s, username);
          const displayName = await askText(ctx, o.name, { flag: '--name', message: 'Full name:' });
          const role = await askChoice(ctx, o.role, {
            flag: '--role',
            message: 'Role:',
            choices: ROLES.map((r) => ({ name: r, value: r as string })),
            // Day-to-day work; a second custodian is the exception.
            initial: 'designee',
          });
          const password = await newPassword(ctx, o.newPasswordFile ?? ctx.env.CUSTODY_NEW_PASSWORD_FILE);
          const out = await operatorAdd(s, { username, displayName, role, organization: o.organization, password });
          if (g.json) printJson(ctx, out);
          else
            ctx.stdout.write(
              `Added ${out.role} ${username} (${displayName}). Record their training with \`custody operator train ${username}\` before they can log in.\n`,
            );
        });
      },
    );
}

function registerList(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('list')
    .description('list operators')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'operator list', 'log.read', (s) => {
        const list = operatorList(s);
        if (g.json) return printJson(ctx, list);
        ctx.stdout.write(
          table(
            ['username', 'name', 'role', 'organization', 'status', 'trained', 'failed log-ins'],
            list.map((r) => [
              r.username,
              r.name,
              r.role,
              r.organization,
              r.status,
              r.trainedOn ?? 'NOT TRAINED',
              r.failedLogins,
            ]),
          ),
        );
      });
    });
}

function registerDisable(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('disable <username>')
    .description('disable an operator: their key is removed, nothing is re-encrypted (custodian only)')
    .addOption(flags.reason('why'))
    .action(async (username: string, o: { reason?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'operator disable', 'operators.manage', async (s) => {
        operatorToDisable(s, username);
        const reason = await askText(ctx, o.reason, { flag: '--reason', message: 'Reason:' });
        const out = await operatorDisable(s, { username, reason });
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          `Disabled ${username}; their slot was removed and the keys were rotated: nothing sealed from now on opens with their old slot.\n`,
        );
        needNewPasswordNote(ctx, out.needNewPassword);
      });
    });
}

/** Operators whose slot predates key rotation could not be handed the new keys. */
function needNewPasswordNote(ctx: CliContext, users: string[]): void {
  if (users.length)
    ctx.stdout.write(
      `Not handed the new keys (their slot is from an older custody): ${users.join(', ')}. Give each a new password: custody operator passwd USER\n`,
    );
}

function registerPasswd(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('passwd [username]')
    .description('change your password (or, as custodian, set another operator’s)')
    .addOption(newPasswordFile('file holding the new password'))
    .action(async (username: string | undefined, o: { newPasswordFile?: string }) => {
      const g = globals();
      await withSession(
        ctx,
        g,
        'operator passwd',
        null,
        async (s) => {
          const target = passwordTarget(s, username);
          const password = await newPassword(ctx, o.newPasswordFile ?? ctx.env.CUSTODY_NEW_PASSWORD_FILE);
          const out = await operatorPasswd(s, { username: target, password });
          if (g.json) return printJson(ctx, out);
          ctx.stdout.write(`Password changed for ${target}; the keys were rotated.\n`);
          needNewPasswordNote(ctx, out.needNewPassword);
        },
        { allowUntrained: true },
      );
    });
}

function registerTrain(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('train <username>')
    .description('record an operator’s training (policy §3; custodian only)')
    .addOption(flags.date('date of the training'))
    .option('--course <name>', 'course')
    .option('--trainer <name>', 'trainer')
    .action(async (username: string, o: { date?: string; course?: string; trainer?: string }) => {
      const g = globals();
      await withSession(ctx, g, 'operator train', 'operators.manage', async (s) => {
        operatorShow(s, username);
        const date = await askDate(ctx, o.date, s, { flag: '--date', message: 'Date of training:' });
        const input = { username, date };
        const course = await askText(ctx, o.course, { flag: '--course', message: 'Course:' });
        const trainer = await askText(ctx, o.trainer, { flag: '--trainer', message: 'Trainer:' });
        const out = operatorTrain(s, { ...input, course, trainer });
        if (g.json) printJson(ctx, out);
        else ctx.stdout.write(`Recorded training of ${username}: ${course}, ${out.date}, by ${trainer}.\n`);
      });
    });
}

function registerShow(op: Command, ctx: CliContext, globals: Globals): void {
  op.command('show <username>')
    .description('show one operator')
    .action(async (username: string) => {
      const g = globals();
      await withSession(ctx, g, 'operator show', 'log.read', (s) => {
        const t = operatorShow(s, username);
        const cert = operatorCertificate(s, username);
        if (g.json) return printJson(ctx, { ...t, documentCertificate: cert });
        ctx.stdout.write(
          details([
            ['username', t.username],
            ['name', t.displayName],
            ['role', t.role],
            ['organization', t.organization],
            ['status', t.status],
            [
              'training',
              t.training ? `${t.training.course}, ${t.training.date}, by ${t.training.trainer}` : 'NOT TRAINED',
            ],
            [
              'signs documents with',
              cert ? `${cert.subject}; SHA-256 ${cert.fingerprint256} (recorded at #${cert.recordedAt})` : '—',
            ],
          ]),
        );
      });
    });
}

export function registerOperator(program: Command, ctx: CliContext, globals: Globals): void {
  const op = program
    .command('operator')
    .description('operators: who may log in, their role and training (policy §2, §3, §5)');
  for (const sub of [registerAdd, registerList, registerDisable, registerPasswd, registerTrain, registerShow])
    sub(op, ctx, globals);
}
