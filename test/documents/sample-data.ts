import { createHash } from 'node:crypto';
import type { BreachData } from '../../src/documents/breach.js';
import type { DestructionData } from '../../src/documents/destruction.js';
import type { ReceiptData } from '../../src/documents/receipt.js';

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
    },
  };
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
      recordedFrom: `2026-09-${String(1 + i).padStart(2, '0')}T06:00:00.000-07:00`,
      recordedTo: `2026-09-${String(6 + i).padStart(2, '0')}T21:14:09.000-07:00`,
      manifestSha256: sha(`batch ${i}`),
      keyDestroyedAt: `2026-11-26T16:40:${String(10 + i).padStart(2, '0')}.000-08:00`,
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
      'Photographs of vehicles that passed the camera at Elm Street and 5th Avenue, with the date and time of each photograph and the licence plate shown in it.',
    informationTypes: ['Images of vehicles and their licence plates', 'Date, time and camera location of each image'],
    whatWeAreDoing:
      'We reported the loss to the Exampleton Police Department and the state Office of Information Security. Drives are now encrypted in the camera and signed in and out of the cabinet.',
    posting: { from: '2026-12-01', until: '2026-12-31' },
  };
}
