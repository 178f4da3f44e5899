/**
 * group: a local group, present or absent, with its GID: groupadd,
 * groupmod and groupdel, as Ansible's group module runs them on Linux.
 */
import { defineModule, noChange, planFailure, projectFact, projectOnlyAffects, type Change, type Plan, type Probe, type Step } from "../engine/module.ts";
import { GroupMembership } from "../facts/group-membership.ts";
import { GroupEntry } from "../facts/group-entry.ts";
import { newAccountName } from "./lib/argument-types.ts";

interface Args {
  name: string;
  state?: "present" | "absent";
  gid?: number;
  system?: boolean;
  non_unique?: boolean;
  force?: boolean;
}

const schema = {
  type: "object",
  properties: {
    name: { ...newAccountName, description: "The group's name." },
    state: { enum: ["present", "absent"], default: "present" },
    gid: { type: "integer", minimum: 0, maximum: 4294967294, description: "Its GID; unset: the next free one (a system one with `system`)." },
    system: { type: "boolean", default: false, description: "Create it with a GID from the system range (only when it is created)." },
    non_unique: { type: "boolean", default: false, description: "Allow a GID another group already has (`-o`); needs `gid`." },
    force: { type: "boolean", default: false, description: "`state: absent`: remove it even when it is some user's primary group (`groupdel -f`)." },
  },
  required: ["name"],
  additionalProperties: false,
};

/** What groupadd, groupmod and groupdel rewrite. */
const GROUP_FILES = ["/etc/group", "/etc/gshadow"];

/** Another group holding the GID wanted, unless GIDs may repeat. */
async function gidTaken(probe: Probe, args: Args): Promise<string | undefined> {
  if (args.gid === undefined || args.non_unique) return undefined;
  const holder = await probe.fact(GroupEntry, { key: String(args.gid) });
  return holder && holder.name !== args.name ? holder.name : undefined;
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const group = await probe.fact(GroupEntry, { key: args.name });
  const resource = `group:${args.name}`;
  if (args.state === "absent") {
    if (!group) return noChange(`group ${args.name} does not exist`);
    return {
      changes: [{ resource, field: "state", before: "present", after: "absent" }],
      steps: [{ run: ["groupdel", ...(args.force ? ["-f"] : []), "--", args.name], touches: GROUP_FILES }],
      projects: [
        // Other groups stay as they are; users it listed lose it from their groups.
        projectOnlyAffects(GroupEntry, ({ key }) => key === args.name || key === String(group.gid)),
        projectOnlyAffects(GroupMembership, ({ user }) => group.members.includes(user)),
        projectFact(GroupEntry, { key: args.name }, null),
        projectFact(GroupEntry, { key: String(group.gid) }, null),
      ],
      result: { name: args.name, state: "absent" },
    };
  }
  if (group && (args.gid === undefined || group.gid === args.gid)) {
    return noChange({
      reason: `group ${args.name} exists with GID ${group.gid}`,
      result: { name: args.name, gid: group.gid, state: "present", system: args.system },
    });
  }
  const taken = await gidTaken(probe, args);
  if (taken) return planFailure(`GID ${args.gid} is group ${taken}'s (set non_unique: true to share it)`);
  const gid = args.gid === undefined ? [] : ["-g", String(args.gid), ...(args.non_unique ? ["-o"] : [])];
  const changes: Change[] = group
    ? [{ resource, field: "gid", before: group.gid, after: args.gid }]
    : [
        { resource, field: "state", before: "absent", after: "present" },
        ...(args.gid === undefined ? [] : [{ resource, field: "gid", before: null, after: args.gid }]),
      ];
  const step: Step = group
    ? // groupmod -g moves the users whose primary group it is to the new GID, in /etc/passwd.
      { run: ["groupmod", ...gid, "--", args.name], touches: [...GROUP_FILES, "/etc/passwd"] }
    : { run: ["groupadd", ...gid, ...(args.system ? ["-r"] : []), "--", args.name], touches: GROUP_FILES };
  // Only this group changes (by name, by its GIDs old and new, or by any GID while groupadd picks one), and no one's membership.
  const spare = [
    projectOnlyAffects(
      GroupEntry,
      ({ key }) => key === args.name || key === String(args.gid) || key === String(group?.gid) || (args.gid === undefined && /^\d+$/.test(key)),
    ),
    projectOnlyAffects(GroupMembership, () => false),
  ];
  // A GID chosen by groupadd is not known before it runs: later reads of the group stay unknown (the engine's rule).
  const entry = { name: args.name, gid: args.gid!, members: group?.members ?? [] };
  const after =
    args.gid === undefined ? spare : [...spare, projectFact(GroupEntry, { key: args.name }, entry), projectFact(GroupEntry, { key: String(args.gid) }, entry)];
  return { changes, steps: [step], projects: after, result: { name: args.name, gid: args.gid ?? group?.gid, state: "present", system: args.system } };
}

export default defineModule<Args>({
  name: "group",
  aliases: ["ansible.builtin.group"],
  description:
    "Add, change or remove a local group: groupadd when it is missing, groupmod when its GID differs, groupdel for `state: absent`. A GID another group holds fails the task before anything is done, unless `non_unique`.",
  schema,
  notes: [
    "Local groups only (shadow's tools); `local`, `gid_min`/`gid_max` are not implemented.",
    "Check mode reports the GID a new group gets only when `gid` is given; otherwise later tasks that read the group are unknown until the run.",
    "Like Ansible, `system` matters only when the group is created.",
  ].join("\n"),
  examples: `
- name: a group for the app
  group: { name: app, gid: 2000 }
- name: a system group
  group: { name: prometheus, system: true }
- name: gone
  group: { name: legacy, state: absent }
`,
  plan,
});
