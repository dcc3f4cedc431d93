/** Progress bars only on a terminal (STYLE.md practice 7), always stopped in `finally`. */
import type { CliContext, GlobalOptions } from './context.js';

export interface Bar {
  update(done: number, total: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const noBar: Bar = { update() {}, stop() {} };

export async function progressBar(
  ctx: CliContext,
  g: GlobalOptions,
  label: string,
  unit: 'files' | 'images',
): Promise<Bar> {
  if (!ctx.isTTY || g.progress === false || g.json) return noBar;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {mb} MB | {rate} | ETA {eta_formatted}`,
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = Date.now();
  return {
    update(done, total, payload = {}) {
      const secs = Math.max(0.001, (Date.now() - t0) / 1000);
      const p = { mb: '0', ...payload, rate: payload.rate ?? `${(done / secs).toFixed(1)} ${unit}/s` };
      if (!started) {
        bar.start(total, done, p);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, p);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
