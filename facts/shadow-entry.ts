/**
 * ShadowEntry: a user's password ageing and lock as /etc/shadow holds them
 * (`getent shadow`); null when the user has no entry. The password hash
 * itself never leaves the parser: the value holds its SHA-256, which is
 * enough to tell whether a wanted hash is the one set, and is no secret to
 * print in a fixture, a diff or a log.
 */
import { createHash } from "node:crypto";
import { defineFact } from "../engine/fact.ts";
import { getentFields } from "./getent-database.ts";

/** The fields of a shadow line that modules compare; a number is null where the field is empty. */
export interface Shadow {
  /** The password field starts with `!`: password login is locked. */
  locked: boolean;
  /** SHA-256 (hex) of the password field without its leading `!`s: see `passwordDigest`. */
  passwordDigest: string;
  min: number | null;
  max: number | null;
  warn: number | null;
  inactive: number | null;
  /** The account's expiry, in days since 1970-01-01; null: never. */
  expire: number | null;
}

/**
 * What `passwordDigest` holds for a password field (or a wanted hash): the SHA-256 of it without leading `!`s.
 *
 * @example
 * passwordDigest("!$6$salt$hash") === passwordDigest("$6$salt$hash") // true
 */
export function passwordDigest(field: string): string {
  return createHash("sha256").update(field.replace(/^!+/, "")).digest("hex");
}

const day = (field: string | undefined) => (field === undefined || field === "" ? null : Number(field));

/**
 * @example
 * await probe.fact(ShadowEntry, { name: "ops" }) // { locked: false, passwordDigest: "…", min: 0, max: 99999, warn: 7, inactive: null, expire: null }
 */
export const ShadowEntry = defineFact<{ name: string }, Shadow | null>({
  name: "ShadowEntry",
  command: ({ name }) => ["getent", "shadow", "--", name],
  parse(r, { name }) {
    const fields = getentFields(r, "shadow", name);
    if (fields === null) return null;
    if (fields.length !== 9 || fields.slice(2, 8).some((f) => f !== "" && !/^-?\d+$/.test(f)))
      throw new Error(`getent shadow ${name}: not a shadow entry (${fields.length} fields)`);
    const [, password, , min, max, warn, inactive, expire] = fields;
    return {
      locked: password.startsWith("!"),
      passwordDigest: passwordDigest(password),
      min: day(min),
      max: day(max),
      warn: day(warn),
      inactive: day(inactive),
      expire: day(expire),
    };
  },
  files: () => ["/etc/shadow"],
});
