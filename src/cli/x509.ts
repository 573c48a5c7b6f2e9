// A minimal X.509 v3 certificate builder (DER by hand, signed with node:crypto), so that
// `namesrv dev-credentials` can make a development CA and node certificate inside an image that
// has node but no openssl. ECDSA P-256 with SHA-256 only. For development credentials only:
// production certificates come from the operator's own CA.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIpv4Literal } from "../transport/addresses.js";

/** A key pair and its certificate, PEM encoded. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
}

/** What to put in a certificate. */
export interface CertificateRequest {
  readonly commonName: string;
  /** True for a CA (keyCertSign); false for a node certificate (serverAuth + clientAuth). */
  readonly isCa: boolean;
  /** DNS names and IPv4 addresses for the subjectAltName of a node certificate. */
  readonly altNames?: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The issuer; absent for a self-signed CA. */
  readonly issuer?: { readonly commonName: string; readonly privateKey: KeyObject };
}

const OID = {
  commonName: "2.5.4.3",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** Makes a P-256 key pair and a certificate for it. */
export function issueCertificate(request: CertificateRequest): IssuedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = request.issuer ?? { commonName: request.commonName, privateKey };
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    seq(oid(OID.ecdsaWithSha256)),
    name(signer.commonName),
    seq(time(request.notBefore), time(request.notAfter)),
    name(request.commonName),
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(...extensions(request))),
  );
  const signature = sign("sha256", tbs, signer.privateKey);
  const cert = seq(tbs, seq(oid(OID.ecdsaWithSha256)), bitString(signature));
  return { certPem: pem("CERTIFICATE", cert), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), privateKey };
}

/** The public key of a private key (for verifying in tests). */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

function extensions(request: CertificateRequest): Buffer[] {
  if (request.isCa) {
    return [
      extension(OID.basicConstraints, true, seq(tlv(0x01, Buffer.from([0xff])))),
      extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x01, 0x06]))),
    ];
  }
  const names = (request.altNames ?? []).map((alt) =>
    isIpv4Literal(alt) ? tlv(0x87, Buffer.from(alt.split(".").map(Number))) : tlv(0x82, Buffer.from(alt, "ascii")),
  );
  return [
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x07, 0x80]))),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectAltName, false, seq(...names)),
  ];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function name(commonName: string): Buffer {
  return seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, Buffer.from(commonName, "utf8")))));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(0xa0 + tagNumber, inner);
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const lengthBytes: number[] = [];
    for (let value = length; value > 0; value >>>= 8) lengthBytes.unshift(value & 0xff);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
