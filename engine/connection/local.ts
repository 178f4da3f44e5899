/**
 * The local connection: commands run on the control machine through zx.
 */
import { userInfo } from "node:os";
import type { Connection, ExecOptions } from "./types.ts";
import type { RunResult } from "./types.ts";
import { runBecome } from "./become.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { lockScript, type HostLock } from "./host-lock.ts";
import { CommandTimeout, DEFAULT_COMMAND_TIMEOUT_MS, UnreachableError } from "./types.ts";

type Zx = typeof import("zx");
let zx: Promise<Zx> | undefined;

/**
 * The `local` connection: commands run on the control machine through `sh`, as Ansible's
 * `ansible_connection=local`.
 */
export class LocalConnection implements Connection {
  private readonly uid = userInfo().uid;
  private readonly user = userInfo().username;
  private readonly becomeNeedsPassword = new Set<string>();
  private locked?: Promise<void>;
  private holder?: ChildProcess;
  /** Commands running now: ended when the connection closes (an interrupted run). */
  private readonly running = new Set<{ kill(): unknown }>();
  constructor(
    readonly host: string,
    private readonly lock?: HostLock,
    private readonly commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {}

  /** The run lock, held by a shell that lives until this connection closes or hoist exits (its stdin closes). */
  private takeLock(lock: HostLock): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", `${lockScript(lock, this.user)}\nrc=$?; echo "hoist-lock:$rc"; [ $rc = 0 ] && exec cat >/dev/null`], {
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
    const timeout = options.timeoutMs ?? this.commandTimeoutMs;
    if (this.lock) await (this.locked ??= this.takeLock(this.lock));
    // Already the requested user: sudo would only add a dependency and a delay.
    if (options.become && !(options.become.user === this.user || (options.become.user === "root" && this.uid === 0))) {
      return runBecome((c, stdin) => this.run(c, stdin, timeout), command, options.stdin, options.become, this.becomeNeedsPassword);
    }
    return this.run(command, options.stdin, timeout);
  }

  private async run(command: string, stdin: Buffer | string | undefined, timeoutMs: number): Promise<RunResult> {
    const { $ } = await (zx ??= import("zx"));
    // An empty `input` would leave stdin open and `cat` waiting for it.
    const io = stdin !== undefined && stdin.length > 0 ? { input: stdin } : { stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"] };
    // Its own process group, so that ending it ends what it started; the run lock's descriptor is not passed on.
    const p = $({ ...io, nothrow: true, quiet: true, verbose: false, detached: true })`sh -c ${`${command}\n`} 9>&-`;
    this.running.add(p);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill("SIGKILL").catch(() => {});
    }, timeoutMs);
    try {
      const r = await p;
      if (timedOut) throw new CommandTimeout(this.host, timeoutMs);
      return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
    } finally {
      clearTimeout(timer);
      this.running.delete(p);
    }
  }

  async close(): Promise<void> {
    for (const p of this.running) p.kill();
    this.holder?.stdin?.end();
  }
}
