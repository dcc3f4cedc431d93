/**
 * The reason every search and every look at an image is recorded with (Civil Code 1798.90.52):
 * from the flags, and on a terminal what is missing is asked (the purpose from the city's list,
 * then the case number) instead of failing. Without a terminal a missing answer stays missing and
 * `requireAccessReason` refuses it, naming the flags.
 */
import type { Session } from '../ledger/session.js';
import type { CliContext } from './context.js';
import { type AccessReasonOptions, accessReason } from './options.js';
import { askChoice, askText } from './prompts.js';

export async function askAccessReason(
  ctx: CliContext,
  s: Session,
  o: AccessReasonOptions,
): Promise<{ purpose?: string; caseRef?: string; requestId?: string }> {
  const given = accessReason(o);
  if (!(ctx.isTTY || ctx.promptOverride !== undefined)) return given;
  const purpose =
    given.purpose ??
    (await askChoice(ctx, undefined, {
      flag: '--purpose',
      message: 'Official purpose (recorded with this access, policy §1):',
      choices: s.settings.purposes.map((p) => ({ name: p, value: p })),
    }));
  const caseRef =
    given.caseRef ??
    (given.requestId
      ? undefined
      : await askText(ctx, undefined, {
          flag: '--case or --request',
          message: 'Case number:',
          validate: (v) => (v ? undefined : 'A case number is needed (or pass --request with the request id).'),
        }));
  return { ...given, purpose, caseRef };
}
