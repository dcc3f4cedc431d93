/** `custody settings show | set`: the policy settings after `init`; a change is custodian only and on the record. */
import type { Command } from 'commander';
import { changeSetting, type SettingChanged, type SettingRow, showSettings } from '../../operations/settings.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../render.js';
import { withSession } from '../session.js';

const shown = (v: SettingRow['value']): string =>
  Array.isArray(v) ? v.map((p) => `"${p}"`).join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);

/** The settings as a table, the purposes listed under it one a line. */
function settingsText(rows: SettingRow[]): string {
  const scalar = rows.filter((r) => !Array.isArray(r.value));
  const lists = rows.filter((r) => Array.isArray(r.value));
  return [
    table(
      ['setting', 'value', 'what it does'],
      scalar.map((r) => [r.name, shown(r.value), r.what]),
    ),
    ...lists.map((r) => `\n${r.name}, ${r.what}:\n${(r.value as string[]).map((p) => `  - ${p}\n`).join('')}`),
  ].join('');
}

/** What a change did, in words, and what follows from it. */
function changedText(r: SettingChanged): string {
  if (!r.changed) return `${r.name} is already ${shown(r.value)}; nothing was recorded.\n`;
  if (Array.isArray(r.value) && Array.isArray(r.previous)) {
    const before = r.previous as string[];
    const after = r.value as string[];
    const words = [
      ...after.filter((p) => !before.includes(p)).map((p) => `added "${p}"`),
      ...before.filter((p) => !after.includes(p)).map((p) => `removed "${p}"`),
    ];
    return `purposes: ${words.join(', ')} (recorded).\n`;
  }
  const then =
    r.key === 'timeZone'
      ? ' Times already recorded keep their offsets; dates are read and printed in the new zone from now on.'
      : r.key === 'retentionDays' && (r.value as number) < (r.previous as number)
        ? ' Data past the shorter period is now due for destruction: see `custody retention`.'
        : '';
  return `${r.name}: ${shown(r.previous)} → ${shown(r.value)} (recorded).${then}\n`;
}

export function registerSettings(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  const settings = program
    .command('settings')
    .description(
      'the policy settings: time zone, retention, intervals, purposes (a change is custodian only and recorded)',
    );
  settings
    .command('show')
    .description('every setting, its value and what it does')
    .action(async () => {
      const g = globals();
      await withSession(ctx, g, 'settings show', 'reports', (s) => {
        const out = showSettings(s);
        if (g.json) return printJson(ctx, out.settings);
        ctx.stdout.write(settingsText(out.rows));
      });
    });
  settings
    .command('set <setting> [value...]')
    .description('change one setting (custodian only); recorded in the ledger as settings.changed')
    .option('--add <purpose...>', 'purposes: add this purpose')
    .option('--remove <purpose...>', 'purposes: remove this purpose')
    .addHelpText(
      'after',
      `
Settings: agency-name, custodian-title, time-zone, retention-days (at most 60, policy §8),
health-interval-days, acknowledgement-days, open-request-days, backup-interval-days,
reuse-after-verified-import, purposes.

Examples:
  $ custody settings set time-zone America/Los_Angeles
  $ custody settings set retention-days 30
  $ custody settings set health-interval-days 14
  $ custody settings set purposes --add "locating a wanted person"`,
    )
    .action(async (name: string, values: string[], o: { add?: string[]; remove?: string[] }) => {
      const g = globals();
      await withSession(ctx, g, 'settings set', 'settings.manage', (s) => {
        const r = changeSetting(s, { name, values, add: o.add, remove: o.remove });
        if (g.json) return printJson(ctx, r);
        ctx.stdout.write(changedText(r));
      });
    });
}
