/**
 * Reads a secret from the terminal without echoing it.
 */

/**
 * Prompt on stderr and read one line with echo off (or from piped stdin).
 *
 * @example
 * const password = await readSecret("BECOME password: ");
 */
export function readSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    if (!stdin.isTTY) {
      // Piped: the first line (or all of it, without a newline). readline here could
      // report the stream's end before its line and give an empty password.
      let text = "";
      const finish = (value: string) => {
        stdin.off("data", onPiped);
        stdin.off("end", onEnd);
        stdin.pause();
        resolve(value.replace(/\r$/, ""));
      };
      const onPiped = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        const nl = text.indexOf("\n");
        if (nl >= 0) finish(text.slice(0, nl));
      };
      const onEnd = () => finish(text);
      stdin.on("data", onPiped);
      stdin.on("end", onEnd);
      stdin.resume();
      return;
    }
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          return resolve(value);
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          return reject(new Error("interrupted"));
        }
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
