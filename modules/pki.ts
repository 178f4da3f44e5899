/**
 * pki: certificates the way a cluster needs them, with every private key made
 * on the host that keeps it and never shown. Three steps, as
 * community.crypto's modules have them, each idempotent:
 * - `state: ca` on the CA host: a CA key and its self-signed certificate;
 * - `state: request` on the host that needs a certificate: its key (made when
 *   missing) and, only when the certificate there does not match (key,
 *   subject, SANs, issuer) or is inside its renewal window, a CSR in the
 *   result (`needs_certificate`, `csr`);
 * - `state: sign`, delegated to the CA host: a certificate for the CSR's
 *   public key with the subject, SANs and usages the task declares (never
 *   what the request asks for, never a CA), in the result (to `copy` back);
 *   the CA key never leaves its host, and check mode never signs.
 */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { defineModule, projectStat, type Change, type Plan, type Probe, type RunStep, type Step, cannotKnow, noChange, planFailure } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";
import { CertificateInfo, CertificateRequest, PublicKeyOf } from "../facts/certificate.ts";

interface Args {
  state: "ca" | "request" | "sign";
  key?: string;
  cert?: string;
  common_name?: string;
  organization?: string | string[];
  sans?: string[];
  ca_cert?: string;
  ca_key?: string;
  csr?: string;
  days: number;
  renew_days: number;
  key_type: "ecdsa" | "rsa" | "ed25519";
  usage: (typeof USAGES)[number][];
}

const DAY = 86_400_000;
/** Extended key usages a leaf may be given, by openssl's short names. */
const USAGES = ["serverAuth", "clientAuth"] as const;
const KEY_ALGORITHMS: Record<Args["key_type"], string[]> = {
  ecdsa: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  ed25519: ["-algorithm", "ED25519"],
};

const organizations = (a: Args) => (a.organization === undefined ? [] : Array.isArray(a.organization) ? a.organization : [a.organization]);
/** openssl's -subj form. */
const subjectArg = (a: Args) => [`/CN=${a.common_name}`, ...organizations(a).map((o) => `/O=${o}`)].join("");
/** The subject as a set of `K=V`, whatever the order openssl prints them in. */
const subjectSet = (a: Args) => [`CN=${a.common_name}`, ...organizations(a).map((o) => `O=${o}`)].sort();
const parsedSubject = (rfc2253: string) =>
  rfc2253
    .split(",")
    .map((p) => p.trim())
    .sort();
/** SANs as openssl prints them: `DNS:name`, `IP:address`; a bare name or address is told apart. */
const sanList = (a: Args) => (a.sans ?? []).map((s) => (/^(DNS|IP):/.test(s) ? s : isIP(s) ? `IP:${s}` : `DNS:${s}`)).sort();

/** A new private key, made on the host with a private umask and moved into place whole. */
function keyStep(key: string, type: Args["key_type"]): Step {
  return {
    run: ["sh", "-c", 'umask 077; openssl genpkey "$@" -out "$0.hoist-new" 2>/dev/null && mv -f -- "$0.hoist-new" "$0"', key, ...KEY_ALGORITHMS[type]],
    touches: [key],
    describe: `make the private key ${key}`,
  };
}

/** Why the certificate there is not the one wanted, or undefined when it is. */
function mismatch(a: Args, cert: CertificateInfo | null, publicKey: string | null, issuer: string | undefined): string | undefined {
  if (!cert) return "no certificate yet";
  if (!publicKey || cert.publicKey.trim() !== publicKey.trim()) return "the certificate is not for this key";
  if (parsedSubject(cert.subject).join() !== subjectSet(a).join()) return `subject ${cert.subject} is not ${subjectSet(a).join(",")}`;
  if (cert.sans.join() !== sanList(a).join()) return `SANs [${cert.sans.join(", ")}] are not [${sanList(a).join(", ")}]`;
  if (issuer !== undefined && parsedSubject(cert.issuer).join() !== parsedSubject(issuer).join()) return `issued by ${cert.issuer}, not ${issuer}`;
  const left = Math.floor((cert.notAfter - cert.now) / DAY);
  if (left < a.renew_days) return left < 0 ? "the certificate expired" : `the certificate expires in ${left} days (renew_days: ${a.renew_days})`;
  return undefined;
}

/**
 * The files are stat-ed first: in check mode that is what tells an earlier
 * planned change to them (a CA certificate copied in) and makes this plan
 * unknown; and a file known to be missing (in a directory an earlier task
 * creates) is read as missing, without asking openssl about it.
 */
async function readExisting(probe: Probe, paths: { key: string; cert: string; ca?: string }) {
  const stats = await probe.statMany([paths.key, paths.cert, ...(paths.ca ? [paths.ca] : [])]);
  const cert = (path: string | undefined) => (path && stats.get(path) ? probe.fact(CertificateInfo, { path }) : Promise.resolve(null));
  const [publicKey, certificate, ca] = await Promise.all([
    stats.get(paths.key) ? probe.fact(PublicKeyOf, { path: paths.key }) : Promise.resolve(null),
    cert(paths.cert),
    cert(paths.ca),
  ]);
  return { publicKey, cert: certificate, ca };
}

async function planCa(a: Args, probe: Probe): Promise<Plan> {
  const { publicKey, cert } = await readExisting(probe, { key: a.key!, cert: a.cert! });
  const steps: Step[] = publicKey === null ? [keyStep(a.key!, a.key_type)] : [];
  const why = publicKey === null ? "no CA key yet" : mismatch({ ...a, sans: [] }, cert, publicKey, cert ? parsedSubject(cert.subject).join(",") : undefined);
  if (!why) return noChange({ reason: `${a.cert} is the CA wanted`, result: { certificate: await probe.readFile(a.cert!) } });
  steps.push({
    run: [
      "sh",
      "-c",
      'openssl req -x509 -new -key "$1" -subj "$2" -days "$3" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$0.hoist-new" && mv -f -- "$0.hoist-new" "$0"',
      a.cert!,
      a.key!,
      subjectArg(a),
      String(a.days),
    ],
    touches: [a.cert!],
    describe: `make the CA certificate ${a.cert}`,
  });
  const changes: Change[] = [
    ...(publicKey === null ? [{ field: "private key", path: a.key!, before: null, after: `(new ${a.key_type} key)`, sensitive: true }] : []),
    { field: "CA certificate", path: a.cert!, before: cert ? cert.subject : null, after: subjectSet(a).join(",") },
  ];
  return {
    changes,
    steps,
    reason: why,
    projects: [projectStat(a.key!, { type: "file", mode: "0600", owner: "root", group: "root", size: 0 })],
    // The certificate (public) in the result, for the hosts that must trust it.
    next: async (_outputs, after) => noChange({ result: { certificate: await after.readFile(a.cert!) } }),
  };
}

async function planRequest(a: Args, probe: Probe): Promise<Plan> {
  const { publicKey, cert, ca } = await readExisting(probe, { key: a.key!, cert: a.cert!, ca: a.ca_cert });
  if (a.ca_cert && !ca) return planFailure(`ca_cert ${a.ca_cert} does not exist on the host`);
  const why = publicKey === null ? "no key yet" : mismatch(a, cert, publicKey, ca?.subject);
  if (!why) return noChange({ reason: `${a.cert} matches`, result: { needs_certificate: false } });
  const request = { key: a.key!, subject: subjectArg(a), sans: sanList(a) };
  const changes: Change[] = [
    ...(publicKey === null ? [{ field: "private key", path: a.key!, before: null, after: `(new ${a.key_type} key)`, sensitive: true }] : []),
    {
      field: "certificate",
      path: a.cert!,
      before: cert ? `${cert.subject} [${cert.sans.join(", ")}] until ${new Date(cert.notAfter).toISOString().slice(0, 10)}` : null,
      after: `${subjectSet(a).join(",")} [${sanList(a).join(", ")}]: ${why}`,
    },
  ];
  if (publicKey !== null) {
    // The key is there: the request is a read, the same in check mode and in the run.
    const csr = await probe.fact(CertificateRequest, request);
    return { changes, steps: [], reason: why, result: { needs_certificate: true, csr } };
  }
  if (probe.check) return { changes, steps: [], unknown: `the request is for a key made only in the run (${why})`, result: { needs_certificate: true } };
  return {
    changes,
    steps: [keyStep(a.key!, a.key_type)],
    reason: why,
    next: async (_outputs, after) => noChange({ result: { needs_certificate: true, csr: await after.fact(CertificateRequest, request) } }),
  };
}

/**
 * openssl's extension file for a leaf: never a CA, and only what the task
 * declares. Every value in it passed the schema's patterns (no comma, newline
 * or `=` can reach it), so nothing in the file comes from the requesting host.
 */
function leafExtensions(a: Args): string {
  const sans = sanList(a);
  return [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${a.usage.join(",")}`,
    ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
    "",
  ].join("\n");
}

/**
 * The signing command, run on the CA host: the CSR's self-signature is
 * verified (its sender holds the key), then only its public key is taken; the
 * certificate is made anew (`x509 -new`) with the subject, SANs, usages and
 * validity the task declares, so nothing else the host put in its request —
 * another subject, `CA:TRUE`, extra names — can reach it. It prints the
 * certificate and writes nothing but a private temporary directory, removed on exit.
 */
function signStep(a: Args): RunStep {
  const script = [
    "set -e",
    "d=$(mktemp -d); trap 'rm -rf -- \"$d\"' EXIT",
    'printf "%s" "$0" > "$d/csr"; printf "%s" "$1" > "$d/ext"',
    // openssl 3.0 exits 0 when the self-signature fails: its verdict is read instead.
    'case "$(openssl req -in "$d/csr" -noout -verify 2>&1)" in *"verify OK") ;; *) echo "the request is not signed by its own key" >&2; exit 65;; esac',
    'openssl req -in "$d/csr" -noout -pubkey > "$d/pub"',
    'openssl x509 -new -subj "$2" -force_pubkey "$d/pub" -CA "$3" -CAkey "$4" -days "$5" -set_serial "$6" -extfile "$d/ext"',
  ].join("\n");
  return {
    run: ["sh", "-c", script, a.csr!, leafExtensions(a), subjectArg(a), a.ca_cert!, a.ca_key!, String(a.days), `0x${randomBytes(16).toString("hex")}`],
    touches: [],
    describe: `sign ${subjectSet(a).join(",")} with ${a.ca_cert}`,
  };
}

async function planSign(a: Args, probe: Probe): Promise<Plan> {
  if (!a.csr) {
    if (probe.check) return cannotKnow("no request yet: it is made in the run");
    return planFailure("csr is empty: give the request's result (`{{ request.csr }}`)");
  }
  // Signing is the CA acting, never a read: check mode and drift plan it and do not run it.
  return {
    changes: [
      {
        resource: `ca:${a.ca_cert}`,
        field: "certificate signed",
        before: null,
        after: `${subjectSet(a).join(",")} [${sanList(a).join(", ")}] ${a.usage.join(",")}, by ${a.ca_cert}, ${a.days} days`,
      },
    ],
    steps: [signStep(a)],
    next: async (outputs) => {
      const certificate = outputs[0].stdout;
      if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/.test(certificate)) return planFailure("signing printed no certificate");
      return noChange({ result: { certificate } });
    },
  };
}

const dnsOrIp = "^((DNS:)?[A-Za-z0-9*][A-Za-z0-9*.-]*|(IP:)?[0-9A-Fa-f.:]+)$";
const rdnValue = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9 :._@-]*$" };

export default defineModule<Args>({
  name: "pki",
  description:
    "Certificates with keys made where they are kept: a CA (state: ca), a key and — only when its certificate no longer matches or is due for renewal — a CSR (state: request), and the CSR signed on the CA host (state: sign).",
  schema: {
    type: "object",
    properties: {
      state: { enum: ["ca", "request", "sign"] },
      key: { ...absolutePath, description: "The private key (ca, request); made when missing, mode 0600." },
      cert: { ...absolutePath, description: "The certificate (ca: written; request: checked)." },
      common_name: { ...rdnValue, description: "ca, request: the subject's CN; sign: the CN the certificate gets, whatever the request asks." },
      organization: { anyOf: [rdnValue, { type: "array", items: rdnValue }] },
      sans: { type: "array", items: { type: "string", pattern: dnsOrIp }, description: "DNS names and IP addresses (`DNS:`/`IP:` optional)." },
      ca_cert: { ...absolutePath, description: "request: the CA to check the issuer against; sign: the CA certificate." },
      ca_key: { ...absolutePath, description: "sign: the CA key, on the CA host." },
      csr: { type: "string", description: "sign: the request (the request task's `csr`)." },
      days: { type: "integer", minimum: 1, default: 365 },
      renew_days: { type: "integer", minimum: 0, default: 30, description: "request: ask again when the certificate expires within this many days." },
      key_type: { enum: ["ecdsa", "rsa", "ed25519"], default: "ecdsa" },
      usage: {
        type: "array",
        items: { enum: [...USAGES] },
        minItems: 1,
        uniqueItems: true,
        default: ["serverAuth", "clientAuth"],
        description: "sign: the extended key usages the certificate gets.",
      },
    },
    required: ["state"],
    additionalProperties: false,
  },
  notes: [
    "community.crypto spreads this over openssl_privatekey, openssl_csr and x509_certificate (ownca); here a request is made only when the certificate there no longer matches its key, subject, SANs or issuer, or is within renew_days of expiry, so a SAN added is reissued and a certificate that matches is left alone.",
    "Signing takes only the request's public key (its self-signature verified): subject, SANs, usages (serverAuth and clientAuth unless `usage` says), validity and CA:FALSE come from the task, so a host that lies in its request gets nothing it was not declared. It writes nothing on the CA host (a random serial, no serial file); it is a change, run only in a real run, and the certificate is in the result for a `copy` to the host that asked.",
    "IPv6 SANs are compared as written; write them as openssl prints them.",
  ].join("\n"),
  examples: `
- name: the kubelet's key, and a request when its certificate no longer fits
  pki: { state: request, key: /var/lib/kubelet/kubelet.key, cert: /var/lib/kubelet/kubelet.crt, ca_cert: /var/lib/kubelet/ca.crt,
         common_name: "system:node:{{ inventory_hostname }}", organization: "system:nodes", sans: ["{{ inventory_hostname }}", "{{ ansible_default_ipv4.address }}"] }
  register: request
- name: signed on the CA host
  pki: { state: sign, csr: "{{ request.csr }}", ca_cert: /etc/hoist-ca/ca.crt, ca_key: /etc/hoist-ca/ca.key,
         common_name: "system:node:{{ inventory_hostname }}", organization: "system:nodes", sans: ["{{ inventory_hostname }}", "{{ ansible_default_ipv4.address }}"], usage: [serverAuth, clientAuth] }
  delegate_to: "{{ groups.ca[0] }}"
  when: request.needs_certificate
  register: signed
- name: the certificate in place
  copy: { content: "{{ signed.certificate }}", dest: /var/lib/kubelet/kubelet.crt }
  when: request.needs_certificate
`,
  validate(a) {
    const need = (keys: (keyof Args)[]) => keys.filter((k) => a[k] === undefined);
    const missing =
      a.state === "ca"
        ? need(["key", "cert", "common_name"])
        : a.state === "request"
          ? need(["key", "cert", "common_name"])
          : need(["ca_cert", "ca_key", "common_name"]);
    return missing.length ? `state: ${a.state} needs ${missing.join(", ")}` : undefined;
  },
  async plan(args, probe) {
    if (args.state === "ca") return planCa(args, probe);
    if (args.state === "request") return planRequest(args, probe);
    return planSign(args, probe);
  },
});
