/**
 * Backups (issue 20): each backup made, verified or failed, and each home restored from one, is an
 * event. They derive no table (the backup status is read from the events, `src/ledger/backup.ts`),
 * so this feature adds no migration.
 */
import type { Reducer } from '../reducers.js';
import type { LedgerFeature } from '../schema.js';

const nothing: Reducer = () => {};

export const backupFeature: LedgerFeature = {
  name: 'backup',
  migrations: [],
  derivedTables: {},
  reducers: {
    'backup.completed': nothing,
    'backup.failed': nothing,
    'backup.verified': nothing,
    'home.restored': nothing,
  },
};
