/**
 * Text from hosts made safe to show to people: every character a terminal,
 * the journal or a Markdown renderer acts on instead of showing — C0 and C1
 * controls (ESC starts OSC 52 clipboard writes, window titles, erase-line;
 * a lone CR returns to the line's start), DEL, Unicode line and paragraph
 * separators and bidirectional overrides — is shown as an escape (`\x1b`,
 * `\u202e`). Line feeds stay unless asked, tabs stay.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * if (printable("ok\x1b]52;c;ZXZpbA==\x07\r") !== "ok\\x1b]52;c;ZXZpbA==\\x07\\x0d") throw new Error("example");
 * if (printable("a\nb", false) !== "a\\x0ab") throw new Error("example");
 * ```
 */
export function printable(text: string, keepNewlines = true): string {
  return text.replace(keepNewlines ? UNSAFE : UNSAFE_OR_NEWLINE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it exists to find
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, with the line feed
const UNSAFE_OR_NEWLINE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
