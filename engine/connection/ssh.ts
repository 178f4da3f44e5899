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
import type { Duplex } from "node:stream";
import type { Connection, ExecOptions } from "./types.ts";
import { DEFAULT_COMMAND_TIMEOUT_MS, UnreachableError } from "./types.ts";
import type { RunResult } from "./types.ts";
import { runBecome } from "./become.ts";
import { sshConfigFor } from "./ssh-config.ts";
import { knownHostsName, verifyHostKey } from "./known-hosts.ts";
import { lockScript, type HostLock } from "./host-lock.ts";
import { ShellSession } from "./shell-session.ts";

/**
 * Shell sessions hoist opens at most on one SSH connection, to run commands side by side
 * (OpenSSH's MaxSessions allows 10 by default).
 */
export const MAX_SESSIONS = 4;

/**
 * Settings of one SSH connection: where and as whom, keys, host-key checking, timeouts.
 */
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

/**
 * One SSH connection per host (ssh2), with persistent shell sessions that take commands
 * pipelined.
 */
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
