/**
 * The USB device a drive's volume is on, against its enrolment (core/drive-identity.ts): another
 * serial refuses, as another volume serial does; one unread now (a loop device, a hub that hides
 * it) or never recorded (enrolled before custody recorded it) is a warning; a maker or product
 * that differs is a warning. The volume facts' own rules are in test/attack/drive-id-copied.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkVolume, type VolumeFacts } from '../../src/core/drive-identity.js';

const VOLUME = { serial: '1A2B-3C4D', capacityBytes: 16e9, fsType: 'vfat', label: 'CAMDRIVE' };
const STICK = { usbSerial: '4C530001230101115383', usbVendor: 'SanDisk', usbModel: 'Cruzer Blade' };
const REC: VolumeFacts = { ...VOLUME, ...STICK };

describe('the USB device serial of a drive against its enrolment', () => {
  it('passes the same stick, its serial as udev or sysfs spells it', () => {
    expect(checkVolume('D001', REC, { ...REC })).toEqual({ refuse: [], warn: [] });
    expect(
      checkVolume('D001', REC, {
        ...VOLUME,
        usbSerial: '4c530001230101115383 ',
        usbVendor: 'SANDISK',
        usbModel: 'Cruzer_Blade',
      }),
    ).toEqual({ refuse: [], warn: [] });
  });

  it('refuses a stick with the enrolled volume serial and size but another USB serial', () => {
    expect(checkVolume('D001', REC, { ...REC, usbSerial: '0000000000000000AB12' })).toEqual({
      refuse: [
        'it is on the USB device with serial 0000000000000000AB12, drive D001 was enrolled on the one with serial 4C530001230101115383',
      ],
      warn: [],
      usbOnly: true,
    });
    // Both disagree: both are named, and it is not only the USB device.
    const both = checkVolume('D001', REC, { ...REC, serial: '0BAD-F00D', usbSerial: 'X1' });
    expect(both.refuse).toHaveLength(2);
    expect(both.usbOnly).toBeUndefined();
    expect(checkVolume('D001', REC, { ...REC, capacityBytes: 64e9, usbSerial: 'X1' }).usbOnly).toBeUndefined();
  });

  it('warns (never refuses) when the serial cannot be read now: a loop device, an image, a hub that hides it', () => {
    const r = checkVolume('D001', REC, { ...VOLUME });
    expect(r.refuse).toEqual([]);
    expect(r.warn).toEqual([
      "the serial of the USB device it is on could not be read (a loop device or image, a card reader or hub that hides it, or not Linux) to compare with drive D001's 4C530001230101115383",
    ]);
  });

  it('warns when the enrolment recorded none and one is read now; says nothing when neither side knows one', () => {
    expect(checkVolume('D001', VOLUME, { ...REC })).toEqual({
      refuse: [],
      warn: [
        "drive D001's enrolment recorded no USB device serial (enrolled before custody recorded it, or where it could not be read), so this one's, 4C530001230101115383, is not compared",
      ],
    });
    expect(checkVolume('D001', VOLUME, { ...VOLUME })).toEqual({ refuse: [], warn: [] });
    expect(checkVolume('D001', { ...VOLUME, usbSerial: null, usbVendor: null }, { ...VOLUME })).toEqual({
      refuse: [],
      warn: [],
    });
  });

  it('warns of another maker or product with the same serial, once', () => {
    const r = checkVolume('D001', REC, { ...REC, usbVendor: 'Kingston', usbModel: 'DataTraveler' });
    expect(r).toEqual({
      refuse: [],
      warn: ['it is on a Kingston DataTraveler USB device, drive D001 was enrolled on a SanDisk Cruzer Blade'],
    });
    // A maker unknown on one side is not a difference.
    expect(checkVolume('D001', REC, { ...REC, usbVendor: undefined }).warn).toEqual([]);
  });

  it('names both facts a folder cannot be compared with', () => {
    expect(checkVolume('D001', REC, undefined).warn).toEqual([
      "the source is a folder, not a mounted volume: it cannot be compared with drive D001's volume serial 1A2B-3C4D and USB device serial 4C530001230101115383",
    ]);
    expect(checkVolume('D001', STICK, undefined).warn).toEqual([
      "the source is a folder, not a mounted volume: it cannot be compared with drive D001's USB device serial 4C530001230101115383",
    ]);
  });
});
