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
