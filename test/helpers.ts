/**
 * Shared test helpers: run playbook text through the real loader and
 * scheduler on the local connection, collecting results.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModules, type ModuleRegistry } from "../engine/load/registry.ts";
import { createRun, type RunOutcome, type RunRequest, type ReportedResult } from "../engine/run/run.ts";
import { LocalConnection } from "../engine/connection/local.ts";
import type { Connection } from "../engine/connection/types.ts";

const made: string[] = [];
// A suite's temporary directories go with it (thousands piled up in /tmp otherwise), unless
// HOIST_KEEP_LAB keeps a lab up to look into: its inventory is in one of them.
process.on("exit", () => {
  if (!process.env.HOIST_KEEP_LAB) for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A new temporary directory, removed when the suite's process exits.
 *
 * @example
 * const dir = tempDir(); // /tmp/hoist-test-Ab12Cd
 */
export function tempDir(prefix = "hoist-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export type Recorded = ReportedResult;

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

/**
 * The `hoist` command line in a child process, without blocking this one (a
 * server the command talks to may answer from this process): its exit code,
 * output and wall time; `signals` are sent that many ms after the start, and
 * `cwd` is where it runs.
 *
 * @example
 * const { status, stdout } = await hoistCli(["drift", "site.yaml"], { GITHUB_TOKEN: "…" });
 */
export function hoistCli(
  args: string[],
  env: Record<string, string> = {},
  options: { signals?: [number, NodeJS.Signals][]; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const bin = join(fileURLToPath(import.meta.url), "..", "..", "..", "bin", "hoist.js");
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    for (const [at, signal] of options.signals ?? []) setTimeout(() => child.kill(signal), at);
    child.on("close", (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}
