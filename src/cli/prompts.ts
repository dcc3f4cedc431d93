/**
 * All prompts go through here (STYLE.md practice 6). A prompt appears only on a terminal; every
 * prompt has a flag that answers it, and without a terminal a missing answer is a usage error
 * naming that flag.
 */
import { CustodyError } from '../core/errors.js';
import { checkText } from '../core/text.js';
import { formatWhen, isoInZone } from '../core/time.js';
import type { CliContext, PromptDriver } from './context.js';
import { dateFlag, type WhenHome, whenFlag } from './options.js';

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

/** An answer checked as its flag would be (`core/text.ts`: length, control characters). */
function typedProblem(flag: string, answer: string): string | undefined {
  return problemOf(() => checkText(/--[a-z-]+/.exec(flag)?.[0] ?? flag, answer));
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
    const problem = typedProblem(o.flag, v) ?? o.validate?.(v);
    if (!problem) return v;
    ctx.stderr.write(`${problem}\n`);
  }
}

export async function askSecret(
  ctx: CliContext,
  o: { flag: string; message: string; confirm?: boolean; validate?: (s: string) => string | undefined },
): Promise<string> {
  if (!canPrompt(ctx)) throw missing(o.flag, o.message.replace(/[?:]\s*$/, '').toLowerCase());
  for (;;) {
    const a = await guarded(driver(ctx).password({ message: o.message }));
    // Checked as soon as it is typed, before it is asked again.
    const problem = o.validate?.(a);
    if (problem) {
      ctx.stderr.write(`${problem}\n`);
      continue;
    }
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
    /** The answer without a terminal, and where the cursor starts on one. */
    default?: T;
    /** Where the cursor starts on a terminal only (the safe, usual choice; never an answer by itself). */
    initial?: T;
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
  // The cursor never starts on a choice that cannot be taken.
  const start = [o.default, o.initial].find((v) => o.choices.some((c) => c.value === v && !c.disabled));
  return guarded(
    driver(ctx).select({
      message: o.message,
      choices: o.choices,
      default: start ?? o.choices.find((c) => !c.disabled)?.value,
    }),
  );
}

/** The refusal of an answer, or undefined: for a prompt's validate (a refused answer is asked again). */
export function problemOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (e) {
    return e instanceof CustodyError ? `${e.message}${e.hint ? ` ${e.hint}` : ''}` : String(e);
  }
}

/**
 * A moment from its flag (read by `whenFlag`) or, on a terminal, asked: any form `parseWhen`
 * reads; the default shown as people write it (`today 4:45 PM`) and read back the same way.
 * `optional`: an empty answer (or no flag off a terminal) gives ''. `validate` checks an answer
 * at the prompt (a flag's value is checked by the caller, e.g. `checkRange`).
 */
export async function askWhen(
  ctx: CliContext,
  value: string | undefined,
  home: WhenHome,
  o: {
    flag: string;
    message: string;
    default?: Date;
    endOfDay?: boolean;
    optional?: boolean;
    validate?: (iso: string) => string | undefined;
  },
): Promise<string> {
  if (value !== undefined) return value === '' && o.optional ? '' : whenFlag(value, o.flag, home, o.endOfDay);
  // Without a terminal the default is taken as the exact moment (not the minute it is shown as).
  if (!canPrompt(ctx) && o.default) return isoInZone(o.default, home.settings.timeZone);
  const read = (v: string) => whenFlag(v, o.flag, home, o.endOfDay);
  const answer = await askText(ctx, undefined, {
    flag: o.flag,
    message: o.message,
    default: o.default ? formatWhen(o.default, home.settings.timeZone, home.clock()) : o.optional ? '' : undefined,
    validate: (v) => (o.optional && !v ? undefined : (problemOf(() => read(v)) ?? o.validate?.(read(v)))),
  });
  return answer === '' && o.optional ? '' : read(answer);
}

/** A calendar date from its flag (`dateFlag`) or, on a terminal, asked (`2026-11-03`, `11/3/2026`, `today`…). */
export async function askDate(
  ctx: CliContext,
  value: string | undefined,
  home: WhenHome,
  o: { flag: string; message: string; default?: string; validate?: (date: string) => string | undefined },
): Promise<string> {
  const check = (v: string) => problemOf(() => dateFlag(v, o.flag, home)) ?? o.validate?.(dateFlag(v, o.flag, home));
  if (value !== undefined) {
    const date = dateFlag(value, o.flag, home);
    const problem = o.validate?.(date);
    if (problem) throw new CustodyError('usage', `${o.flag} ${value}: ${problem}`);
    return date;
  }
  return dateFlag(await askText(ctx, undefined, { ...o, validate: check }), o.flag, home);
}
