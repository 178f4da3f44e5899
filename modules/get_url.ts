/**
 * get_url: download a file over HTTP(S) onto the host, on the host, and
 * keep it only when whole: the download goes to a temporary file beside the
 * destination, is checked (length as sent, and the checksum when one is
 * given) and fsynced, then renamed over it. With a checksum, an existing file
 * that matches is not downloaded again. Headers and passwords reach the host
 * on standard input, never in an argv.
 */
import { basename, posix } from "node:path";
import { defineModule, unknowable, type Change, type Plan, type Probe, type Step, cannotKnow, noChange, planFailure } from "../engine/module.ts";
import { absolutePath, accountName, httpUrl } from "./lib/argument-types.ts";
import { attributeFixes, normalizeMode } from "./lib/attrs.ts";
import { DIGESTS, FileDigest, type Digest } from "../facts/file-digest.ts";

interface Args {
  url: string;
  dest: string;
  checksum?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  force: boolean;
  headers?: Record<string, string>;
  timeout: number;
  url_username?: string;
  url_password?: string;
  validate_certs: boolean;
}

/** Exit code of the download script when what it fetched equals the file already there. */
const SAME = 3;

/** Runs on the host with python3 (as Ansible's own get_url needs): argv url dest algo expected timeout verify mode; stdin: headers and credentials (JSON). */
const DOWNLOAD = `import base64, hashlib, json, os, ssl, sys, tempfile, urllib.request
url, dest, algo, expected, timeout, verify, mode = sys.argv[1:8]
opts = json.load(sys.stdin)
req = urllib.request.Request(url, headers=opts.get("headers") or {})
if opts.get("username") is not None:
    token = base64.b64encode(("%s:%s" % (opts["username"], opts.get("password") or "")).encode()).decode()
    req.add_header("Authorization", "Basic " + token)
context = None if verify == "1" else ssl._create_unverified_context()
def digest(path):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
fd, tmp = tempfile.mkstemp(prefix=".hoist-get_url.", dir=os.path.dirname(dest))
try:
    h, size = hashlib.new(algo), 0
    with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=float(timeout), context=context) as r:
        length = r.headers.get("Content-Length")
        for chunk in iter(lambda: r.read(1 << 20), b""):
            out.write(chunk); h.update(chunk); size += len(chunk)
        out.flush(); os.fsync(out.fileno())
    if length is not None and int(length) != size:
        sys.exit("download cut short: %d of %s bytes" % (size, length))
    got = h.hexdigest()
    if expected and got != expected:
        sys.exit("checksum mismatch: %s:%s expected, %s:%s downloaded" % (algo, expected, algo, got))
    if os.path.isfile(dest) and digest(dest) == got:
        print(got); sys.exit(${SAME})
    os.chmod(tmp, int(mode, 8) if mode else (os.stat(dest).st_mode & 0o7777 if os.path.exists(dest) else 0o644))
    os.rename(tmp, dest)
    dfd = os.open(os.path.dirname(dest), os.O_RDONLY); os.fsync(dfd); os.close(dfd)
    print(got)
finally:
    if os.path.exists(tmp):
        os.unlink(tmp)
`;

function parseChecksum(checksum: string | undefined): { algorithm: Digest; hex: string } | undefined {
  if (checksum === undefined) return undefined;
  const [algorithm, hex] = checksum.split(":");
  return { algorithm: algorithm as Digest, hex: hex.toLowerCase() };
}

async function target(args: Args, probe: Probe): Promise<string> {
  const stat = await probe.stat(args.dest);
  if (stat?.type !== "directory") return args.dest;
  const name = basename(new URL(args.url).pathname);
  if (!name) throw new Error(`${args.dest} is a directory and ${args.url} names no file to put in it`);
  return posix.join(args.dest, name);
}

export default defineModule<Args>({
  name: "get_url",
  description:
    "Download a file over HTTP or HTTPS onto the host (on the host, with python3); with a checksum, only when the file there differs. Never leaves a partial file.",
  schema: {
    type: "object",
    properties: {
      url: httpUrl,
      dest: { ...absolutePath, description: "The file, or a directory to put it in (named as the URL's last part)." },
      checksum: { type: "string", pattern: `^(${DIGESTS.join("|")}):[0-9A-Fa-f]+$`, description: "algorithm:hex, e.g. sha256:9f86d0…" },
      mode: { type: ["string", "integer"] },
      owner: accountName,
      group: accountName,
      force: { type: "boolean", default: false, description: "Without a checksum: download again and replace the file when it differs." },
      headers: { type: "object", additionalProperties: { type: "string" }, propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" } },
      timeout: { type: "integer", minimum: 1, default: 10 },
      url_username: { type: "string" },
      url_password: { type: "string" },
      validate_certs: { type: "boolean", default: true },
    },
    required: ["url", "dest"],
    additionalProperties: false,
  },
  notes: [
    "The download runs on the host with python3 (Ansible's needs Python there too); no proxy settings beyond the host's environment, no `tmp_dest`, no `backup`.",
    "Without a checksum and without force, an existing file is left alone, as in Ansible; with force, check mode cannot know whether the download differs: unknown.",
    "Headers and url_password go to the host on standard input and are marked sensitive; they never appear in an argv or in output.",
  ].join("\n"),
  examples: `
- name: etcd, checked
  get_url:
    url: "http://files.lab:8080/etcd-v3.6.4-linux-amd64.tar.gz"
    dest: /opt/etcd.tar.gz
    checksum: "sha256:{{ etcd_sha256 }}"
    mode: "0644"
`,
  validate(args) {
    const sum = parseChecksum(args.checksum);
    const lengths: Record<Digest, number> = { sha256: 64, sha512: 128, sha1: 40, md5: 32 };
    if (sum && sum.hex.length !== lengths[sum.algorithm]) return `a ${sum.algorithm} checksum has ${lengths[sum.algorithm]} hex digits, got ${sum.hex.length}`;
    if (args.headers && Object.values(args.headers).some((v) => /[\r\n]/.test(v))) return "a header value cannot hold a line break";
    return undefined;
  },
  async plan(args, probe): Promise<Plan> {
    const dest = await target(args, probe);
    const mode = normalizeMode(args.mode);
    const sum = parseChecksum(args.checksum);
    const stats = await probe.statMany([dest, posix.dirname(dest)]);
    const stat = stats.get(dest) ?? null;
    if (!stats.get(posix.dirname(dest))) return planFailure(`${posix.dirname(dest)} does not exist`);
    const attrs = () => (stat ? attributeFixes(dest, stat, { mode, owner: args.owner, group: args.group }) : noChange());
    let before: string | null = null;
    if (stat) {
      if (!sum && !args.force) {
        const fixes = attrs();
        return fixes.changes.length ? fixes : noChange(`${dest} exists (no checksum, force: false)`);
      }
      before = sum ? await probe.remembered(FileDigest, { path: dest, algorithm: sum.algorithm }) : null;
      if (sum && before === sum.hex) {
        const fixes = attrs();
        return fixes.changes.length ? fixes : noChange(`${dest} matches ${sum.algorithm}:${sum.hex.slice(0, 12)}…`);
      }
      if (!sum && probe.check) return cannotKnow(`force: true downloads ${args.url} again; whether it differs from ${dest} shows only then`);
    }
    const algorithm = sum?.algorithm ?? "sha256";
    const secret = { headers: args.headers ?? {}, username: args.url_username, password: args.url_password };
    const steps: Step[] = [
      {
        run: ["python3", "-c", DOWNLOAD, args.url, dest, algorithm, sum?.hex ?? "", String(args.timeout), args.validate_certs ? "1" : "0", mode ?? ""],
        stdin: JSON.stringify(secret),
        okCodes: [0, SAME],
        unchangedCodes: [SAME],
        touches: [dest],
        describe: `download ${args.url} to ${dest}`,
      },
    ];
    if (args.owner || args.group) steps.push({ run: ["chown", `${args.owner ?? ""}${args.group ? `:${args.group}` : ""}`, "--", dest], touches: [dest] });
    const changes: Change[] = [
      {
        field: "content",
        path: dest,
        before: stat ? (before ? `${algorithm}:${before}` : "(present)") : null,
        after: sum ? `${sum.algorithm}:${sum.hex}` : `(${args.url})`,
      },
    ];
    // What lands is known only by its checksum: later check-mode reads of the file cannot know it.
    return { changes, steps, projects: [unknowable({ paths: [dest] })] };
  },
});
