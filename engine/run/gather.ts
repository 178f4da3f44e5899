/**
 * Host facts (`gather_facts`). The module that says it gathers facts
 * (`setup`) reads them in one round trip per host; a play whose text reads
 * facts gathers them before its first task, and any other read of one (a
 * template file, `hostvars` of a host outside the play) gathers them when it
 * happens. Facts stay for the run; with a cache (`fact_caching: jsonfile`)
 * they are kept in one JSON file per host and reused while younger than the
 * timeout.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createProbe } from "../host/probe.ts";
import { trustedDir, writePrivateFile } from "../host/private-file.ts";
import { errorMessage } from "../errors.ts";
import { data, type DataLayer } from "../template/vars.ts";
import type { Vars } from "../vars.ts";
import { FactsPending, FactsUnknown } from "../template/unavailable.ts";
import type { PlanContext } from "../module.ts";
import type { ModuleInfo } from "../load/registry.ts";
import type { FactCache, HostRun, KnownFacts } from "./host-run.ts";
import type { RunContext } from "./context.ts";

/** Facts as templates read them: `ansible_facts.<name>` and `ansible_<name>`. */
export function factVariables(facts: Vars): Vars {
  const out: Vars = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}

/** Merge facts a module returned (`Plan.hostFacts`) into what the run knows of `host`. */
export function addFacts(host: HostRun, facts: Vars, groups: Set<string> | "all" = new Set()): void {
  const known = host.hostFacts && "facts" in host.hostFacts ? host.hostFacts : { facts: {}, groups: new Set<string>() };
  const merged = known.groups === "all" || groups === "all" ? "all" : new Set([...known.groups, ...groups]);
  host.hostFacts = { facts: { ...known.facts, ...facts }, groups: merged };
}

/**
 * The layer of `host`'s facts for templates: the facts known, as data, and,
 * when facts may be gathered, a getter for each fact of a group not gathered
 * yet that looks again when read and, while there is nothing, throws
 * (FactsPending: the runner gathers that group and tries again;
 * FactsUnknown: the task is unknown in check mode).
 *
 * @example
 * scope(magic, inventoryVars, factsLayer(host, { hostname: "platform" }, true), playVars)
 */
export function factsLayer(host: HostRun, groupOf: Readonly<Record<string, string>>, gather: boolean): DataLayer | undefined {
  const known = host.hostFacts;
  if (!known && !gather) return undefined;
  const cached = layers.get(host);
  if (cached && cached.known === known && cached.gather === gather) return cached.layer;
  const values: Vars = known && "facts" in known ? factVariables(known.facts) : {};
  const missing = (group: string) => !known || "unknown" in known || (known.groups !== "all" && !known.groups.has(group));
  if (gather) {
    const pending = (name: string, group: string | undefined) =>
      Object.defineProperty(values, name, {
        enumerable: true,
        get() {
          const now = host.hostFacts;
          if (now && "facts" in now && (group === undefined ? now.groups === "all" : now.groups === "all" || now.groups.has(group))) {
            return factVariables(now.facts)[name];
          }
          throw now && "unknown" in now ? new FactsUnknown(host.name, now.unknown) : new FactsPending(host.name, group);
        },
      });
    if (!known || "unknown" in known || known.groups !== "all") pending("ansible_facts", undefined);
    for (const [fact, group] of Object.entries(groupOf)) if (missing(group)) pending(`ansible_${fact}`, group);
  }
  const layer = data(values);
  layers.set(host, { known, gather, layer });
  return layer;
}

const layers = new WeakMap<HostRun, { known: KnownFacts | undefined; gather: boolean; layer: DataLayer }>();

/** What a cache entry holds: the facts, and which groups of them were gathered (a `gather_subset` run keeps a part). */
const GROUPS_KEY = "hoist_gathered_groups";

/** The cached facts of `host` when fresh, trusted and holding every group asked for. */
function readCache(cache: FactCache, host: string, groups: Set<string> | "all"): { facts: Vars; groups: Set<string> | "all" } | undefined {
  const file = join(cache.dir, host);
  // A cache in a directory others can write holds what they put there.
  if (!trustedDir(cache.dir)) return undefined;
  try {
    const age = (Date.now() - statSync(file).mtimeMs) / 1000;
    if (cache.timeoutS > 0 && age > cache.timeoutS) return undefined;
    const facts = JSON.parse(readFileSync(file, "utf8"));
    if (!facts || typeof facts !== "object" || Array.isArray(facts)) return undefined;
    const { [GROUPS_KEY]: kept, ...rest } = facts as Vars;
    // An entry without the key was written whole (by an earlier hoist, or Ansible).
    const had: Set<string> | "all" = Array.isArray(kept) ? new Set(kept.map(String)) : "all";
    const covers = had === "all" || (groups !== "all" && [...groups].every((g) => had.has(g)));
    return covers ? { facts: rest, groups: had } : undefined;
  } catch {
    return undefined; // No cache entry, or a broken one: gather.
  }
}

let cacheWarned = false;

/** Written whole (temporary file, rename) and readable only by its owner: facts hold the host's environment. */
function writeCache(cache: FactCache, host: HostRun): void {
  const known = host.hostFacts;
  if (!known || !("facts" in known)) return;
  const entry = known.groups === "all" ? known.facts : { ...known.facts, [GROUPS_KEY]: [...known.groups].sort() };
  try {
    writePrivateFile(join(cache.dir, host.name), JSON.stringify(entry));
  } catch (e) {
    // A cache that cannot be written costs the next run a gathering, never this run its facts.
    if (!cacheWarned) process.stderr.write(`warning: the fact cache is not written: ${errorMessage(e)}\n`);
    cacheWarned = true;
  }
}

/** The module that gathers facts, and the names it gathers. */
export function factsModule(ctx: RunContext): ModuleInfo | undefined {
  return ctx.registry.infos().find((m) => m.gathersFacts);
}

/** Gatherings under way, by host and subset: two readers of the same facts wait for one. */
const gathering = new WeakMap<HostRun, Map<string, Promise<void>>>();

/**
 * Gather `host`'s facts now (`groups`: which groups `subset` asks for, to
 * merge with those gathered before), from the cache when it holds them fresh. In check mode, facts an earlier planned change makes
 * unknowable are recorded as unknown.
 *
 * @example
 * await gatherFacts(ctx, host, ["all"]);
 */
export function gatherFacts(ctx: RunContext, host: HostRun, subset: string[], playbookDir: string, groups: Set<string> | "all" = "all"): Promise<void> {
  const key = subset.join(",");
  const underway = gathering.get(host) ?? gathering.set(host, new Map()).get(host)!;
  const running = underway.get(key);
  if (running) return running;
  const p = (async () => {
    const cache = ctx.options.factCache;
    const cached = cache && readCache(cache, host.name, groups);
    if (cached) {
      addFacts(host, cached.facts, cached.groups);
      return;
    }
    const info = factsModule(ctx);
    if (!info) throw new Error("gather_facts: no module gathers facts (the setup module is missing)");
    const [module] = await ctx.registry.load([info.name]);
    const conn = await host.connect();
    let unknown: string | undefined;
    const probe = createProbe(conn, host.state, { check: ctx.options.check, onUnknown: (_read, because) => (unknown ??= because) });
    // The gathering module reads the host only; it renders and reads nothing on the control machine.
    const context: PlanContext = {
      render: (t) => t,
      playbookDir,
      readLocal: () => Promise.reject(new Error("facts are read from the host")),
      readVars: () => Promise.reject(new Error("facts are read from the host")),
      vars: {},
      test: () => false,
    };
    const plan = await module.plan({ gather_subset: subset }, probe, context);
    if (plan.fail) throw new Error(plan.fail);
    if (unknown !== undefined) host.hostFacts = { unknown };
    else {
      addFacts(host, plan.hostFacts ?? {}, groups);
      if (cache) writeCache(cache, host);
    }
  })().finally(() => underway.delete(key));
  underway.set(key, p);
  return p;
}
