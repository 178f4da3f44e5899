/**
 * The static scan: does each public role load in hoist, unchanged? For every
 * role of the repositories given (a directory with tasks/), a one-play
 * playbook applying it is loaded and validated as `hoist run` would before
 * touching a host; the first thing that stops it is counted. Fetched mirrors
 * (git directories) are read with `git archive`.
 *
 * @example
 * node dist/bench/scan-roles.js /work/.mirror/geerlingguy+ansible-role-nginx/repo …
 */
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { loadModules } from "../engine/load/registry.ts";
import { loadPlaybook } from "../engine/load/playbook.ts";
import { errorMessage } from "../engine/errors.ts";

function rolesIn(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith(".") || ["molecule", "tests", "node_modules"].includes(name) || !statSync(p).isDirectory()) continue;
      if (existsSync(join(p, "tasks")) && statSync(join(p, "tasks")).isDirectory()) out.push(p);
      else walk(p);
    }
  };
  if (existsSync(join(root, "tasks"))) out.push(root);
  else walk(root);
  return out;
}

const registry = await loadModules();
const results: { role: string; error?: string }[] = [];
for (const gitDir of process.argv.slice(2)) {
  const tree = mkdtempSync(join(tmpdir(), "hoist-scan-"));
  execSync(`git --git-dir=${gitDir} archive HEAD | tar -x -C ${tree}`);
  const repo = basename(dirname(gitDir)).replace("+", "/");
  // Roles of a collection refer to each other by short name when installed side by side.
  const rolesDir = mkdtempSync(join(tmpdir(), "hoist-scan-roles-"));
  const roles = rolesIn(tree);
  mkdirSync(join(rolesDir, "roles"));
  for (const r of roles) {
    const name = r === tree ? repo.split("/")[1].replace(/^ansible-role-/, "") : basename(r);
    if (!existsSync(join(rolesDir, "roles", name))) symlinkSync(r, join(rolesDir, "roles", name));
  }
  for (const r of roles) {
    const name = r === tree ? repo.split("/")[1].replace(/^ansible-role-/, "") : basename(r);
    const playbook = join(rolesDir, `${name}.yml`);
    writeFileSync(playbook, `- hosts: all\n  roles:\n    - role: ${name}\n`);
    const label = `${repo}${r === tree ? "" : `:${relative(tree, r)}`}`;
    try {
      await loadPlaybook(playbook, registry);
      results.push({ role: label });
    } catch (e) {
      results.push({
        role: label,
        error: errorMessage(e)
          .replace(/\/tmp\/hoist-scan-[^/]+\//g, "")
          .split("\n")[0]
          .slice(0, 200),
      });
    }
  }
}
const loaded = results.filter((r) => !r.error);
console.log(`roles that load unchanged: ${loaded.length} of ${results.length}`);
for (const r of results) console.log(`${r.error ? "FAIL" : "ok  "} ${r.role}${r.error ? `: ${r.error}` : ""}`);
