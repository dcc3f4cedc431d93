import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../render.js';

interface WatchOpts {
  roots?: string;
  once?: boolean;
  interval: number;
  storeLocation?: string;
  replacement?: string | boolean;
  camera?: string;
}

/**
 * `custody watch`: chokidar watches the mount roots; a watcher event is only a hint, confirmed
 * against the mount table (a new mount under a root) before the swap starts for a drive that
 * carries a custody id file. The mount table is also polled, for systems where events are lost.
 */
export function registerWatch(
  program: Command,
  ctx: CliContext,
  globals: () => GlobalOptions,
  runSwap: (args: string[]) => Promise<number>,
): void {
  program
    .command('watch')
    .description('wait for a recognised drive to be mounted, then start the swap for it')
    .option(
      '--roots <paths>',
      'comma-separated folders where drives are mounted (default: /media, /run/media/$USER, /Volumes)',
    )
    .option('--once', 'stop after the first swap')
    .option('--interval <seconds>', 'how often to re-read the mount table', (v) => Number(v), 2)
    .option('--camera <id>', 'passed on to the swap')
    .option('--store-location <text>', 'passed on to the swap')
    .option('--replacement <id>', 'passed on to the swap')
    .option('--no-replacement', 'passed on to the swap')
    .addHelpText('after', '\nExample:\n  $ custody watch            # leave it running; plug in a camera drive')
    .action(async (o: WatchOpts) => {
      const g = globals();
      const { listMounts, newMounts, removableMountRoots } = await import('../../media/mounts.js');
      const { readDriveIdFile } = await import('../../media/drives.js');
      const { watch } = await import('chokidar');
      const roots = (o.roots ? o.roots.split(',') : removableMountRoots(process.platform, os.userInfo().username))
        .map((r) => path.resolve(r.trim()))
        .filter(Boolean);
      if (roots.length === 0) throw new CustodyError('usage', 'No mount roots to watch.', 'Give them with --roots.');
      const under = (p: string) => roots.some((r) => p === r || p.startsWith(`${r}${path.sep}`));
      let known = (await listMounts()).filter((m) => under(m.mountPath));
      const handled = new Set(known.map((m) => m.mountPath));
      ctx.stderr.write(`Watching ${roots.join(', ')} for camera drives (Ctrl-C to stop).\n`);

      const watcher = watch(
        roots.filter((r) => fs.existsSync(r)),
        { depth: 2, ignoreInitial: true, persistent: true },
      );
      let busy = false;
      let stop: (() => void) | undefined;
      const done = new Promise<void>((resolve) => (stop = resolve));
      let lastCode = 0;
      const check = async () => {
        if (busy) return;
        busy = true;
        try {
          const now = (await listMounts()).filter((m) => under(m.mountPath));
          const fresh = newMounts(known, now).filter((m) => !handled.has(m.mountPath));
          known = now;
          for (const m of fresh) {
            handled.add(m.mountPath);
            const id = await readDriveIdFile(m.mountPath);
            if (!id.info) {
              ctx.stderr.write(
                `A drive was mounted at ${m.mountPath}, but it is not a custody drive (${id.detail}); enrol it with \`custody drive enrol --source ${m.mountPath}\`.\n`,
              );
              continue;
            }
            if (g.json) printJson(ctx, { event: 'drive', mountPath: m.mountPath, drive: id.info.driveId });
            else ctx.stderr.write(`Drive ${id.info.driveId} mounted at ${m.mountPath}: starting the swap.\n`);
            const args = ['swap', '--source', m.mountPath];
            if (o.camera) args.push('--camera', o.camera);
            if (o.storeLocation) args.push('--store-location', o.storeLocation);
            if (typeof o.replacement === 'string') args.push('--replacement', o.replacement);
            if (o.replacement === false) args.push('--no-replacement');
            lastCode = await runSwap(args);
            if (o.once) stop?.();
          }
          // Forget mounts that went away, so the same drive plugged in again is seen again.
          for (const p of [...handled]) if (!now.some((m) => m.mountPath === p)) handled.delete(p);
        } finally {
          busy = false;
        }
      };
      watcher.on('addDir', () => void check());
      const timer = setInterval(() => void check(), Math.max(0.2, o.interval) * 1000);
      const onSig = () => stop?.();
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      try {
        await done;
      } finally {
        clearInterval(timer);
        process.removeListener('SIGINT', onSig);
        process.removeListener('SIGTERM', onSig);
        await watcher.close();
      }
      if (lastCode !== 0) throw new CustodyError('partial', `The swap ended with exit status ${lastCode}.`);
    });
}
