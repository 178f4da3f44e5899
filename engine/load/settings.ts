/**
 * Settings an Ansible user already has: the `[defaults]` of ansible.cfg
 * (the first of $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg, as Ansible looks) and the environment variables
 * that override them. hoist reads the few it honours: where roles are, and
 * the fact cache. Relative paths in the file are relative to the file.
 */
import { existsSync } from "node:fs";
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
}

/** The ansible.cfg Ansible would read. */
function configFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const candidates = [env.ANSIBLE_CONFIG, join(cwd, "ansible.cfg"), join(homedir(), ".ansible.cfg"), "/etc/ansible/ansible.cfg"];
  return candidates.find((f): f is string => !!f && existsSync(f));
}

const expand = (p: string, base: string) => resolve(base, p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p);

/**
 * Read the settings.
 *
 * @example
 * (await loadSettings({ ANSIBLE_ROLES_PATH: "/opt/roles:~/roles" }, "/srv/site")).rolesPath // ["/opt/roles", "/root/roles"]
 */
export async function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Settings> {
  const file = configFile(env, cwd);
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
  if (plugin !== "memory" && plugin !== "jsonfile")
    throw new InputError(`${where}fact_caching = ${plugin} is not supported; hoist caches facts with jsonfile (or memory: no cache)`);
  if (plugin === "memory") return { file, rolesPath };
  const connection = pick("ANSIBLE_CACHE_PLUGIN_CONNECTION", "fact_caching_connection");
  if (!connection) throw new InputError(`${where}fact_caching = jsonfile needs fact_caching_connection (the cache directory)`);
  const timeout = Number(pick("ANSIBLE_CACHE_PLUGIN_TIMEOUT", "fact_caching_timeout")?.value ?? 86400);
  if (!Number.isFinite(timeout) || timeout < 0) throw new InputError(`${where}fact_caching_timeout must be a number of seconds`);
  return { file, rolesPath, factCache: { dir: expand(connection.value, connection.base), timeoutS: timeout } };
}
