/**
 * user: a local user account, present or absent — useradd, usermod and
 * userdel as Ansible's user module runs them on Linux, field for field:
 * only what differs is changed, and an argument left out is left alone.
 * The password hash goes to `chpasswd -e` on standard input, never into an
 * argv, and is compared by digest (facts/shadow-entry.ts), so it appears in
 * no output, fixture or log.
 */
import {
  defineModule,
  noChange,
  planFailure,
  projectFact,
  projectOnlyAffects,
  type Change,
  type Plan,
  type Probe,
  type Projection,
  type Step,
} from "../engine/module.ts";
import { GroupEntry, type Group } from "../facts/group-entry.ts";
import { GroupMembership } from "../facts/group-membership.ts";
import { PasswdEntry, type Passwd } from "../facts/passwd-entry.ts";
import { passwordDigest, ShadowEntry, type Shadow } from "../facts/shadow-entry.ts";
import { absolutePath, accountName, newAccountName } from "./lib/argument-types.ts";

interface Args {
  name: string;
  state?: "present" | "absent";
  uid?: number;
  non_unique?: boolean;
  group?: string;
  groups?: string[];
  append?: boolean;
  comment?: string;
  home?: string;
  shell?: string;
  password?: string;
  password_lock?: boolean;
  update_password?: "always" | "on_create";
  create_home?: boolean;
  move_home?: boolean;
  skeleton?: string;
  system?: boolean;
  force?: boolean;
  remove?: boolean;
  expires?: number;
  password_expire_max?: number;
  password_expire_min?: number;
  password_expire_warn?: number;
}

const notHere = (why: string, harmless: unknown[] = []) => ({ unimplemented: { why, harmless: [null, ...harmless] } });
/** Text that reaches useradd's argv as one value: never an option, never a field separator. */
const field = { type: "string", pattern: "^[^:\\n\\u0000]*$" } as const;
const days = { type: "integer", minimum: -1 } as const;

const schema = {
  type: "object",
  properties: {
    name: { ...newAccountName, aliases: ["user"], description: "The user's name." },
    state: { enum: ["present", "absent"], default: "present" },
    uid: { type: "integer", minimum: 0, maximum: 4294967294, description: "Its UID; unset: the next free one (a system one with `system`)." },
    non_unique: { type: "boolean", default: false, description: "Allow a UID another user has (`-o`); with `uid`." },
    group: { ...accountName, description: "Its primary group, by name or GID; it must exist. Unset: a group of its own name (USERGROUPS_ENAB) when created." },
    groups: {
      type: "array",
      items: { anyOf: [accountName, { const: "" }] },
      description: "Supplementary groups (each must exist); `[]` or `''` removes them all unless `append`.",
    },
    append: { type: "boolean", default: false, description: "Add `groups` to those the user has, rather than setting them." },
    comment: { ...field, description: "The GECOS field." },
    home: { ...absolutePath, description: "Its home directory." },
    shell: { ...absolutePath, description: "Its login shell." },
    password: { type: "string", pattern: "^[^:\\n\\u0000]*$", description: "The password as a crypt(3) hash (`password_hash`), never clear text." },
    password_lock: { type: "boolean", description: "Lock (`!`) or unlock password login." },
    update_password: { enum: ["always", "on_create"], default: "always", description: "`on_create`: set `password` only when the user is created." },
    create_home: { type: "boolean", default: true, aliases: ["createhome"], description: "Make the home directory (from the skeleton) when it is missing." },
    move_home: { type: "boolean", default: false, description: "With a new `home`: move the old one there (`usermod -m`)." },
    skeleton: { ...absolutePath, description: "The skeleton directory a new home is copied from (default /etc/skel)." },
    system: { type: "boolean", default: false, description: "Create it as a system account (only when it is created)." },
    force: { type: "boolean", default: false, description: "`state: absent`: remove it even while logged in (`userdel -f`)." },
    remove: { type: "boolean", default: false, description: "`state: absent`: remove its home and mail spool too (`userdel -r`)." },
    expires: { type: "number", description: "When the account expires, in seconds since the epoch (compared by day, UTC); negative: never." },
    password_expire_max: { ...days, description: "Days a password is valid (`chage -M`)." },
    password_expire_min: { ...days, description: "Days before a password may change again (`chage -m`)." },
    password_expire_warn: { ...days, description: "Days of warning before a password expires (`chage -W`)." },
    generate_ssh_key: notHere("use community.crypto's openssh_keypair or a command", [false]),
    ssh_key_bits: notHere("generate_ssh_key is not implemented", [0]),
    ssh_key_type: notHere("generate_ssh_key is not implemented", ["rsa"]),
    ssh_key_file: notHere("generate_ssh_key is not implemented"),
    ssh_key_comment: notHere("generate_ssh_key is not implemented"),
    ssh_key_passphrase: notHere("generate_ssh_key is not implemented"),
    local: notHere("luseradd (libuser) is not implemented", [false]),
    seuser: notHere("SELinux users are not implemented"),
    login_class: notHere("a BSD option"),
    hidden: notHere("a macOS option"),
    profile: notHere("an illumos option"),
    authorization: notHere("an illumos option"),
    role: notHere("an illumos option"),
    umask: notHere("useradd's -K UMASK is not implemented"),
    uid_min: notHere("useradd's -K UID_MIN is not implemented"),
    uid_max: notHere("useradd's -K UID_MAX is not implemented"),
    password_expire_account_disable: notHere("useradd's -f is not implemented"),
  },
  required: ["name"],
  additionalProperties: false,
};

/** What useradd, usermod, chpasswd, chage and userdel rewrite. */
const ACCOUNT_FILES = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/subuid", "/etc/subgid"];

const numeric = (key: string) => /^\d+$/.test(key);

/**
 * What the steps for one user leave alone, for check mode: other users, other shadow entries and
 * other users' groups; of the groups, those `groups` says may change (`"all"`: any group).
 */
function spares(name: string, uids: (number | undefined)[], groups: string[] | "all"): Projection[] {
  const uidKeys = uids.map(String);
  return [
    projectOnlyAffects(PasswdEntry, ({ key }) => key === name || uidKeys.includes(key) || (uids.includes(undefined) && numeric(key))),
    projectOnlyAffects(ShadowEntry, (a) => a.name === name),
    projectOnlyAffects(GroupMembership, (a) => a.user === name),
    ...(groups === "all" ? [] : [projectOnlyAffects(GroupEntry, ({ key }) => groups.includes(key) || numeric(key))]),
  ];
}

/** useradd/usermod's `-e`: a day as YYYY-MM-DD (UTC), or empty for never. */
function expiryDay(seconds: number): string {
  return seconds < 0 ? "" : new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 10);
}

/** The groups named in `groups`, looked up (each must exist); a name that is missing is returned as `missing`. */
async function lookUpGroups(probe: Probe, names: string[]): Promise<{ found: Group[]; missing?: string }> {
  const found: Group[] = [];
  for (const name of names.filter((n) => n !== "")) {
    const group = await probe.fact(GroupEntry, { key: name });
    if (!group) return { found, missing: name };
    found.push(group);
  }
  return { found };
}

/** The password steps: the hash (locked with `!` when asked) through chpasswd's standard input. */
function passwordStep(args: Args): Step {
  const hash = `${args.password_lock ? "!" : ""}${args.password}`;
  return { run: ["chpasswd", "-e"], stdin: `${args.name}:${hash}\n`, touches: ACCOUNT_FILES, describe: `set ${args.name}'s password` };
}

/** chage for the password ageing arguments that differ from the shadow entry (all of them for a new user). */
function ageingStep(args: Args, shadow: Shadow | null, changes: Change[]): Step[] {
  const argv: string[] = [];
  for (const [arg, flag, key] of [
    ["password_expire_min", "-m", "min"],
    ["password_expire_max", "-M", "max"],
    ["password_expire_warn", "-W", "warn"],
  ] as const) {
    const want = args[arg];
    if (want === undefined || (shadow && shadow[key] === want)) continue;
    argv.push(flag, String(want));
    changes.push({ resource: `user:${args.name}`, field: arg, before: shadow?.[key] ?? null, after: want });
  }
  return argv.length ? [{ run: ["chage", ...argv, "--", args.name], touches: ACCOUNT_FILES }] : [];
}

/** After the run: the user as the host now has it, for `register`. */
function resultAfter(args: Args, extra: Record<string, unknown>) {
  return async (_: unknown, probe: Probe): Promise<Plan> => noChange({ result: present(args, await probe.fact(PasswdEntry, { key: args.name }), extra) });
}

/** Ansible's result for a present user. */
function present(args: Args, user: Passwd | null, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name: args.name,
    state: "present",
    ...extra,
    ...(user ? { uid: user.uid, group: user.gid, comment: user.comment, home: user.home, shell: user.shell } : {}),
    ...(args.groups ? { groups: args.groups.join(",") } : {}),
    ...(args.password !== undefined ? { password: "NOT_LOGGING_PASSWORD" } : {}),
  };
}

async function create(args: Args, probe: Probe): Promise<Plan> {
  const resource = `user:${args.name}`;
  const argv = ["useradd"];
  const changes: Change[] = [{ resource, field: "state", before: "absent", after: "present" }];
  if (args.uid !== undefined) argv.push("-u", String(args.uid), ...(args.non_unique ? ["-o"] : []));
  let gid: number | undefined;
  if (args.group !== undefined) {
    const group = await probe.fact(GroupEntry, { key: args.group });
    if (!group) return planFailure(`Group ${args.group} does not exist`);
    argv.push("-g", args.group);
    gid = group.gid;
  } else {
    // A group of the user's name already there: useradd must not try to make it (USERGROUPS_ENAB), as Ansible says -N.
    const own = await probe.fact(GroupEntry, { key: args.name });
    if (own) argv.push("-N");
  }
  const groups = await lookUpGroups(probe, args.groups ?? []);
  if (groups.missing) return planFailure(`Group ${groups.missing} does not exist`);
  if (groups.found.length) argv.push("-G", (args.groups ?? []).filter((g) => g !== "").join(","));
  if (args.comment !== undefined) argv.push("-c", args.comment);
  if (args.home !== undefined) argv.push("-d", args.home);
  if (args.shell !== undefined) argv.push("-s", args.shell);
  if (args.expires !== undefined) argv.push("-e", expiryDay(args.expires));
  if (args.create_home !== false) argv.push("-m", ...(args.skeleton ? ["-k", args.skeleton] : []));
  else argv.push("-M");
  if (args.system) argv.push("-r");
  for (const f of ["uid", "group", "groups", "comment", "home", "shell"] as const)
    if (args[f] !== undefined) changes.push({ resource, field: f, before: null, after: f === "groups" ? args.groups?.join(",") : args[f] });
  const steps: Step[] = [];
  // useradd makes the home but not its parents; Ansible makes them first.
  const parent = args.home?.slice(0, args.home.lastIndexOf("/")) || "/";
  if (args.home && args.create_home !== false && !(await probe.stat(parent))) steps.push({ run: ["mkdir", "-p", "--", parent], touches: [parent] });
  steps.push({ run: [...argv, "--", args.name], touches: [...ACCOUNT_FILES, ...(args.home ? [args.home] : ["/home"])] });
  if (args.password !== undefined) {
    steps.push(passwordStep(args));
    changes.push({ resource, field: "password", before: null, after: "(set)", sensitive: true });
  }
  steps.push(...ageingStep(args, null, changes));
  const known = args.uid !== undefined && gid !== undefined && args.home !== undefined;
  return {
    changes,
    steps,
    // What useradd chooses (a UID, a group of the user's own, a home) is not known before it runs: later reads stay unknown unless all was given.
    projects: [
      // useradd may make a group of the user's name, and adds it to the groups listed.
      ...spares(args.name, [args.uid], [args.name, ...groups.found.map((g) => g.name)]),
      ...(known
        ? [
            projectFact(
              PasswdEntry,
              { key: args.name },
              { name: args.name, uid: args.uid!, gid: gid!, comment: args.comment ?? "", home: args.home!, shell: args.shell ?? "/bin/sh" },
            ),
          ]
        : []),
    ],
    result: present(args, null, { system: args.system ?? false, create_home: args.create_home !== false }),
    next: resultAfter(args, { system: args.system ?? false, create_home: args.create_home !== false }),
  };
}

/** usermod's arguments for the groups, or none when they match (Ansible's rule: symmetric difference, `-a` to append). */
async function groupsArgv(args: Args, probe: Probe, changes: Change[]): Promise<string[] | string> {
  if (args.groups === undefined) return [];
  const current = await probe.fact(GroupMembership, { user: args.name });
  const wanted = args.groups.filter((g) => g !== "");
  const looked = await lookUpGroups(probe, wanted);
  if (looked.missing) return `Group ${looked.missing} does not exist`;
  const names = [...new Set(looked.found.map((g) => g.name))].sort();
  const differ = names.length !== current.length || names.some((n) => !current.includes(n));
  const change = (after: string[]) => changes.push({ resource: `user:${args.name}`, field: "groups", before: current.join(","), after: after.join(",") });
  if (names.length === 0) {
    if (current.length === 0 || args.append) return [];
    change([]);
    return ["-G", ""];
  }
  if (args.append) {
    if (!names.some((n) => !current.includes(n))) return [];
    change([...new Set([...current, ...names])].sort());
    return ["-a", "-G", names.join(",")];
  }
  if (!differ) return [];
  change(names);
  return ["-G", names.join(",")];
}

async function modify(args: Args, user: Passwd, probe: Probe): Promise<Plan> {
  const resource = `user:${args.name}`;
  const changes: Change[] = [];
  const argv: string[] = [];
  const differs = (f: keyof Passwd, want: unknown, flag: string[]) => {
    if (want === undefined || user[f] === want) return;
    changes.push({ resource, field: f === "gid" ? "group" : f, before: user[f], after: want });
    argv.push(...flag);
  };
  differs("uid", args.uid, ["-u", String(args.uid), ...(args.non_unique ? ["-o"] : [])]);
  if (args.group !== undefined) {
    const group = await probe.fact(GroupEntry, { key: args.group });
    if (!group) return planFailure(`Group ${args.group} does not exist`);
    differs("gid", group.gid, ["-g", String(group.gid)]);
  }
  const groups = await groupsArgv(args, probe, changes);
  if (typeof groups === "string") return planFailure(groups);
  argv.push(...groups);
  differs("comment", args.comment, ["-c", args.comment ?? ""]);
  differs("home", args.home, ["-d", args.home ?? "", ...(args.move_home ? ["-m"] : [])]);
  differs("shell", args.shell, ["-s", args.shell ?? ""]);
  const shadow = await probe.fact(ShadowEntry, { name: args.name });
  if (args.expires !== undefined) {
    // Compared by day, as Ansible does; an empty field is never.
    const now = shadow?.expire ?? -1;
    const want = args.expires < 0 ? -1 : Math.floor(Math.floor(args.expires) / 86400);
    if (want < 0 ? now >= 0 : now !== want) {
      changes.push({ resource, field: "expires", before: now < 0 ? null : expiryDay(now * 86400), after: want < 0 ? null : expiryDay(args.expires) });
      argv.push("-e", expiryDay(args.expires));
    }
  }
  const setPassword = args.update_password !== "on_create" && args.password !== undefined && shadow?.passwordDigest !== passwordDigest(args.password);
  if (!setPassword && args.password_lock !== undefined && shadow && shadow.locked !== args.password_lock) {
    changes.push({ resource, field: "password_lock", before: shadow.locked, after: args.password_lock });
    argv.push(args.password_lock ? "-L" : "-U");
  }
  const steps: Step[] = argv.length
    ? [{ run: ["usermod", ...argv, "--", args.name], touches: [...ACCOUNT_FILES, ...(args.move_home && args.home ? [args.home, user.home] : [])] }]
    : [];
  if (setPassword) {
    changes.push({ resource, field: "password", before: "(set)", after: "(set)", sensitive: true });
    steps.push(passwordStep(args));
  }
  // A home that is missing is made (Ansible does, whenever create_home): from the skeleton, owned by the user.
  const home = args.home ?? user.home;
  if (args.create_home !== false && !(args.move_home && args.home !== undefined && args.home !== user.home) && !(await probe.stat(home))) {
    changes.push({ resource, field: "home directory", before: null, after: home, path: home });
    steps.push({ run: ["mkhomedir_helper", args.name], touches: [home] });
  }
  steps.push(...ageingStep(args, shadow, changes));
  const extra = { append: args.append ?? false, move_home: args.move_home ?? false };
  if (!steps.length) return noChange({ reason: `user ${args.name} is as declared`, result: present(args, user, extra) });
  const after = { ...user, ...(args.uid !== undefined ? { uid: args.uid } : {}), ...pick(args, ["comment", "home", "shell"]) };
  const gidChange = changes.find((c) => c.field === "group");
  if (gidChange) after.gid = gidChange.after as number;
  const regrouped = groups.length ? [...(await probe.fact(GroupMembership, { user: args.name })), ...(args.groups ?? [])] : [];
  return {
    changes,
    steps,
    projects: [...spares(args.name, [user.uid, after.uid], regrouped), projectFact(PasswdEntry, { key: args.name }, after)],
    result: present(args, after, extra),
    next: resultAfter(args, extra),
  };
}

function pick(args: Args, keys: ("comment" | "home" | "shell")[]): Partial<Passwd> {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const user = await probe.fact(PasswdEntry, { key: args.name });
  if (args.state === "absent") {
    if (!user) return noChange({ reason: `user ${args.name} does not exist`, result: { name: args.name, state: "absent" } });
    return {
      changes: [{ resource: `user:${args.name}`, field: "state", before: "present", after: "absent" }],
      steps: [
        {
          run: ["userdel", ...(args.force ? ["-f"] : []), ...(args.remove ? ["-r"] : []), "--", args.name],
          touches: [...ACCOUNT_FILES, ...(args.remove ? [user.home] : [])],
        },
      ],
      // userdel takes the user out of every group, and may remove its own: any group may change.
      projects: [
        ...spares(args.name, [user.uid], "all"),
        projectFact(PasswdEntry, { key: args.name }, null),
        projectFact(PasswdEntry, { key: String(user.uid) }, null),
      ],
      result: { name: args.name, state: "absent", force: args.force ?? false, remove: args.remove ?? false },
    };
  }
  return user ? modify(args, user, probe) : create(args, probe);
}

export default defineModule<Args>({
  name: "user",
  aliases: ["ansible.builtin.user"],
  description:
    "Add, change or remove a local user: useradd when it is missing, usermod for the fields that differ (UID, primary and supplementary groups, comment, home, shell, expiry, lock), chpasswd for a password hash, chage for password ageing, userdel for `state: absent`. A home directory that is missing is made from the skeleton.",
  schema,
  notes: [
    "Local users through shadow's tools; no `local` (libuser), no ssh key generation, no SELinux user, no BSD/macOS/illumos options.",
    "The password is a crypt(3) hash set with `chpasswd -e` on standard input (Ansible puts it in useradd's argv); it is compared by digest and shown nowhere.",
    "Check mode reports what a new user gets from useradd (UID, own group, home) only when `uid`, `group` and `home` are given; otherwise later tasks that read the user are unknown until the run.",
    "`groups` are compared as Ansible does: the groups that list the user as a member against the names given; `append` only adds.",
  ].join("\n"),
  examples: `
- name: a deploy user in docker and sudo
  user: { name: deploy, groups: [docker, sudo], append: true, shell: /bin/bash }
- name: a system account without a home
  user: { name: prometheus, system: true, create_home: false, shell: /usr/sbin/nologin }
- name: gone, with its home
  user: { name: legacy, state: absent, remove: true }
`,
  plan,
});
