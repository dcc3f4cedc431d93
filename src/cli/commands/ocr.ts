/** Commands: ocr (issue 4). */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';

export function registerOcr(_program: Command, _ctx: CliContext, _globals: () => GlobalOptions): void {
  // Not built yet.
}
