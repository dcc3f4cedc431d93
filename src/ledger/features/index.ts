/**
 * The ledger's later features, each in its own file: requests and holds (requests.ts),
 * retention and health (retention.ts), plate readings and the access record (access.ts).
 * A feature registers its reducers with `registerReducers` when its module loads.
 */
import type { LedgerFeature } from '../schema.js';
import { accessFeature } from './access.js';
import { breachFeature } from './breach.js';
import { requestsFeature } from './requests.js';
import { retentionFeature } from './retention.js';

export const FEATURES: LedgerFeature[] = [accessFeature, requestsFeature, retentionFeature, breachFeature];
