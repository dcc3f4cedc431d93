import fs from 'node:fs';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { GENERATIONS, Ledger } from '../../ledger/ledger.js';
import { breakLock } from '../../ledger/lock.js';
import { writeFileAtomic } from '../../ledger/fsutil.js';
import { verifyLedger } from '../../ledger/verify.js';
import { Home } from '../../ledger/home.js';
import { openSession } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { askConfirm } from '../prompts.js';
import { paint, printJson, useColor } from '../render.js';
import { getCredentials, homeDir, withSession } from '../session.js';

export function registerVerify(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  program
    .command('verify')
    .description('check the ledger: the hash chain, the derived tables and the signed checkpoints')
    .addHelpText(
      'after',
      '\nExit status 0 when everything matches, 8 when anything was tampered with.\n\nExample:\n  $ custody verify --json',
    )
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'verify', 'log.read', async (s) => {
        const r = await verifyLedger(s);
        if (g.json) printJson(ctx, r);
        else {
          const c = useColor(ctx, g);
          ctx.stdout.write(
            `Events: ${r.events}; head #${r.head.seq} ${r.head.hash}\nCheckpoints: ${r.checkpoints.valid} of ${r.checkpoints.total} signatures valid\n`,
          );
          for (const w of r.warnings) ctx.stdout.write(`${paint(c, 'yellow', 'warning:')} ${w}\n`);
          for (const p of r.problems) ctx.stdout.write(`${paint(c, 'red', 'PROBLEM:')} ${p}\n`);
          ctx.stdout.write(r.ok ? `${paint(c, 'green', 'OK')}: the ledger is intact.\n` : '');
        }
        if (!r.ok) {
          const first = r.firstBadEvent
            ? `event #${r.firstBadEvent.seq} (${r.firstBadEvent.type}) does not match`
            : r.problems[0]!;
          throw new CustodyError(
            'integrity',
            `Verification failed: ${first}.`,
            'Do not change anything further; keep the home as it is and tell the custodian. `custody restore` can put back an earlier generation.',
          );
        }
      });
    });

  program
    .command('unlock')
    .description('remove a stale lock left by a custody process that is no longer running')
    .option('--force', 'remove it even if the process seems alive (only when it ran on another machine)')
    .action((o: { force?: boolean }) => {
      const g = globals();
      const home = Home.open(homeDir(ctx, g));
      const removed = breakLock(home.dir, o.force ?? false);
      if (g.json) printJson(ctx, { removed: removed ?? null });
      else
        ctx.stdout.write(
          removed
            ? `Removed the lock of \`${removed.command}\` (process ${removed.pid}). Run \`custody verify\` to check the ledger.\n`
            : 'There was no lock.\n',
        );
    });

  program
    .command('restore')
    .description(
      'put back an earlier generation of the ledger (after a damaged save); the current file is kept as a generation',
    )
    .requiredOption('--generation <n>', `which generation: 1 (newest) to ${GENERATIONS}`, (v) => Number(v))
    .option('--yes', 'do it without asking')
    .action(async (o: { generation: number; yes?: boolean }) => {
      const g = globals();
      if (!(Number.isInteger(o.generation) && o.generation >= 1 && o.generation <= GENERATIONS))
        throw new CustodyError('usage', `--generation must be 1 to ${GENERATIONS}.`);
      const home = Home.open(homeDir(ctx, g));
      const src = `${home.ledgerFile}.${o.generation}`;
      if (!fs.existsSync(src)) throw new CustodyError('notFound', `There is no generation ${o.generation} (${src}).`);
      const { username, password } = await getCredentials(ctx, g);
      const master = await home.unlock(username, password);
      if (!master)
        throw new CustodyError('auth', `Log-in failed for "${username}": unknown operator or wrong password.`);
      const candidate = await Ledger.load(src, home.ledgerKey(master));
      const chain = candidate.verifyChain();
      if (chain.problem)
        throw new CustodyError(
          'integrity',
          `Generation ${o.generation} is itself damaged at event #${chain.problem.seq}; not restored.`,
        );
      const op = candidate.one<{ role: string; status: string }>(
        'SELECT role, status FROM operators WHERE username = ?',
        [username],
      );
      if (op?.role !== 'custodian' || op.status !== 'active')
        throw new CustodyError('denied', 'Only an active custodian may restore the ledger.');
      const head = candidate.head;
      candidate.close();
      const ok = await askConfirm(ctx, o.yes, {
        flag: '--yes',
        message: `Restore generation ${o.generation} (head #${head.seq})? Later events in the current file are set aside as a generation.`,
        default: false,
      });
      if (!ok) return void ctx.stdout.write('Nothing was changed.\n');
      // The current file, readable or not, becomes generation 1 through writeFileAtomic's rotation.
      writeFileAtomic(home.ledgerFile, fs.readFileSync(src), { keep: GENERATIONS });
      const s = await openSession({
        homeDir: home.dir,
        credentials: { username, password },
        clock: ctx.clock,
        command: 'restore',
        lockWaitMs: g.lockWait * 1000,
        sleep: ctx.sleep,
      });
      try {
        const lost = s.home
          .readCheckpoints()
          .checkpoints.filter((c) => c.seq > head.seq)
          .map((c) => ({ seq: c.seq, hash: c.hash }));
        s.append('ledger.restored', {
          fromGeneration: o.generation,
          headSeq: head.seq,
          headHash: head.hash,
          lostCheckpoints: lost,
        });
        s.commit();
        if (g.json)
          printJson(ctx, { restoredGeneration: o.generation, head: s.ledger.head, lostCheckpoints: lost.length });
        else
          ctx.stdout.write(
            `Restored generation ${o.generation}. ${lost.length} later checkpoint(s) are recorded as lost.\n`,
          );
      } finally {
        s.close();
      }
    });
}
