/**
 * WaitCondition: polls, on the host, until a TCP port or a path is in the
 * wanted state or the timeout passes, and says which it was and after how
 * many seconds. A timeout of 0 looks once. Ports are tried with bash's
 * /dev/tcp (no nc needed); a regex is searched in what the port sends first,
 * or in the file. Never memoised, never read ahead: it is a wait.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * What `wait_for` waits for (a port or a path to reach a state, a regex in a file) and how long
 * it polls.
 */
export interface WaitArgs {
  /** What is waited on: a TCP port on `host`, or a path. */
  on: "port" | "path";
  /** started/present: until it is there (matching `regex`); stopped/absent: until it is not. */
  state: "started" | "present" | "stopped" | "absent";
  host: string;
  port?: number;
  path?: string;
  regex?: string;
  timeout: number;
  sleep: number;
  connectTimeout: number;
}

const SCRIPT = `on=$1 state=$2 host=$3 target=$4 regex=$5 timeout=$6 pause=$7 ct=$8
probe() {
  if [ "$on" = port ]; then
    if [ -z "$regex" ]; then timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$target" 2>/dev/null
    else timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$0/$1" && timeout 1 cat <&3' "$host" "$target" 2>/dev/null | grep -Eq -- "$regex"; fi
  elif [ -z "$regex" ]; then test -e "$target"
  else grep -Eq -- "$regex" "$target" 2>/dev/null; fi
}
met() { case $state in started|present) probe ;; *) ! probe ;; esac; }
start=$(date +%s)
while :; do
  if met; then echo "met $(( $(date +%s) - start ))"; exit 0; fi
  spent=$(( $(date +%s) - start ))
  if [ "$spent" -ge "$timeout" ]; then echo "timeout $spent"; exit 0; fi
  sleep "$pause"
done`;

/**
 * @example
 * await probe.fact(WaitCondition, { on: "port", state: "started", host: "127.0.0.1", port: 6443, timeout: 60, sleep: 1, connectTimeout: 5 })
 * // { met: true, elapsed: 3 }
 */
export const WaitCondition = defineFact<WaitArgs, { met: boolean; elapsed: number }>({
  name: "WaitCondition",
  command: (a) => [
    "sh",
    "-c",
    SCRIPT,
    "wait_for",
    a.on,
    a.state,
    a.host,
    String(a.on === "port" ? a.port : a.path),
    a.regex ?? "",
    String(a.timeout),
    String(a.sleep),
    String(a.connectTimeout),
  ],
  parse(r) {
    const m = /^(met|timeout) (\d+)$/m.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`waiting failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return { met: m[1] === "met", elapsed: Number(m[2]) };
  },
  fresh: true,
  prefetch: false,
});
