/** The ledger's share of breaches, contractor permissions and transparency (issue 8): migration version 6. */
import type { LedgerFeature } from '../schema.js';

export const breachFeature: LedgerFeature = {
  name: 'breach',
  migrations: [],
  derivedTables: {},
};
