/**
 * The local connection: commands run on the control machine through zx.
 */
import { userInfo } from "node:os";
import type { Connection, ExecOptions } from "./types.ts";
import type { RunResult } from "./types.ts";
import { runBecome } from "./become.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { lockScript, type HostLock } from "./host-lock.ts";
import { UnreachableError } from "./types.ts";

type Zx = typeof import("zx");
let zx: Promise<Zx> | undefined;

export class LocalConnection implements Connection {
  private readonly uid = userInfo().uid;
  private readonly user = userInfo().username;
  private readonly becomeNeedsPassword = new Set<string>();
  private locked?: Promise<void>;
  private holder?: ChildProcess;
  constructor(
    readonly host: string,
    private readonly lock?: HostLock,
  ) {}

  /** The run lock, held by a shell that lives until this connection closes or hoist exits (its stdin closes). */
  private takeLock(lock: HostLock): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", `${lockScript(lock)}\nrc=$?; echo "hoist-lock:$rc"; [ $rc = 0 ] && exec cat >/dev/null`], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.holder = child;
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /hoist-lock:(\d+)/.exec(out);
        if (!m) return;
        // Held: the holder must not keep hoist alive, it ends when hoist does.
        for (const r of [child, child.stdin, child.stdout, child.stderr]) (r as unknown as { unref?(): void } | null)?.unref?.();
        if (m[1] === "0") resolve();
        else reject(new UnreachableError(`${this.host}: ${out.slice(0, m.index).trim()}`));
      });
      child.on("error", (e) => reject(new UnreachableError(`${this.host}: cannot take the run lock: ${e.message}`)));
    });
  }

  async exec(command: string, options: ExecOptions = {}): Promise<RunResult> {
    if (this.lock) await (this.locked ??= this.takeLock(this.lock));
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

  async close(): Promise<void> {
    this.holder?.stdin?.end();
  }
}
