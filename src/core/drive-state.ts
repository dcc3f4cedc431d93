/**
 * A drive's life (policy §8: a log of every drive — dates of recordation, of storage, and of
 * reinstall into a camera). Pure: the ledger asks `nextDriveState` before it records a move.
 *
 *   spare ──install──▶ in_camera ──remove──▶ removed ──store──▶ stored ──reinstall──▶ in_camera
 *                                              │                  │
 *                                              └────release───────┴──▶ released (leaves the rotation)
 *   spare | stored ──retire──▶ retired
 *   spare | removed | stored | retired ──wipe──▶ (the same state, its data gone)
 *   spare | removed | stored | retired ──destroy──▶ destroyed (the drive itself is gone)
 */
import { CustodyError } from './errors.js';

export const DRIVE_STATES = ['spare', 'in_camera', 'removed', 'stored', 'released', 'retired', 'destroyed'] as const;
export type DriveState = (typeof DRIVE_STATES)[number];
export type DriveAction = 'install' | 'remove' | 'store' | 'release' | 'retire' | 'wipe' | 'destroy';

const MOVES: Record<DriveAction, Partial<Record<DriveState, DriveState>>> = {
  install: { spare: 'in_camera', stored: 'in_camera' },
  remove: { in_camera: 'removed' },
  store: { removed: 'stored', stored: 'stored' },
  release: { removed: 'released', stored: 'released' },
  retire: { spare: 'retired', stored: 'retired' },
  wipe: { spare: 'spare', removed: 'removed', stored: 'stored', retired: 'retired' },
  destroy: { spare: 'destroyed', removed: 'destroyed', stored: 'destroyed', retired: 'destroyed' },
};

const WHY: Record<DriveAction, string> = {
  install: 'only a spare drive or a stored drive can go into a camera',
  remove: 'only a drive that is in a camera can be taken out',
  store: 'only a drive that was taken out of a camera can be stored',
  release: 'only a drive that was taken out of a camera can be released to an agency',
  retire: 'only a spare or stored drive can be retired',
  wipe: 'only a drive in our keeping and out of any camera can be wiped',
  destroy: 'only a drive in our keeping and out of any camera can be destroyed',
};

const STATE_WORDS: Record<DriveState, string> = {
  spare: 'a spare',
  in_camera: 'in a camera',
  removed: 'taken out of its camera and not yet stored',
  stored: 'stored',
  released: 'released to an agency',
  retired: 'retired',
  destroyed: 'destroyed',
};

export function describeDriveState(s: DriveState): string {
  return STATE_WORDS[s];
}

export function nextDriveState(driveId: string, state: DriveState, action: DriveAction): DriveState {
  const to = MOVES[action][state];
  if (!to) {
    throw new CustodyError(
      'conflict',
      `Drive ${driveId} is ${STATE_WORDS[state]}: ${WHY[action]}.`,
      `See its history with \`custody drive show ${driveId}\`.`,
    );
  }
  return to;
}

export function canDrive(state: DriveState, action: DriveAction): boolean {
  return MOVES[action][state] !== undefined;
}
