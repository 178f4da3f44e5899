/**
 * `become` through sudo. The password goes on stdin, ahead of the command's
 * own input, with an empty prompt, so it never appears in argv, output or logs.
 */
import { commandLine } from "../shell.ts";
import type { Become } from "./types.ts";

/**
 * Wrap a command line so it runs as `become.user`.
 *
 * @example
 * wrapBecome("id -u", undefined, { user: "root" }) // { command: "sudo -n -H -u root -- sh -c 'id -u'", stdin: undefined }
 */
export function wrapBecome(command: string, stdin: Buffer | string | undefined, become: Become): { command: string; stdin?: Buffer | string } {
  if (become.password === undefined) {
    return { command: commandLine(["sudo", "-n", "-H", "-u", become.user, "--", "sh", "-c", command]), stdin };
  }
  const input = Buffer.concat([Buffer.from(become.password + "\n"), Buffer.from(stdin ?? "")]);
  return { command: commandLine(["sudo", "-S", "-p", "", "-H", "-u", become.user, "--", "sh", "-c", command]), stdin: input };
}
