/**
 * Bad input is refused before any host is touched: exit 4, file:line:col
 * where there is a file, and never a stack trace. Each case runs the real CLI
 * on a playbook whose first task would leave a marker on the (local) host;
 * the marker must not appear. Cases come from the hostile review's list and
 * from generated variants of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

const root = resolve(new URL("../../..", import.meta.url).pathname);

interface Case {
  name: string;
  /** Tasks after the marker task (YAML lines under `tasks:`), or a whole playbook. */
  tasks?: string;
  playbook?: string | Buffer;
  play?: string;
  inventory?: string;
  inventoryName?: string;
  files?: Record<string, string>;
  args?: string[];
  /** The file the error must point at, with line and column; undefined: no file. */
  at?: string;
  says: RegExp;
}

const bomb = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  ...Array.from({ length: 8 }, (_, i) => `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i]}`).join(", ")}]`),
];

const cases: Case[] = [
  { name: "invalid ~regex in hosts", play: "hosts: '~['", at: "site.yaml", says: /invalid regular expression/ },
  {
    name: "invalid ~regex in needs",
    tasks: "    - { id: a, debug: { msg: a } }\n    - { debug: { msg: b }, needs: ['a@~('] }",
    at: "site.yaml",
    says: /needs 'a@~\('.*invalid regular expression/,
  },
  {
    name: "vars_files with broken YAML",
    play: "hosts: all\n  vars_files: [bad.yaml]",
    files: { "bad.yaml": "a: [1,\n" },
    at: "bad.yaml",
    says: /invalid YAML/,
  },
  { name: "vars_files naming a directory", play: "hosts: all\n  vars_files: [adir]", files: { "adir/x": "" }, at: "adir", says: /EISDIR/ },
  {
    name: "vars_files holding a list",
    play: "hosts: all\n  vars_files: [list.yaml]",
    files: { "list.yaml": "- 1\n- 2\n" },
    at: "list.yaml",
    says: /must hold a mapping/,
  },
  {
    name: "templated vars_files naming a broken file",
    play: "hosts: all\n  vars: { f: bad.yaml }\n  vars_files: ['{{ f }}']",
    files: { "bad.yaml": "a: {\n" },
    at: "bad.yaml",
    says: /invalid YAML/,
  },
  {
    name: "include_vars of a broken file",
    tasks: "    - include_vars: bad.yaml",
    files: { "bad.yaml": "a: [1,\n" },
    at: "bad.yaml",
    says: /invalid YAML/,
  },
  {
    name: "include_vars of a file holding a list",
    tasks: "    - include_vars: { file: list.yaml, name: x }",
    files: { "list.yaml": "- 1\n" },
    at: "list.yaml",
    says: /must hold a mapping/,
  },
  { name: "loop: 5", tasks: "    - { debug: { msg: x }, loop: 5 }", at: "site.yaml", says: /loop needs a list/ },
  { name: "loop: a plain string", tasks: "    - { debug: { msg: x }, loop: abc }", at: "site.yaml", says: /loop needs a list/ },
  { name: "unterminated quote in a free-form command", tasks: '    - command: echo "unterminated', at: "site.yaml", says: /unterminated " quote/ },
  { name: "when: a mapping", tasks: "    - { debug: { msg: x }, when: { a: 1 } }", at: "site.yaml", says: /when needs a condition/ },
  {
    name: "changed_when: a number list",
    tasks: "    - { command: 'true', changed_when: [{ a: 1 }] }",
    at: "site.yaml",
    says: /changed_when needs a condition/,
  },
  {
    name: "non-UTF-8 playbook bytes",
    playbook: Buffer.concat([Buffer.from('- hosts: all\n  tasks:\n    - debug: { msg: "caf'), Buffer.from([0xe9]), Buffer.from('" }\n')]),
    at: "site.yaml:3:",
    says: /not UTF-8/,
  },
  { name: "YAML alias bomb in vars", play: `hosts: all\n  vars:\n${bomb.map((l) => "    " + l).join("\n")}`, at: "site.yaml", says: /alias bomb/ },
  {
    name: "apt package name that is an option",
    tasks: "    - apt: { name: '-oDpkg::Pre-Invoke::=touch /tmp/pwned' }",
    at: "site.yaml",
    says: /must match pattern/,
  },
  {
    name: "file path that is a find action (--check)",
    tasks: "    - file: { path: '-delete', state: directory, recurse: true, mode: '0700' }",
    args: ["--check"],
    at: "site.yaml",
    says: /must match pattern/,
  },
  { name: "systemd unit glob", tasks: "    - systemd: { name: 'inj-*', state: restarted }", at: "site.yaml", says: /must match pattern/ },
  { name: "misspelt module", tasks: "    - fiel: { path: /tmp/x }", at: "site.yaml", says: /did you mean 'file'/ },
  { name: "-e with unterminated JSON", args: ["-e", '{"a": 1'], says: /-e: invalid JSON/ },
  { name: "-e with JSON5-style keys", args: ["-e", "{a: 1}"], says: /-e: invalid JSON/ },
  { name: "-e with bad YAML", args: ["-e", "a=[1,2"], says: /-e: invalid value for 'a'/ },
  { name: "-e @file holding a list", args: ["-e", "@LIST"], files: { "list.yaml": "- 1\n" }, at: "list.yaml", says: /must hold a mapping/ },
  { name: "-e @file with broken YAML", args: ["-e", "@BAD"], files: { "bad.yaml": "a: [\n" }, at: "bad.yaml", says: /invalid YAML/ },
  { name: "--limit with an invalid ~regex", args: ["--limit", "~("], says: /--limit: .*invalid regular expression/ },
  { name: "--timeout abc", args: ["--timeout", "abc"], says: /--timeout must be a positive number/ },
  { name: "--forks 0", args: ["--forks", "0"], says: /--forks must be a positive integer/ },
  { name: "inventory value with a bad escape", inventory: 'localhost ansible_connection=local a="\\q"\n', at: "hosts", says: /invalid escape/ },
  { name: "inventory value with an unterminated quote", inventory: 'localhost ansible_connection=local a="x\n', at: "hosts", says: /unterminated " quote/ },
  {
    name: "YAML inventory range node[1:b]",
    inventory: "all:\n  hosts:\n    node[1:b]:\n",
    inventoryName: "hosts.yaml",
    at: "hosts.yaml:3:",
    says: /invalid host range/,
  },
  { name: "INI range of twenty million hosts", inventory: "node[1:20000000]\n", at: "hosts:1:", says: /more than 100000/ },
  { name: "ansible_port=abc", inventory: "localhost ansible_connection=local ansible_port=abc\n", at: "hosts:1:", says: /ansible_port must be a port number/ },
  {
    name: "ansible_port=99999",
    inventory: "[all:vars]\nansible_port=99999\n[g]\nlocalhost ansible_connection=local\n",
    at: "hosts:2:",
    says: /ansible_port must be a port number/,
  },
  { name: "ansible_connection=telnet", inventory: "localhost ansible_connection=telnet\n", at: "hosts:1:", says: /ansible_connection must be ssh or local/ },
  {
    name: "ansible_become=maybe",
    inventory: "localhost ansible_connection=local ansible_become=maybe\n",
    at: "hosts:1:",
    says: /ansible_become must be a boolean/,
  },
  {
    name: "ansible_become=maybe in group_vars",
    inventory: "[g]\nlocalhost ansible_connection=local\n",
    files: { "group_vars/g.yaml": "x: 1\nansible_become: maybe\n" },
    at: "g.yaml:2:",
    says: /ansible_become must be a boolean/,
  },
];

// Generated variants: every bad `-e` shape, every bad port, every unknown connection type.
for (const e of ['{"a":', "[1, 2]", '{"a": 1}}', "a={{", "a=&x *x", "a=[", "=1"]) cases.push({ name: `-e ${e}`, args: ["-e", e], says: /-e/ });
for (const port of ["0", "-1", "65536", "22.5", "22a", "''"])
  cases.push({ name: `ansible_port=${port}`, inventory: `localhost ansible_connection=local ansible_port=${port}\n`, at: "hosts:1:", says: /ansible_port/ });
for (const conn of ["telnet", "docker", "winrm", "ssh2"])
  cases.push({ name: `ansible_connection=${conn}`, inventory: `localhost ansible_connection=${conn}\n`, at: "hosts:1:", says: /ansible_connection/ });
for (const re of ["~(", "~[a-", "~*", "~a)"])
  cases.push({ name: `hosts '${re}'`, play: `hosts: '${re}'`, at: "site.yaml", says: /invalid regular expression/ });

function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(root, "bin/hoist.js"), ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stderr, ms: Date.now() - started });
    });
  });
}

async function tryCase(c: Case): Promise<string | undefined> {
  const dir = tempDir("hoist-bad-");
  const marker = join(dir, "touched");
  for (const [name, text] of Object.entries(c.files ?? {})) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const play = c.play ?? "hosts: all";
  const playbook = c.playbook ?? `- ${play}\n  tasks:\n    - file: { path: ${marker}, state: touch }\n${c.tasks ?? ""}\n`;
  writeFileSync(join(dir, "site.yaml"), playbook);
  const inventoryFile = join(dir, c.inventoryName ?? "hosts");
  writeFileSync(inventoryFile, c.inventory ?? "localhost ansible_connection=local\n");
  const args = (c.args ?? []).map((a) => a.replace("@LIST", `@${join(dir, "list.yaml")}`).replace("@BAD", `@${join(dir, "bad.yaml")}`));
  const r = await runCli(["run", join(dir, "site.yaml"), "-i", inventoryFile, ...args], dir);
  const problems: string[] = [];
  if (r.code !== 4) problems.push(`exit ${r.code}`);
  if (/\n\s+at .*:\d+:\d+\)?\n/.test(r.stderr)) problems.push("stack trace");
  if (!c.says.test(r.stderr)) problems.push(`message does not say ${c.says}`);
  if (
    c.at !== undefined &&
    !new RegExp(`${c.at.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${c.at.endsWith(":") ? "" : ":"}\\d+:\\d+: `).test(r.stderr) &&
    !r.stderr.includes(c.at)
  )
    problems.push(`no ${c.at}:line:col`);
  if (existsSync(marker)) problems.push("a host was touched");
  if (r.ms > 10000) problems.push(`took ${r.ms} ms`);
  return problems.length ? `${c.name}: ${problems.join(", ")}\n    ${r.stderr.trim().split("\n").slice(0, 3).join("\n    ")}` : undefined;
}

test("bad input: exit 4, file:line:col, no stack trace, no host touched", async () => {
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    const results = await Promise.all(cases.slice(i, i + 4).map(tryCase));
    failures.push(...results.filter((r): r is string => r !== undefined));
  }
  tally("bad input refused before any host is touched", cases.length, cases.length - failures.length);
  assert.deepEqual(failures, []);
});
