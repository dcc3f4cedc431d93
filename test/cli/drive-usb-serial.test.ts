/**
 * A copy of an enrolled stick made on another stick of the same size with the FAT volume serial
 * forged (`mkfs.vfat -i`, `mlabel -N`) passes the volume facts; the USB device it is on does not:
 * its own serial was recorded at enrolment and is compared at `swap`, `import` and
 * `release --drive` (core/drive-identity.ts). Real FAT images on a loop device, mounted with
 * fusefat, through the real commands; the one thing this machine cannot give — a USB bus — is put
 * in at the one place custody asks the system about it (`readUsbDevice`, media/usb-device.ts),
 * answering for the device behind each mount as a stick would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DRIVE_ID_FILE } from '../../src/media/drives.js';
import { endExiftool } from '../../src/media/exif.js';
import type { UsbDeviceFacts } from '../../src/media/usb-device.js';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  ROOT,
  run,
  type TestHome,
  tmpDir,
} from '../helpers/cli.js';
import { type FatMount, makeFatImage, mountFatImage } from '../helpers/fat-image.js';

/** The USB device behind each block device or image, as the system would tell it; the rest have none. */
const usb = vi.hoisted(() => ({ of: new Map<string, UsbDeviceFacts>(), asked: [] as string[] }));
vi.mock('../../src/media/usb-device.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/media/usb-device.js')>()),
  readUsbDevice: async (device: string) => {
    usb.asked.push(device);
    return usb.of.get(device);
  },
}));

const DEMO = path.join(ROOT, 'fixtures', 'demo-drive', 'DCIM', '100CAM');
const ENROLLED: UsbDeviceFacts = { serial: '4C530001230101115383', vendor: 'SanDisk', model: 'Cruzer Blade' };
const FORGED: UsbDeviceFacts = { serial: '4C530001250607109912', vendor: 'SanDisk', model: 'Cruzer Blade' };
const mounts: FatMount[] = [];
let skip: string | undefined;

/** Mount `img` and say which USB device it is on (`undefined`: none, as a loop device really is). */
async function mount(img: string, stick: UsbDeviceFacts | undefined, writable = false): Promise<FatMount | undefined> {
  const m = await mountFatImage(img, { writable });
  if (m.skipReason !== undefined) {
    skip = m.skipReason;
    return undefined;
  }
  mounts.push(m);
  usb.of.clear();
  usb.asked.length = 0;
  if (stick) usb.of.set(m.device ?? img, stick);
  return m;
}

afterAll(async () => {
  for (const m of mounts) await m.unmount();
  await endExiftool();
});

describe('a stick given an enrolled drive’s files, id file and volume serial, on another USB device', () => {
  let t: TestHome;
  let ok: ReturnType<typeof okRunner>;
  const work = tmpDir('custody-usbserial-');
  const imgA = path.join(work, 'a.img');
  const imgB = path.join(work, 'b.img');
  const events = async () => (JSON.parse((await ok(['log', '--json'])).stdout) as unknown[]).length;

  beforeAll(async () => {
    t = newTestHome();
    ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const src = path.join(work, 'src');
    fs.mkdirSync(path.join(src, 'DCIM', '100CAM'), { recursive: true });
    for (const n of ['0001', '0002', '0003'])
      fs.copyFileSync(path.join(DEMO, `IMG_${n}.JPG`), path.join(src, 'DCIM', '100CAM', `IMG_${n}.JPG`));
    await makeFatImage(src, imgA, 'CAMDRIVE', { serial: '1a2b3c4d', sizeMiB: 48 });
    const a = await mount(imgA, ENROLLED, true);
    if (!a) return;
    await ok(['drive', 'enrol', '--source', a.mountPath, '--id', 'D001']);
    const idFile = fs.readFileSync(path.join(a.mountPath, DRIVE_ID_FILE));
    await a.unmount();
    // The copy: the same files, the copied id file, the same size, the volume serial forged to match.
    const copy = path.join(work, 'copy');
    fs.cpSync(src, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, DRIVE_ID_FILE), idFile);
    await makeFatImage(copy, imgB, 'CAMDRIVE', { serial: '1a2b3c4d', sizeMiB: 48 });
  }, 180_000);

  it('records the USB device the volume is on at enrolment, beside the volume serial', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const shown = JSON.parse((await ok(['drive', 'show', 'D001', '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      serial: '1A2B-3C4D',
      usbSerial: '4C530001230101115383',
      usbVendor: 'SanDisk',
      usbModel: 'Cruzer Blade',
    });
    expect((await ok(['drive', 'show', 'D001'])).stdout).toMatch(
      /USB device: +SanDisk Cruzer Blade serial 4C530001230101115383/,
    );
  });

  it('is refused by swap and import (exit 8) on its USB serial alone, nothing imported or recorded', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const b = await mount(imgB, FORGED);
    if (!b) return ctx.skip(skip!);
    const before = await events();
    const swap = await run(
      ['swap', '--source', b.mountPath, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement'],
      { env: t.env },
    );
    const imp = await run(['import', '--source', b.mountPath, '--camera', 'CAM-01'], { env: t.env });
    expect({ swap: swap.code, imp: imp.code, recorded: (await events()) - before }, swap.stderr + imp.stderr).toEqual({
      swap: 8,
      imp: 8,
      recorded: 0,
    });
    // The device asked about is the one behind the mount.
    expect(usb.asked).toContain(b.device ?? imgB);
    for (const r of [swap, imp]) {
      const first = r.stderr.trim().split('\n')[0]!;
      expect(first).toMatch(
        /^custody: The drive at .* is taken for drive D001, but it is not the volume D001 was enrolled as: it is on the USB device with serial 4C530001250607109912, drive D001 was enrolled on the one with serial 4C530001230101115383\. Nothing was imported or recorded\.$/,
      );
      expect(r.stderr).not.toMatch(/volume serial is/);
      expect(r.stderr).toMatch(
        /If it is D001 read through another card reader or adapter than at its enrolment, read it through that one; if it is another stick carrying a copy of D001's \.custody-drive\.json, keep it apart and record it/,
      );
    }
    const shown = JSON.parse((await ok(['drive', 'show', 'D001', '--json'])).stdout) as { state: string };
    expect(shown.state).toBe('spare');
    await b.unmount();
  });

  it('the enrolled stick itself is swapped with no warning', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const a = await mount(imgA, ENROLLED);
    if (!a) return ctx.skip(skip!);
    const r = await run(
      ['swap', '--source', a.mountPath, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement', '--json'],
      { env: t.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning/);
    expect(JSON.parse(r.stdout)).toMatchObject({ drive: 'D001' });
    await a.unmount();
  });

  it('is not handed over as the drive (exit 8, no receipt); the drive on a loop device with no USB serial is, with a warning', async (ctx) => {
    if (skip) return ctx.skip(skip);
    await ok(ECSO_AGENCY_ADD);
    const req = JSON.parse((await ok(ecsoRequest('--drive', 'D001', '--json'))).stdout) as { id: string };
    const out = tmpDir('custody-usbserial-out-');
    const release = (source: string, name: string) =>
      run(['release', '--request', req.id, '--drive', 'D001', '--source', source, '--receipt', path.join(out, name)], {
        env: t.env,
      });
    const b = await mount(imgB, FORGED);
    if (!b) return ctx.skip(skip!);
    const before = await events();
    const refused = await release(b.mountPath, 'copy.pdf');
    expect(
      { code: refused.code, written: fs.readdirSync(out), recorded: (await events()) - before },
      refused.stderr,
    ).toEqual({
      code: 8,
      written: [],
      recorded: 0,
    });
    expect(refused.stderr).toMatch(/it is on the USB device with serial 4C530001250607109912/);
    await b.unmount();
    // The enrolled image itself, its USB serial unreadable (a loop device has none): warned, not refused.
    const a = await mount(imgA, undefined);
    if (!a) return ctx.skip(skip!);
    const handed = await release(a.mountPath, 'drive.pdf');
    expect(handed.code, handed.stderr).toBe(0);
    expect(handed.stderr).toMatch(
      /Warning: the drive at .*: the serial of the USB device it is on could not be read \(a loop device or image, a card reader or hub that hides it, or not Linux\) to compare with drive D001's 4C530001230101115383\./,
    );
    expect(fs.readdirSync(out)).toEqual(['drive.pdf']);
    await a.unmount();
  });

  it('a stick enrolled where no USB serial could be read says so, and records none', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const src = path.join(work, 'empty');
    fs.mkdirSync(src);
    const imgC = path.join(work, 'c.img');
    await makeFatImage(src, imgC, 'SPARE', { serial: '0badf00d' });
    const c = await mount(imgC, undefined, true);
    if (!c) return ctx.skip(skip!);
    const r = await ok(['drive', 'enrol', '--source', c.mountPath, '--id', 'D002']);
    expect(r.stdout).toMatch(
      /The serial of the USB device it is on could not be read: it is known by its volume only\./,
    );
    const shown = JSON.parse((await ok(['drive', 'show', 'D002', '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ serial: '0BAD-F00D', usbSerial: null, usbVendor: null, usbModel: null });
    await c.unmount();
  });
});
