/**
 * Entry point for runtimes that run TypeScript directly (Deno):
 * `deno run -A engine/cli/main.ts run playbooks/hello.yaml --check`.
 */
import process from "node:process";
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2));
