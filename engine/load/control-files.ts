/**
 * Files a task names on the control machine (`src:` of copy and template,
 * `lookup('file')`, `include_vars`), found where Ansible looks: in the task's
 * role (`files/`, `templates/` or `vars/`, the role itself, its `tasks/`),
 * then beside the playbook (the same subdirectory, then the directory).
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
/** What kind of file a task reads: it decides the subdirectory searched first. */
export type ControlFileKind = "files" | "templates" | "vars";

/**
 * The directories searched for a relative path, in order.
 *
 * @example
 * searchDirs("templates", "/srv/site/roles/web", "/srv/site") // [".../roles/web/templates", ".../roles/web", ".../roles/web/tasks", "/srv/site/templates", "/srv/site"]
 */
export function searchDirs(kind: ControlFileKind, roleDir: string | undefined, playbookDir: string): string[] {
  return [...(roleDir ? [join(roleDir, kind), roleDir, join(roleDir, "tasks")] : []), join(playbookDir, kind), playbookDir];
}

/**
 * The file a task means by `path`: itself when absolute, else the first match
 * on the search path; `confined` (the name came from a template) refuses one
 * outside the role and the playbook's directory.
 *
 * @example
 * findControlFile("nginx.conf.j2", "templates", "/srv/site/roles/web", "/srv/site") // "/srv/site/roles/web/templates/nginx.conf.j2"
 */
export function findControlFile(path: string, kind: ControlFileKind, roleDir: string | undefined, playbookDir: string, confined = false): string {
  const dirs = searchDirs(kind, roleDir, playbookDir);
  const found = isAbsolute(path) ? path : dirs.map((dir) => join(dir, path)).find((p) => existsSync(p));
  if (!found) throw new Error(`${path} not found on the control machine; looked in ${dirs.join(", ")}`);
  // A name made by a template may hold what a host answered: it stays inside the role and the playbook's directory.
  const inside = (dir: string | undefined) =>
    dir !== undefined && !relative(resolve(dir), resolve(found)).startsWith("..") && !isAbsolute(relative(resolve(dir), resolve(found)));
  if (confined && !inside(roleDir) && !inside(playbookDir))
    throw new Error(`${path}: a file name made by a template must stay inside the role and the playbook's directory`);
  return found;
}
