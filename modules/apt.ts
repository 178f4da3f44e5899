/**
 * apt: Debian packages, apt sources and their signing keys — Ansible's apt,
 * apt_repository and apt_key in one module.
 */
import { defineModule, type Change, type Plan, type Probe, type Step, noChange, planFailure } from "../engine/module.ts";
import { absolutePath, debianPackage, httpUrl } from "./lib/argument-types.ts";
import { DebPackages } from "../facts/deb-packages.ts";
import { unknowable } from "../engine/projection.ts";
import { AptSimulation } from "../facts/apt-simulation.ts";
import { DebFile } from "../facts/deb-file.ts";
import { planFileContent } from "./lib/managed-file.ts";

interface Args {
  name?: string | string[];
  state?: "present" | "absent" | "latest";
  update_cache?: boolean;
  cache_valid_time?: number;
  purge?: boolean;
  install_recommends?: boolean;
  deb?: string;
  repo?: string;
  key?: string;
  filename?: string;
}

const schema = {
  type: "object",
  properties: {
    name: {
      aliases: ["pkg", "package"],
      anyOf: [debianPackage, { type: "array", items: debianPackage }],
      description: "Package name(s), optionally `name=version` (a trailing `*` matches a version prefix).",
    },
    state: { enum: ["present", "absent", "latest"], default: "present" },
    update_cache: { type: "boolean", default: false, description: "Run apt-get update first (only when older than cache_valid_time, if given)." },
    cache_valid_time: { type: "integer", minimum: 0, description: "Seconds the package lists stay fresh enough; implies update_cache." },
    purge: { type: "boolean", default: false, description: "With state: absent, also remove configuration files." },
    install_recommends: { type: "boolean", description: "Install recommended packages; unset leaves apt's own default." },
    deb: { anyOf: [absolutePath, httpUrl], description: "A .deb file on the host, or an http(s) URL the host downloads it from." },
    repo: { type: "string", description: "A one-line apt source, e.g. `deb https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /`." },
    key: {
      aliases: ["url"],
      type: "string",
      description: "The source's signing key: an ASCII-armored key, or an http(s) URL the host downloads it from. Referenced with signed-by.",
    },
    filename: { type: "string", pattern: "^[A-Za-z0-9_.-]+$", description: "Base name of the .list and key files (default: derived from the repo URL)." },
    // Ansible's apt, apt_repository and apt_key options hoist does not do; harmless values are those that ask for what hoist does anyway.
    default_release: { unimplemented: { why: "apt pinning by release", harmless: [null, ""] } },
    allow_unauthenticated: { unimplemented: { why: "hoist installs only authenticated packages", harmless: [false] } },
    allow_downgrade: { unimplemented: { why: "downgrades", harmless: [false] } },
    force: { unimplemented: { why: "forced installs", harmless: [false] } },
    autoremove: { unimplemented: { why: "use command: apt-get autoremove", harmless: [false] } },
    autoclean: { unimplemented: { why: "use command: apt-get autoclean", harmless: [false] } },
    upgrade: { unimplemented: { why: "use command: apt-get upgrade", harmless: ["no", false] } },
    only_upgrade: { unimplemented: { why: "only-upgrade installs", harmless: [false] } },
    dpkg_options: { unimplemented: { why: "hoist always passes force-confdef,force-confold", harmless: ["force-confdef,force-confold"] } },
    force_apt_get: { unimplemented: { why: "hoist always uses apt-get", harmless: [true, false] } },
    lock_timeout: { type: "integer", description: "Accepted: hoist waits up to 10 minutes for the dpkg lock." },
    policy_rc_d: { unimplemented: { why: "policy-rc.d", harmless: [null] } },
    install_python_apt: { unimplemented: { why: "hoist needs no python-apt", harmless: [true, false] } },
    update_cache_retries: { unimplemented: { why: "retries of apt-get update", harmless: [null] } },
    id: { unimplemented: { why: "apt_key's key id: hoist compares the key itself", harmless: [null] } },
    keyring: { unimplemented: { why: "apt_key's keyring: hoist keeps keys in /etc/apt/keyrings", harmless: [null] } },
    keyserver: { unimplemented: { why: "apt_key from a keyserver" } },
    mode: { unimplemented: { why: "apt_repository's file mode (hoist writes 0644)", harmless: [null, "0644", "644", 420] } },
    validate_certs: { unimplemented: { why: "hoist always validates certificates", harmless: [true] } },
  },
  additionalProperties: false,
  anyOf: [
    { required: ["name"] },
    { required: ["deb"] },
    { required: ["repo"] },
    { required: ["update_cache"] },
    { required: ["cache_valid_time"] },
    { required: ["key"] },
  ],
};

const APT_ENV = ["env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a"];
/**
 * Where packages put their files: after an install or removal, check mode
 * cannot know what later tasks read there (a unit, a default configuration).
 */
const PACKAGE_PATHS = ["/etc/", "/usr/", "/var/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/opt/", "/run/", "/boot/"];
const PACKAGE_CHANGE = [unknowable({ paths: PACKAGE_PATHS })];
/** After apt-get update, what apt would install is not known before it ran. */
const LISTS_CHANGE = [unknowable({ paths: ["/var/lib/apt/"] })];
/** What apt-get update changes: the package lists and the caches made of them. */
const LISTS_PATHS = ["/var/lib/apt/", "/var/cache/apt/"];
/**
 * Download $1 to $2 with curl or wget: the file lands only when one of them
 * succeeded and gave something; otherwise the step fails and nothing is left
 * behind (an empty key file would pass for a key forever).
 */
const DOWNLOAD = `{ curl -fsSL -o "$2.tmp" -- "$1" || wget -qO "$2.tmp" -- "$1"; } && [ -s "$2.tmp" ] && mv -f -- "$2.tmp" "$2" || { rm -f -- "$2.tmp"; echo "cannot download $1 (curl and wget both failed)" >&2; exit 1; }`;
/** Waits for the dpkg lock (another apt, unattended-upgrades) instead of failing on it. */
const APT_OPTIONS = ["-y", "-q", "-o", "DPkg::Lock::Timeout=600", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"];

function splitSpec(spec: string): { name: string; version?: string } {
  const i = spec.indexOf("=");
  return i < 0 ? { name: spec } : { name: spec.slice(0, i), version: spec.slice(i + 1) };
}

const versionMatches = (have: string, want: string) => (want.endsWith("*") ? have.startsWith(want.slice(0, -1)) : have === want);

/** Base name for the .list and key files, as Ansible derives it from the URL. */
function sourceName(args: Args): string {
  if (args.filename) return args.filename;
  const url = /\b[a-z]+:\/?\/?[^\s\]]+/.exec(args.repo!.replace(/\[[^\]]*\]/, ""))?.[0] ?? args.repo!;
  return url
    .replace(/^[a-z]+:\/*/, "")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

/** The key file and the source list; any change to them means the cache is updated. */
async function planSource(args: Args, probe: Probe): Promise<{ changes: Change[]; steps: Step[] }> {
  const name = sourceName(args);
  const changes: Change[] = [];
  const steps: Step[] = [];
  let line = args.repo!.trim();
  if (args.key) {
    const keyFile = `/etc/apt/keyrings/${name}.${/^https?:/.test(args.key) && args.key.endsWith(".gpg") ? "gpg" : "asc"}`;
    if (!/signed-by=/.test(line)) {
      line = /^(deb(?:-src)?)\s+\[([^\]]*)\]/.test(line)
        ? line.replace(/^(deb(?:-src)?)\s+\[([^\]]*)\]/, `$1 [$2 signed-by=${keyFile}]`)
        : line.replace(/^(deb(?:-src)?)\s+/, `$1 [signed-by=${keyFile}] `);
    }
    if (/^https?:\/\//.test(args.key)) {
      // A downloaded key is fetched once; its content is not known before the download.
      if (!(await probe.stat(keyFile))) {
        changes.push({ field: "signing key", path: keyFile, before: null, after: `downloaded from ${args.key}` });
        steps.push({ run: ["install", "-d", "-m", "0755", "/etc/apt/keyrings"], touches: ["/etc/apt/keyrings"] });
        steps.push({
          run: ["sh", "-c", `${DOWNLOAD} && chmod 0644 "$2"`, "sh", args.key, keyFile],
          describe: `download ${args.key} to ${keyFile}`,
          touches: [keyFile],
        });
      }
    } else {
      if (!/-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(args.key)) throw new Error("key must be an http(s) URL or an ASCII-armored public key block");
      const key = await planFileContent(probe, keyFile, args.key.trimEnd() + "\n", { mode: "0644" });
      changes.push(...key.changes);
      if (key.steps.length) steps.push({ run: ["install", "-d", "-m", "0755", "/etc/apt/keyrings"], touches: ["/etc/apt/keyrings"] }, ...key.steps);
    }
  }
  const list = await planFileContent(probe, `/etc/apt/sources.list.d/${name}.list`, line + "\n", { mode: "0644" });
  changes.push(...list.changes);
  steps.push(...list.steps);
  return { changes, steps };
}

/** Package name and version of a .deb: read from the file on the host, or from a URL's Debian file name. */
async function debIdentity(deb: string, probe: Probe): Promise<{ name: string; version: string } | { fail: string }> {
  if (/^https?:\/\//.test(deb)) {
    const m = /\/([a-z0-9][a-z0-9+.-]*)_([^_/]+)_[^_/]+\.deb$/.exec(deb);
    if (!m) return { fail: `cannot tell package and version from ${deb}; name it package_version_arch.deb` };
    return { name: m[1], version: decodeURIComponent(m[2]).replace(/%3a/gi, ":") };
  }
  return probe.fact(DebFile, { path: deb });
}

async function planPackages(args: Args, probe: Probe, cacheWillUpdate: boolean): Promise<Plan> {
  const state = args.state ?? "present";
  const specs = [args.name ?? []].flat().map(splitSpec);
  let debFile: { name: string; version: string } | undefined;
  if (args.deb) {
    const id = await debIdentity(args.deb, probe);
    if ("fail" in id) return planFailure(id.fail);
    debFile = id;
  }
  const names = [...specs.map((s) => s.name), ...(debFile ? [debFile.name] : [])];
  const facts = await probe.fact(DebPackages, { names, candidates: state === "latest" });
  const host = { installed: new Map(Object.entries(facts.installed)), candidate: new Map(Object.entries(facts.candidate)) };
  const changes: Change[] = [];
  const isInstalled = (n: string) => host.installed.get(n)?.status === "i";

  if (state === "absent") {
    const gone = specs.filter((s) => isInstalled(s.name) || (args.purge && host.installed.get(s.name)?.status === "c"));
    if (!gone.length) return noChange(`not installed: ${names.join(", ")}`);
    for (const s of gone) {
      changes.push({
        resource: `package:${s.name}`,
        field: "version",
        before: host.installed.get(s.name)!.status === "i" ? host.installed.get(s.name)!.version : "config files",
        after: args.purge ? "purged" : "absent",
      });
    }
    return {
      changes,
      steps: [{ run: [...APT_ENV, "apt-get", args.purge ? "purge" : "remove", ...APT_OPTIONS, "--", ...gone.map((s) => s.name)], touches: PACKAGE_PATHS }],
      projects: PACKAGE_CHANGE,
    };
  }

  const wanted = specs.filter((s) => {
    const have = host.installed.get(s.name);
    if (have?.status !== "i") return true;
    if (s.version) return !versionMatches(have.version, s.version);
    return state === "latest" && host.candidate.has(s.name) && host.candidate.get(s.name) !== have.version;
  });
  const debWanted = debFile && !(isInstalled(debFile.name) && host.installed.get(debFile.name)!.version === debFile.version);
  if (!wanted.length && !debWanted) return noChange(`installed: ${names.map((n) => `${n} ${host.installed.get(n)?.version}`).join(", ")}`);

  const recommends = args.install_recommends === undefined ? [] : [args.install_recommends ? "--install-recommends" : "--no-install-recommends"];
  const targets = wanted.map((s) => (s.version ? `${s.name}=${s.version}` : s.name));
  const steps: Step[] = [];
  let debTarget: string | undefined;
  if (debWanted) {
    debTarget = /^https?:/.test(args.deb!) ? `/var/cache/apt/archives/hoist-${debFile!.name}_${debFile!.version.replace(/:/g, "%3a")}.deb` : args.deb!;
    if (debTarget !== args.deb) {
      steps.push({ run: ["sh", "-c", DOWNLOAD, "sh", args.deb!, debTarget], describe: `download ${args.deb}`, touches: [debTarget] });
    }
    targets.push(debTarget.startsWith("/") ? debTarget : `./${debTarget}`);
  }
  // A downloaded .deb cannot be simulated before it exists; the rest can, against the current lists.
  const simulated = targets.filter((t) => t !== debTarget || debTarget === args.deb);
  const sim = simulated.length ? await probe.fact(AptSimulation, { argv: ["install", ...recommends, "--", ...simulated] }) : undefined;
  if (sim && !sim.ok && !cacheWillUpdate) return planFailure(`apt cannot install ${simulated.join(" ")}: ${sim.error}`);
  const requested = new Set([...wanted.map((s) => s.name), ...(debFile && debWanted ? [debFile.name] : [])]);
  for (const n of requested) {
    const have = host.installed.get(n);
    const spec = specs.find((s) => s.name === n);
    const after = sim?.installs[n] ?? (n === debFile?.name ? debFile.version : (spec?.version ?? host.candidate.get(n) ?? "present"));
    changes.push({ resource: `package:${n}`, field: "version", before: have?.status === "i" ? have.version : null, after });
  }
  for (const [n, v] of Object.entries(sim?.installs ?? {})) {
    if (requested.has(n)) continue;
    changes.push({
      resource: `package:${n}`,
      field: "version (dependency)",
      before: host.installed.get(n)?.status === "i" ? host.installed.get(n)!.version : null,
      after: v,
    });
  }
  for (const n of sim?.removes ?? [])
    changes.push({ resource: `package:${n}`, field: "version (removed by apt)", before: host.installed.get(n)?.version ?? "installed", after: null });
  steps.push({ run: [...APT_ENV, "apt-get", "install", ...APT_OPTIONS, ...recommends, "--", ...targets], touches: PACKAGE_PATHS });
  return { changes, steps, projects: PACKAGE_CHANGE, reason: sim && !sim.ok ? "resolved after the cache update" : undefined };
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  if (args.key && !args.repo)
    return planFailure("a signing key alone (apt_key) is not supported: apt-key is deprecated; give the key with its repo, which refers to it with signed-by");
  const before: Change[] = [];
  const steps: Step[] = [];
  if (args.repo) {
    const source = await planSource(args, probe);
    before.push(...source.changes);
    steps.push(...source.steps);
  }
  const wantsUpdate = args.update_cache || args.cache_valid_time !== undefined;
  let update = steps.length > 0;
  let cache: Change | undefined;
  if (wantsUpdate && !update) {
    // The same read planPackages makes (same argv), so the probe answers it once.
    const names = [args.name ?? []].flat().map((spec) => splitSpec(spec).name);
    const age = (await probe.fact(DebPackages, { names, candidates: (args.state ?? "present") === "latest" })).cacheAge;
    update = args.cache_valid_time === undefined || age === null || age > args.cache_valid_time;
    if (update) cache = { resource: "apt:cache", field: "lists", before: age !== null ? `${age} s old` : "never updated", after: "updated" };
  } else if (update) cache = { resource: "apt:cache", field: "lists", before: "without the new source", after: "updated" };
  const hasPackages = args.name !== undefined || args.deb !== undefined;
  // As in Ansible: with packages to manage, the cache update is upkeep and the packages alone
  // decide `changed` (so a playbook that refreshes the cache does not drift on every run);
  // alone, the update is the task's change.
  if (update)
    steps.push({
      run: [...APT_ENV, "apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=600"],
      touches: LISTS_PATHS,
      ...(hasPackages ? { upkeep: true } : {}),
    });
  if (!hasPackages)
    return steps.length
      ? { changes: [...before, ...(cache ? [cache] : [])], steps, projects: update ? LISTS_CHANGE : [] }
      : noChange("sources and cache are current");
  if (!update) return planPackages(args, probe, false);
  // With fresh lists, what to install is decided again against them: in a real
  // run after the update (`next`), in check mode against the lists there are now.
  const packages = await planPackages(args, probe, true);
  if (packages.fail) return packages;
  // Check mode reports the prediction; a real run reports what the fresh plan did.
  return {
    changes: [...before, ...(probe.check ? packages.changes : [])],
    steps,
    projects: [...LISTS_CHANGE, ...(packages.projects ?? [])],
    next: (_outputs, fresh) => planPackages(args, fresh, false),
    ...(packages.changes.length === 0 && packages.reason ? { reason: `${packages.reason}; lists refreshed` } : {}),
  };
}

export default defineModule<Args>({
  name: "apt",
  aliases: ["ansible.builtin.apt", "apt_repository", "ansible.builtin.apt_repository", "apt_key"],
  description:
    "Install, upgrade and remove Debian packages in one apt transaction, and add apt sources with their signing keys. State is read from dpkg in one round trip; check mode uses apt's own simulation, so it lists the dependencies a run would pull in.",
  schema,
  notes: [
    "apt_repository and apt_key are folded in: `repo` writes /etc/apt/sources.list.d/FILENAME.list and `key` goes to /etc/apt/keyrings, referenced with signed-by (apt-key is deprecated).",
    "Waits up to 10 minutes for the dpkg lock instead of failing, and runs with DEBIAN_FRONTEND=noninteractive, keeping changed configuration files (--force-confold).",
    "As in Ansible, a cache update is a change only for a task that does nothing else; with packages, `changed` comes from the packages alone, so refreshing the cache is never drift.",
    "A key given as a URL is downloaded once (when its file is missing); an inline key is compared byte for byte.",
    "No `upgrade: dist`, `autoremove` or `allow_downgrade`; use command for those.",
  ].join("\n"),
  examples: `
- name: base packages, one transaction
  apt: { name: [curl, jq, nfs-common], state: present, cache_valid_time: 3600 }
- name: a pinned version
  apt: { name: "kubelet=1.30.2-1.1" }
- name: the Kubernetes repository and its key
  apt:
    repo: "deb https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /"
    key: https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key
    filename: kubernetes
- name: a local package file
  apt: { deb: /tmp/tool_1.2.3_amd64.deb }
- name: gone, with its configuration
  apt: { name: nginx-light, state: absent, purge: true }
`,
  plan,
});
