/**
 * nfs_exports: one NFS export as data — a directory, its clients and their
 * options — kept in a file of its own in /etc/exports.d, the directory made
 * with its owner and mode, and the export table brought up to date with
 * `exportfs -ra` (never a restart of the server: that drops every client).
 * A file exportfs refuses is taken back: the old one stays in force.
 */
import { defineModule, projectFile, projectStat, unknowable, type Plan, type PlanContext, type Probe, noChange, planFailure } from "../engine/module.ts";
import { didYouMean } from "../engine/errors.ts";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import file from "./file.ts";
import { NfsExportTable } from "../facts/nfs-exports.ts";

interface Client {
  host: string;
  options?: string | string[];
}

interface Args {
  name: string;
  path: string;
  clients: Client[];
  state: "present" | "absent";
  owner?: string;
  group?: string;
  mode?: string | number;
  create_dir: boolean;
}

const DIR = "/etc/exports.d";

/** exports(5)'s options; those with `=` take a value. */
const FLAGS = [
  "rw",
  "ro",
  "sync",
  "async",
  "secure",
  "insecure",
  "wdelay",
  "no_wdelay",
  "hide",
  "nohide",
  "crossmnt",
  "nocrossmnt",
  "subtree_check",
  "no_subtree_check",
  "insecure_locks",
  "secure_locks",
  "no_auth_nlm",
  "auth_nlm",
  "root_squash",
  "no_root_squash",
  "all_squash",
  "no_all_squash",
  "mountpoint",
  "mp",
  "no_acl",
  "acl",
  "pnfs",
  "no_pnfs",
  "security_label",
  "nordirplus",
];
const VALUED: Record<string, RegExp> = {
  anonuid: /^\d+$/,
  anongid: /^\d+$/,
  fsid: /^(\d+|root|[0-9a-fA-F-]{8,})$/,
  sec: /^(sys|krb5|krb5i|krb5p)(:(sys|krb5|krb5i|krb5p))*$/,
  mountpoint: /^\/\S*$/,
  mp: /^\/\S*$/,
  refer: /^\/\S+@\S+$/,
  replicas: /^\/\S+@\S+$/,
};

const optionsOf = (c: Client): string[] => (c.options === undefined ? [] : Array.isArray(c.options) ? c.options : c.options.split(",").map((o) => o.trim()));

/** What is wrong with one option, or undefined. */
function badOption(option: string): string | undefined {
  const [key, value] = option.split("=", 2);
  if (value === undefined) return FLAGS.includes(key) ? undefined : `unknown export option '${option}'${didYouMean(key, [...FLAGS, ...Object.keys(VALUED)])}`;
  if (!(key in VALUED)) return `export option '${key}' takes no value${didYouMean(key, Object.keys(VALUED))}`;
  return VALUED[key].test(value) ? undefined : `export option '${key}=${value}': not a valid value`;
}

/** The file's one line: `/srv/share 10.0.0.0/24(rw,sync) node1(ro)`. */
const exportLine = (a: Args) => `${a.path} ${a.clients.map((c) => `${c.host}(${optionsOf(c).join(",")})`).join(" ")}\n`;

/**
 * Puts the new file in place and has exportfs read every export file; if it
 * refuses, the old file comes back and the table is reloaded from it. argv: file, new.
 */
const INSTALL = `f=$1; new=$2
if [ -e "$f" ]; then cp -p -- "$f" "$f.hoist-old" || exit 1; fi
mv -f -- "$new" "$f" || exit 1
if out=$(exportfs -ra 2>&1); then rm -f -- "$f.hoist-old"; printf '%s' "$out" >&2; exit 0; fi
printf '%s\\n' "$out" >&2
if [ -e "$f.hoist-old" ]; then mv -f -- "$f.hoist-old" "$f"; else rm -f -- "$f"; fi
exportfs -ra >/dev/null 2>&1; exit 1`;

/** The export directory, as the file module keeps directories: made (with owner and mode) when missing, its attributes fixed when not. */
async function directoryPlan(args: Args, probe: Probe, ctx: PlanContext): Promise<Plan> {
  if (!args.create_dir && !(await probe.stat(args.path))) return planFailure(`${args.path} does not exist (create_dir: false)`);
  return file.plan({ path: args.path, state: "directory", mode: args.mode, owner: args.owner, group: args.group }, probe, ctx);
}

/** Whether the live table serves what the file says: each client with at least the options written. */
function served(args: Args, table: { path: string; client: string; options: string[] }[]): boolean {
  // exportfs -v shows the client `*` as <world>.
  const client = (e: { client: string }, host: string) => e.client === host || (host === "*" && e.client === "<world>");
  return args.clients.every((c) => table.some((e) => e.path === args.path && client(e, c.host) && optionsOf(c).every((o) => e.options.includes(o))));
}

export default defineModule<Args>({
  name: "nfs_exports",
  aliases: ["nfs-exports"],
  description:
    "An NFS export as data: the directory (made with owner and mode), its clients and options, in /etc/exports.d/NAME.exports; `exportfs -ra` on change, and a file exportfs refuses is taken back.",
  schema: {
    type: "object",
    properties: {
      name: { type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$", description: "The file: /etc/exports.d/NAME.exports." },
      path: { ...absolutePath, pattern: "^/[^\\s\\u0000]*$", description: "The exported directory (no spaces)." },
      clients: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          properties: {
            host: {
              type: "string",
              pattern: "^([A-Za-z0-9*?_\\[\\]][A-Za-z0-9*?_.:/\\[\\]-]*|@[A-Za-z0-9_.-]+|\\*)$",
              description: "A host, address, network/prefix, wildcard or @netgroup.",
            },
            options: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
          },
          required: ["host"],
          additionalProperties: false,
        },
      },
      state: { enum: ["present", "absent"], default: "present" },
      owner: accountName,
      group: accountName,
      mode: { type: ["string", "integer"] },
      create_dir: { type: "boolean", default: true },
    },
    required: ["name", "path"],
    additionalProperties: false,
  },
  notes: [
    "Ansible has no builtin for exports (roles template /etc/exports); this module owns one file per export in /etc/exports.d and leaves /etc/exports alone.",
    "Options are checked against exports(5) when the playbook loads; exportfs checks the rest (a missing directory, a bad client) and a refused file is taken back.",
    "Besides the file, the live export table is compared: an export removed by hand (`exportfs -u`) is a change, restored with `exportfs -ra`.",
  ].join("\n"),
  examples: `
- name: the cluster's shared storage
  nfs_exports:
    name: k8s
    path: /srv/nfs/k8s
    owner: nobody
    group: nogroup
    mode: "0777"
    clients:
      - { host: 10.0.0.0/24, options: [rw, sync, no_subtree_check, no_root_squash] }
`,
  validate(args) {
    if (args.state !== "absent" && !args.clients?.length) return "clients: at least one client for an export";
    for (const c of args.clients ?? []) for (const o of optionsOf(c)) if (badOption(o)) return badOption(o);
    return undefined;
  },
  async plan(args, probe, ctx): Promise<Plan> {
    const exportsFile = `${DIR}/${args.name}.exports`;
    const [stats, table] = await Promise.all([probe.statMany([exportsFile, DIR]), probe.fact(NfsExportTable, {})]);
    if (table === null) return planFailure("exportfs is not installed (nfs-kernel-server)");
    const current = stats.get(exportsFile) ? await probe.readFile(exportsFile) : null;
    if (args.state === "absent") {
      if (current === null) return noChange(`${exportsFile} does not exist`);
      return {
        changes: [{ field: "content", path: exportsFile, before: current, after: null }],
        steps: [{ run: ["sh", "-c", 'rm -f -- "$1" && exportfs -ra', "nfs_exports", exportsFile], touches: [exportsFile, "/var/lib/nfs/"] }],
        projects: [projectFile(exportsFile, null), projectStat(exportsFile, null), unknowable({ facts: [NfsExportTable] })],
      };
    }
    const dir = await directoryPlan(args, probe, ctx);
    if (dir.fail) return planFailure(dir.fail);
    const want = `# managed by hoist (nfs_exports ${args.name})\n${exportLine(args)}`;
    const changes = [...dir.changes];
    const steps = [...dir.steps];
    if (!stats.get(DIR)) steps.unshift({ run: ["mkdir", "-p", "--", DIR], touches: [DIR] });
    if (current !== want) {
      changes.push({ field: "content", path: exportsFile, before: current, after: want });
      const fresh = `${DIR}/.${args.name}.hoist-new`;
      steps.push(
        { write: fresh, content: want, mode: "0644" },
        { run: ["sh", "-c", INSTALL, "nfs_exports", exportsFile, fresh], touches: [DIR, "/var/lib/nfs/"] },
      );
    } else if (!served(args, table)) {
      changes.push({ resource: `nfs-export:${args.path}`, field: "export table", before: "not served", after: args.clients.map((c) => c.host).join(" ") });
      steps.push({ run: ["exportfs", "-ra"], touches: ["/var/lib/nfs/"] });
    }
    if (!steps.length) return noChange(`${args.path} is exported as wanted`);
    return {
      changes,
      steps,
      projects: [...(dir.projects ?? []), projectFile(exportsFile, want), unknowable({ facts: [NfsExportTable] })],
      // exportfs drops a client it cannot resolve with a warning and exit 0: the table says whether all are served.
      async next(outputs, after) {
        if (served(args, (await after.fact(NfsExportTable, {})) ?? [])) return noChange();
        const said = outputs
          .map((o) => o.stderr.trim())
          .filter(Boolean)
          .join("; ");
        return planFailure(`exportfs does not serve every client of ${args.path}${said ? `: ${said}` : ""}`);
      },
    };
  },
});
