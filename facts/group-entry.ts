/**
 * GroupEntry: a group as the host's name service has it (`getent group`),
 * looked up by name or by GID; null when there is none. Made of
 * /etc/group, which groupadd, groupmod and groupdel rewrite.
 */
import { defineFact } from "../engine/fact.ts";
import { getentFields } from "./getent-database.ts";

/** One group: its name, GID and members (`getent group` fields 1, 3 and 4). */
export interface Group {
  name: string;
  gid: number;
  members: string[];
}

/**
 * @example
 * await probe.fact(GroupEntry, { key: "docker" }) // { name: "docker", gid: 998, members: ["ops"] }
 */
export const GroupEntry = defineFact<{ key: string }, Group | null>({
  name: "GroupEntry",
  command: ({ key }) => ["getent", "group", "--", key],
  parse(r, { key }) {
    const fields = getentFields(r, "group", key);
    if (fields === null) return null;
    const [name, , gid, members = ""] = fields;
    if (!name || !/^\d+$/.test(gid ?? "")) throw new Error(`getent group ${key}: not a group entry: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    return { name, gid: Number(gid), members: members.split(",").filter(Boolean) };
  },
  files: () => ["/etc/group"],
});
