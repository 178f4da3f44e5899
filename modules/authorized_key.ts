/**
 * authorized_key: ansible.posix's authorized_key — SSH public keys in a
 * user's authorized_keys, added, replaced or removed, the file rewritten as
 * Ansible rewrites it (keys matched by their base64 blob, other lines kept,
 * new keys after the existing ones), so a file the role wrote under Ansible
 * reads the same under hoist, byte for byte.
 */
import { defineModule, noChange, planFailure, type Plan, type Probe, type Step } from "../engine/module.ts";
import { GroupEntry } from "../facts/group-entry.ts";
import { PasswdEntry } from "../facts/passwd-entry.ts";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import { linesWithEnds } from "./lib/text-edit.ts";

interface Args {
  user: string;
  key: string;
  path?: string;
  manage_dir?: boolean;
  state?: "present" | "absent";
  key_options?: string;
  exclusive?: boolean;
  comment?: string;
}

/** The key types OpenSSH accepts in authorized_keys (the list Ansible's module recognises). */
const KEY_TYPES = new Set([
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ssh-ed25519@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "ssh-ed25519",
  "ssh-ed25519-cert-v01@openssh.com",
  "ssh-dss",
  "ssh-rsa",
  "ssh-xmss@openssh.com",
  "ssh-xmss-cert-v01@openssh.com",
  "rsa-sha2-256",
  "rsa-sha2-512",
  "ssh-rsa-cert-v01@openssh.com",
  "rsa-sha2-256-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com",
  "ssh-dss-cert-v01@openssh.com",
]);

/** One line of the file: a key (blob, type, options, comment) or a line kept as it is (`type` null). */
interface Entry {
  id: string;
  type: string | null;
  options: [string, string | null][];
  comment: string;
  rank: number;
  line: string;
}

/** `key_options` as (name, value) pairs: split on commas outside quotes. */
function parseOptions(text: string | undefined): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const part of (text ?? "").match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const eq = part.indexOf("=");
    out.push(eq < 0 ? [part, null] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

/** A line as a key, or null when it holds none (a comment, a blank line). */
function parseKey(raw: string, rank: number): Entry | null {
  const words = raw.replace(/\\#/g, "#").trim().split(/\s+/).filter(Boolean);
  if (words[0] === "#") return { id: raw, type: null, options: [], comment: "", rank, line: raw };
  const at = words.findIndex((w) => KEY_TYPES.has(w));
  if (at < 0 || at + 1 >= words.length) return null;
  return { id: words[at + 1], type: words[at], options: parseOptions(words.slice(0, at).join(" ")), comment: words.slice(at + 2).join(" "), rank, line: raw };
}

/** The file's lines by identity, as Ansible's module holds them: a key by its blob, another line by itself (the last of equal ones wins). */
function parseFile(text: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  linesWithEnds(text).forEach((line, rank) => {
    const key = parseKey(line, rank) ?? { id: line, type: null, options: [], comment: "", rank, line };
    entries.delete(key.id);
    entries.set(key.id, key);
  });
  return entries;
}

/** The file again, in rank order: keys as `options type blob comment` (a space before an empty comment, as Ansible writes it). */
function serialize(entries: Map<string, Entry>): string {
  return [...entries.values()]
    .sort((a, b) => a.rank - b.rank)
    .map((e) => {
      if (e.type === null) return e.line;
      const options = e.options.length ? `${e.options.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(",")} ` : "";
      return `${options}${e.type} ${e.id} ${e.comment}\n`;
    })
    .join("");
}

const same = (a: Entry, b: Entry) => a.type === b.type && a.comment === b.comment && JSON.stringify(a.options) === JSON.stringify(b.options);

/** The file after the wanted keys are enforced; `invalid` names a wanted line that is no key. */
function enforce(current: string, wanted: string[], args: Args): { text: string; write: boolean } | { invalid: string } {
  const entries = parseFile(current);
  const existing = entries.size;
  const keep = new Set<string>();
  let write = false;
  for (const [rank, line] of wanted.entries()) {
    const parsed = parseKey(line, rank);
    if (!parsed || parsed.type === null) return { invalid: line };
    if (args.key_options !== undefined) parsed.options = parseOptions(args.key_options);
    if (args.comment !== undefined) parsed.comment = args.comment;
    const there = entries.get(parsed.id);
    if (args.state === "absent") {
      if (there) write = entries.delete(parsed.id) || write;
      continue;
    }
    keep.add(parsed.id);
    if (there && same(there, parsed)) continue;
    // New, or changed in options or comment: written after the existing keys, in the order given.
    entries.delete(parsed.id);
    entries.set(parsed.id, { ...parsed, rank: existing + rank });
    write = true;
  }
  if (args.state !== "absent" && args.exclusive) for (const id of [...entries.keys()]) if (!keep.has(id)) write = entries.delete(id) || write;
  return { text: serialize(entries), write };
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  if (/^http/.test(args.key)) return planFailure("a key from a URL is not implemented by hoist: fetch it (get_url, or a lookup) and give its text");
  let source = args.key;
  if (source.startsWith("file")) {
    const path = source.replace(/^file:\/\//, "").replace(/^file:/, "");
    const text = path.startsWith("/") ? await probe.readFile(path) : null;
    if (text === null) return planFailure(`Path to a key file not found: ${path}`);
    source = text;
  }
  const user = await probe.fact(PasswdEntry, { key: args.user });
  if (!user) return planFailure(`Failed to lookup user ${args.user}`);
  const file = args.path ?? `${user.home.replace(/\/$/, "")}/.ssh/authorized_keys`;
  const dir = file.slice(0, file.lastIndexOf("/")) || "/";
  const current = (await probe.readFile(file)) ?? "";
  const wanted = source.split(/\r?\n/).filter((l) => l !== "" && !l.startsWith("#"));
  const done = enforce(current, wanted, args);
  if ("invalid" in done) return planFailure(`invalid key specified: ${done.invalid}`);
  const result = {
    user: args.user,
    key: args.key,
    keyfile: file,
    state: args.state ?? "present",
    exclusive: args.exclusive ?? false,
    manage_dir: args.manage_dir !== false,
  };
  if (!done.write) return noChange({ reason: `${file} holds the keys as declared`, result });
  // By name, as a stat of the file reads them back (check mode projects the write's owner for later reads).
  const primary = await probe.fact(GroupEntry, { key: String(user.gid) });
  const owner = { owner: user.name, group: primary?.name ?? String(user.gid) };
  // As Ansible, on a write: the directory made (0700, the user's) when it manages it, the file 0600 and the user's.
  const steps: Step[] = [
    ...(args.manage_dir !== false ? [{ run: ["install", "-d", "-m", "0700", "-o", owner.owner, "-g", owner.group, "--", dir], touches: [dir] }] : []),
    { write: file, content: done.text, mode: "0600", ...owner },
  ];
  return { changes: [{ field: "content", path: file, before: current, after: done.text }], steps, result };
}

export default defineModule<Args>({
  name: "authorized_key",
  aliases: ["ansible.posix.authorized_key"],
  description:
    "Add or remove SSH public keys in a user's authorized_keys (`key` may hold several lines, or `file:` a path on the host), replacing a key whose options or comment differ; `exclusive` removes every other line. The file is rewritten as Ansible's module rewrites it.",
  schema: {
    type: "object",
    properties: {
      user: { ...accountName, description: "Whose authorized_keys (and, without `path`, where: ~user/.ssh/authorized_keys)." },
      key: { type: "string", minLength: 1, description: "One or more public keys, one a line (`# comments` skipped); `file:///path` reads them on the host." },
      path: { ...absolutePath, description: "Another authorized_keys file." },
      manage_dir: { type: "boolean", default: true, description: "Make the file's directory (0700, the user's) when writing." },
      state: { enum: ["present", "absent"], default: "present" },
      key_options: { type: "string", pattern: "^[^\\n]*$", description: 'Options for the keys (`no-port-forwarding,from="10.0.0.0/8"`), replacing theirs.' },
      exclusive: { type: "boolean", default: false, description: "Keep only the keys given: every other line goes." },
      comment: { type: "string", pattern: "^[^\\n]*$", description: "The comment for the keys, replacing theirs." },
      validate_certs: { type: "boolean", description: "Accepted for Ansible's sake: URL keys are not fetched by hoist." },
      follow: { unimplemented: { why: "hoist does not follow a symbolic link to the key file", harmless: [false] } },
    },
    required: ["user", "key"],
    additionalProperties: false,
  },
  notes: [
    "As Ansible's module: keys are matched by their base64 blob; a key without a comment is written with a trailing space; equal non-key lines collapse when the file is rewritten.",
    "No keys from URLs (this differs from Ansible, which fetches them on the host): give the text.",
  ].join("\n"),
  examples: `
- name: the deploy key
  authorized_key: { user: deploy, key: "{{ lookup('file', 'deploy.pub') }}" }
- name: only these keys for root
  authorized_key: { user: root, key: "{{ admin_keys | join('\\n') }}", exclusive: true }
`,
  plan,
});
