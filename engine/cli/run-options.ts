/**
 * What `hoist run` and `hoist drift` share on the command line: the options
 * that say what to run, turned into a run request, and a run that Ctrl-C
 * ends cleanly.
 */
import { load as loadYamlValue } from "js-yaml";
import { loadYamlFile } from "../load/yaml.ts";
import { InputError, errorMessage } from "../errors.ts";
import { INTERRUPT_GRACE_MS, createRun, type RunOutcome, type RunRequest } from "../run/run.ts";
import { loadSettings } from "../load/settings.ts";
import type { Vars } from "../vars.ts";

function parseExtraVars(values: string[]): Vars {
  const out: Vars = {};
  for (const v of values) {
    if (v.startsWith("@")) {
      const doc = loadYamlFile(v.slice(1));
      if (!isMapping(doc.value)) throw new InputError("extra vars file must hold a mapping", doc.at([]));
      Object.assign(out, doc.value);
    } else if (v.trim().startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (e) {
        throw new InputError(`-e: invalid JSON: ${errorMessage(e)} in '${v}'`);
      }
      if (!isMapping(parsed)) throw new InputError(`-e: JSON extra vars must be an object, got '${v}'`);
      Object.assign(out, parsed);
    } else {
      for (const pair of v.split(/\s+(?=[\w.]+=)/)) {
        const eq = pair.indexOf("=");
        if (eq < 1) throw new InputError(`-e expects key=value, @file or JSON, got '${pair}'`);
        try {
          out[pair.slice(0, eq)] = loadYamlValue(pair.slice(eq + 1), { maxAliases: 0 }) ?? "";
        } catch (e) {
          throw new InputError(`-e: invalid value for '${pair.slice(0, eq)}': ${errorMessage(e).split("\n")[0]}`);
        }
      }
    }
  }
  return out;
}

const isMapping = (v: unknown): v is Vars => !!v && typeof v === "object" && !Array.isArray(v);

/** The options `hoist run` and `hoist drift` share: what the run is (for node:util's parseArgs). */
export const RUN_OPTIONS = {
  inventory: { type: "string", short: "i", multiple: true },
  limit: { type: "string", short: "l" },
  tags: { type: "string", short: "t", multiple: true },
  "skip-tags": { type: "string", multiple: true },
  "extra-vars": { type: "string", short: "e", multiple: true },
  forks: { type: "string", short: "f" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v", multiple: true },
  modules: { type: "string", multiple: true },
  "accept-new-host-keys": { type: "boolean" },
  "ask-become-pass": { type: "boolean", short: "K" },
  timeout: { type: "string", short: "T" },
  "lock-timeout": { type: "string" },
} as const;

/** The values parseArgs gives for RUN_OPTIONS. */
export interface RunOptionValues {
  inventory?: string[];
  limit?: string;
  tags?: string[];
  "skip-tags"?: string[];
  "extra-vars"?: string[];
  forks?: string;
  modules?: string[];
  "accept-new-host-keys"?: boolean;
  "ask-become-pass"?: boolean;
  timeout?: string;
  "lock-timeout"?: string;
}

const splitList = (l?: string[]) =>
  (l ?? [])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * The run request the shared options describe (all but check mode, diff and the reporter); bad values throw InputError.
 *
 * @example
 * const request = await requestFrom({ inventory: ["inventories/prod"], forks: "20" }, "site.yaml");
 */
export async function requestFrom(values: RunOptionValues, playbook: string): Promise<RunRequest> {
  const forks = Number(values.forks ?? 50);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError(`--forks must be a positive integer, got '${values.forks}'`);
  const inventories = values.inventory ?? [];
  if (inventories.length > 1) throw new InputError("give one -i (a directory may hold several inventory files)");
  const extraVars = parseExtraVars(values["extra-vars"] ?? []);
  const timeout = Number(values.timeout ?? 10);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InputError(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
  const lockTimeout = Number(values["lock-timeout"] ?? 60);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new InputError(`--lock-timeout must be a number of seconds, got '${values["lock-timeout"]}'`);
  const settings = await loadSettings();
  if (settings.ignored) process.stderr.write(`warning: ${settings.ignored}\n`);
  const becomePassword = values["ask-become-pass"] ? await (await import("./secret.ts")).readSecret("BECOME password: ") : undefined;
  return {
    playbook,
    inventory: inventories[0],
    limit: values.limit,
    tags: splitList(values.tags),
    skipTags: splitList(values["skip-tags"]),
    extraVars,
    forks,
    modules: values.modules,
    becomePassword,
    rolesPath: settings.rolesPath,
    factCache: settings.factCache,
    ssh: {
      acceptNewHostKeys: !!values["accept-new-host-keys"],
      connectTimeoutMs: timeout * 1000,
      attempts: 3,
      ...(settings.commandTimeoutMs ? { commandTimeoutMs: settings.commandTimeoutMs } : {}),
    },
    lockTimeoutMs: lockTimeout * 1000,
  };
}

/**
 * Run to the outcome; Ctrl-C and SIGTERM start nothing new, and end what still runs after INTERRUPT_GRACE_MS.
 *
 * @example
 * const outcome = await runInterruptible({ ...request, check: true });
 */
export async function runInterruptible(request: RunRequest): Promise<RunOutcome> {
  const interrupt = new AbortController();
  const onSignal = () => {
    interrupt.abort();
    process.stderr.write(`\ninterrupted: starting nothing new; commands still running in ${INTERRUPT_GRACE_MS / 1000} s are ended\n`);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await createRun({ ...request, signal: interrupt.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
