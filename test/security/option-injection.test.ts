/**
 * Every module argument that reaches an argv on a host, tried with values
 * that would become an option, an expression, a glob or a second command.
 * Written in the playbook, each is refused when it loads (exit 4 territory:
 * an InputError naming file:line:col); arriving through a variable, the task
 * fails after rendering and before any command reaches the host (the real
 * local connection is watched for every command it is given).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPlaybook } from "../../engine/load/playbook.ts";
import { InputError } from "../../engine/errors.ts";
import { LocalConnection } from "../../engine/connection/local.ts";
import type { Connection } from "../../engine/connection/types.ts";
import { modules, runPlaybook, tempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

const OPTIONS = ["-oDpkg::Pre-Invoke::=touch /tmp/pwned", "--help", "-delete", "-rf", "-", "--", "-x=1"];
const SHELLISH = ["a;id", "$(id)", "`id`", "a b", "x\nid", "a|b", "(", "!", ""];
const GLOBS = ["inj-*", "a?", "[ab]"];
const RELATIVE = ["relative/path", "../etc/passwd", "~root", "./x", "-delete"];

/** [module, argument, base arguments, hostile values]; `[]` in the name puts the value in a list. */
const TARGETS: [string, string, Record<string, unknown>, string[]][] = [
  ["apt", "name", {}, [...OPTIONS, ...SHELLISH, ...GLOBS, "Hello", "pkg/evil"]],
  ["apt", "name[]", {}, [...OPTIONS, ...SHELLISH, ...GLOBS]],
  ["apt", "deb", {}, [...OPTIONS, ...RELATIVE, "ftp://x/y.deb"]],
  ["file", "path", { state: "directory" }, [...OPTIONS, ...RELATIVE, ""]],
  ["file", "owner", { path: "/tmp/x" }, [...OPTIONS, ...SHELLISH, "a:b"]],
  ["file", "group", { path: "/tmp/x" }, [...OPTIONS, ...SHELLISH, "a:b"]],
  ["systemd", "name", { state: "restarted" }, [...OPTIONS, ...SHELLISH, ...GLOBS]],
  ["systemd", "path", { name: "x", content: "[Unit]\n" }, [...OPTIONS, ...RELATIVE]],
  ["snap", "name", {}, [...OPTIONS, ...SHELLISH, ...GLOBS, "Upper"]],
  ["snap", "channel", { name: "lxd" }, [...OPTIONS, ...SHELLISH]],
  ["sysctl", "name", { value: "1" }, [...OPTIONS, ...SHELLISH, ...GLOBS]],
  ["sysctl", "sysctl_file", { name: "vm.swappiness", value: "1" }, [...OPTIONS, ...RELATIVE]],
  ["swap", "path", { state: "present", size: "1M" }, [...OPTIONS, ...RELATIVE]],
  ["command", "chdir", { argv: ["true"] }, [...OPTIONS, ...RELATIVE]],
  ["copy", "dest", { content: "x" }, [...OPTIONS, ...RELATIVE]],
  ["template", "dest", { src: "t.j2" }, [...OPTIONS, ...RELATIVE]],
  ["get_url", "url", { dest: "/tmp/x" }, [...OPTIONS, ...SHELLISH, "file:///etc/passwd", "ftp://x/y"]],
  ["get_url", "dest", { url: "http://x/y" }, [...OPTIONS, ...RELATIVE]],
  ["get_url", "owner", { url: "http://x/y", dest: "/tmp/x" }, [...OPTIONS, ...SHELLISH, "a:b"]],
  ["wait_for", "host", { port: 22 }, [...OPTIONS, ...SHELLISH]],
  ["wait_for", "path", {}, [...OPTIONS, ...RELATIVE]],
  ["haproxy", "host", { state: "drain" }, [...OPTIONS, ...SHELLISH]],
  ["haproxy", "backend", { host: "web1", state: "drain" }, [...OPTIONS, ...SHELLISH]],
  ["haproxy", "socket", { host: "web1", state: "drain" }, [...OPTIONS, ...RELATIVE]],
  ["pki", "key", { state: "request", cert: "/c", common_name: "x" }, [...OPTIONS, ...RELATIVE]],
  // A space is a common name's own (Kubernetes Admin); it reaches openssl as one argument.
  ["pki", "common_name", { state: "request", key: "/k", cert: "/c" }, [...OPTIONS, ...SHELLISH.filter((s) => s !== "a b"), "x/CN=evil", "a=b"]],
  ["pki", "sans[]", { state: "request", key: "/k", cert: "/c", common_name: "x" }, [...OPTIONS, ...SHELLISH, "a,email:x"]],
  [
    "kubectl_apply",
    "kubectl",
    { definition: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } },
    [...OPTIONS, ...RELATIVE.filter((r) => r !== "relative/path"), "a;id", "$(id)", "`id`"],
  ],
  ["kubectl_apply", "kubeconfig", { definition: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } }, [...OPTIONS, ...RELATIVE]],
  // A space belongs to selectors (`tier in (a,b)`); it reaches kubectl inside one --selector= argument.
  [
    "kubectl_apply",
    "prune.selector",
    { definition: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } },
    [...OPTIONS, ...SHELLISH.filter((s) => s !== "a b"), "a=b;id"],
  ],
  ["kubectl_apply", "prune.kinds[]", { definition: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } }, [...OPTIONS, ...SHELLISH, "secrets,-A"]],
  ["kubeconfig", "path", { cluster: { name: "c", server: "https://x" }, user: { name: "u" } }, [...OPTIONS, ...RELATIVE]],
  ["nfs_exports", "path", { name: "x", clients: [{ host: "*" }] }, [...OPTIONS, ...RELATIVE, "/srv/a b"]],
  ["nfs_exports", "name", { path: "/srv/x", clients: [{ host: "*" }] }, [...OPTIONS, ...SHELLISH, "../x", ".hidden"]],
  ["nfs_exports", "owner", { name: "x", path: "/srv/x", clients: [{ host: "*" }] }, [...OPTIONS, ...SHELLISH, "a:b"]],
  ["group", "name", {}, [...OPTIONS, ...SHELLISH, ...GLOBS, ...RELATIVE, "Root", "a:b", "x".repeat(40)]],
  ["group", "name", { state: "absent" }, [...OPTIONS, ...SHELLISH]],
];

/** The arguments with `value` at `arg`: `a.b` nests, a trailing `[]` puts it in a list after a valid item. */
function argsWith(arg: string, base: Record<string, unknown>, value: unknown): Record<string, unknown> {
  const [outer, inner] = arg.split(".");
  const at = inner ?? outer;
  const leaf = at.endsWith("[]") ? { [at.slice(0, -2)]: [at.startsWith("kinds") ? "ConfigMap" : "ok-package", value] } : { [at]: value };
  return inner ? { ...base, [outer]: { ...(outer === "prune" && at !== "selector" ? { selector: "app=x" } : {}), ...leaf } } : { ...base, ...leaf };
}

test("written in the playbook: refused when it loads, naming file:line:col", async () => {
  const registry = await modules();
  const dir = tempDir();
  let tried = 0;
  const accepted: string[] = [];
  for (const [module, arg, base, values] of TARGETS) {
    for (const value of values) {
      tried++;
      const file = join(dir, `pb${tried}.yaml`);
      writeFileSync(file, `- hosts: all\n  tasks:\n    - ${module}: ${JSON.stringify(argsWith(arg, base, value))}\n`);
      try {
        await loadPlaybook(file, registry);
        accepted.push(`${module} ${arg}=${JSON.stringify(value)}`);
      } catch (e) {
        if (!(e instanceof InputError) || !/:3:\d+: /.test(e.message)) accepted.push(`${module} ${arg}=${JSON.stringify(value)}: ${(e as Error).message}`);
      }
    }
  }
  tally("option injection, written in the playbook", tried, tried - accepted.length);
  assert.deepEqual(accepted, []);
});

test("through a variable: the task fails after rendering, and no command reaches the host", async () => {
  let tried = 0;
  const ran: string[] = [];
  const leaked: string[] = [];
  const watched = async (host: string): Promise<Connection> => {
    const real = new LocalConnection(host);
    return {
      host,
      exec: (command, options) => {
        ran.push(command);
        return real.exec(command, options);
      },
      close: () => real.close(),
    };
  };
  for (const [module, arg, base, values] of TARGETS) {
    for (const value of values) {
      tried++;
      ran.length = 0;
      const out = await runPlaybook(`- hosts: all\n  tasks:\n    - name: t\n      ${module}: ${JSON.stringify(argsWith(arg, base, "{{ hostile }}"))}\n`, {
        inventory: "localhost ansible_connection=local\n",
        connect: watched,
        extraVars: { hostile: value },
        check: true,
      });
      const r = out.byTask("t");
      if (r.status !== "failed" || ran.length > 0)
        leaked.push(`${module} ${arg}=${JSON.stringify(value)}: ${r.status} ${r.msg ?? ""}; ran ${ran.length} commands`);
    }
  }
  tally("option injection, through a variable", tried, tried - leaked.length);
  assert.deepEqual(leaked, []);
});
