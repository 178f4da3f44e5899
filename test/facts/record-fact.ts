/**
 * Records a fact fixture from a real host: reads the fact there and writes
 * `test/facts/<Name>/<case>.json` with the command, the host's answer and the
 * parsed value. Read the value before committing it: a fixture states what
 * is right, not only what is.
 *
 * @example
 * node dist/test/facts/record-fact.js /var/lib/hoist-lab/dev/hosts.ini node1 DebFile hello '{"path":"/tmp/hello.deb"}' "a .deb's name and version"
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Fact } from "../../engine/fact.ts";
import { commandLine } from "../../engine/shell.ts";
import { openConnection } from "../../engine/connection/index.ts";
import { loadInventory, hostVariables } from "../../engine/load/inventory.ts";

const [inventory, host, name, caseName, argsJson, about] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const factsDir = join(here, "..", "..", "facts");
let fact: Fact | undefined;
for (const file of readdirSync(factsDir).filter((f) => f.endsWith(".js"))) {
  for (const v of Object.values(await import(pathToFileURL(join(factsDir, file)).href)))
    if ((v as Fact)?.name === name && typeof (v as Fact).parse === "function") fact = v as Fact;
}
if (!fact) throw new Error(`no fact named ${name} in ${factsDir}`);
const args = JSON.parse(argsJson);
const conn = await openConnection(host, hostVariables(loadInventory(inventory), host), {
  ssh: { acceptNewHostKeys: false, connectTimeoutMs: 5000, attempts: 2 },
});
const stdin = fact.stdin?.(args);
const output = await conn.exec(commandLine(fact.command(args)), { stdin });
await conn.close();
let parsed: { value: unknown } | { throws: string };
try {
  parsed = { value: fact.parse(output, args) };
} catch (e) {
  parsed = { throws: (e as Error).message };
}
const dir = join(here, "..", "..", "..", "test", "facts", name);
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, `${caseName}.json`),
  JSON.stringify(
    { about: `${about} (recorded on a lab host)`, args, command: fact.command(args), ...(stdin === undefined ? {} : { stdin }), output, ...parsed },
    null,
    2,
  ) + "\n",
);
console.log(JSON.stringify(parsed, null, 2));
