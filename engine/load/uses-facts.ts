/**
 * Which host facts a play reads, decided from its text when it loads: its
 * variables, tasks and handlers, its roles' variables, and the templates in
 * its roles' (and the playbook's) `templates/`. A play gathers the groups of
 * those facts before its first task, in one round trip per host, and nothing
 * when it reads none (a read this scan misses still gathers, when it happens).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Play, Task } from "./shapes.ts";
import { walkTasks } from "./tasks.ts";

/** `ansible_` names that are connection settings or magic variables, not facts. */
const NOT_FACTS =
  "host|port|user|connection|password|ssh_\\w+|become\\w*|check_mode|diff_mode|play_\\w+|version|python_interpreter|private_key_file|shell_\\w+|run_tags|skip_tags|limit|inventory_sources|verbosity|loop|loop_var|index_var|parent_role_names|role_names|role_name|search_path|config_file|forks|playbook_python|collection_name|dependent_role_names|failed_task|failed_result";

/** Files below `dir` (templates are small and few; a bound keeps a huge tree from being read). */
function filesBelow(dir: string, limit = 500): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (out.length >= limit) return;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return out;
}

const taskText = (t: Task) => [t.args, t.when, t.loop, t.vars, t.changedWhen, t.failedWhen, t.until, t.delegateTo, t.loopLabel];

/** The facts a text names, without `ansible_`; `*` for `ansible_facts` read whole. */
function namesIn(text: string, into: Set<string>): void {
  for (const m of text.matchAll(FACT_NAMES)) {
    if (m[1] !== undefined) into.add(m[1]);
    else into.add(m[2] ?? m[3] ?? "*");
  }
}
const FACT_NAMES = new RegExp(`\\bansible_(?!(?:${NOT_FACTS}|facts)\\b)(\\w+)|\\bansible_facts(?:\\.(\\w+)|\\[["'](\\w+)["']\\])?`, "g");

function collect(value: unknown, into: Set<string>): void {
  if (typeof value === "string") namesIn(value, into);
  else if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (value && typeof value === "object") for (const v of Object.values(value)) collect(v, into);
}

/**
 * The facts the play reads (names without `ansible_`, `*` for all of
 * them); empty when it reads none.
 *
 * @example
 * factsRead(play, new Map()) // ["hostname", "default_ipv4"] for a play templating {{ ansible_hostname }} and {{ ansible_default_ipv4.address }}
 */
export function factsRead(play: Play, templateCache: Map<string, Set<string>> = new Map()): string[] {
  const names = new Set<string>();
  const tasks = [...walkTasks(play.tasks), ...walkTasks(play.handlers)];
  collect([play.vars, [...play.loadedVarsFiles.values()], tasks.map(taskText)], names);
  const roles = new Set(tasks.map((t) => t.role).filter((r) => r !== undefined));
  for (const r of roles) collect([r.defaults, r.vars], names);
  const templateDirs = [...[...roles].map((r) => join(r.dir, "templates")), join(dirname(resolve(play.file)), "templates")];
  for (const dir of templateDirs) for (const n of templateFacts(dir, templateCache)) names.add(n);
  return [...names].sort();
}

/** The facts a templates directory names, read once per `cache` (one playbook load: its plays share the playbook's directory). */
function templateFacts(dir: string, cache: Map<string, Set<string>>): Set<string> {
  let found = cache.get(dir);
  if (!found) {
    found = new Set();
    for (const f of filesBelow(dir)) namesIn(readFileSync(f, "utf8"), found);
    cache.set(dir, found);
  }
  return found;
}
