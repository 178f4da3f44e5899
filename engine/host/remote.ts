/**
 * Host operations built from plain POSIX shell on top of `Connection.exec`:
 * batched stat, file reads, and atomic writes. One round trip each.
 */
import type { Connection, Become } from "../connection/types.ts";
import type { Stat, WriteStep, RunResult } from "../module.ts";
import { createHash, randomBytes } from "node:crypto";
import { quote, shScript } from "../shell.ts";
import { commandFailure } from "../errors.ts";

/** Small regular files come back with their content, so reading them after a stat costs no round trip. */
const PREFETCH_BYTES = 65536;

/**
 * Every path in two execs of find, whatever their number (an exec costs about
 * a millisecond on a host; the round trip less): one record per existing path,
 * `PATH\0TYPE MODE OWNER GROUP SIZE READABLE TARGET\0`, then a newline and the
 * small readable regular files, concatenated in the same order, in base64.
 */
const STAT_SCRIPT = `find "$@" -maxdepth 0 -printf '%p\\0%y %m %u %g %s ' \\( -readable -printf r -o -printf - \\) -printf ' %l\\0' 2>/dev/null || [ $? = 1 ] || exit 2
echo
find "$@" -maxdepth 0 -type f -size +0c -size -${PREFETCH_BYTES + 1}c -readable -exec cat -- {} + 2>/dev/null | base64 -w0`;

const TYPES: Record<string, Stat["type"]> = { f: "file", d: "directory", l: "link" };

/** find takes an operand that starts with `-` or is `!`/`(` for an expression. */
const operand = (path: string) => (path.startsWith("/") || path.startsWith(".") ? path : `./${path}`);

/**
 * Stat many paths in one command; the content of small readable files goes
 * into `contents` on the way.
 *
 * @example
 * await statPaths(conn, ["/etc/hosts", "/nope"]) // Map { "/etc/hosts" => {type: "file", …}, "/nope" => null }
 */
export async function statPaths(conn: Connection, paths: string[], become?: Become, contents?: Map<string, string>): Promise<Map<string, Stat | null>> {
  const out = new Map<string, Stat | null>(paths.map((p) => [p, null]));
  if (paths.length === 0) return out;
  const operands = paths.map(operand);
  const r = await conn.exec(shScript(STAT_SCRIPT, operands), { become });
  if (r.code !== 0) throw new Error(commandFailure("stat", r));
  const end = r.stdout.lastIndexOf("\0") + 1;
  const fields = r.stdout.slice(0, end).split("\0");
  const prefetched: string[] = [];
  let expectedBytes = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const path = paths[operands.indexOf(fields[i])];
    if (path === undefined) throw new Error(`stat: unexpected answer for '${fields[i]}'`);
    const [type, mode, owner, group, size, readable, ...target] = fields[i + 1].split(" ");
    const stat: Stat = {
      type: TYPES[type] ?? "other",
      mode: mode.padStart(4, "0"),
      owner,
      group,
      size: Number(size),
      ...(type === "l" ? { target: target.join(" ") } : {}),
    };
    out.set(path, stat);
    if (stat.type === "file" && stat.size > 0 && stat.size <= PREFETCH_BYTES && readable === "r") {
      prefetched.push(path);
      expectedBytes += stat.size;
    }
  }
  const data = Buffer.from(r.stdout.slice(end).trim(), "base64");
  // A file that changed between the two finds makes the lengths disagree: then nothing is prefetched.
  if (contents && data.length === expectedBytes) {
    let at = 0;
    for (const path of prefetched) {
      const size = (out.get(path) as Stat).size;
      contents.set(path, data.subarray(at, (at += size)).toString("utf8"));
    }
  }
  return out;
}

/** File content, or null when the path does not exist. */
export async function readRemoteFile(conn: Connection, path: string, become?: Become): Promise<string | null> {
  const r = await conn.exec(shScript('[ -e "$1" ] || exit 3; cat -- "$1"', [path]), { become });
  if (r.code === 3) return null;
  if (r.code !== 0) throw new Error(commandFailure(`read ${path}`, r));
  return r.stdout;
}

/** `validate` argv with `%s` standing for the temporary file. */
function validateCommand(argv: string[]): string {
  return argv
    .map((a) =>
      a
        .split("%s")
        .map((part) => (part ? quote(part) : ""))
        .join('"$tmp"'),
    )
    .join(" ");
}

/**
 * The umask that creates a file with exactly `mode`, when it can (no execute
 * or special bits): the file is then born with it and needs no chmod.
 */
function creationMask(mode: string | undefined): string {
  if (!mode || !/^0?[0-7]{3}$/.test(mode)) return "";
  const bits = parseInt(mode, 8);
  return (bits & ~0o666) === 0 ? (0o777 & ~bits).toString(8).padStart(4, "0") : "";
}

/**
 * Write a file atomically: a temporary file in the same directory, fsync,
 * mode/owner, optional validation and backup, then rename over the target.
 * A failure at any point leaves the old file untouched. The rename happens
 * only when the temporary file has the length and SHA-256 the control machine
 * sent: if hoist dies mid-transfer, the host's shell reads a cut-off here
 * document as if it had ended, and without the check it would rename what
 * it had. The shell does what it can itself (on a host every exec costs
 * about a millisecond).
 */
export async function atomicWrite(conn: Connection, step: WriteStep, become?: Become): Promise<RunResult> {
  const script = `set -e
dst=$1; mode=$2; owner=$3; group=$4; backup=$5; decode=$6; mask=$8
case $dst in */*) dir=\${dst%/*}; dir=\${dir:-/};; *) dir=.;; esac
tmp="$dir/.hoist.$7"
[ -z "$mask" ] || umask "$mask"
set -C; : > "$tmp"; set +C
trap 'rm -f -- "$tmp"' EXIT
if [ "$decode" = 1 ]; then base64 -d > "$tmp"; else cat > "$tmp"; fi
[ "$(wc -c < "$tmp")" -eq "$9" ] && [ "$(sha256sum < "$tmp")" = "\${10}  -" ] || { echo "content did not arrive whole; $dst left as it was" >&2; exit 5; }
if [ -n "$mode" ]; then [ -n "$mask" ] || chmod "$mode" "$tmp"
elif [ -e "$dst" ]; then chmod --reference="$dst" "$tmp"; chown --reference="$dst" "$tmp" 2>/dev/null || true; fi
[ -z "$owner" ] || chown -- "$owner" "$tmp"
[ -z "$group" ] || chgrp -- "$group" "$tmp"
${step.validate ? `if ! out=$(${validateCommand(step.validate)} 2>&1); then printf 'validation failed: %s\\n' "$out" >&2; exit 3; fi` : ""}
sync -- "$tmp" 2>/dev/null || sync
if [ "$backup" = 1 ] && [ -e "$dst" ]; then b="$dst.$(date +%Y%m%d%H%M%S).bak"; cp -p -- "$dst" "$b"; echo "$b"; fi
mv -f -- "$tmp" "$dst"
trap - EXIT
sync -- "$dir" 2>/dev/null || true`;
  const bytes = Buffer.from(step.content, step.base64 ? "base64" : "utf8");
  const digest = createHash("sha256").update(bytes).digest("hex");
  const args = [
    step.write,
    step.mode ?? "",
    step.owner ?? "",
    step.group ?? "",
    step.backup ? "1" : "",
    step.base64 ? "1" : "",
    randomBytes(6).toString("hex"),
    creationMask(step.mode),
    String(bytes.length),
    digest,
  ];
  return conn.exec(shScript(script, args), { stdin: step.content, become });
}
