/**
 * `become` through sudo, with the password sent only when sudo asks for it.
 *
 * A command first runs under `sudo -n` (never prompts). The command announces
 * itself on stderr before it starts, so a refusal (sudo wants a password) is
 * told apart from the command's own failure without guessing from messages.
 * Only then, and from then on for that user on that connection, the command
 * runs under `sudo -S` with the password ahead of its input and a sentinel
 * line after it: if sudo did not read the password after all (credentials
 * cached meanwhile), the command's wrapper finds the password where the
 * sentinel should be, stops before the command runs, and the command runs
 * again without it. The password never reaches the command's input, its
 * output, argv or a log.
 */
import { randomBytes } from "node:crypto";
import { commandLine, quote } from "../shell.ts";
import type { RunResult } from "./types.ts";
import type { Become } from "./types.ts";

/** Runs a shell command line on the host as the connection's own user. */
export type RawExec = (command: string, stdin?: Buffer | string) => Promise<RunResult>;

const token = randomBytes(9).toString("hex");
/** Printed by the command's wrapper just before the command itself starts. */
const STARTED = `__hoist_become_started_${token}`;
/** Printed when the wrapper found the password on its input: sudo did not ask for it. */
const UNASKED = `__hoist_become_unasked_${token}`;
const SENTINEL = `__hoist_become_input_${token}`;

const announce = `printf '%s\\n' ${quote(STARTED)} >&2\n`;

/** The sudo command line for `become`, without a password. */
function withoutPassword(command: string, user: string): string {
  return commandLine(["sudo", "-n", "-H", "-u", user, "--", "sh", "-c", announce + command]);
}

/** The sudo command line that reads the password from stdin, then checks the sentinel line. */
function withPassword(command: string, user: string): string {
  const guard = `IFS= read -r l; [ "$l" = ${quote(SENTINEL)} ] || { printf '%s\\n' ${quote(UNASKED)} >&2; exit 97; }\n`;
  return commandLine(["sudo", "-S", "-p", "", "-H", "-u", user, "--", "sh", "-c", guard + announce + command]);
}

/** The command's own result, or undefined when it never started. */
function started(r: RunResult): RunResult | undefined {
  const at = r.stderr.indexOf(`${STARTED}\n`);
  if (at < 0) return undefined;
  // What came before the announcement is sudo's (a lecture), not the command's.
  return { ...r, stderr: r.stderr.slice(at + STARTED.length + 1) };
}

/** What a refusal says: sudo's own words, never anything of the command (it did not run). */
function refused(r: RunResult, become: Become, why: string): RunResult {
  const said = r.stderr.replaceAll(`${UNASKED}\n`, "").trim();
  return { code: r.code === 0 ? 1 : r.code, stdout: "", stderr: `become ${become.user} refused by sudo (${why})${said ? `: ${said}` : ""}\n` };
}

/**
 * Run `command` as `become.user` through `exec`. `needsPassword` remembers,
 * per connection, the users sudo asked a password for.
 *
 * @example
 * const r = await runBecome((c, i) => conn.rawExec(c, i), "id -u", undefined, { user: "root", password: "pw" }, new Set());
 * r.stdout // "0\n"
 */
export async function runBecome(
  exec: RawExec,
  command: string,
  stdin: Buffer | string | undefined,
  become: Become,
  needsPassword: Set<string>,
): Promise<RunResult> {
  if (become.password === undefined || !needsPassword.has(become.user)) {
    const r = await exec(withoutPassword(command, become.user), stdin);
    const own = started(r);
    if (own) return own;
    if (become.password === undefined) return refused(r, become, "no password given");
    needsPassword.add(become.user);
  }
  const input = Buffer.concat([Buffer.from(`${become.password}\n${SENTINEL}\n`), Buffer.from(stdin ?? "")]);
  const r = await exec(withPassword(command, become.user), input);
  const own = started(r);
  if (own) return own;
  if (r.stderr.includes(UNASKED)) {
    // sudo did not ask after all: its credentials are cached now. Without the password, then.
    needsPassword.delete(become.user);
    const again = await exec(withoutPassword(command, become.user), stdin);
    return started(again) ?? refused(again, become, "credentials expired while retrying");
  }
  return refused(r, become, "wrong password?");
}
