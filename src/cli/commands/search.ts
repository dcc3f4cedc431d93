/** Commands: search, image, audit (issue 5). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerSearch(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
