/**
 * GroupMembership: the groups that list a user among their members
 * (`getent group`, every group read and the user's picked out), sorted by
 * name: a user's supplementary groups, and the primary one too when it
 * also names the user, as Ansible's user module counts them.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * @example
 * await probe.fact(GroupMembership, { user: "ops" }) // ["docker", "sudo"]
 */
export const GroupMembership = defineFact<{ user: string }, string[]>({
  name: "GroupMembership",
  command: () => ["getent", "group"],
  parse(r, { user }) {
    if (r.code !== 0) throw new Error(`getent group failed (exit ${r.code}): ${r.stderr.trim()}`);
    const groups = new Set<string>();
    for (const line of r.stdout.split("\n")) {
      const [name, , , members = ""] = line.split(":");
      if (name && members.split(",").includes(user)) groups.add(name);
    }
    return [...groups].sort();
  },
  files: () => ["/etc/group"],
});
