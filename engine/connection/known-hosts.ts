/**
 * Host key verification against OpenSSH known_hosts files, plain and hashed
 * entries alike. Unknown keys are refused unless the user asked to accept new
 * keys; changed keys are always refused.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/** How OpenSSH names a host in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** SHA256 fingerprint as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

const compiled = new Map<string, RegExp>();

/** OpenSSH's wildcard patterns: `*` any run of characters, `?` one; names compare without case. */
function wildcard(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  let re = compiled.get(pattern);
  if (!re) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${source}$`, "i");
    compiled.set(pattern, re);
  }
  return re.test(name);
}

/**
 * Whether a known_hosts host field names `name`: a hashed entry, or a
 * comma-separated pattern list in which a negated match (`!pattern`) wins
 * over any other, as OpenSSH's match_hostname decides.
 */
function nameMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  let matched = false;
  for (const pattern of field.split(",")) {
    if (pattern.startsWith("!")) {
      if (wildcard(pattern.slice(1), name)) return false;
    } else if (wildcard(pattern, name)) matched = true;
  }
  return matched;
}

function keyType(key: Buffer): string {
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString();
}

/**
 * What known_hosts says of a host key: accepted (added, with accept-new), or refused with the
 * reason.
 */
export type Verdict = { ok: true; added?: boolean } | { ok: false; reason: string };

/**
 * Check `key` (the raw public key blob) for `name` against `files`.
 *
 * @example
 * verifyHostKey(["/root/.ssh/known_hosts"], "[10.0.0.5]:22", key, { acceptNew: false })
 */
export function verifyHostKey(files: string[], name: string, key: Buffer, options: { acceptNew: boolean; recordIn: string }): Verdict {
  const type = keyType(key);
  const encoded = key.toString("base64");
  // As OpenSSH: every entry for the host is read before deciding. A revoked key is refused
  // wherever its line is; a known key of any type that is not this one means the key
  // changed (an attacker offers a type the victim has not recorded), even with accept-new.
  const known: { file: string; type: string; key: string }[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const raw of readFileSync(file, "utf8").split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      const parts = line.split(/\s+/);
      const marker = parts[0].startsWith("@") ? parts.shift() : undefined;
      const [names, lineType, lineKey] = parts;
      if (!names || !nameMatches(names, name)) continue;
      if (marker === "@revoked") {
        if (lineKey === encoded)
          return { ok: false, reason: `host key for ${name} (${type} ${fingerprint(key)}) is marked @revoked in ${file}. Refusing to connect.` };
      } else if (marker === undefined) known.push({ file, type: lineType, key: lineKey });
    }
  }
  if (known.some((k) => k.type === type && k.key === encoded)) return { ok: true };
  if (known.length) {
    const other = known[0];
    return {
      ok: false,
      reason: `HOST KEY CHANGED for ${name}: the server offers ${type} ${fingerprint(key)}, but ${other.file} records a different ${other.type === type ? "key" : `${other.type} key`} for it. Refusing to connect (possible man-in-the-middle). Remove the old key if the change is expected.`,
    };
  }
  if (!options.acceptNew) {
    return {
      ok: false,
      reason: `host key for ${name} is not known (${type} ${fingerprint(key)}). Add it to ${files.join(" or ")} or run with --accept-new-host-keys.`,
    };
  }
  mkdirSync(dirname(options.recordIn), { recursive: true });
  appendFileSync(options.recordIn, `${name} ${type} ${encoded}\n`, { mode: 0o600 });
  return { ok: true, added: true };
}
