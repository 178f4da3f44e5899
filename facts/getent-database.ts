/**
 * GetentDatabase: the lines of a name-service database (`getent DATABASE
 * [KEY]`), as the host's NSS configuration answers them; null when the key
 * is not there. A read for Ansible's getent module; users and groups have
 * their own parsed facts (PasswdEntry, GroupEntry).
 */
import { defineFact } from "../engine/fact.ts";
import type { RunResult } from "../engine/connection/types.ts";

/**
 * The colon-separated fields of the one entry `getent DATABASE -- KEY` printed; null when the key is
 * not there (exit 2); throws on any other failure. What PasswdEntry, ShadowEntry and GroupEntry parse.
 *
 * @example
 * getentFields({ code: 0, stdout: "docker:x:998:ops\n", stderr: "" }, "group", "docker") // ["docker", "x", "998", "ops"]
 */
export function getentFields(r: RunResult, database: string, key: string): string[] | null {
  if (r.code === 2) return null;
  if (r.code !== 0) throw new Error(`getent ${database} ${key} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout.split("\n")[0].split(":");
}

/** What getent's exit codes mean (getent(1)), beyond 0 and 2. */
const FAILURES: Record<number, string> = { 1: "Missing arguments, or database unknown.", 3: "Enumeration not supported on this database." };

/**
 * @example
 * await probe.fact(GetentDatabase, { database: "passwd", key: "root" }) // ["root:x:0:0:root:/root:/bin/bash"]
 */
export const GetentDatabase = defineFact<{ database: string; key?: string; service?: string }, string[] | null>({
  name: "GetentDatabase",
  command: ({ database, key, service }) => ["getent", ...(service ? ["-s", service] : []), "--", database, ...(key === undefined ? [] : [key])],
  parse(r, { database }) {
    if (r.code === 2) return null;
    if (r.code !== 0) throw new Error(FAILURES[r.code] ?? `getent ${database} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout.split("\n").filter((line) => line !== "");
  },
  paths: ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/hosts", "/etc/services", "/etc/protocols", "/etc/networks"],
});
