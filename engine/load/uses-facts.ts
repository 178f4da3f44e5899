/**
 * Whether a play reads host facts, decided from its text when it loads: its
 * variables, tasks and handlers, its roles' variables, and the templates in
 * its roles' (and the playbook's) `templates/`. A play that does gathers
 * facts before its first task, in one round trip per host; one that does not
 * gathers nothing (a read this scan misses still gathers, when it happens).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Play } from "./playbook.ts";
import { walkTasks, type Task } from "./tasks.ts";

/** `ansible_` names that are connection settings or magic variables, not facts. */
const NOT_FACTS =
  "host|port|user|connection|password|ssh_\\w+|become\\w*|check_mode|diff_mode|play_\\w+|version|python_interpreter|private_key_file|shell_\\w+|run_tags|skip_tags|limit|inventory_sources|verbosity|loop|loop_var|index_var|parent_role_names|role_names|role_name|search_path|config_file|forks|playbook_python|collection_name|dependent_role_names|failed_task|failed_result";
const FACT_NAME = new RegExp(`\\bansible_(?!(?:${NOT_FACTS})\\b)\\w+|\\bansible_facts\\b`);

/**
 * True when any string inside `value` names a fact.
 *
 * @example
 * mentionsFacts({ msg: "{{ ansible_default_ipv4.address }}" }) // true
 * mentionsFacts({ host: "{{ ansible_host }}" })               // false
 */
export function mentionsFacts(value: unknown): boolean {
  if (typeof value === "string") return FACT_NAME.test(value);
  if (Array.isArray(value)) return value.some(mentionsFacts);
  if (value && typeof value === "object") return Object.values(value).some(mentionsFacts);
  return false;
}

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

/**
 * True when the play reads facts.
 *
 * @example
 * usesFacts(play) // true for a play templating {{ ansible_hostname }}
 */
export function usesFacts(play: Play): boolean {
  const tasks = [...walkTasks(play.tasks), ...walkTasks(play.handlers)];
  if (mentionsFacts(play.vars) || mentionsFacts([...play.loadedVarsFiles.values()])) return true;
  if (tasks.some((t) => mentionsFacts(taskText(t)))) return true;
  const roles = new Set(tasks.map((t) => t.role).filter((r) => r !== undefined));
  if ([...roles].some((r) => mentionsFacts([r.defaults, r.vars]))) return true;
  const templateDirs = [...[...roles].map((r) => join(r.dir, "templates")), join(dirname(resolve(play.file)), "templates")];
  return templateDirs.some((dir) => filesBelow(dir).some((f) => FACT_NAME.test(readFileSync(f, "utf8"))));
}
