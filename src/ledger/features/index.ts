/**
 * The ledger's later features, each in its own file: plate readings and the access record
 * (access.ts), requests and holds (requests.ts), retention and health (retention.ts), breaches,
 * the contractor and transparency reports (breach.ts), backups (backup.ts). Each exports a `LedgerFeature` value
 * (migrations, derived tables, reducers, and for requests the hold rules).
 *
 * This list is the one place they are wired: the ledger a home opens uses `LEDGER_SCHEMA`,
 * composed from it. A new feature is added here, not registered by importing its module.
 */
import { composeSchema, type LedgerFeature, type LedgerSchema } from '../schema.js';
import { accessFeature } from './access.js';
import { backupFeature } from './backup.js';
import { breachFeature } from './breach.js';
import { requestsFeature } from './requests.js';
import { retentionFeature } from './retention.js';

export const FEATURES: readonly LedgerFeature[] = [
  accessFeature,
  requestsFeature,
  retentionFeature,
  breachFeature,
  backupFeature,
];

/** The core events plus every feature above: what `Ledger.load` and `Ledger.createEmpty` use. */
export const LEDGER_SCHEMA: LedgerSchema = composeSchema(FEATURES);
