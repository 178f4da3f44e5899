/**
 * SSH with ssh2: one connection per host, TCP_NODELAY on the socket, and
 * commands run through long-lived `sh` sessions with end markers (about 1 ms a
 * command instead of ~46 ms for a new channel each). A session runs one
 * command at a time; up to MAX_SESSIONS open on demand when tasks on one
 * host run concurrently (OpenSSH refuses more than 10 by default).
 */
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { type Socket, connect as netConnect } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { setImmediate } from "node:timers";
import type { Duplex } from "node:stream";
import type { Connection, ExecOptions } from "./types.ts";
import { CommandTimeout, DEFAULT_COMMAND_TIMEOUT_MS, MAX_OUTPUT_BYTES, UnreachableError } from "./types.ts";
import type { RunResult } from "./types.ts";
import { runBecome } from "./become.ts";
import { sshConfigFor } from "./ssh-config.ts";
import { knownHostsName, verifyHostKey } from "./known-hosts.ts";
import { LOCK_FD, lockScript, type HostLock } from "./host-lock.ts";
import { MarkedOutput } from "./marked-output.ts";

export const MAX_SESSIONS = 4;

export interface SshOptions {
  /** Inventory name. */
  host: string;
  address?: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  password?: string;
  knownHostsFile?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  /** Attempts for transient failures (refused, timed out, reset). */
  attempts: number;
  sshConfigFile?: string;
  /** A jump host (`user@host:port`), over the one in ~/.ssh/config. */
  proxyJump?: string;
  /** Hold the host's run lock for as long as the connection lives. */
  lock?: HostLock;
  /** A command's bound when its exec gives none (DEFAULT_COMMAND_TIMEOUT_MS unless set). */
  commandTimeoutMs?: number;
}

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
class ShellSession {
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

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`timed out connecting to ${host}:${port}`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const TRANSIENT = new Set(["ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function defaultKeys(): string[] {
  return ["id_ed25519", "id_ecdsa", "id_rsa"].map((k) => join(homedir(), ".ssh", k)).filter(existsSync);
}

export class SshConnection implements Connection {
  private readonly sessions: ShellSession[] = [];
  private closed = false;
  private lostError?: Error;
  /** Users sudo asked a password for on this connection. */
  private readonly becomeNeedsPassword = new Set<string>();
  /** The session holding the run lock, while it waits for it: every command queues behind it. */
  private locking?: ShellSession;
  /** The session whose shell holds the run lock: giving it up would release the lock. */
  private lockHolder?: ShellSession;
  private readonly commandTimeoutMs: number;

  private constructor(
    readonly host: string,
    /** The user hoist logged in as: `become` to that user needs no sudo. */
    readonly user: string,
    private readonly client: Client,
    private readonly jump?: SshConnection,
    commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    this.commandTimeoutMs = commandTimeoutMs;
    client.on("close", () => this.lose(new UnreachableError(`${host}: connection closed`)));
    client.on("error", (e) => this.lose(new UnreachableError(`${host}: ${e.message}`)));
  }

  private lose(e: Error): void {
    if (this.closed) return;
    this.lostError ??= e;
    for (const s of this.sessions) s.fail(e);
  }

  /**
   * Connect, verifying the host key, retrying transient failures with backoff.
   *
   * @example
   * const conn = await SshConnection.open({ host: "node1", address: "10.0.0.2", acceptNewHostKeys: false, connectTimeoutMs: 10000, attempts: 3 });
   * await conn.exec("uname -r");
   */
  static async open(o: SshOptions): Promise<SshConnection> {
    const cfg = sshConfigFor(o.host, o.sshConfigFile);
    const address = o.address ?? cfg.hostName ?? o.host;
    const port = o.port ?? cfg.port ?? 22;
    const username = o.user ?? cfg.user ?? process.env.USER ?? "root";
    const keyFiles = o.privateKeyFile ? [o.privateKeyFile] : cfg.identityFiles.length ? cfg.identityFiles : defaultKeys();
    const knownFiles = [...(o.knownHostsFile ? [o.knownHostsFile] : []), ...cfg.knownHostsFiles, join(homedir(), ".ssh", "known_hosts")];
    let jump: SshConnection | undefined;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      let sock: Duplex;
      try {
        const proxyJump = o.proxyJump ?? cfg.proxyJump;
        if (proxyJump && !jump) {
          const [jumpUserHost, jumpPort] = proxyJump.split(",")[0].split(/:(?=\d+$)/);
          const [jumpUser, jumpHost] = jumpUserHost.includes("@") ? jumpUserHost.split("@") : [undefined, jumpUserHost];
          jump = await SshConnection.open({
            ...o,
            host: jumpHost,
            address: undefined,
            port: jumpPort ? Number(jumpPort) : undefined,
            user: jumpUser,
            proxyJump: undefined,
            privateKeyFile: o.privateKeyFile,
            knownHostsFile: o.knownHostsFile,
          });
        }
        sock = jump ? await jump.forward(address, port) : await connectSocket(address, port, o.connectTimeoutMs);
        const client = await SshConnection.handshake(sock, { o, address, port, username, keyFiles, knownFiles });
        const conn = new SshConnection(o.host, username, client, jump, o.commandTimeoutMs);
        if (o.lock) conn.takeLock(o.lock);
        return conn;
      } catch (e) {
        lastError = e as Error;
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (!TRANSIENT.has(code) || attempt === o.attempts) break;
        await sleep(250 * 2 ** (attempt - 1));
      }
    }
    await jump?.close();
    throw new UnreachableError(`${o.host} (${address}:${port}): ${lastError?.message ?? "cannot connect"}`);
  }

  private static handshake(
    sock: Duplex,
    s: { o: SshOptions; address: string; port: number; username: string; keyFiles: string[]; knownFiles: string[] },
  ): Promise<Client> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let refusal: string | undefined;
      const methods: ConnectConfig["authHandler"] = [];
      if (process.env.SSH_AUTH_SOCK) methods.push({ type: "agent", username: s.username, agent: process.env.SSH_AUTH_SOCK } as never);
      for (const f of s.keyFiles) {
        try {
          methods.push({ type: "publickey", username: s.username, key: readFileSync(f) } as never);
        } catch {
          // An IdentityFile that cannot be read is skipped, as OpenSSH does.
        }
      }
      if (s.o.password !== undefined) methods.push({ type: "password", username: s.username, password: s.o.password } as never);
      // Kept after a failure: a client that failed (a handshake timeout) may report the dropped
      // socket next, and an 'error' event nobody listens to would end the whole run.
      const failed = (e: Error) => {
        reject(refusal ? new Error(refusal) : e);
        client.end();
      };
      client.on("error", failed);
      // A peer that drops the connection before the handshake ends may do so without an error:
      // without this, nothing would settle the promise and a run could end mid-way, silently.
      const closed = () => failed(Object.assign(new Error("connection closed before the handshake finished"), { code: "ECONNRESET" }));
      client.once("close", closed);
      client.once("ready", () => {
        client.off("error", failed);
        client.off("close", closed);
        resolve(client);
      });
      client.connect({
        sock,
        username: s.username,
        readyTimeout: s.o.connectTimeoutMs,
        keepaliveInterval: 15000,
        authHandler: methods,
        hostVerifier: (key: Buffer) => {
          const verdict = verifyHostKey(s.knownFiles, knownHostsName(s.address, s.port), key, {
            acceptNew: s.o.acceptNewHostKeys,
            recordIn: s.o.knownHostsFile ?? join(homedir(), ".ssh", "known_hosts"),
          });
          if (!verdict.ok) refusal = verdict.reason;
          return verdict.ok;
        },
      });
    });
  }

  /**
   * The first session takes the run lock in its own shell; commands given
   * meanwhile queue behind it on that session (no round trip is lost), and if
   * the lock cannot be had the session's shell exits before running any of them.
   */
  private takeLock(lock: HostLock): void {
    const session = this.openSession();
    this.locking = session;
    this.lockHolder = session;
    session.run(lockScript(lock, this.user), undefined, true).then(
      (r) => {
        this.locking = undefined;
        if (r.code !== 0) this.lose(new UnreachableError(`${this.host}: ${r.stdout.trim() || r.stderr.trim() || "cannot take the run lock"}`));
      },
      (e: Error) => {
        this.locking = undefined;
        this.lose(e);
      },
    );
  }

  private forward(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  private openSession(): ShellSession {
    const channel = new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec("exec /bin/sh", (err, ch) => (err ? reject(new UnreachableError(`${this.host}: ${err.message}`)) : resolve(ch)));
    });
    // A command that outlived its bound on the lock's session took the lock with it: the host is lost for this run.
    const session = new ShellSession(channel, this.host, async (e, pid) => {
      // Its shell and everything it started (its process group) are ended: nothing of it goes on holding the host.
      if (pid) await this.killGroup(pid);
      if (session === this.lockHolder) this.lose(new UnreachableError(`${e.message}; the run lock went with its session`));
    });
    this.sessions.push(session);
    return session;
  }

  /** Kill a process group on the host through a channel of its own, waiting at most a few seconds (the host may be wedged). */
  private killGroup(pid: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, 5000);
      this.client.exec(`kill -KILL -- -${pid}`, (err, ch) => {
        if (err) return done();
        ch.on("close", () => {
          clearTimeout(timer);
          done();
        });
        ch.resume();
        ch.stderr.resume();
      });
    });
  }

  /**
   * A session for one command: one that is idle, or one a command was just
   * given to in this same turn (they then share a write), or a new one, up to
   * MAX_SESSIONS; past that, the one with the fewest commands in hand.
   */
  private acquire(): ShellSession {
    if (this.lostError) throw this.lostError;
    if (this.locking) return this.locking;
    for (let i = this.sessions.length - 1; i >= 0; i--) if (this.sessions[i].failed) this.sessions.splice(i, 1);
    const ready = this.sessions.find((s) => s.pending === 0 || s.joinable);
    if (ready) return ready;
    if (this.sessions.length < MAX_SESSIONS) return this.openSession();
    return this.sessions.reduce((a, b) => (b.pending < a.pending ? b : a));
  }

  async exec(command: string, options: ExecOptions = {}): Promise<RunResult> {
    const timeout = options.timeoutMs ?? this.commandTimeoutMs;
    const raw = (c: string, stdin?: Buffer | string) => this.acquire().run(c, stdin, false, timeout);
    // Already the user to become (root logged in as root): no sudo, so hosts without it work.
    if (options.become && options.become.user !== this.user) return runBecome(raw, command, options.stdin, options.become, this.becomeNeedsPassword);
    return raw(command, options.stdin);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commands still running (an interrupted run) are ended on the host and fail now, rather than wait for a host that may never answer.
    const busy = this.sessions.filter((s) => s.pending > 0 && !s.failed);
    await Promise.all(busy.map(async (s) => (await s.pid) && this.killGroup((await s.pid)!)));
    for (const s of this.sessions) {
      s.fail(new UnreachableError(`${this.host}: connection closed`));
      s.close();
    }
    this.client.end();
    await this.jump?.close();
  }
}
