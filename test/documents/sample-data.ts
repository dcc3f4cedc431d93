import { createHash } from 'node:crypto';
import type { BreachData } from '../../src/documents/breach.js';
import type { HealthReportInput } from '../../src/documents/health-report.js';
import type { DestructionData } from '../../src/documents/destruction.js';
import type { ReceiptData } from '../../src/documents/receipt.js';
import type { TransparencyData } from '../../src/ledger/breach.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Synthetic release: a bag of `n` files from two cameras, with a few awkward names. */
export function sampleBagReceipt(n = 40): ReceiptData {
  const files = Array.from({ length: n }, (_, i) => {
    const cam = i % 2 ? 'CAM-02 Elm St' : 'CAM-01 Main St';
    const minute = String(i % 60).padStart(2, '0');
    return {
      path: `${cam}/2026-11-20/IMG_20261120_14${minute}05_${String(i + 1).padStart(4, '0')}.jpg`,
      sha256: sha(`file ${i}`),
      bytes: 180_000 + i * 37,
    };
  });
  if (n > 5) files[3] = { path: 'CAM-01 Main St/café naïve.jpg', sha256: sha('cafe'), bytes: 201_544 };
  if (n > 5) files[5] = { path: 'CAM-02 Elm St/line\nbreak 車.jpg', sha256: sha('odd'), bytes: 99_001 };
  const bytes = files.reduce((a, f) => a + f.bytes, 0);
  return {
    receiptNumber: 'R-2026-0042',
    agency: { name: 'Exampleton Police Department', ori: 'CA0199900' },
    officer: 'Det. Jordan Sample',
    badge: '4471',
    caseNumber: 'EPD-26-011873',
    requestId: 'REQ-2026-0117',
    purpose:
      'Investigation of a hit-and-run collision at Main St and 3rd Ave on November 20, 2026 (criminal investigation).',
    requestedAt: '2026-11-24T09:15:00.000-08:00',
    releasedAt: '2026-11-26T14:05:31.000-08:00',
    custodian: { title: 'Administrative Services Director', name: 'Pat Example' },
    organization: 'City of Exampleton',
    location: 'Exampleton, California',
    handedOver: {
      kind: 'bag',
      name: 'REQ-2026-0117',
      fileCount: files.length,
      bytes,
      recordedFrom: '2026-11-20T14:00:05.000-08:00',
      recordedTo: '2026-11-20T14:59:05.000-08:00',
      manifestSha256: sha('manifest'),
      payloadOxum: `${bytes}.${files.length}`,
      files,
    },
    ledgerHead: sha('ledger head'),
    requestDocument: { name: 'EPD request 2026-11-24.pdf', sha256: sha('written request'), reference: null },
  };
}

export function sampleDriveReceipt(): ReceiptData {
  const base = sampleBagReceipt(1);
  return {
    ...base,
    receiptNumber: 'R-2026-0043',
    handedOver: {
      kind: 'drive',
      label: 'CAM-01-B',
      serial: '4C530001230816112193',
      capacityBytes: 32_015_679_488,
      recordedFrom: '2026-11-13T06:00:00.000-08:00',
      recordedTo: '2026-11-20T13:58:12.000-08:00',
      fileCount: 18_204,
      reread: { at: '2026-11-26T13:50:00.000-08:00', files: 18_204 },
    },
  };
}

/** The date `n` days after `from` (YYYY-MM-DD). */
function day(from: string, n: number): string {
  return new Date(Date.parse(`${from}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function sampleDestruction(batches = 6): DestructionData {
  return {
    certificateNumber: 'D-2026-0007',
    organization: 'City of Exampleton',
    custodian: { title: 'Administrative Services Director', name: 'Pat Example' },
    destroyedAt: '2026-11-26T16:40:12.000-08:00',
    destroyedBy: 'Pat Example (pexample)',
    batches: Array.from({ length: batches }, (_, i) => ({
      id: `B-20260920-${String(i + 1).padStart(3, '0')}`,
      source: `CAM-0${(i % 3) + 1} drive CAM-0${(i % 3) + 1}-${i % 2 ? 'A' : 'B'}`,
      files: 2900 + i * 17,
      bytes: (2900 + i * 17) * 190_000,
      recordedFrom: `${day('2026-09-01', i)}T06:00:00.000-07:00`,
      recordedTo: `${day('2026-09-06', i)}T21:14:09.000-07:00`,
      manifestSha256: sha(`batch ${i}`),
      keyDestroyedAt: `2026-11-26T16:${String(40 + Math.floor((10 + i) / 60)).padStart(2, '0')}:${String((10 + i) % 60).padStart(2, '0')}.000-08:00`,
    })),
    holdsExcluded: [
      { id: 'HOLD-2026-003', reason: 'Written request, case EPD-26-009112 (court proceeding)', files: 312 },
    ],
    ledgerHead: sha('ledger head after purge'),
    location: 'Exampleton, California',
  };
}

export function sampleBreach(): BreachData {
  return {
    organization: 'City of Exampleton',
    contact: {
      name: 'Pat Example',
      title: 'Administrative Services Director',
      phone: '(555) 010-0199',
      email: 'alpr-privacy@exampleton.example',
      address: '100 Civic Center Plaza, Exampleton, CA 90000',
    },
    noticeDate: '2026-12-01',
    breach: { from: '2026-11-10', to: '2026-11-14', estimated: true },
    discoveredAt: '2026-11-18T10:20:00.000-08:00',
    delayedByLawEnforcement: false,
    whatHappened:
      'On November 18, 2026, during the monthly health check, we found that a USB drive removed from camera CAM-02 (Elm Street) on November 14 was missing from the locked cabinet where drives are kept before import.\n\nThe drive held images recorded between November 10 and November 14, 2026. The images on the drive were not encrypted.',
    informationInvolved:
      'Photographs of vehicles that passed the camera at Elm Street and 5th Avenue, with the date and time of each photograph and the license plate shown in it.',
    informationTypes: ['Images of vehicles and their license plates', 'Date, time and camera location of each image'],
    whatWeAreDoing:
      'We reported the loss to the Exampleton Police Department and the state Office of Information Security. Drives are now encrypted in the camera and signed in and out of the cabinet.',
    posting: { from: '2026-12-01', until: '2026-12-31' },
  };
}

/** `days` local dates ending on `last` (YYYY-MM-DD). */
function dates(last: string, days: number): string[] {
  const end = Date.parse(`${last}T12:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/**
 * A monthly health check of `cameras` cameras over 90 days, with gaps, logged outages and
 * findings; `checkSeq` is the ledger event that records it, one after the events it verified.
 */
export function sampleHealth(
  o: { cameras?: number; findings?: number; daysLeft?: number | null } = {},
): HealthReportInput {
  const days = dates('2026-11-30', 90);
  const cams = Array.from({ length: o.cameras ?? 2 }, (_, c) => ({
    camera: `CAM-0${c + 1}`,
    location: c % 2 ? 'Elm St and 5th Ave, northbound' : 'Main St and 3rd Ave, eastbound',
    lastSwap: `2026-11-${String(20 + c).padStart(2, '0')}T16:45:00-08:00`,
    daysSinceSwap: 10 - c,
    window: { from: `${days[0]}T00:00:00-08:00`, to: '2026-11-30T23:59:59-08:00' },
    perDay: days.map((d, i) => ({
      date: d,
      count: i > 40 && i < 44 && c === 0 ? 0 : 2600 + ((i * 37 + c * 11) % 700),
    })),
    gaps:
      c === 0 ? [{ from: `${days[41]}T00:00:00-07:00`, to: `${days[44]}T06:00:00-08:00`, severity: 'warning' }] : [],
    outages:
      c === 0
        ? [
            { id: 'P1', from: `${days[41]}T02:00:00-07:00`, to: `${days[44]}T06:00:00-08:00` },
            { id: 'P2', from: `${days[70]}T08:00:00-08:00`, to: `${days[70]}T09:00:00-08:00` },
          ]
        : [],
  }));
  const messages = [
    {
      severity: 'warning' as const,
      area: 'camera' as const,
      subject: 'CAM-01',
      message:
        'Camera CAM-01 recorded nothing from October 13 to October 16, 2026 (3 days 4 hours); problem P1 covers it.',
    },
    {
      severity: 'info' as const,
      area: 'duty' as const,
      subject: 'R-2026-0042',
      message:
        'Release R-2026-0042 to Exampleton Police Department on November 26, 2026 has no written acknowledgment of receipt after 4 days (policy §5).',
    },
    {
      severity: 'critical' as const,
      area: 'storage' as const,
      subject: 'B-20260920-001',
      message:
        'Import batch B-20260920-001 is 2 days past its destruction date of November 28, 2026 and is not destroyed (policy §8).',
    },
  ];
  const findings = Array.from({ length: o.findings ?? 3 }, (_, i) => messages[i % messages.length]!);
  const summary = {
    critical: findings.filter((f) => f.severity === 'critical').length,
    warning: findings.filter((f) => f.severity === 'warning').length,
    info: findings.filter((f) => f.severity === 'info').length,
    exitCritical: findings.some((f) => f.severity === 'critical'),
  };
  return {
    result: {
      at: '2026-11-30T16:20:00-08:00',
      findings,
      summary,
      cameras: cams,
      storage: {
        freeBytes: 412_000_000_000,
        bytesPerDay: 2_600_000_000,
        daysLeft: o.daysLeft === undefined ? 158 : o.daysLeft,
        filesInStore: 468_112,
        filesChecked: 39_010,
        fixityFailures: 0,
        full: false,
      },
      ledger: { ok: true, events: 49, head: { seq: 49, hash: sha('event 49') }, problems: [] },
      plateReads: 'judged',
    },
    organization: 'City of Exampleton',
    custodianTitle: 'Administrative Services Director',
    ranBy: 'Pat Example (pexample)',
    ledgerHead: sha('event 50'),
    checkSeq: 50,
    timeZone: 'America/Los_Angeles',
  };
}

export function sampleTransparency(): TransparencyData {
  const kinds = (r: number[]) =>
    (['law-enforcement', 'prosecutorial', 'other'] as const).map((kind, i) => ({
      kind,
      received: r[i]!,
      fulfilled: Math.max(0, r[i]! - 1),
      denied: r[i]! ? 1 : 0,
      withdrawn: 0,
    }));
  const total = (ks: ReturnType<typeof kinds>) => ({
    kind: 'all',
    received: ks.reduce((a, k) => a + k.received, 0),
    fulfilled: ks.reduce((a, k) => a + k.fulfilled, 0),
    denied: ks.reduce((a, k) => a + k.denied, 0),
    withdrawn: 0,
  });
  const req = kinds([14, 3, 1]);
  const con = kinds([2, 0, 0]);
  return {
    organization: 'City of Exampleton',
    custodianTitle: 'Administrative Services Director',
    period: { from: '2026-01-01', to: '2026-06-30' },
    generatedAt: '2026-07-02T10:00:00-07:00',
    countedTo: '2026-07-01T00:00:00.000-07:00',
    cameras: { inService: 4, addedInPeriod: 1, retiredInPeriod: 0 },
    images: { importedInPeriod: 1_604_220, heldAtEnd: 540_112, batchesHeldAtEnd: 1 },
    retentionDays: 60,
    requests: { total: total(req), byAgencyKind: req, source: 'requests' },
    contractor: { requests: { total: total(con), byAgencyKind: con }, permissionsInForce: 1, permissionsGranted: 1 },
    releases: 15,
    overrides: { signed: 1, releases: 2, revoked: 0 },
    holds: { placed: 3, released: 1, standingAtEnd: 2 },
    destruction: {
      recordingDaysDestroyed: 362,
      imagesDestroyed: 1_061_870,
      batchesDestroyed: 41,
      onTime: 359,
      late: 2,
      afterHold: 1,
      imagesOnTime: 1_052_410,
      imagesLate: 6_480,
      imagesAfterHold: 2_980,
      overdueAtEnd: 0,
    },
    health: { checksRun: 6, problemsLogged: 2, outageDays: 3.2 },
    searches: { run: 37, imageViews: 212, exports: 15, notTiedToRequest: 1, requestsWithoutRelease: 2 },
    breaches: { discovered: 0 },
    ledgerHead: sha('transparency head'),
  };
}
