/**
 * The one place where argv becomes shell text. Every module and connection
 * quotes through here; nothing glues command strings by hand.
 */

/**
 * Quote one word for POSIX sh.
 *
 * @example
 * quote("it's") // 'it'\''s'
 */
export function quote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, `'\\''`) + "'";
}

/**
 * Quote an argv into one shell command line.
 *
 * @example
 * commandLine(["echo", "a b"]) // echo 'a b'
 */
export function commandLine(argv: readonly string[]): string {
  return argv.map(quote).join(" ");
}

/**
 * A script with `args` as its positional parameters ($1…), so values never
 * need to be spliced into the script text. It runs in the shell that runs the
 * command (every connection runs a command line through `sh`), not in a new
 * `sh -c`: on a lab host each exec costs about a millisecond.
 *
 * @example
 * shScript('printf %s "$1"', ["hi"]) // "set -- hi\nprintf %s \"$1\""
 */
export function shScript(script: string, args: readonly string[] = []): string {
  return `set -- ${commandLine(args)}\n${script}`;
}

/**
 * Split a command string into argv the way a shell would for simple words and
 * quotes (no expansion). Used for Ansible's free-form `command: ls -l /tmp`.
 *
 * @example
 * splitWords(`echo "a b" c`) // ["echo", "a b", "c"]
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let started = false;
  let quoteChar: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoteChar) {
      if (c === quoteChar) quoteChar = null;
      else if (c === "\\" && quoteChar === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) current += text[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quoteChar = c;
      started = true;
    } else if (c === "\\" && i + 1 < text.length) {
      current += text[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quoteChar) throw new Error(`unterminated ${quoteChar} quote in: ${text}`);
  if (started) words.push(current);
  return words;
}
