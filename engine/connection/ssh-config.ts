/**
 * The parts of `~/.ssh/config` that decide where and as whom to connect:
 * HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile.
 * First match wins per key, as in OpenSSH.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * What ~/.ssh/config says of one host (as `ssh -G` resolves it): host name, user, port, identity
 * files, proxy jump, known_hosts files.
 */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  knownHostsFiles: string[];
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .replace(/[.+^${}()|\\[\]]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
  );
  return re.test(name);
}

function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

const expandHome = (p: string) => (p.startsWith("~/") ? join(homedir(), p.slice(2)) : p);

/**
 * Settings for `host` from an OpenSSH config text.
 *
 * @example
 * parseSshConfig("Host web\n  HostName 10.0.0.5\n  User admin\n", "web") // { hostName: "10.0.0.5", user: "admin", … }
 */
export function parseSshConfig(text: string, host: string): SshHostConfig {
  const out: SshHostConfig = { identityFiles: [], knownHostsFiles: [] };
  let active = true;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].replace(/^"(.*)"$/, "$1");
    if (key === "host") {
      active = hostMatches(value.split(/\s+/), host);
      continue;
    }
    if (key === "match") {
      active = value.trim() === "all";
      continue;
    }
    if (!active) continue;
    if (key === "hostname") out.hostName ??= value.replace(/%h/g, host);
    else if (key === "user") out.user ??= value;
    else if (key === "port") out.port ??= Number(value);
    else if (key === "identityfile") out.identityFiles.push(expandHome(value));
    else if (key === "proxyjump") out.proxyJump ??= value;
    else if (key === "userknownhostsfile") out.knownHostsFiles.push(...value.split(/\s+/).map(expandHome));
  }
  return out;
}

/** Settings for `host` from the user's `~/.ssh/config` (empty when there is none). */
export function sshConfigFor(host: string, file = join(homedir(), ".ssh", "config")): SshHostConfig {
  if (!existsSync(file)) return { identityFiles: [], knownHostsFiles: [] };
  return parseSshConfig(readFileSync(file, "utf8"), host);
}
