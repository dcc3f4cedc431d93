/** Cameras as the ledger's derived table holds them (policy §2). */
import { CustodyError } from '../core/errors.js';
import type { Session } from './session.js';

export interface CameraRow {
  id: string;
  location: string;
  description: string | null;
  make: string | null;
  model: string | null;
  serial: string | null;
  status: string;
  in_service_since: string;
  retired_at: string | null;
  swap_cadence_days: number | null;
}

export function findCamera(s: Session, id: string): CameraRow {
  const c = s.ledger.one<CameraRow>('SELECT * FROM cameras WHERE id = ?', [id]);
  if (!c) throw new CustodyError('notFound', `No camera ${id}.`, 'See `custody camera list`.');
  return c;
}

export function cameraJson(c: CameraRow) {
  return {
    id: c.id,
    location: c.location,
    description: c.description,
    make: c.make,
    model: c.model,
    serial: c.serial,
    status: c.status,
    inServiceSince: c.in_service_since,
    retiredAt: c.retired_at,
    swapCadenceDays: c.swap_cadence_days,
  };
}

/** The cameras, in id order: the active ones, or with `all` the retired ones too. */
export function listCameras(s: Session, o: { all?: boolean } = {}): CameraRow[] {
  return s.ledger.rows<CameraRow>(`SELECT * FROM cameras ${o.all ? '' : "WHERE status = 'active'"} ORDER BY id`);
}

export function cameraExists(s: Session, id: string): boolean {
  return s.ledger.one('SELECT id FROM cameras WHERE id = ?', [id]) !== undefined;
}

export interface CameraDriveHistoryRow {
  drive_id: string;
  action: string;
  /** When it happened. */
  at: string;
  /** When it was recorded (the event's own time). */
  recorded_at: string;
}

/** Every drive move into or out of one camera, oldest first. */
export function cameraDriveHistory(s: Session, id: string): CameraDriveHistoryRow[] {
  return s.ledger.rows<CameraDriveHistoryRow>(
    `SELECT h.drive_id, h.action, h.at, e.at AS recorded_at
     FROM drive_history h JOIN events e ON e.seq = h.seq WHERE h.camera_id = ? ORDER BY h.seq`,
    [id],
  );
}
