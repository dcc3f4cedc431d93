/** SHA-256, the one hash of the record (evidence, documents, the chain). Pure: no file access. */
import { createHash } from 'node:crypto';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
