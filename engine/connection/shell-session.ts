/**
 * One persistent `sh` on the far side of an SSH channel, running commands
 * told apart by end markers (see `ShellSession`); what `SshConnection` runs
 * every command through.
 */
import type { ClientChannel } from "ssh2";
import { randomBytes } from "node:crypto";
import { setImmediate } from "node:timers";
import type { RunResult } from "./types.ts";
import { CommandTimeout, MAX_OUTPUT_BYTES, UnreachableError } from "./types.ts";
import { LOCK_FD } from "./host-lock.ts";
import { MarkedOutput } from "./marked-output.ts";

interface Pending {
  marker: string;
  resolve(r: RunResult): void;
  reject(e: Error): void;
  outDone?: { text: string; code: number; droppedBytes: number };
  timer?: NodeJS.Timeout;
  /** Run in the session's shell itself: when it fails, the shell exits and takes the commands after it along. */
  inShell: boolean;
  /** The session's question for its shell's pid. */
  isPid?: boolean;
}

/**
 * One persistent `sh` on the far side. Commands are pipelined: each is
 * written at once, the shell runs them in order, and their answers are told
 * apart by end markers. Commands given in the same turn of the event loop go
 * out in one write, so they cost one round trip together.
 */
export class ShellSession {
  private readonly token = randomBytes(12).toString("hex");
  private seq = 0;
  private readonly queue: Pending[] = [];
  private readonly out = new MarkedOutput(MAX_OUTPUT_BYTES);
  private readonly err = new MarkedOutput(MAX_OUTPUT_BYTES);
  private closedError?: Error;
  private unsent: string[] = [];
  private channel?: ClientChannel;
  /** True until the end of the turn in which a command was written: more may join it. */
  joinable = false;
  /**
   * The far shell's pid, its process group (sshd makes each session's shell
   * a session leader): what a command that outlived its bound is ended by.
   */
  readonly pid: Promise<number | undefined>;

  /** The session takes commands at once; they are written when its channel is open. */
  constructor(
    opening: Promise<ClientChannel>,
    private readonly host: string,
    /** Told when a command outlived its bound and the session is given up, with the shell's process group; awaited. */
    private readonly onGiveUp: (e: Error, pid: number | undefined) => Promise<void>,
  ) {
    // First in the session's first write: no round trip of its own.
    this.pid = this.run('printf "%s\\n" "$$"', undefined, true).then(
      (r) => Number(r.stdout.trim()) || undefined,
      () => undefined,
    );
    this.queue[0].isPid = true;
    opening.then(
      (channel) => {
        this.channel = channel;
        channel.on("data", (d: Buffer) => {
          this.out.push(d);
          this.drain();
        });
        channel.stderr.on("data", (d: Buffer) => {
          this.err.push(d);
          this.drain();
        });
        channel.on("close", () => this.fail(new UnreachableError(`${this.host}: connection closed while a command was running`)));
        if (!this.joinable) this.flush();
      },
      (e: Error) => this.fail(e),
    );
  }

  /** Commands written and not yet answered (the shell's own pid, asked first, is not one: it answers at once). */
  get pending(): number {
    return this.queue.length - (this.queue[0]?.isPid ? 1 : 0);
  }

  /** Its channel could not open or has closed: it takes no more commands. */
  get failed(): boolean {
    return this.closedError !== undefined;
  }

  fail(e: Error): void {
    this.closedError ??= e;
    // The first cause is the one told (a command past its bound, not the channel its ending closed).
    for (const c of this.queue.splice(0)) {
      clearTimeout(c.timer);
      c.reject(this.closedError);
    }
  }

  private drain(): void {
    for (let c = this.queue[0]; c; c = this.queue[0]) {
      if (!c.outDone) {
        const done = this.out.take(c.marker, true);
        if (!done) return;
        c.outDone = { text: done.text, code: Number(done.tail), droppedBytes: done.droppedBytes };
      }
      const err = this.err.take(c.marker);
      if (!err) return;
      this.queue.shift();
      clearTimeout(c.timer);
      const dropped = c.outDone.droppedBytes + err.droppedBytes;
      // The shell exits after a failed in-shell command (the run lock refused): what follows fails with its reason,
      // not with the closing of the channel that comes after it.
      if (c.inShell && c.outDone.code !== 0)
        this.fail(new UnreachableError(`${this.host}: ${c.outDone.text.trim() || err.text.trim() || `exit ${c.outDone.code}`}`));
      c.resolve({ code: c.outDone.code, stdout: c.outDone.text, stderr: err.text, ...(dropped ? { cutBytes: dropped } : {}) });
    }
  }

  /**
   * Run `command` in a subshell of the session's shell. `inShell` runs it in
   * that shell itself (what it opens stays open) and ends the shell when it
   * fails, so that nothing written after it runs.
   */
  run(command: string, stdin?: Buffer | string, inShell = false, timeoutMs?: number): Promise<RunResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    const marker = `__hoist_${this.token}_${++this.seq}:`;
    // The run lock's descriptor is closed for the command, so nothing it leaves running holds the lock.
    const input = inShell
      ? `${command} </dev/null`
      : stdin === undefined || stdin.length === 0
        ? `( ${command}\n) </dev/null ${LOCK_FD}>&-`
        : `{ base64 -d | ( ${command}\n) ${LOCK_FD}>&- ; } <<'${marker}EOF'\n${Buffer.from(stdin)
            .toString("base64")
            .replace(/.{1,76}/g, "$&\n")}${marker}EOF`;
    const trailer = inShell
      ? `\nhoist_rc=$?; printf '%s%d\\n' '${marker}' $hoist_rc; printf '%s\\n' '${marker}' >&2; [ $hoist_rc = 0 ] || exit $hoist_rc\n`
      : `\nprintf '%s%d\\n' '${marker}' $?\nprintf '%s\\n' '${marker}' >&2\n`;
    this.write(`${input}${trailer}`);
    return new Promise<RunResult>((resolve, reject) => {
      const pending: Pending = { marker, resolve, reject, inShell };
      if (timeoutMs !== undefined)
        // A command past its bound leaves the session's shell busy for good: the session is given up
        // (its channel closed, which ends its shell), the command fails naming the bound, the host goes on.
        pending.timer = setTimeout(async () => {
          const e = new CommandTimeout(this.host, timeoutMs);
          this.closedError ??= e; // no more commands into this session meanwhile
          await this.onGiveUp(e, await this.pid);
          this.fail(e);
          this.channel?.close();
        }, timeoutMs);
      this.queue.push(pending);
    });
  }

  private write(script: string): void {
    this.unsent.push(script);
    if (this.joinable) return;
    this.joinable = true;
    // Two turns, not one: a stat batch itself waits a turn to gather its paths before it gives its command.
    setImmediate(() =>
      setImmediate(() => {
        this.joinable = false;
        this.flush();
      }),
    );
  }

  private flush(): void {
    if (!this.channel || this.unsent.length === 0) return;
    this.channel.write(this.unsent.join(""));
    this.unsent = [];
  }

  close(): void {
    this.channel?.end("exit\n");
  }
}
