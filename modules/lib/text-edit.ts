/**
 * Pure text edits behind `file`'s `line` and `block` arguments, with
 * Ansible's lineinfile/blockinfile semantics; their expressions are Python's
 * (`(?P<name>…)`), as Ansible's.
 */
import { pythonRegex } from "../../engine/module.ts";

/**
 * A file's lines with their newlines, as Python's `readlines()` gives them (the last may lack one):
 * for edits that keep every other line byte for byte.
 *
 * @example
 * linesWithEnds("a\nb") // ["a\n", "b"]
 */
export function linesWithEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * One lineinfile edit: the line wanted (or, absent, the lines `regexp` matches removed), and where a new line goes.
 *
 * @example
 * const edit: LineEdit = { line: "port 6380", regexp: "^port (?P<n>\\d+)$", state: "present" };
 */
export interface LineEdit {
  line?: string;
  regexp?: string;
  state: "present" | "absent";
  insertafter?: string;
  insertbefore?: string;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  return text.replace(/\n$/, "").split("\n");
}

const joinLines = (lines: string[]) => (lines.length ? lines.join("\n") + "\n" : "");

/**
 * Ensure a line is present (replacing the last line matching `regexp`) or absent.
 *
 * @example
 * editLine("a\nb\n", { line: "c", regexp: "^b", state: "present" }) // "a\nc\n"
 */
export function editLine(text: string, edit: LineEdit): string {
  const lines = splitLines(text);
  const re = edit.regexp !== undefined ? pythonRegex(edit.regexp, "") : undefined;
  const matches = (l: string) => (re ? re.test(l) : l === edit.line);
  if (edit.state === "absent") return joinLines(lines.filter((l) => !matches(l)));
  const line = edit.line!;
  let last = -1;
  lines.forEach((l, i) => matches(l) && (last = i));
  if (last >= 0) {
    lines[last] = line;
    return joinLines(lines);
  }
  if (re && lines.includes(line)) return joinLines(lines);
  const anchor = edit.insertbefore ?? edit.insertafter;
  if (anchor === "BOF") return joinLines([line, ...lines]);
  if (anchor && anchor !== "EOF") {
    const anchorRe = pythonRegex(anchor, "");
    let at = -1;
    lines.forEach((l, i) => anchorRe.test(l) && (at = edit.insertbefore !== undefined && at >= 0 ? at : i));
    if (at >= 0) {
      lines.splice(edit.insertbefore !== undefined ? at : at + 1, 0, line);
      return joinLines(lines);
    }
  }
  return joinLines([...lines, line]);
}

/** A `blockinfile` edit: the block, its marker, whether it is present, and where it goes. */
export interface BlockEdit {
  block: string;
  marker: string;
  state: "present" | "absent";
  insertafter?: string;
  insertbefore?: string;
}

/**
 * Ensure a marked block holds `block` (or is gone).
 *
 * @example
 * editBlock("", { block: "x", marker: "# {mark} HOIST", state: "present" }) // "# BEGIN HOIST\nx\n# END HOIST\n"
 */
export function editBlock(text: string, edit: BlockEdit): string {
  const lines = splitLines(text);
  const begin = edit.marker.replace("{mark}", "BEGIN");
  const end = edit.marker.replace("{mark}", "END");
  const start = lines.indexOf(begin);
  const stop = start >= 0 ? lines.indexOf(end, start) : -1;
  const body = edit.state === "present" && edit.block !== "" ? [begin, ...splitLines(edit.block), end] : [];
  if (start >= 0 && stop >= 0) {
    lines.splice(start, stop - start + 1, ...body);
    return joinLines(lines);
  }
  if (body.length === 0) return joinLines(lines);
  const anchor = edit.insertbefore ?? edit.insertafter;
  if (anchor === "BOF") return joinLines([...body, ...lines]);
  if (anchor && anchor !== "EOF") {
    const re = pythonRegex(anchor, "");
    const idx = edit.insertbefore !== undefined ? lines.findIndex((l) => re.test(l)) : lines.findLastIndex((l) => re.test(l));
    if (idx >= 0) {
      lines.splice(edit.insertbefore !== undefined ? idx : idx + 1, 0, ...body);
      return joinLines(lines);
    }
  }
  return joinLines([...lines, ...body]);
}
