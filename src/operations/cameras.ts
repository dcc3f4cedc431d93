/** The cameras' use cases (policy §2: the custodian maintains the cameras): add, list, show, retire. */
import { CustodyError } from '../core/errors.js';
import { cameraDriveHistory, cameraExists, cameraJson, findCamera, listCameras } from '../ledger/cameras.js';
import { driveInCamera, drivesInCameras } from '../ledger/drives.js';
import type { Session } from '../ledger/session.js';

const CAMERA_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export type CameraJson = ReturnType<typeof cameraJson>;

export interface AddCameraInput {
  id: string;
  location: string;
  description?: string;
  make?: string;
  model?: string;
  serial?: string;
  /** In service since (default: now). */
  since?: string;
  swapDays?: number;
}

/** The checks on a new camera that need no ledger: its id and its swap cadence. */
export function checkCameraInput(o: { id: string; swapDays?: number }): void {
  if (!CAMERA_ID.test(o.id))
    throw new CustodyError(
      'usage',
      `"${o.id}" is not a valid camera id.`,
      'Use letters, digits, dot, dash or underscore (up to 32).',
    );
  if (o.swapDays !== undefined && !(Number.isInteger(o.swapDays) && o.swapDays > 0))
    throw new CustodyError('usage', '--swap-days must be a whole number of days.');
}

/** A camera with this id must not exist yet. */
export function checkNewCamera(s: Session, id: string): void {
  if (cameraExists(s, id)) throw new CustodyError('conflict', `Camera ${id} already exists.`);
}

export function addCamera(s: Session, o: AddCameraInput): CameraJson {
  checkCameraInput(o);
  checkNewCamera(s, o.id);
  s.append('camera.added', {
    camera: o.id,
    id: o.id,
    location: o.location,
    description: o.description ?? null,
    make: o.make ?? null,
    model: o.model ?? null,
    serial: o.serial ?? null,
    inServiceSince: o.since ?? s.now(),
    swapCadenceDays: o.swapDays ?? null,
  });
  s.commit();
  return cameraJson(findCamera(s, o.id));
}

export type CameraListEntry = CameraJson & { driveInCamera: string | null };

/** The cameras (with `all`, the retired ones too) and the drive in each. */
export function listCameraStates(s: Session, o: { all?: boolean } = {}): CameraListEntry[] {
  const drives = drivesInCameras(s);
  return listCameras(s, o).map((c) => ({
    ...cameraJson(c),
    driveInCamera: drives.find((d) => d.camera_id === c.id)?.id ?? null,
  }));
}

/** One camera and the history of the drives that went in and out of it. */
export function showCamera(
  s: Session,
  id: string,
): CameraJson & { driveHistory: { drive: string; action: string; at: string; recordedAt: string }[] } {
  const c = findCamera(s, id);
  return {
    ...cameraJson(c),
    // `at`: when the drive went in or came out; `recordedAt`: when that was entered.
    driveHistory: cameraDriveHistory(s, id).map((h) => ({
      drive: h.drive_id,
      action: h.action,
      at: h.at,
      recordedAt: h.recorded_at,
    })),
  };
}

/** A camera may be retired only when it is in service and holds no drive. */
export function checkCameraRetirable(s: Session, id: string): void {
  const c = findCamera(s, id);
  if (c.status === 'retired') throw new CustodyError('conflict', `Camera ${id} is already retired.`);
  const inCam = driveInCamera(s, id);
  if (inCam)
    throw new CustodyError(
      'conflict',
      `Drive ${inCam.id} is still in camera ${id}.`,
      `Take it out first with \`custody swap\` or \`custody drive remove ${inCam.id}\`.`,
    );
}

export function retireCamera(
  s: Session,
  o: { id: string; reason: string; at?: string },
): { id: string; status: 'retired'; reason: string; retiredAt: string } {
  checkCameraRetirable(s, o.id);
  const at = o.at ?? s.now();
  s.append('camera.retired', { camera: o.id, id: o.id, reason: o.reason, retiredAt: at, at });
  s.commit();
  return { id: o.id, status: 'retired', reason: o.reason, retiredAt: at };
}
