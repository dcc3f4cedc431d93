/**
 * What a command may touch of the outside world, injected so commands run in-process in tests:
 * output streams, standard input, environment, whether this is a terminal, and the clock.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../core/time.js';

export interface Out {
  write(s: string): unknown;
}

export interface CliContext {
  stdout: Out;
  stderr: Out;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** Prompts and progress bars only on a terminal. */
  isTTY: boolean;
  clock: Clock;
  /** Injected so tests of the log-in slow-down need not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Used by prompt tests: answers instead of a terminal. */
  promptOverride?: PromptDriver;
}

export interface PromptDriver {
  input(o: { message: string; default?: string }): Promise<string>;
  password(o: { message: string }): Promise<string>;
  confirm(o: { message: string; default?: boolean }): Promise<boolean>;
  select<T extends string>(o: {
    message: string;
    choices: { name: string; value: T; description?: string; disabled?: boolean | string }[];
    default?: T;
  }): Promise<T>;
}

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  color?: boolean;
  user?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
  lockWait: number;
  progress?: boolean;
}
