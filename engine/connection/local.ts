/**
 * The local connection: commands run on the control machine through zx.
 */
import { userInfo } from "node:os";
import type { Connection, ExecOptions } from "./types.ts";
import type { RunResult } from "../module.ts";
import { runBecome } from "./become.ts";

type Zx = typeof import("zx");
let zx: Promise<Zx> | undefined;

export class LocalConnection implements Connection {
  private readonly uid = userInfo().uid;
  private readonly user = userInfo().username;
  private readonly becomeNeedsPassword = new Set<string>();
  constructor(readonly host: string) {}

  async exec(command: string, options: ExecOptions = {}): Promise<RunResult> {
    // Already the requested user: sudo would only add a dependency and a delay.
    if (options.become && !(options.become.user === this.user || (options.become.user === "root" && this.uid === 0))) {
      return runBecome((c, stdin) => this.run(c, stdin), command, options.stdin, options.become, this.becomeNeedsPassword);
    }
    return this.run(command, options.stdin);
  }

  private async run(command: string, stdin?: Buffer | string): Promise<RunResult> {
    const { $ } = await (zx ??= import("zx"));
    // An empty `input` would leave stdin open and `cat` waiting for it.
    const io = stdin !== undefined && stdin.length > 0 ? { input: stdin } : { stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"] };
    const p = await $({ ...io, nothrow: true, quiet: true, verbose: false })`sh -c ${command}`;
    return { code: p.exitCode ?? 1, stdout: p.stdout, stderr: p.stderr };
  }

  async close(): Promise<void> {}
}
