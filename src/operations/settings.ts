/**
 * The policy settings after `init` (issue 18): shown to every role, changed only by the custodian,
 * each change a `settings.changed` event (key, value, previous) on the record. The rules a value
 * is held to live in core/settings.ts (`settingChange`).
 */
import { SETTINGS, type Settings, settingChange } from '../core/settings.js';
import type { Session } from '../ledger/session.js';
import { backupIntervalDays } from './backup.js';

export interface SettingRow {
  name: string;
  key: keyof Settings;
  value: Settings[keyof Settings];
  what: string;
}

/** Every setting with its name on the command line and what it does. */
export function showSettings(s: Session): { settings: Settings; rows: SettingRow[] } {
  // A home made before a setting existed shows the default it works by.
  const settings = { ...s.settings, backupIntervalDays: backupIntervalDays(s) };
  return {
    settings,
    rows: SETTINGS.map((x) => ({ name: x.name, key: x.key, value: settings[x.key], what: x.what })),
  };
}

export interface SettingChanged {
  name: string;
  key: keyof Settings;
  previous: Settings[keyof Settings];
  value: Settings[keyof Settings];
  /** False when the setting already had that value (nothing is recorded). */
  changed: boolean;
}

/** Change one setting (custodian only): checked, recorded as `settings.changed`, committed. */
export function changeSetting(
  s: Session,
  o: { name: string; values: string[]; add?: string[]; remove?: string[] },
): SettingChanged {
  s.require('settings.manage');
  const current = { ...s.settings, backupIntervalDays: backupIntervalDays(s) };
  const { spec, value } = settingChange(current, o.name, o);
  const previous = current[spec.key];
  const changed = JSON.stringify(previous) !== JSON.stringify(value);
  if (changed) {
    s.append('settings.changed', { key: spec.key, value, previous });
    s.commit();
  }
  return { name: spec.name, key: spec.key, previous, value, changed };
}
