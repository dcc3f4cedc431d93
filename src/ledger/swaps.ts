/**
 * Swaps as the ledger's derived table holds them: one row per swap, its steps filled in as they
 * are recorded (removal → import batch → where the drive is kept → replacement → finished).
 */
import { localDate } from '../core/time.js';
import type { Session } from './session.js';

export interface SwapRow {
  id: string;
  drive_id: string;
  camera_id: string;
  status: 'open' | 'finished';
  started_at: string;
  removed_at: string;
  location: string | null;
  stored_at: string | null;
  replacement: string | null;
  installed_at: string | null;
  finished_at: string | null;
}

export interface SwapBatchRow {
  id: string;
  status: string;
  files: number | null;
  stored: number | null;
  duplicates: number | null;
  skipped: number | null;
  failed: number | null;
  bytes: number | null;
  recorded_first: string | null;
  recorded_last: string | null;
  manifest_sha256: string | null;
  started_at: string;
  finished_at: string | null;
  camera_id: string | null;
}

/** Every swap not yet finished, oldest first. */
export function openSwaps(s: Session): SwapRow[] {
  return s.ledger.rows<SwapRow>("SELECT * FROM swaps WHERE status = 'open' ORDER BY started_at, id");
}

/** The unfinished swap of this drive, if there is one. */
export function openSwapOf(s: Session, drive: string): SwapRow | undefined {
  return s.ledger.one<SwapRow>("SELECT * FROM swaps WHERE drive_id = ? AND status = 'open'", [drive]);
}

export function findSwap(s: Session, id: string): SwapRow | undefined {
  return s.ledger.one<SwapRow>('SELECT * FROM swaps WHERE id = ?', [id]);
}

/** The import batch of a swap (at most one: a resumed import continues the same batch). */
export function swapBatch(s: Session, swap: string): SwapBatchRow | undefined {
  return s.ledger.one<SwapBatchRow>('SELECT * FROM batches WHERE swap_id = ? ORDER BY started_at LIMIT 1', [swap]);
}

/** The next free swap id of the day, in the home's zone: S20261104-1, S20261104-2 … */
export function nextSwapId(s: Session): string {
  const day = localDate(s.clock(), s.settings.timeZone).replaceAll('-', '');
  for (let n = 1; ; n++) {
    const id = `S${day}-${n}`;
    if (!findSwap(s, id)) return id;
  }
}

/** The newest finished import of a drive, with where the drive is now kept. */
export function lastImportOf(s: Session, drive: string): SwapBatchRow | undefined {
  return s.ledger.one<SwapBatchRow>(
    "SELECT * FROM batches WHERE drive_id = ? AND status = 'imported' ORDER BY started_at DESC LIMIT 1",
    [drive],
  );
}

/** What an import recorded in its `import.finished` event beside its counts. */
export interface ImportFacts {
  problemFiles: { relPath: string; problem: string }[];
  notImportedEntries: { relPath: string; kind: string; reason: string }[];
  folders: number;
}

export function importFacts(s: Session, batch: string): ImportFacts {
  const r = s.ledger.one<{ data: string }>(
    "SELECT data FROM events WHERE type = 'import.finished' AND json_extract(data, '$.batch') = ? ORDER BY seq DESC LIMIT 1",
    [batch],
  );
  const d = (r ? JSON.parse(r.data) : {}) as Partial<ImportFacts>;
  return {
    problemFiles: d.problemFiles ?? [],
    notImportedEntries: d.notImportedEntries ?? [],
    folders: typeof d.folders === 'number' ? d.folders : 0,
  };
}
