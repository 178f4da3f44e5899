/**
 * Picks a transport from a host's variables, as Ansible does with
 * `ansible_connection` (default `ssh`; `local` for the implicit localhost).
 */
import type { Connection } from "./types.ts";
import { LocalConnection } from "./local.ts";
import { InputError } from "../errors.ts";
import type { SshOptions } from "./ssh.ts";
import type { HostLock } from "./host-lock.ts";
import { sshArgSettings } from "./ssh-args.ts";
import type { Vars } from "../vars.ts";

/** A host's OpenSSH options, as Ansible joins them. */
export const sshArgsOf = (vars: Vars): string =>
  [vars.ansible_ssh_common_args, vars.ansible_ssh_extra_args].filter((v) => v !== undefined && v !== null).join(" ");

/**
 * How to open a connection to a host: its variables (ansible_host, ansible_user, …), SSH settings
 * and the run lock.
 */
export interface ConnectOptions {
  ssh: Omit<SshOptions, "host" | "address" | "port" | "user" | "privateKeyFile" | "password" | "knownHostsFile" | "lock">;
  /** Hold the host's run lock while connected (see host-lock.ts). */
  lock?: HostLock;
}

/** Open (or describe how to open) the connection for `host`. */
export async function openConnection(host: string, vars: Vars, options: ConnectOptions): Promise<Connection> {
  const kind = String(vars.ansible_connection ?? "ssh");
  if (kind === "local") return new LocalConnection(host, options.lock, options.ssh.commandTimeoutMs);
  if (kind === "ssh" || kind === "paramiko" || kind === "smart") {
    const { SshConnection } = await import("./ssh.ts");
    const fromArgs = sshArgSettings(sshArgsOf(vars), options.ssh.acceptNewHostKeys);
    return SshConnection.open({
      ...options.ssh,
      ...fromArgs,
      lock: options.lock,
      host,
      address: vars.ansible_host !== undefined ? String(vars.ansible_host) : undefined,
      port: vars.ansible_port !== undefined ? Number(vars.ansible_port) : fromArgs.port,
      user: vars.ansible_user !== undefined ? String(vars.ansible_user) : fromArgs.user,
      privateKeyFile: vars.ansible_ssh_private_key_file !== undefined ? String(vars.ansible_ssh_private_key_file) : fromArgs.privateKeyFile,
      password: (vars.ansible_password ?? vars.ansible_ssh_pass) !== undefined ? String(vars.ansible_password ?? vars.ansible_ssh_pass) : undefined,
      knownHostsFile: vars.hoist_known_hosts !== undefined ? String(vars.hoist_known_hosts) : fromArgs.knownHostsFile,
    });
  }
  throw new InputError(`host ${host}: unknown ansible_connection '${kind}' (hoist knows local and ssh)`);
}
