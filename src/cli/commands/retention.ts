/** Commands: retention, purge, problem (issue 7). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerRetention(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
