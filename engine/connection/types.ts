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
}

export interface Become {
  user: string;
  /** sudo password; never logged, never echoed. */
  password?: string;
}

export interface ExecOptions {
  stdin?: Buffer | string;
  become?: Become;
}

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
