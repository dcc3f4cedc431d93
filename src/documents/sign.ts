/**
 * PDF signing and signature verification.
 *
 * Signing: pdfkit draws the document, @signpdf/placeholder-pdfkit reserves /ByteRange and
 * /Contents, @signpdf/signpdf fills them through our `CadesSigner`. The signature is a
 * detached CMS SignedData with SubFilter ETSI.CAdES.detached (PAdES baseline B-B, ETSI EN
 * 319 142-1): signed attributes content-type, message-digest and ESS signing-certificate-v2
 * (RFC 5035); no CMS signing-time attribute, because PAdES puts the claimed signing time in
 * the signature dictionary's /M instead.
 *
 * Verification is our own (node:crypto + a small DER reader): it re-hashes the /ByteRange,
 * compares the CMS message-digest, checks the signature over the signed attributes with the
 * embedded certificate, and demands that the byte range covers the whole file and that the
 * unused tail of /Contents is zeros, so one edited byte anywhere fails. Trust in the
 * certificate (self-signed or a city's CA) is a separate question the caller answers, e.g. by
 * comparing `fingerprint256` with the home's certificate.
 */
import { createHash, createPublicKey, sign as rsaSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import PDFDocument from 'pdfkit';
import { pdfkitAddPlaceholder } from '@signpdf/placeholder-pdfkit';
import { SignPdf, Signer } from '@signpdf/signpdf';
import { CustodyError } from '../core/errors.js';
import { readP12, type SigningIdentity } from './certificate.js';
import { defaultFontFile, FONT, registerFonts } from './layout.js';
import { dictString, parsePdfDate, readPdfString } from './pdf-objects.js';
import {
  children,
  content,
  ctx,
  decodeOid,
  decodeTime,
  DIGEST_NAME,
  expectTag,
  int,
  nul,
  octets,
  OID,
  oid,
  raw,
  readNode,
  seq,
  setOf,
  type DerNode,
} from './der.js';

export { parsePdfDate };

export const SUBFILTER_PADES = 'ETSI.CAdES.detached';

/** Room reserved in /Contents, in bytes of CMS (written as twice as many hex digits). */
export const DEFAULT_SIGNATURE_BYTES = 8192;

export type SignerInput = SigningIdentity | { p12: Buffer; passphrase: string };

function toIdentity(s: SignerInput): SigningIdentity {
  return 'passphrase' in s ? readP12(s.p12, s.passphrase) : s;
}

/**
 * A @signpdf Signer that makes a CAdES-BES detached signature with node:crypto. The
 * certificate's own DER is embedded unchanged (re-encoding a city's certificate could break it).
 */
export class CadesSigner extends Signer {
  private readonly certDer: Buffer;
  constructor(private readonly identity: SigningIdentity) {
    super();
    this.certDer = Buffer.from(new X509Certificate(identity.certPem).raw);
  }

  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    return cmsSignDetached(pdfBuffer, this.certDer, this.identity.privateKeyPem);
  }
}

/** Issuer Name and serial INTEGER of a certificate, as their original DER. */
function issuerAndSerial(certDer: Buffer): { issuer: Buffer; serial: Buffer } {
  const cert = readNode(certDer);
  const tbs = children(expectTag(cert, 0x30, 'Certificate'))[0]!;
  const f = children(expectTag(tbs, 0x30, 'TBSCertificate'));
  const i = f[0]!.tag === 0xa0 ? 1 : 0; // [0] version is optional
  return { serial: raw(expectTag(f[i], 0x02, 'serialNumber')), issuer: raw(expectTag(f[i + 2], 0x30, 'issuer')) };
}

export function cmsSignDetached(data: Buffer, certDer: Buffer, privateKeyPem: string): Buffer {
  const key = createPublicKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CustodyError('usage', `Only RSA signing keys are supported, not ${key.asymmetricKeyType}.`);
  }
  const sha256 = seq(oid(OID.sha256), nul());
  const { issuer, serial } = issuerAndSerial(certDer);
  const ias = seq(issuer, serial);
  const attr = (type: string, value: Buffer) => seq(oid(type), setOf(value));
  const attrs = [
    attr(OID.contentType, oid(OID.data)),
    attr(OID.messageDigest, octets(createHash('sha256').update(data).digest())),
    // ESSCertIDv2 with the default hash algorithm (SHA-256) omitted, as DER requires.
    attr(
      OID.signingCertificateV2,
      seq(seq(seq(octets(createHash('sha256').update(certDer).digest()), seq(seq(ctx(4, issuer)), serial)))),
    ),
  ];
  const signedAttrsSet = setOf(...attrs); // signed as a SET (tag 0x31) …
  const signature = rsaSign('sha256', signedAttrsSet, privateKeyPem);
  const signedAttrsImplicit = Buffer.concat([Buffer.from([0xa0]), signedAttrsSet.subarray(1)]); // … stored as [0] IMPLICIT
  const signerInfo = seq(
    int(1),
    ias,
    sha256,
    signedAttrsImplicit,
    seq(oid(OID.rsaEncryption), nul()),
    octets(signature),
  );
  const signedData = seq(
    int(1),
    setOf(sha256),
    seq(oid(OID.data)), // detached: no eContent
    ctx(0, certDer),
    setOf(signerInfo),
  );
  return seq(oid(OID.signedData), ctx(0, signedData));
}

/**
 * Sign a PDF that already carries a @signpdf placeholder (/ByteRange [0 /********** …] and a
 * zero-filled /Contents). Returns the signed file.
 */
export async function signPdf(pdfWithPlaceholder: Buffer, signer: SignerInput): Promise<Buffer> {
  const identity = toIdentity(signer);
  try {
    return await new SignPdf().sign(pdfWithPlaceholder, new CadesSigner(identity));
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    throw new CustodyError(
      'internal',
      `Signing the PDF failed: ${e instanceof Error ? e.message : String(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
}

export interface SignedPdfOptions {
  signer: SignerInput;
  /** The claimed signing time, written to /M and to the document's creation date. */
  signedAt: Date;
  /** /Reason of the signature, e.g. "Receipt for records released under policy §5". */
  reason: string;
  /** /Location, e.g. the city. @default '' */
  location?: string;
  /** /ContactInfo, e.g. an office phone or address. @default '' */
  contactInfo?: string;
  /** Document information dictionary (Title, Author, Subject, Keywords). */
  info?: { Title?: string; Author?: string; Subject?: string; Keywords?: string };
  /** pdfkit page size. @default 'LETTER' */
  size?: string | [number, number];
  /** Page margins in points. @default 54 (¾ inch), 70 at the bottom to leave room for footers */
  margins?: { top: number; bottom: number; left: number; right: number };
  /** @default DEFAULT_SIGNATURE_BYTES */
  signatureBytes?: number;
}

export interface PdfOptions {
  /** Creation date written to the document information. */
  createdAt: Date;
  /** Document information dictionary (Title, Author, Subject, Keywords). */
  info?: { Title?: string; Author?: string; Subject?: string; Keywords?: string };
  /** pdfkit page size. @default 'LETTER' */
  size?: string | [number, number];
  /** Page margins in points. @default 54 (¾ inch), 70 at the bottom to leave room for footers */
  margins?: { top: number; bottom: number; left: number; right: number };
}

function newDocument(o: PdfOptions): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    // The embedded font from the start: pdfkit would otherwise make Helvetica, a font the
    // reader supplies, the document's first font.
    font: defaultFontFile(),
    size: o.size ?? 'LETTER',
    margins: o.margins ?? { top: 54, bottom: 70, left: 54, right: 54 },
    bufferPages: true,
    pdfVersion: '1.7',
    lang: 'en-US',
    displayTitle: true,
    info: {
      Creator: 'custody',
      Producer: 'custody (pdfkit)',
      ...o.info,
      CreationDate: o.createdAt,
      ModDate: o.createdAt,
    },
  });
  registerFonts(doc);
  return doc;
}

/**
 * The document's bytes once it ends. A pdfkit document is a paused stream until read, so
 * output produced before this is called is still delivered.
 */
function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/** Build an unsigned PDF: like createSignedPdf without the signature (e.g. a public notice). */
export async function createPdf(
  o: PdfOptions,
  draw: (doc: PDFKit.PDFDocument) => void | Promise<void>,
): Promise<Buffer> {
  const doc = newDocument(o);
  const done = collect(doc);
  await draw(doc);
  doc.end();
  return done;
}

/**
 * Build a signed PDF: a pdfkit document is created (pages buffered, so `draw` may go back to
 * earlier pages, e.g. for "page n of m" footers), `draw` fills it, the signature placeholder is
 * attached to page 1 as an invisible widget, and the signed bytes are returned.
 */
export async function createSignedPdf(
  o: SignedPdfOptions,
  draw: (doc: PDFKit.PDFDocument) => void | Promise<void>,
): Promise<Buffer> {
  const doc = newDocument({ createdAt: o.signedAt, info: o.info, size: o.size, margins: o.margins });
  await draw(doc);
  return signPdfDocument(doc, o);
}

/**
 * Finish and sign a pdfkit document the caller has drawn (and not yet ended). The signature
 * widget goes on the first page if pages are buffered, else on the current page. Output that
 * pdfkit has produced so far is kept by its stream until read here, so the document may be
 * created anywhere; pass `info.CreationDate` to it if the file should not carry today's date.
 */
export async function signPdfDocument(
  doc: PDFKit.PDFDocument,
  o: Pick<SignedPdfOptions, 'signer' | 'signedAt' | 'reason' | 'location' | 'contactInfo' | 'signatureBytes'>,
): Promise<Buffer> {
  const identity = toIdentity(o.signer);
  const done = collect(doc);
  const range = doc.bufferedPageRange();
  if (range.count > 1 || range.start > 0) {
    try {
      doc.switchToPage(range.start);
    } catch {
      // pages are not buffered: the widget goes on the current page
    }
  }
  // The placeholder's AcroForm names the current font: the embedded one, as everywhere else
  // (registered here too for a document the caller made).
  registerFonts(doc);
  doc.font(FONT.regular);
  pdfkitAddPlaceholder({
    pdf: doc,
    pdfBuffer: Buffer.alloc(0),
    reason: o.reason,
    contactInfo: o.contactInfo ?? '',
    name: identity.subject.match(/CN=([^,]+)/)?.[1] ?? identity.subject,
    location: o.location ?? '',
    signingTime: o.signedAt,
    signatureLength: o.signatureBytes ?? DEFAULT_SIGNATURE_BYTES,
    subFilter: SUBFILTER_PADES,
    appName: 'custody',
  });
  doc.end();
  return signPdf(await done, identity);
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface PdfSignatureCheck {
  /** True only if the signature is cryptographically good AND covers the whole file. */
  valid: boolean;
  /** Signer's certificate subject (`CN=…, O=…`), or '' if none could be read. */
  signer: string;
  /** SHA-256 fingerprint of the signer's certificate, colon-separated lower-case hex. */
  signerFingerprint256?: string;
  /** The claimed signing time: the CMS signing-time attribute if present, else /M. */
  signedAt?: Date;
  /** /ByteRange starts at 0, ends at the end of the file, and skips only /Contents. */
  byteRangeCoversWholeFile: boolean;
  /** The signature dictionary's /Reason. */
  reason?: string;
  /** /SubFilter, e.g. ETSI.CAdES.detached. */
  subFilter?: string;
  /** How many signature dictionaries the file has (the last one is checked). */
  signatureCount: number;
  /** Why it is not valid; empty when valid. */
  problems: string[];
  /**
   * Whether the signer's certificate is one of `trustedFingerprints` (only when that option is
   * given). Independent of `valid`: a good signature by an unknown key is valid and untrusted.
   */
  trusted?: boolean;
}

export interface VerifyOptions {
  /** SHA-256 fingerprints (hex, colons optional) of certificates to trust, e.g. the home's. */
  trustedFingerprints?: string[];
}

/** Check the last signature of a PDF. Never throws on a malformed file: it reports problems. */
export function verifyPdfSignature(pdf: Buffer, o: VerifyOptions = {}): PdfSignatureCheck {
  const out: PdfSignatureCheck = {
    valid: false,
    signer: '',
    byteRangeCoversWholeFile: false,
    signatureCount: 0,
    problems: [],
  };
  try {
    check(pdf, out);
  } catch (e) {
    // Untrusted input: any surprise in the structure is a failed check, never a crash.
    out.problems.push(`Cannot read the signature: ${e instanceof Error ? e.message : String(e)}`);
  }
  out.valid = out.problems.length === 0;
  if (o.trustedFingerprints) {
    const norm = (f: string) => f.replace(/:/g, '').toLowerCase();
    const fp = out.signerFingerprint256 ? norm(out.signerFingerprint256) : undefined;
    out.trusted = !!fp && o.trustedFingerprints.some((t) => norm(t) === fp);
  }
  return out;
}

function check(pdf: Buffer, out: PdfSignatureCheck): void {
  const text = pdf.toString('latin1');
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  const ranges = [...text.matchAll(re)];
  out.signatureCount = ranges.length;
  const last = ranges.at(-1);
  if (!last) {
    out.problems.push('The file has no PDF signature (/ByteRange not found).');
    return;
  }
  const [a, b, c, d] = last.slice(1, 5).map(Number) as [number, number, number, number];

  // The signature dictionary around /ByteRange: from its object header to endobj.
  const objStart = text.lastIndexOf(' obj', last.index);
  const objEnd = text.indexOf('endobj', last.index);
  const dict = text.slice(Math.max(objStart, 0), objEnd < 0 ? text.length : objEnd);
  out.reason = dictString(dict, 'Reason');
  out.subFilter = /\/SubFilter\s*\/([^\s/<>[\]()]+)/.exec(dict)?.[1];
  const m = dictString(dict, 'M');
  const dictTime = m ? parsePdfDate(m) : undefined;

  if (!(a === 0 && b > 0 && c > b && c + d <= pdf.length)) {
    out.problems.push(`/ByteRange [${a} ${b} ${c} ${d}] is not usable for a file of ${pdf.length} bytes.`);
    return;
  }
  out.byteRangeCoversWholeFile = c + d === pdf.length;
  if (!out.byteRangeCoversWholeFile)
    out.problems.push('The signature does not cover the whole file (bytes were added after signing).');

  // The gap must be exactly <hex>, the /Contents string.
  const gap = text.slice(b, c);
  if (!/^<[0-9a-fA-F]*>$/.test(gap) || gap.length % 2 !== 0) {
    out.problems.push('The bytes outside /ByteRange are not a single hex /Contents string.');
    return;
  }
  if (!/\/Contents\s*$/.test(text.slice(Math.max(0, b - 40), b))) {
    out.problems.push('The gap in /ByteRange is not the /Contents value.');
    return;
  }
  const hex = gap.slice(1, -1);
  // Hex digits are case-insensitive; a mixed-case string means a digit was retyped.
  if (/[a-f]/.test(hex) && /[A-F]/.test(hex)) out.problems.push('/Contents mixes upper- and lower-case hex digits.');
  const cms = Buffer.from(hex, 'hex');
  const top = readNode(cms);
  if (cms.subarray(top.end).some((x) => x !== 0))
    out.problems.push('/Contents has non-zero bytes after the CMS structure.');
  const p = parseSignedData(raw(top));
  out.problems.push(...p.problems);
  const { digestName, sigAlg, signedAttrsRaw, signatureValue, certDer, attrs } = p;

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certDer);
  } catch (e) {
    out.problems.push(`The signer’s certificate is unreadable: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  out.signer = x509.subject.split('\n').join(', ');
  out.signerFingerprint256 = x509.fingerprint256.toLowerCase();

  const ct = attrs.get(OID.contentType)?.[0];
  if (ct?.tag !== 0x06 || decodeOid(ct) !== OID.data)
    out.problems.push('The content-type attribute is missing or not id-data.');
  const md = attrs.get(OID.messageDigest)?.[0];
  const actual = createHash(digestName)
    .update(pdf.subarray(a, a + b))
    .update(pdf.subarray(c, c + d))
    .digest();
  if (md?.tag !== 0x04) out.problems.push('The message-digest attribute is missing.');
  else if (!content(md).equals(actual)) out.problems.push('The document was changed after signing (digest mismatch).');

  const st = attrs.get(OID.signingTime)?.[0];
  try {
    out.signedAt = st ? decodeTime(st) : dictTime;
  } catch {
    out.problems.push('The signing-time attribute is unreadable.');
  }

  const scv2 = attrs.get(OID.signingCertificateV2)?.[0];
  if (scv2) {
    try {
      const essCertId = children(children(children(scv2)[0]!)[0]!);
      const hashNode = essCertId[0]!.tag === 0x30 ? essCertId[1]! : essCertId[0]!;
      const algName = essCertId[0]!.tag === 0x30 ? DIGEST_NAME[decodeOid(children(essCertId[0]!)[0]!)] : 'sha256';
      if (!algName || !content(hashNode).equals(createHash(algName).update(certDer).digest())) {
        out.problems.push('The signing-certificate-v2 attribute does not name the embedded certificate.');
      }
    } catch {
      out.problems.push('The signing-certificate-v2 attribute is unreadable.');
    }
  } else if (out.subFilter === SUBFILTER_PADES) {
    out.problems.push('A PAdES signature must carry the signing-certificate-v2 attribute.');
  }

  const rsaAlgs: string[] = [
    OID.rsaEncryption,
    OID.sha256WithRSAEncryption,
    OID.sha384WithRSAEncryption,
    OID.sha512WithRSAEncryption,
  ];
  const ecAlgs: string[] = [OID.ecdsaWithSha256, OID.ecdsaWithSha384, OID.ecdsaWithSha512, OID.ecPublicKey];
  if (!rsaAlgs.includes(sigAlg) && !ecAlgs.includes(sigAlg))
    out.problems.push(`Unsupported signature algorithm ${sigAlg}.`);
  else {
    let ok = false;
    try {
      ok = cryptoVerify(digestName, signedAttrsRaw, x509.publicKey, signatureValue);
    } catch {
      ok = false;
    }
    if (!ok)
      out.problems.push('The signature over the signed attributes does not verify with the signer’s certificate.');
  }
}

interface ParsedSignedData {
  digestName: string;
  sigAlg: string;
  signedAttrsRaw: Buffer;
  signatureValue: Buffer;
  certDer: Buffer;
  attrs: Map<string, DerNode[]>;
  problems: string[];
}

/** An AlgorithmIdentifier: its OID, insisting the parameters are absent or NULL. */
function algorithm(n: DerNode | undefined, what: string): string {
  const parts = children(expectTag(n, 0x30, what));
  const params = parts[1];
  if (parts.length > 2 || (params && !(params.tag === 0x05 && params.end === params.contentStart))) {
    throw new CustodyError('integrity', `Unexpected parameters in ${what}.`);
  }
  return decodeOid(parts[0]!);
}

function smallInt(n: DerNode | undefined, what: string): number {
  const b = content(expectTag(n, 0x02, what));
  if (b.length !== 1) throw new CustodyError('integrity', `Unexpected ${what}.`);
  return b[0]!;
}

/**
 * Read a CMS ContentInfo holding SignedData (RFC 5652 §5) strictly. Parts of SignedData that the
 * signature does not cover (versions, digestAlgorithms, encapContentInfo, other certificates)
 * are checked for the only values a PDF signature may have, so editing one is noticed too.
 */
function parseSignedData(der: Buffer): ParsedSignedData {
  const problems: string[] = [];
  const top = readNode(der);
  const ci = children(expectTag(top, 0x30, 'ContentInfo'));
  if (ci.length !== 2 || decodeOid(ci[0]!) !== OID.signedData)
    throw new CustodyError('integrity', 'The CMS is not SignedData.');
  const wrapped = children(expectTag(ci[1], 0xa0, '[0] content'));
  if (wrapped.length !== 1) throw new CustodyError('integrity', 'Unexpected content wrapper.');
  const sd = children(expectTag(wrapped[0], 0x30, 'SignedData'));
  const version = smallInt(sd[0], 'SignedData version');
  if (version !== 1 && version !== 3) problems.push(`Unexpected SignedData version ${version}.`);
  const digestAlgs = children(expectTag(sd[1], 0x31, 'digestAlgorithms')).map((n) => algorithm(n, 'digestAlgorithm'));
  const encap = children(expectTag(sd[2], 0x30, 'EncapsulatedContentInfo'));
  if (encap.length !== 1 || decodeOid(encap[0]!) !== OID.data) {
    problems.push('The CMS must be detached and of type id-data.');
  }
  let i = 3;
  const certNodes = sd[i]?.tag === 0xa0 ? children(sd[i++]!) : [];
  if (sd[i]?.tag === 0xa1) i++; // crls
  const signerInfos = children(expectTag(sd[i], 0x31, 'SignerInfos'));
  if (i + 1 !== sd.length) throw new CustodyError('integrity', 'Unexpected fields after SignerInfos.');
  if (signerInfos.length !== 1) problems.push(`Expected one SignerInfo, found ${signerInfos.length}.`);

  const si = children(expectTag(signerInfos[0], 0x30, 'SignerInfo'));
  const siVersion = smallInt(si[0], 'SignerInfo version');
  const sid = si[1]!;
  if (!((siVersion === 1 && sid.tag === 0x30) || (siVersion === 3 && sid.tag === 0x80))) {
    problems.push('The SignerInfo version does not match its signer identifier.');
  }
  const digestAlg = algorithm(si[2], 'digestAlgorithm');
  const digestName = DIGEST_NAME[digestAlg] ?? '';
  if (!digestName) throw new CustodyError('integrity', `Unsupported digest algorithm ${digestAlg}.`);
  if (!digestAlgs.includes(digestAlg)) problems.push('digestAlgorithms does not list the signer’s digest algorithm.');
  const sa = expectTag(si[3], 0xa0, 'signedAttrs (required in a PDF signature)');
  const signedAttrsRaw = Buffer.concat([Buffer.from([0x31]), raw(sa).subarray(1)]);
  const sigAlg = algorithm(si[4], 'signatureAlgorithm');
  const signatureValue = content(expectTag(si[5], 0x04, 'signature'));
  if (si.length > 7 || (si.length === 7 && si[6]!.tag !== 0xa1))
    throw new CustodyError('integrity', 'Unexpected fields in SignerInfo.');
  if (si.length === 7) problems.push('The SignerInfo has unsigned attributes, which this verifier does not check.');

  const attrs = new Map<string, DerNode[]>();
  for (const at of children(sa)) {
    const [t, vals, ...rest] = children(expectTag(at, 0x30, 'Attribute'));
    const type = decodeOid(t!);
    if (rest.length || attrs.has(type)) throw new CustodyError('integrity', 'Malformed or repeated signed attribute.');
    attrs.set(type, children(expectTag(vals, 0x31, 'AttributeValues')));
  }

  // The signer's certificate, by issuer and serial number.
  const certs = certNodes.map((n) => raw(expectTag(n, 0x30, 'Certificate')));
  let certDer: Buffer | undefined;
  if (sid.tag === 0x30) {
    const [iss, ser] = children(sid);
    certDer = certs.find((der) => {
      const x = issuerAndSerial(der);
      return x.issuer.equals(raw(iss!)) && x.serial.equals(raw(ser!));
    });
  }
  if (!certDer) throw new CustodyError('integrity', 'The CMS does not contain the signer’s certificate.');

  // Certificates are outside the signed attributes: each one whose issuer is in the bundle (a
  // self-signed one is its own issuer) must carry a good signature from it.
  const x509s = certs.map((d) => new X509Certificate(d));
  for (const x of x509s) {
    const issuer = x509s.find((y) => y.subject === x.issuer);
    if (issuer && !x.verify(issuer.publicKey))
      problems.push(`The certificate “${x.subject.split('\n').join(', ')}” is damaged.`);
  }
  return { digestName, sigAlg, signedAttrsRaw, signatureValue, certDer, attrs, problems };
}

/** The string value of an info entry: direct, or an indirect object (the last definition wins, as in an update). */
function infoString(text: string, key: string): string | undefined {
  const direct = dictString(text, key);
  if (direct !== undefined) return direct;
  const refs = [...text.matchAll(new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`, 'g'))];
  const ref = refs[refs.length - 1]?.[1];
  if (!ref) return undefined;
  const defs = [...text.matchAll(new RegExp(`(?:^|[\\r\\n\\s])${ref}\\s+0\\s+obj\\b`, 'g'))];
  const def = defs[defs.length - 1];
  if (!def) return undefined;
  const start = def.index + def[0].length;
  const end = text.indexOf('endobj', start);
  const body = text.slice(start, end < 0 ? text.length : end);
  const p = body.search(/[(<]/);
  return p < 0 ? undefined : readPdfString(body, p);
}

/**
 * The ledger head a custody PDF carries in its document information (`Keywords: custody … ledger
 * <64 hex>`), as every receipt, certificate and report writes it; undefined if there is none.
 */
export function pdfLedgerHead(pdf: Buffer): string | undefined {
  const kw = infoString(pdf.toString('latin1'), 'Keywords');
  return kw ? /^custody .*\bledger ([0-9a-f]{64})$/.exec(kw.trim())?.[1] : undefined;
}

/**
 * What a custody PDF is, by the word its Keywords carry after `custody` (`receipt`, `destruction`,
 * `health`, `transparency`); undefined for a PDF that carries none.
 */
export function pdfDocumentKind(pdf: Buffer): string | undefined {
  const kw = infoString(pdf.toString('latin1'), 'Keywords');
  return kw ? /^custody ([a-z]+)\b/.exec(kw.trim())?.[1] : undefined;
}
