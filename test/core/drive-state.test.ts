import { describe, expect, it } from 'vitest';
import { nextDriveState } from '../../src/core/drive-state.js';
import { CustodyError } from '../../src/core/errors.js';

describe('drive state machine', () => {
  it('follows the life of a drive', () => {
    let s = nextDriveState('D1', 'spare', 'install');
    expect(s).toBe('in_camera');
    s = nextDriveState('D1', s, 'remove');
    expect(s).toBe('removed');
    s = nextDriveState('D1', s, 'store');
    expect(s).toBe('stored');
    expect(nextDriveState('D1', s, 'install')).toBe('in_camera');
    expect(nextDriveState('D1', s, 'release')).toBe('released');
    expect(nextDriveState('D1', s, 'retire')).toBe('retired');
  });
  it.each([
    ['in_camera', 'install'],
    ['spare', 'remove'],
    ['in_camera', 'store'],
    ['released', 'install'],
    ['retired', 'install'],
    ['in_camera', 'retire'],
    ['spare', 'release'],
  ] as const)('refuses %s → %s with the reason', (state, action) => {
    try {
      nextDriveState('D9', state, action);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CustodyError);
      expect((e as CustodyError).code).toBe('conflict');
      expect((e as CustodyError).message).toMatch(/^Drive D9 is .*: only /);
    }
  });
});
