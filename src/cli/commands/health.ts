/** Commands: health (issue 7). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerHealth(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
