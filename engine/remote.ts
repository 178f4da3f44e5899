/**
 * Host operations built from plain POSIX shell on top of `Connection.exec`:
 * batched stat, file reads, and atomic writes. One round trip each.
 */
import type { Connection, Become } from "./connection/types.ts";
import type { Stat, WriteStep, RunResult } from "./module.ts";
import { quote, shScript } from "./shell.ts";

/** Small regular files come back with their content, so reading them after a stat costs no round trip. */
const PREFETCH_BYTES = 65536;

const STAT_SCRIPT = `for p do
  if s=$(stat -c '%f|%a|%U|%G|%s' -- "$p" 2>/dev/null); then
    t=; [ -L "$p" ] && t=$(readlink -- "$p")
    printf 'Y|%s|%s\\n' "$s" "$t"
    case $s in 8*) n=\${s##*|}; if [ "$n" -gt 0 ] && [ "$n" -le ${PREFETCH_BYTES} ] && [ -r "$p" ]; then printf 'C|%s\\n' "$(base64 -w0 -- "$p")"; fi;; esac
  else echo N; fi
done`;

function fileType(rawModeHex: string): Stat["type"] {
  const kind = parseInt(rawModeHex, 16) & 0o170000;
  return kind === 0o100000 ? "file" : kind === 0o040000 ? "directory" : kind === 0o120000 ? "link" : "other";
}

/**
 * Stat many paths in one command.
 *
 * @example
 * await statPaths(conn, ["/etc/hosts", "/nope"]) // Map { "/etc/hosts" => {type: "file", …}, "/nope" => null }
 */
export async function statPaths(conn: Connection, paths: string[], become?: Become, contents?: Map<string, string>): Promise<Map<string, Stat | null>> {
  const out = new Map<string, Stat | null>();
  if (paths.length === 0) return out;
  const r = await conn.exec(shScript(STAT_SCRIPT, paths), { become });
  if (r.code !== 0) throw new Error(`stat failed (exit ${r.code}): ${r.stderr.trim()}`);
  const lines = r.stdout.split("\n");
  let at = 0;
  paths.forEach((p) => {
    const line = lines[at++] ?? "N";
    if (lines[at]?.startsWith("C|")) contents?.set(p, Buffer.from(lines[at++].slice(2), "base64").toString("utf8"));
    if (!line.startsWith("Y|")) return out.set(p, null);
    const [, raw, mode, owner, group, size, ...target] = line.split("|");
    out.set(p, {
      type: fileType(raw),
      mode: mode.padStart(4, "0"),
      owner,
      group,
      size: Number(size),
      ...(target.join("|") ? { target: target.join("|") } : {}),
    });
  });
  return out;
}

/** File content, or null when the path does not exist. */
export async function readRemoteFile(conn: Connection, path: string, become?: Become): Promise<string | null> {
  const r = await conn.exec(shScript('[ -e "$1" ] || exit 3; cat -- "$1"', [path]), { become });
  if (r.code === 3) return null;
  if (r.code !== 0) throw new Error(`cannot read ${path} (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `validate` argv with `%s` standing for the temporary file. */
function validateCommand(argv: string[]): string {
  return argv.map((a) => a.split("%s").map((part) => (part ? quote(part) : "")).join('"$tmp"')).join(" ");
}

/**
 * Write a file atomically: a temporary file in the same directory, fsync,
 * mode/owner, optional validation and backup, then rename over the target.
 * A failure at any point leaves the old file untouched.
 */
export async function atomicWrite(conn: Connection, step: WriteStep, become?: Become): Promise<RunResult> {
  const script = `set -e
dst=$1; mode=$2; owner=$3; group=$4; backup=$5; decode=$6
dir=$(dirname -- "$dst")
tmp=$(mktemp "$dir/.hoist.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
if [ "$decode" = 1 ]; then base64 -d > "$tmp"; else cat > "$tmp"; fi
if [ -n "$mode" ]; then chmod "$mode" "$tmp"
elif [ -e "$dst" ]; then chmod --reference="$dst" "$tmp"; chown --reference="$dst" "$tmp" 2>/dev/null || true
else chmod "$(printf '%o' $((0666 & ~$(umask))))" "$tmp"; fi
[ -z "$owner" ] || chown -- "$owner" "$tmp"
[ -z "$group" ] || chgrp -- "$group" "$tmp"
${step.validate ? `if ! out=$(${validateCommand(step.validate)} 2>&1); then printf 'validation failed: %s\\n' "$out" >&2; exit 3; fi` : ""}
sync -- "$tmp" 2>/dev/null || sync
if [ "$backup" = 1 ] && [ -e "$dst" ]; then b="$dst.$(date +%Y%m%d%H%M%S).bak"; cp -p -- "$dst" "$b"; echo "$b"; fi
mv -f -- "$tmp" "$dst"
trap - EXIT
sync -- "$dir" 2>/dev/null || true`;
  const args = [step.write, step.mode ?? "", step.owner ?? "", step.group ?? "", step.backup ? "1" : "", step.base64 ? "1" : ""];
  return conn.exec(shScript(script, args), { stdin: step.content, become });
}
