/**
 * PasswdEntry: a user as the host's name service has it (`getent passwd`),
 * looked up by name or by UID; null when there is none. Made of
 * /etc/passwd, which useradd, usermod and userdel rewrite.
 */
import { defineFact } from "../engine/fact.ts";
import { getentFields } from "./getent-database.ts";

/** One user: the seven fields of a passwd line but the password placeholder. */
export interface Passwd {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

/**
 * @example
 * await probe.fact(PasswdEntry, { key: "ops" }) // { name: "ops", uid: 1000, gid: 1000, comment: "", home: "/home/ops", shell: "/bin/bash" }
 */
export const PasswdEntry = defineFact<{ key: string }, Passwd | null>({
  name: "PasswdEntry",
  command: ({ key }) => ["getent", "passwd", "--", key],
  parse(r, { key }) {
    const fields = getentFields(r, "passwd", key);
    if (fields === null) return null;
    const [name, , uid, gid, comment, home, shell] = fields;
    if (fields.length !== 7 || !name || !/^\d+$/.test(uid) || !/^\d+$/.test(gid))
      throw new Error(`getent passwd ${key}: not a passwd entry: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    return { name, uid: Number(uid), gid: Number(gid), comment, home, shell };
  },
  files: () => ["/etc/passwd"],
});
