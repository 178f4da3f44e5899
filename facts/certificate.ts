/**
 * CertificateInfo: what a certificate file on the host says — subject,
 * issuer, subject alternative names, expiry and public key — from openssl;
 * null when there is no such file. PublicKeyOf: the public half of a private
 * key on the host (only the public half ever leaves it); null when missing.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * What a certificate says: subject, issuer, SANs, expiry and public key.
 */
export interface CertificateInfo {
  /** RFC 2253, as openssl prints it (`O=system:nodes,CN=system:node:w0`). */
  subject: string;
  issuer: string;
  /** `DNS:name` and `IP:address` entries, sorted. */
  sans: string[];
  /** Expiry, epoch milliseconds. */
  notAfter: number;
  /** The host's clock when it was read, epoch milliseconds: expiry is the host's business. */
  now: number;
  publicKey: string;
}

/**
 * The host's `now=` and openssl's `-subject -issuer -enddate -ext subjectAltName` and `-pubkey` output, parsed.
 *
 * @example
 * parseCertificate("subject=CN=admin\nissuer=CN=ca\nnotAfter=Dec  3 22:36:35 2026 GMT\n-----BEGIN PUBLIC KEY-----\n…") // { subject: "CN=admin", … }
 */
export function parseCertificate(text: string): CertificateInfo {
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  const sanLine = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(text)?.[1] ?? "";
  const sans = sanLine
    .split(",")
    .map((s) => s.trim().replace(/^IP Address:/, "IP:"))
    .filter(Boolean)
    .sort();
  const publicKey = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n?/.exec(text)?.[0] ?? "";
  return { subject: field("subject"), issuer: field("issuer"), sans, notAfter: Date.parse(field("notAfter")), now: Number(field("now")) * 1000, publicKey };
}

/**
 * @example
 * await probe.fact(CertificateInfo, { path: "/etc/kubernetes/pki/apiserver.crt" }) // { subject: "CN=kube-apiserver", sans: ["DNS:kubernetes", "IP:10.32.0.1"], … }
 */
export const CertificateInfo = defineFact<{ path: string }, CertificateInfo | null>({
  name: "CertificateInfo",
  command: ({ path }) => [
    "sh",
    "-c",
    '[ -e "$1" ] || exit 3; echo "now=$(date +%s)"; openssl x509 -in "$1" -noout -subject -issuer -enddate -ext subjectAltName -nameopt RFC2253 && openssl x509 -in "$1" -noout -pubkey',
    "certificate",
    path,
  ],
  parse(r, { path }) {
    if (r.code === 3) return null;
    if (r.code !== 0) throw new Error(`${path} is not a certificate openssl reads: ${r.stderr.trim()}`);
    return parseCertificate(r.stdout);
  },
  files: ({ path }) => [path],
});

/**
 * @example
 * await probe.fact(PublicKeyOf, { path: "/etc/kubernetes/pki/apiserver.key" }) // "-----BEGIN PUBLIC KEY-----\n…"
 */
export const PublicKeyOf = defineFact<{ path: string }, string | null>({
  name: "PublicKeyOf",
  command: ({ path }) => ["sh", "-c", '[ -e "$1" ] || exit 3; openssl pkey -in "$1" -pubout', "public-key", path],
  parse(r, { path }) {
    if (r.code === 3) return null;
    if (r.code !== 0) throw new Error(`${path} is not a private key openssl reads: ${r.stderr.trim()}`);
    return r.stdout;
  },
  files: ({ path }) => [path],
});

/**
 * CertificateRequest: a CSR for a private key on the host, with a subject and
 * SANs — made on the host (the key never leaves it) and written nowhere, so
 * reading it changes nothing; made afresh each time.
 *
 * @example
 * await probe.fact(CertificateRequest, { key: "/etc/kubernetes/pki/admin.key", subject: "/CN=admin/O=system:masters", sans: [] }) // "-----BEGIN CERTIFICATE REQUEST-----\n…"
 */
export const CertificateRequest = defineFact<{ key: string; subject: string; sans: string[] }, string>({
  name: "CertificateRequest",
  command: ({ key, subject, sans }) => [
    "openssl",
    "req",
    "-new",
    "-key",
    key,
    "-subj",
    subject,
    ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
  ],
  parse(r) {
    if (r.code !== 0 || !r.stdout.includes("BEGIN CERTIFICATE REQUEST")) throw new Error(`openssl req failed: ${r.stderr.trim()}`);
    return r.stdout;
  },
  fresh: true,
});
