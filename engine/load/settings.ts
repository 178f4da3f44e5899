/**
 * Settings an Ansible user already has: the `[defaults]` of ansible.cfg
 * (the first of $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg, as Ansible looks) and the environment variables
 * that override them. hoist reads the few it honours: where roles are, the
 * fact cache, and how long a command may run. Relative paths in the file are relative to the file.
 */
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../errors.ts";
import { readUserText } from "./yaml.ts";
import { DEFAULT_ROLES_PATH } from "./roles.ts";

/** What the settings decide (see README "Settings"). */
export interface Settings {
  /** The ansible.cfg read, if any. */
  file?: string;
  rolesPath: string[];
  /** `fact_caching = jsonfile`: the directory and the timeout in seconds. */
  factCache?: { dir: string; timeoutS: number };
  /** `task_timeout`: seconds a command may run unless its task says (default DEFAULT_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs?: number;
  /** What was passed over, to warn about (an ansible.cfg in a world-writable directory). */
  ignored?: string;
}

/**
 * The ansible.cfg Ansible would read. One in a world-writable working
 * directory is passed over, as Ansible does since CVE-2018-10875: anyone
 * could have put it there, and its roles_path runs their code.
 */
function configFile(env: NodeJS.ProcessEnv, cwd: string): { file?: string; ignored?: string } {
  const here = join(cwd, "ansible.cfg");
  const worldWritable = existsSync(here) && (statSync(cwd).mode & 0o002) !== 0;
  const candidates = [env.ANSIBLE_CONFIG, worldWritable ? undefined : here, join(homedir(), ".ansible.cfg"), "/etc/ansible/ansible.cfg"];
  const file = candidates.find((f): f is string => !!f && existsSync(f));
  return { file, ...(worldWritable ? { ignored: `${here} is ignored: its directory is world-writable (as Ansible does)` } : {}) };
}

const expand = (p: string, base: string) => resolve(base, p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p);

/**
 * Read the settings.
 *
 * @example
 * (await loadSettings({ ANSIBLE_ROLES_PATH: "/opt/roles:~/roles" }, "/srv/site")).rolesPath // ["/opt/roles", "/root/roles"]
 */
export async function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Settings> {
  const { file, ignored } = configFile(env, cwd);
  // The INI parser only when there is a file: most runs have none.
  const parsed = file ? ((await import("ini")).parse(readUserText(file)).defaults as Record<string, unknown> | undefined) : undefined;
  const defaults = (parsed ?? {}) as Record<string, string | undefined>;
  const base = file ? dirname(resolve(file)) : cwd;
  const pick = (envName: string, key: string): { value: string; base: string } | undefined =>
    env[envName] !== undefined ? { value: env[envName]!, base: cwd } : defaults[key] !== undefined ? { value: String(defaults[key]), base } : undefined;
  const roles = pick("ANSIBLE_ROLES_PATH", "roles_path");
  const rolesPath = roles
    ? roles.value
        .split(":")
        .filter(Boolean)
        .map((p) => expand(p, roles.base))
    : DEFAULT_ROLES_PATH;
  const plugin = pick("ANSIBLE_CACHE_PLUGIN", "fact_caching")?.value ?? "memory";
  const where = file ? `${file}: ` : "";
  const taskTimeout = pick("ANSIBLE_TASK_TIMEOUT", "task_timeout")?.value;
  const seconds = Number(taskTimeout ?? 0);
  if (!Number.isInteger(seconds) || seconds < 0) throw new InputError(`${where}task_timeout must be a whole number of seconds, got '${taskTimeout}'`);
  // 0 is Ansible's "no limit"; hoist keeps a bound (a wedged host must not hold the run for ever), the default.
  const common = { file, rolesPath, ...(seconds > 0 ? { commandTimeoutMs: seconds * 1000 } : {}), ...(ignored ? { ignored } : {}) };
  if (plugin !== "memory" && plugin !== "jsonfile")
    throw new InputError(`${where}fact_caching = ${plugin} is not supported; hoist caches facts with jsonfile (or memory: no cache)`);
  if (plugin === "memory") return common;
  const connection = pick("ANSIBLE_CACHE_PLUGIN_CONNECTION", "fact_caching_connection");
  if (!connection) throw new InputError(`${where}fact_caching = jsonfile needs fact_caching_connection (the cache directory)`);
  const timeout = Number(pick("ANSIBLE_CACHE_PLUGIN_TIMEOUT", "fact_caching_timeout")?.value ?? 86400);
  if (!Number.isFinite(timeout) || timeout < 0) throw new InputError(`${where}fact_caching_timeout must be a number of seconds`);
  return { ...common, factCache: { dir: expand(connection.value, connection.base), timeoutS: timeout } };
}
