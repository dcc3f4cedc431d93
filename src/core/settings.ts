/** The policy settings of a home (stored in the ledger, so every change is on the record). */
import { z } from 'zod';
import { isValidTimeZone } from './time.js';

export const DEFAULT_PURPOSES = [
  'criminal investigation',
  'locating a missing or endangered person',
  'locating a stolen vehicle',
  'prosecution of a criminal case',
  'AMBER or Silver alert',
];

export const SettingsSchema = z.object({
  /** The city or agency that keeps the cameras (printed on receipts and reports). */
  agencyName: z.string().trim().min(1),
  /** Policy §6: one official custodian, named by title. */
  custodianTitle: z.string().trim().min(1),
  /** Policy §8. @default 60 */
  retentionDays: z.number().int().min(1).max(3650),
  /** Policy §7. @default 30 */
  healthIntervalDays: z.number().int().min(1).max(365),
  /** IANA time zone for dates of recordation and printed times. */
  timeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone'),
  /** Policy §8: reuse a drive once its import is verified, instead of after the retention period. @default false */
  reuseAfterVerifiedImport: z.boolean(),
  /** Days after a release by which the written acknowledgement is expected. @default 10 */
  acknowledgementDays: z.number().int().min(1).max(365),
  /** Open requests older than this are listed for attention. @default 30 */
  openRequestDays: z.number().int().min(1).max(3650),
  /** Official law-enforcement purposes a search or request may name (policy §1). */
  purposes: z.array(z.string().trim().min(1)).min(1),
});

export type Settings = z.infer<typeof SettingsSchema>;

export function defaultSettings(o: { agencyName: string; custodianTitle: string; timeZone: string }): Settings {
  return {
    agencyName: o.agencyName,
    custodianTitle: o.custodianTitle,
    retentionDays: 60,
    healthIntervalDays: 30,
    timeZone: o.timeZone,
    reuseAfterVerifiedImport: false,
    acknowledgementDays: 10,
    openRequestDays: 30,
    purposes: DEFAULT_PURPOSES,
  };
}
