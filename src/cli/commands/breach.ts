/** Commands: breach, contractor, transparency (issue 8). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerBreach(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
