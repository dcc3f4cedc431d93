/** Commands: agency, request, hold, release, receipt (issue 6). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerRequests(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
