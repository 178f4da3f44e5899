/**
 * --tags and --skip-tags, with Ansible's special tags.
 *
 * @example
 * selectedByTags(task, ["web"], []) // true when the task is tagged web, or always
 */
import type { Task } from "../load/playbook.ts";

/**
 * Whether a task runs under `--tags` and `--skip-tags` (`always` and `never` as Ansible has
 * them).
 */
export function selectedByTags(task: Task, tags: string[], skipTags: string[]): boolean {
  const has = (t: string) => task.tags.includes(t);
  if (skipTags.some(has)) return false;
  if (has("always")) return true;
  if (tags.length === 0 || tags.includes("all")) return !has("never");
  return tags.some(has) || (tags.includes("tagged") && task.tags.length > 0) || (tags.includes("untagged") && task.tags.length === 0);
}
