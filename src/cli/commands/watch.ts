import fs from 'node:fs';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { watchMounts } from '../../operations/watch.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { flags } from '../options.js';
import { printJson } from '../render.js';

interface WatchOpts {
  roots?: string;
  once?: boolean;
  interval: number;
  storeLocation?: string;
  replacement?: string | boolean;
  camera?: string;
}

/** The swap's command line for a drive mounted at `mountPath`, with the answers the watch passes on. */
function swapArgs(mountPath: string, o: WatchOpts): string[] {
  const args = ['swap', '--source', mountPath];
  if (o.camera) args.push('--camera', o.camera);
  if (o.storeLocation) args.push('--store-location', o.storeLocation);
  if (typeof o.replacement === 'string') args.push('--replacement', o.replacement);
  if (o.replacement === false) args.push('--no-replacement');
  return args;
}

/**
 * Run `check` when chokidar sees a folder appear under a root, and every `interval` seconds, one
 * at a time, until `check` calls stop or Ctrl-C (SIGINT/SIGTERM).
 */
async function untilStopped(
  roots: string[],
  interval: number,
  check: (stop: () => void) => Promise<void>,
): Promise<void> {
  const { watch } = await import('chokidar');
  const watcher = watch(
    roots.filter((r) => fs.existsSync(r)),
    { depth: 2, ignoreInitial: true, persistent: true },
  );
  let busy = false;
  let stop: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const run = async () => {
    if (busy) return;
    busy = true;
    try {
      await check(stop);
    } finally {
      busy = false;
    }
  };
  watcher.on('addDir', () => void run());
  const timer = setInterval(() => void run(), Math.max(0.2, interval) * 1000);
  const onSig = () => stop();
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
    .addOption(flags.camera('passed on to the swap'))
    .addOption(flags.storeLocation('passed on to the swap'))
    .addOption(flags.replacement('passed on to the swap'))
    .addOption(flags.noReplacement('passed on to the swap'))
    .addHelpText('after', '\nExample:\n  $ custody watch            # leave it running; plug in a camera drive')
    .action(async (o: WatchOpts) => {
      const g = globals();
      const mounts = await watchMounts(o.roots);
      ctx.stderr.write(`Watching ${mounts.roots.join(', ')} for camera drives (Ctrl-C to stop).\n`);
      let lastCode = 0;
      await untilStopped(mounts.roots, o.interval, async (stop) => {
        for (const a of await mounts.poll()) {
          if (a.driveId === undefined) {
            ctx.stderr.write(
              `A drive was mounted at ${a.mountPath}, but it is not a custody drive (${a.detail}); enrol it with \`custody drive enrol --source ${a.mountPath}\`.\n`,
            );
            continue;
          }
          if (g.json) printJson(ctx, { event: 'drive', mountPath: a.mountPath, drive: a.driveId });
          else ctx.stderr.write(`Drive ${a.driveId} mounted at ${a.mountPath}: starting the swap.\n`);
          lastCode = await runSwap(swapArgs(a.mountPath, o));
          if (o.once) stop();
        }
      });
      if (lastCode !== 0) throw new CustodyError('partial', `The swap ended with exit status ${lastCode}.`);
    });
}
