/**
 * file: files, directories, links and their contents — Ansible's file, copy,
 * template, lineinfile and blockinfile in one module.
 */
import { dirname } from "node:path";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import { FileBytes, MismatchedEntries } from "../facts/file-bytes.ts";
import { holdsKeyMaterial } from "./lib/key-material.ts";
import { projectEmpty, projectFile, projectStat, unknowable } from "../engine/projection.ts";
import { defineModule, type Change, type Plan, type Probe, type Stat, type Step, type PlanContext, noChange, planFailure } from "../engine/module.ts";
import { attributeFixes, normalizeMode } from "./lib/attrs.ts";
import { editBlock, editLine } from "./lib/text-edit.ts";

interface Args {
  path: string;
  state?: "file" | "directory" | "absent" | "link" | "touch" | "present";
  mode?: string | number;
  owner?: string;
  group?: string;
  recurse?: boolean;
  content?: string;
  src?: string;
  remote_src?: boolean;
  template?: boolean;
  line?: string;
  regexp?: string;
  insertafter?: string;
  insertbefore?: string;
  block?: string;
  marker?: string;
  create?: boolean;
  validate?: string;
  backup?: boolean;
  force?: boolean;
}

const schema = {
  type: "object",
  properties: {
    path: {
      ...absolutePath,
      aliases: ["dest", "name", "destfile"],
      description: "Path on the host (absolute); Ansible's `dest`, `name` and `destfile` are other names for it.",
    },
    state: {
      enum: ["file", "directory", "absent", "link", "touch", "present"],
      description: "Default: file; `present`/`absent` refer to `line`/`block` when given.",
    },
    mode: { type: ["string", "integer"], description: "Octal mode, e.g. '0644'." },
    owner: accountName,
    group: accountName,
    recurse: { type: "boolean", default: false, description: "With state: directory, apply mode/owner/group to everything below." },
    content: { type: "string", description: "Exact file content." },
    src: { type: "string", description: "File on the control machine to copy (relative to the playbook), or the target of a link." },
    remote_src: { type: "boolean", default: false, description: "`src` is a path on the host itself (remote-to-remote copy)." },
    template: { type: "boolean", default: false, description: "Render content/src through the templater with the task's variables." },
    line: { type: "string", description: "A line that must be present (lineinfile)." },
    regexp: { type: "string", description: "The line to replace (last match) or, with state: absent, to remove." },
    insertafter: { type: "string", description: "Regexp, EOF or BOF: where a new line or block goes." },
    insertbefore: { type: "string", description: "Regexp or BOF." },
    block: { type: "string", description: "Text kept between markers (blockinfile)." },
    marker: { type: "string", default: "# {mark} ANSIBLE MANAGED BLOCK" },
    modification_time: { unimplemented: { why: "file times are not set by hoist", harmless: ["preserve", null] } },
    access_time: { unimplemented: { why: "file times are not set by hoist", harmless: ["preserve", null] } },
    modification_time_format: { type: "string", description: "Accepted with modification_time." },
    access_time_format: { type: "string", description: "Accepted with access_time." },
    follow: { unimplemented: { why: "hoist acts on a link's target only for content; give the target's path", harmless: [true] } },
    unsafe_writes: { unimplemented: { why: "hoist's writes are always atomic", harmless: [false, true] } },
    backrefs: { unimplemented: { why: "lineinfile's backrefs", harmless: [false] } },
    seuser: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
    serole: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
    setype: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
    selevel: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
    attributes: { unimplemented: { why: "chattr attributes", harmless: [null, ""] } },
    create: { type: "boolean", default: true, description: "With line/block: create the file when missing." },
    validate: { type: "string", description: "Command checking the new content before it replaces the old; %s is the new file." },
    backup: { type: "boolean", default: false },
    force: { type: "boolean", default: false, description: "With state: link, replace an existing file." },
  },
  required: ["path"],
  additionalProperties: false,
};

async function desiredContent(args: Args, probe: Probe, ctx: PlanContext, current: string | null): Promise<{ text?: string; base64?: string } | undefined> {
  const rendered = (t: string) => (args.template ? ctx.render(t) : t);
  if (args.content !== undefined) return { text: rendered(args.content) };
  if (args.src !== undefined && args.state !== "link") {
    if (args.remote_src) {
      const bytes = await probe.fact(FileBytes, { path: args.src });
      if (bytes === null) throw new Error(`cannot read remote src ${args.src}`);
      const data = Buffer.from(bytes, "base64");
      return data.includes(0) ? { base64: data.toString("base64") } : { text: data.toString("utf8") };
    }
    const data = await ctx.readLocal(args.src);
    return data.includes(0) ? { base64: data.toString("base64") } : { text: rendered(data.toString("utf8")) };
  }
  const base = current ?? "";
  if (args.line !== undefined || (args.regexp !== undefined && args.state === "absent")) {
    return {
      text: editLine(base, {
        line: args.line,
        regexp: args.regexp,
        state: args.state === "absent" ? "absent" : "present",
        insertafter: args.insertafter,
        insertbefore: args.insertbefore,
      }),
    };
  }
  if (args.block !== undefined) {
    return {
      text: editBlock(base, {
        block: args.block,
        marker: args.marker!,
        state: args.state === "absent" ? "absent" : "present",
        insertafter: args.insertafter,
        insertbefore: args.insertbefore,
      }),
    };
  }
  return undefined;
}

const done = (reason: string): Plan => noChange(reason);

async function planFile(args: Args, probe: Probe, ctx: PlanContext): Promise<Plan> {
  const { path } = args;
  const mode = normalizeMode(args.mode);
  // The parent is read in the same round trip: a write into a missing directory fails in check mode too.
  const stats = await probe.statMany([path, dirname(path)]);
  const stat = stats.get(path) ?? null;
  if (stat && stat.type === "directory") return planFailure(`${path} is a directory`);
  if (!stat && !stats.get(dirname(path))) return planFailure(`${dirname(path)} does not exist; create it first (state: directory)`);
  const editsExisting = args.line !== undefined || args.block !== undefined || args.regexp !== undefined;
  if (!stat && editsExisting && !args.create) return planFailure(`${path} does not exist (create: false)`);
  if (editsExisting && !stat && args.state === "absent") return done(`${path} does not exist`);
  const current = stat ? await probe.readFile(path) : null;
  const want = await desiredContent(args, probe, ctx, current);
  if (!want) {
    if (!stat) return planFailure(`${path} does not exist; give content or src, or use state: touch`);
    const fixes = attributeFixes(path, stat, { mode, owner: args.owner, group: args.group });
    return fixes.changes.length ? { ...fixes } : done(`${path} is as wanted`);
  }
  if (want.base64 !== undefined) {
    const same = stat ? (await probe.fact(FileBytes, { path })) === want.base64 : false;
    if (same) {
      const fixes = attributeFixes(path, stat!, { mode, owner: args.owner, group: args.group });
      return fixes.changes.length ? fixes : done(`${path} content matches`);
    }
    return {
      changes: [
        { field: "content", before: stat ? `(binary, ${stat.size} bytes)` : null, after: `(binary, ${Buffer.from(want.base64, "base64").length} bytes)` },
      ],
      steps: [
        {
          write: path,
          content: want.base64,
          base64: true,
          mode,
          owner: args.owner,
          group: args.group,
          backup: args.backup,
          validate: args.validate ? args.validate.split(/\s+/) : undefined,
        },
      ],
    };
  }
  if (stat && current === want.text) {
    const fixes = attributeFixes(path, stat, { mode, owner: args.owner, group: args.group });
    return fixes.changes.length ? fixes : done(`${path} content matches`);
  }
  const changes: Change[] = [
    { field: "content", path, before: current, after: want.text, ...(holdsKeyMaterial(current, want.text) ? { sensitive: true } : {}) },
  ];
  if (stat) changes.push(...attributeFixes(path, stat, { mode, owner: args.owner, group: args.group }).changes);
  else {
    if (mode) changes.push({ field: "mode", path, before: null, after: mode });
    if (args.owner) changes.push({ field: "owner", path, before: null, after: args.owner });
    if (args.group) changes.push({ field: "group", path, before: null, after: args.group });
  }
  return {
    changes,
    steps: [
      {
        write: path,
        content: want.text!,
        mode: mode ?? (stat ? stat.mode : undefined),
        owner: args.owner,
        group: args.group,
        backup: args.backup,
        validate: args.validate ? args.validate.split(/\s+/) : undefined,
      },
    ],
  };
}

async function planDirectory(args: Args, probe: Probe): Promise<Plan> {
  const { path } = args;
  const mode = normalizeMode(args.mode);
  const stat = await probe.stat(path);
  if (stat && stat.type !== "directory") return planFailure(`${path} exists and is a ${stat.type}, not a directory`);
  const after: Stat = {
    type: "directory",
    mode: mode ?? stat?.mode ?? "0755",
    owner: args.owner ?? stat?.owner ?? "root",
    group: args.group ?? stat?.group ?? "root",
    size: stat?.size ?? 4096,
  };
  if (!stat) {
    const steps: Step[] = [{ run: ["mkdir", "-p", ...(mode ? ["-m", mode] : []), "--", path], touches: [path] }];
    if (args.owner || args.group) steps.push({ run: ["chown", `${args.owner ?? ""}${args.group ? `:${args.group}` : ""}`, "--", path], touches: [path] });
    return { changes: [{ field: "state", path, before: "absent", after: "directory" }], steps, projects: [projectStat(path, after), projectEmpty(path)] };
  }
  const fixes = attributeFixes(path, stat, { mode, owner: args.owner, group: args.group });
  const projects = [projectStat(path, after)];
  if (args.recurse && (mode || args.owner || args.group)) {
    const wrong = await probe.fact(MismatchedEntries, { path, mode, owner: args.owner, group: args.group });
    if (wrong.length) {
      fixes.changes.push({
        field: "recursive attributes",
        path,
        before: `${wrong.length} entries differ`,
        after: [mode, args.owner, args.group].filter(Boolean).join(" "),
      });
      if (mode) fixes.steps.push({ run: ["chmod", "-R", mode, "--", path], touches: [path] });
      if (args.owner || args.group)
        fixes.steps.push({ run: ["chown", "-R", `${args.owner ?? ""}${args.group ? `:${args.group}` : ""}`, "--", path], touches: [path] });
      // What is below changes in ways not worth listing: later reads there cannot be known in check mode.
      projects.unshift(unknowable({ paths: [path] }));
    }
  }
  return fixes.changes.length ? { ...fixes, projects } : done(`${path} is a directory as wanted`);
}

async function planLink(args: Args, probe: Probe): Promise<Plan> {
  const { path, src } = args;
  if (src === undefined) return planFailure("state: link needs src (the link target)");
  const stat = await probe.stat(path);
  if (stat?.type === "link" && stat.target === src) return done(`${path} -> ${src}`);
  if (stat && stat.type !== "link" && !args.force) return planFailure(`${path} exists and is a ${stat.type}; set force: true to replace it`);
  return {
    changes: [{ field: "link", path, before: stat ? (stat.type === "link" ? stat.target : stat.type) : null, after: src }],
    steps: [{ run: ["ln", "-sfn", ...(args.force ? ["-T"] : []), "--", src, path], touches: [path] }],
    projects: [projectStat(path, { type: "link", mode: "0777", owner: "root", group: "root", size: src.length, target: src })],
  };
}

export default defineModule<Args>({
  name: "file",
  aliases: ["lineinfile", "blockinfile"],
  description:
    "Manage files, directories, links and file contents: exact content or a copied/templated file, a line (lineinfile) or a marked block (blockinfile), with mode, owner and group. Writes are atomic: a temporary file is fsynced and renamed over the target.",
  schema,
  notes: [
    "Content holding a private key (PEM or OpenSSH) is marked sensitive: output, --diff and --json show that it changes, never the key. Ansible shows it unless no_log.",
    "One module where Ansible has three (file, lineinfile, blockinfile); `copy` and `template` are their own modules with Ansible's arguments, written through this one.",
    "`template: true` renders `content` or `src` (the `template` module always renders).",
    "`mode` takes octal only (0644); YAML 1.2 reads an unquoted 0644 as 644, which hoist takes digit by digit.",
    "`state: touch` creates a missing file and fixes attributes but does not bump the timestamp, so it is idempotent.",
    "`validate` runs on the host with %s replaced by the new file, as in Ansible.",
  ].join("\n"),
  examples: `
- name: a directory
  file: { path: /etc/myapp, state: directory, mode: "0755" }
- name: a file with exact content
  file: { path: /etc/myapp/app.conf, content: "port={{ port }}\\n", mode: "0644" }
- name: a line in a file
  file: { path: /etc/sysctl.d/90-k8s.conf, line: "vm.swappiness = 0", regexp: "^vm.swappiness" }
- name: a managed block
  file: { path: /etc/hosts, block: "10.0.0.1 master1" }
- name: a link
  file: { path: /usr/local/bin/kubectl, state: link, src: /opt/k8s/bin/kubectl }
- name: validated before it replaces the old one
  file: { path: /etc/sudoers.d/ops, content: "ops ALL=(ALL) NOPASSWD: ALL\\n", mode: "0440", validate: "visudo -cf %s" }
`,
  async plan(args, probe, ctx) {
    const state = args.state ?? "file";
    if (state === "directory") return planDirectory(args, probe);
    if (state === "link") return planLink(args, probe);
    if (state === "absent" && args.line === undefined && args.regexp === undefined && args.block === undefined) {
      const stat = await probe.stat(args.path);
      if (!stat) return done(`${args.path} does not exist`);
      return {
        changes: [{ field: "state", path: args.path, before: stat.type, after: "absent" }],
        steps: [{ run: ["rm", "-rf", "--", args.path], touches: [args.path] }],
        projects: [projectStat(args.path, null), projectFile(args.path, null), projectEmpty(args.path)],
      };
    }
    if (state === "touch") {
      const stat = await probe.stat(args.path);
      if (!stat) {
        return {
          changes: [{ field: "state", path: args.path, before: "absent", after: "file" }],
          steps: [{ write: args.path, content: "", mode: normalizeMode(args.mode), owner: args.owner, group: args.group }],
        };
      }
      return planFile(args, probe, ctx);
    }
    return planFile(args, probe, ctx);
  },
});
