/**
 * All prompts go through here (STYLE.md practice 6). A prompt appears only on a terminal; every
 * prompt has a flag that answers it, and without a terminal a missing answer is a usage error
 * naming that flag.
 */
import { CustodyError } from '../core/errors.js';
import type { CliContext, PromptDriver } from './context.js';

// Loaded on first use: most runs (scripts, tests) never prompt.
const inquirer = () => import('@inquirer/prompts');
const inquirerDriver: PromptDriver = {
  input: async (o) => (await inquirer()).input(o),
  password: async (o) => (await inquirer()).password({ ...o, mask: '*' }),
  confirm: async (o) => (await inquirer()).confirm(o),
  select: async (o) => (await inquirer()).select(o) as never,
};

function driver(ctx: CliContext): PromptDriver {
  return ctx.promptOverride ?? inquirerDriver;
}

function canPrompt(ctx: CliContext): boolean {
  return ctx.isTTY || ctx.promptOverride !== undefined;
}

function missing(flag: string, what: string): CustodyError {
  return new CustodyError(
    'usage',
    `Missing ${what}: pass ${flag}.`,
    'Without a terminal every answer must come from a flag.',
  );
}

/** A prompt was cancelled (Ctrl-C): nothing has been written yet. */
async function guarded<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) {
      throw new CustodyError('interrupted', 'Cancelled; nothing was changed.');
    }
    throw e;
  }
}

export async function askText(
  ctx: CliContext,
  value: string | undefined,
  o: { flag: string; message: string; default?: string; validate?: (s: string) => string | undefined },
): Promise<string> {
  if (value !== undefined) return value;
  if (!canPrompt(ctx)) {
    if (o.default !== undefined) return o.default;
    throw missing(o.flag, o.message.replace(/[?:]\s*$/, '').toLowerCase());
  }
  for (;;) {
    const v = (await guarded(driver(ctx).input({ message: o.message, default: o.default }))).trim();
    const problem = o.validate?.(v);
    if (!problem) return v;
    ctx.stderr.write(`${problem}\n`);
  }
}

export async function askSecret(
  ctx: CliContext,
  o: { flag: string; message: string; confirm?: boolean },
): Promise<string> {
  if (!canPrompt(ctx)) throw missing(o.flag, o.message.replace(/[?:]\s*$/, '').toLowerCase());
  for (;;) {
    const a = await guarded(driver(ctx).password({ message: o.message }));
    if (!o.confirm) return a;
    const b = await guarded(driver(ctx).password({ message: 'Type it again:' }));
    if (a === b) return a;
    ctx.stderr.write('The two did not match; try again.\n');
  }
}

export async function askConfirm(
  ctx: CliContext,
  value: boolean | undefined,
  o: { flag: string; message: string; default?: boolean },
): Promise<boolean> {
  if (value !== undefined) return value;
  if (!canPrompt(ctx)) {
    if (o.default !== undefined) return o.default;
    throw missing(o.flag, o.message);
  }
  return guarded(driver(ctx).confirm({ message: o.message, default: o.default }));
}

export async function askChoice<T extends string>(
  ctx: CliContext,
  value: T | undefined,
  o: {
    flag: string;
    message: string;
    choices: { name: string; value: T; description?: string; disabled?: boolean | string }[];
    default?: T;
  },
): Promise<T> {
  if (value !== undefined) {
    const c = o.choices.find((x) => x.value === value);
    if (!c)
      throw new CustodyError('usage', `${o.flag} ${value} is not one of: ${o.choices.map((x) => x.value).join(', ')}.`);
    if (c.disabled)
      throw new CustodyError(
        'denied',
        `${value} cannot be chosen: ${typeof c.disabled === 'string' ? c.disabled : 'not allowed now'}.`,
      );
    return value;
  }
  if (!canPrompt(ctx)) {
    if (o.default !== undefined) return o.default;
    throw missing(o.flag, o.message.replace(/[?:]\s*$/, '').toLowerCase());
  }
  return guarded(driver(ctx).select({ message: o.message, choices: o.choices, default: o.default }));
}
