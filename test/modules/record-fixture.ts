/**
 * Records a planning fixture from a real host: runs a module's plan through
 * a probe that notes every fact value, file and stat the host gave, and writes
 * `test/modules/<module>/<case>.json` for fixtures.test.ts. Read the plan it
 * wrote before committing it: a fixture states what is right, not what is.
 *
 * @example
 * node dist/test/modules/record-fixture.js -i /var/lib/hoist-lab/dev/hosts.ini node1 sysctl forward-drift '{"name":"net.ipv4.ip_forward","value":1}' "live value drifted" [--check]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Probe } from "../../engine/module.ts";
import { createProbe, HostState } from "../../engine/host/probe.ts";
import { openConnection } from "../../engine/connection/index.ts";
import { loadInventory, hostVariables } from "../../engine/load/inventory.ts";
import { validateSchema } from "../../engine/load/validate.ts";
import { moduleNamed } from "../helpers.ts";

const argv = process.argv.slice(2);
const check = argv.includes("--check");
const [, inventory, host, moduleName, name, argsJson, about] = argv.filter((a) => a !== "--check");
const module = await moduleNamed(moduleName);
const args = JSON.parse(argsJson);
validateSchema(module.schema, args, { what: moduleName });
const conn = await openConnection(host, hostVariables(loadInventory(inventory), host), {
  ssh: { acceptNewHostKeys: false, connectTimeoutMs: 5000, attempts: 2 },
});
const real = createProbe(conn, new HostState(), { check });
const answers = { facts: [] as { fact: string; args: unknown; value: unknown }[], files: {} as Record<string, unknown>, stats: {} as Record<string, unknown> };
const probe: Probe = {
  ...real,
  async fact(fact, args) {
    const value = await real.fact(fact, args);
    if (!answers.facts.some((f) => f.fact === fact.name && JSON.stringify(f.args) === JSON.stringify(args)))
      answers.facts.push({ fact: fact.name, args, value });
    return value;
  },
  async remembered(fact, args) {
    const value = await real.remembered(fact, args);
    if (!answers.facts.some((f) => f.fact === fact.name && JSON.stringify(f.args) === JSON.stringify(args)))
      answers.facts.push({ fact: fact.name, args, value });
    return value;
  },
  async readFile(path) {
    const r = await real.readFile(path);
    answers.files[path] = r;
    return r;
  },
  async stat(path) {
    const r = await real.stat(path);
    answers.stats[path] = r;
    return r;
  },
  async statMany(paths) {
    const r = await real.statMany(paths);
    for (const [p, s] of r) answers.stats[p] = s;
    return r;
  },
};
const plan = await module.plan(args, probe, {
  render: (t) => t,
  playbookDir: ".",
  readLocal: async () => Buffer.from(""),
  readVars: async (file) => ({ file, vars: {} }),
  vars: {},
  test: () => true,
});
await conn.close();
const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "modules", moduleName);
mkdirSync(dir, { recursive: true });
const expect = {
  changes: plan.changes,
  steps: plan.steps,
  ...(plan.reason ? { reason: plan.reason } : {}),
  ...(plan.fail ? { fail: plan.fail } : {}),
  ...(plan.unknown ? { unknown: plan.unknown } : {}),
  ...(plan.result ? { result: plan.result } : {}),
};
const fixture = {
  about: /recorded on a lab host/.test(about) ? about : `${about} (recorded on a lab host)`,
  hostname: host,
  args,
  ...(check ? { check } : {}),
  host: answers,
  expect,
};
writeFileSync(join(dir, `${name}.json`), JSON.stringify(fixture, null, 2) + "\n");
console.log(JSON.stringify(expect, null, 2));
