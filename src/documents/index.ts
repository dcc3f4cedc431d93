/** The documents layer: signed PDFs (receipts, certificates of destruction), notices, signing. */
export { createSelfSignedIdentity, readP12, type SigningIdentity } from './certificate.js';
export {
  createPdf,
  createSignedPdf,
  signPdf,
  signPdfDocument,
  verifyPdfSignature,
  type PdfSignatureCheck,
  type SignerInput,
  type VerifyOptions,
} from './sign.js';
export {
  extractReceiptFields,
  readReceipt,
  receiptQrPayload,
  renderReceipt,
  ReceiptDataSchema,
  RECEIPT_ATTACHMENT,
  type ReceiptData,
  type ReceiptFile,
  type ReceiptHandedOver,
} from './receipt.js';
export {
  destructionQrPayload,
  extractDestructionFields,
  renderDestructionCertificate,
  DestructionDataSchema,
  type DestructionData,
  type DestroyedBatch,
} from './destruction.js';
export { renderBreachNotice, BreachDataSchema, type BreachData } from './breach.js';
