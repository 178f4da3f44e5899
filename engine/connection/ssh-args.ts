/**
 * `ansible_ssh_common_args` / `ansible_ssh_extra_args`: the OpenSSH options
 * inventories carry, mapped onto hoist's own SSH settings. Options that only
 * tune OpenSSH's process (multiplexing, keepalives, log level) are accepted
 * and have nothing to do; options hoist cannot honour are refused by name;
 * options that weaken host-key checking are refused unless the run itself
 * says `--accept-new-host-keys`, and turning checking off is always refused.
 */
import { splitWords } from "../shell.ts";

/** The settings these options may give. */
export interface SshArgSettings {
  port?: number;
  user?: string;
  privateKeyFile?: string;
  knownHostsFile?: string;
  proxyJump?: string;
  sshConfigFile?: string;
  connectTimeoutMs?: number;
}

/** Options of OpenSSH's own process: hoist's one connection per host with persistent sessions needs none of them. */
const NOTHING_TO_DO = new Set([
  "controlmaster",
  "controlpersist",
  "controlpath",
  "serveraliveinterval",
  "serveralivecountmax",
  "tcpkeepalive",
  "compression",
  "loglevel",
  "preferredauthentications",
  "identitiesonly",
  "pubkeyauthentication",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "gssapiauthentication",
  "addressfamily",
  "hashknownhosts",
  "checkhostip",
]);

/** `ssh -W %h:%p [-q] [options] bastion` as a ProxyCommand is a jump host. */
function jumpOf(proxyCommand: string): string | undefined {
  const words = splitWords(proxyCommand);
  if (words[0] !== "ssh" || !words.includes("-W")) return undefined;
  const rest = words.slice(1).filter((w, i, a) => w !== "-q" && w !== "-W" && a[i - 1] !== "-W");
  const target = rest.filter((w, i) => !w.startsWith("-") && !["-p", "-l", "-i"].includes(rest[i - 1]));
  if (target.length !== 1 || rest.some((w) => w.startsWith("-") && !["-p", "-l"].includes(w))) return undefined;
  const port = rest[rest.indexOf("-p") + 1];
  const user = rest[rest.indexOf("-l") + 1];
  return `${rest.includes("-l") ? `${user}@` : ""}${target[0]}${rest.includes("-p") ? `:${port}` : ""}`;
}

/** One `-o Key=Value` (or `Key Value`) option. */
function option(key: string, value: string, acceptNewHostKeys: boolean, out: SshArgSettings): void {
  const k = key.toLowerCase();
  if (NOTHING_TO_DO.has(k)) return;
  switch (k) {
    case "stricthostkeychecking": {
      const v = value.toLowerCase();
      if (v === "yes" || v === "ask") return;
      if (v === "accept-new" && acceptNewHostKeys) return;
      if (v === "accept-new") throw new Error("StrictHostKeyChecking=accept-new accepts unknown host keys: say so for the run with --accept-new-host-keys");
      throw new Error(
        `StrictHostKeyChecking=${value} turns host-key checking off; hoist always checks (use --accept-new-host-keys to accept keys of new hosts; changed keys are always refused)`,
      );
    }
    case "userknownhostsfile":
      if (value === "/dev/null") throw new Error("UserKnownHostsFile=/dev/null would make every host key unknown; give a known_hosts file");
      out.knownHostsFile = value;
      return;
    case "port":
      out.port = Number(value);
      return;
    case "user":
      out.user = value;
      return;
    case "identityfile":
      out.privateKeyFile = value;
      return;
    case "proxyjump":
      out.proxyJump = value;
      return;
    case "proxycommand": {
      const jump = jumpOf(value);
      if (!jump) throw new Error(`ProxyCommand=${value}: hoist runs no proxy commands; only 'ssh -W %h:%p host' (a jump host, as ProxyJump) is understood`);
      out.proxyJump = jump;
      return;
    }
    case "connecttimeout":
      out.connectTimeoutMs = Number(value) * 1000;
      return;
    default:
      throw new Error(`ssh option ${key} is not supported by hoist's SSH client`);
  }
}

/**
 * The settings `ansible_ssh_common_args` + `ansible_ssh_extra_args` give; throws naming the option hoist refuses.
 *
 * @example
 * sshArgSettings("-o ProxyCommand='ssh -W %h:%p -q bastion' -o ServerAliveInterval=30", false) // { proxyJump: "bastion" }
 */
export function sshArgSettings(text: string, acceptNewHostKeys: boolean): SshArgSettings {
  const out: SshArgSettings = {};
  const words = splitWords(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = () => {
      if (i + 1 >= words.length) throw new Error(`${w} needs a value`);
      return words[++i];
    };
    if (w === "-o" || (w.startsWith("-o") && w.length > 2)) {
      const opt = w === "-o" ? next() : w.slice(2);
      const m = /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(opt);
      if (!m) throw new Error(`-o ${opt}: expected Key=Value`);
      option(m[1], m[2], acceptNewHostKeys, out);
    } else if (w === "-p") out.port = Number(next());
    else if (w === "-l") out.user = next();
    else if (w === "-i") out.privateKeyFile = next();
    else if (w === "-J") out.proxyJump = next();
    else if (w === "-F") out.sshConfigFile = next();
    else if (["-q", "-C", "-T", "-4", "-6", "-n", "-x", "-v", "-vv", "-vvv"].includes(w)) continue;
    else throw new Error(`ssh argument ${w} is not supported by hoist's SSH client`);
  }
  if (out.port !== undefined && !(Number.isInteger(out.port) && out.port > 0 && out.port < 65536)) throw new Error(`port must be 1 to 65535`);
  if (out.connectTimeoutMs !== undefined && !(out.connectTimeoutMs > 0)) throw new Error("ConnectTimeout must be a positive number of seconds");
  return out;
}
