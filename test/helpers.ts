/**
 * Shared test helpers: run playbook text through the real loader and
 * scheduler on the local connection, collecting results.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModules, type ModuleRegistry } from "../engine/load/registry.ts";
import { createRun, type RunOutcome, type RunRequest, type RunResult } from "../engine/run/run.ts";
import { LocalConnection } from "../engine/connection/local.ts";
import type { Connection } from "../engine/connection/types.ts";

export function tempDir(prefix = "hoist-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type Recorded = RunResult;

let registry: Promise<ModuleRegistry> | undefined;
export const modules = (extra: string[] = []) => (extra.length ? loadModules(extra) : (registry ??= loadModules()));

/** Every built-in module, imported. */
export const allModules = async () => (await modules()).loadAll();

/** One built-in module, imported (by any of its names). */
export async function moduleNamed(name: string) {
  const r = await modules();
  await r.load([name]);
  return r.require(name);
}

/**
 * Run playbook YAML against an INI inventory through the one run API
 * (`createRun`); every host is on the local connection unless `connect` says otherwise.
 *
 * @example
 * const out = await runPlaybook(`- hosts: all\n  tasks: [{ debug: { msg: hi } }]`);
 */
export async function runPlaybook(
  playbook: string,
  options: Omit<RunRequest, "playbook" | "inventory" | "connect"> & { inventory?: string; connect?: (host: string) => Promise<Connection> } = {},
): Promise<RunOutcome> {
  const dir = tempDir();
  const file = join(dir, "playbook.yaml");
  writeFileSync(file, playbook);
  const inventory = join(dir, "hosts");
  writeFileSync(inventory, options.inventory ?? "localhost ansible_connection=local\n");
  const connect = options.connect ?? (async (host: string) => new LocalConnection(host));
  return createRun({ ...options, playbook: file, inventory, connect: (host) => connect(host) });
}

/** Write a playbook file and return its path (for loader error tests). */
export function writePlaybook(text: string, name = "playbook.yaml"): string {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
