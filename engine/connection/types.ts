/**
 * What the engine needs from a transport: run a shell command line with
 * optional stdin, separately returning exit code, stdout and stderr.
 * Everything else (atomic writes, stat batches, become) is built on top of
 * `exec`, so local and SSH behave identically.
 */

/**
 * What a command printed, and its exit code.
 *
 * @example
 * const r: RunResult = await conn.exec("id -u"); // { code: 0, stdout: "0\n", stderr: "" }
 */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /**
   * Bytes of output past what one command may keep in memory (see
   * `MAX_OUTPUT_BYTES`), dropped: stdout and stderr hold only their heads.
   */
  cutBytes?: number;
}

/**
 * Run as another user (`become`): the user, and the sudo password when one is needed.
 */
export interface Become {
  user: string;
  /** sudo password; never logged, never echoed. */
  password?: string;
}

/**
 * How one command runs: what it reads on stdin, as whom, and for how long at most.
 */
export interface ExecOptions {
  stdin?: Buffer | string;
  become?: Become;
  /** Fail the command (CommandTimeout) when it has not ended after this long; default: the connection's. */
  timeoutMs?: number;
}

/** What one command may leave in memory, per stream; past it, the rest is counted and dropped (`RunResult.cutBytes`). */
export const MAX_OUTPUT_BYTES = 64 << 20;

/** How long a command may run when nothing says otherwise (a task's `timeout:`, `task_timeout` in ansible.cfg). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 900_000;

/**
 * A host that runs commands: the transport every module reads and writes through (local or SSH).
 */
export interface Connection {
  readonly host: string;
  /** Run `command` (sh syntax) on the host. */
  exec(command: string, options?: ExecOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** The host cannot be reached or the connection broke: the host is marked unreachable. */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnreachableError";
  }
}

/**
 * A command did not end within its bound: it fails its task (the host goes
 * on with its other tasks as after any failure), and what it left running
 * on the host is ended with its shell.
 *
 * @example
 * throw new CommandTimeout("node1", 900_000) // "node1: a command did not end within 900 s (the task's timeout: or task_timeout)"
 */
export class CommandTimeout extends Error {
  constructor(host: string, timeoutMs: number) {
    super(`${host}: a command did not end within ${Math.round(timeoutMs / 1000)} s (the task's timeout: or task_timeout)`);
    this.name = "CommandTimeout";
  }
}
