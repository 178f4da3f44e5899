#!/usr/bin/env node
// Kept tiny so that `hoist --version` answers without loading the engine.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
if (args[0] === "--version" || args[0] === "-V") {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`hoist ${pkg.version}\n`);
} else {
  (await import("../dist/engine/cli/compile-cache.js")).enableCompileCache();
  const { main } = await import("../dist/engine/cli/cli.js");
  process.exitCode = await main(args);
}
