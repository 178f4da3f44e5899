/**
 * One run at a time per host, decided on the host itself so that two control
 * machines exclude each other too. The lock is flock(1) on a file in a
 * directory of the login user's own (`/run/hoist` for root, else under
 * `XDG_RUNTIME_DIR` or `/run/lock/hoist-USER`; mode 0700, checked to be a
 * directory it owns), so no other local user can hold it or forge who holds it. It is held by a shell that lives exactly as long as the
 * run's connection: when hoist exits or is killed, sshd ends that shell and
 * the lock is gone, so it never goes stale; commands run with its descriptor
 * closed, so nothing a task leaves behind holds it. Real runs hold it
 * exclusively; check runs share it (they change nothing, but must not read a
 * host halfway through a real run). The holder writes who it is beside the
 * lock, so a run that waits can say whom it waits for.
 */
import { quote } from "../shell.ts";

/**
 * The run lock of one host, held while hoist is connected: released when the connection closes.
 */
export interface HostLock {
  /** Identifies this run; a second connection of the same run to the same machine does not wait for the first. */
  runId: string;
  /** A real run (exclusive) or a check run (shared). */
  exclusive: boolean;
  /** How long to wait for another run to finish. */
  timeoutMs: number;
  /** Who holds it, shown to a run that waits: host, user, pid, start time. */
  holder: string;
}

/** The descriptor the lock is held on; every command runs with it closed. */
export const LOCK_FD = 9;

/** Exit status of the lock script when another run holds the lock too long. */
export const LOCK_BUSY = 75;

/**
 * Shell text that takes the lock in the shell that runs it (it must not run
 * in a subshell: the lock lives as long as that shell's fd 9) and prints, on
 * failure, why. Without flock(1) on the host, no lock is taken and it says so
 * on stderr.
 *
 * @example
 * session.runInShell(lockScript({ runId: "r1", exclusive: true, timeoutMs: 60000, holder: "ctl pid 42" }, "root"));
 */
export function lockScript(lock: HostLock, user: string): string {
  const seconds = Math.max(1, Math.ceil(lock.timeoutMs / 1000));
  const mode = lock.exclusive ? "-x" : "-s";
  return `hoist_lock() {
  command -v flock >/dev/null 2>&1 || { echo "hoist: flock(1) is missing on this host: no run lock taken" >&2; return 0; }
  ${
    user === "root"
      ? "d=/run/hoist"
      : `if [ -n "\${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ]; then d="$XDG_RUNTIME_DIR/hoist"
  else b=/run/lock; [ -d "$b" ] && [ -w "$b" ] || b=/tmp; d="$b"/${quote(`hoist-${user}`)}
  fi`
  }
  # Checked once (shell built-ins only after that: the lock is in front of every run's first command): a directory
  # of this user's, made 0700 and marked, can be changed only by this user or root. Someone else's directory, or a
  # link, would let them hold the lock or name its holder: refused.
  if [ -L "$d" ] || [ ! -O "$d" ] || [ ! -e "$d/.private" ]; then
    (umask 077; mkdir -p -- "$d") 2>/dev/null
    if [ -L "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ] || [ "$(stat -c %a -- "$d" 2>/dev/null)" != 700 ]; then
      printf 'the run lock directory %s on %s is not private to %s (%s): remove it\\n' "$d" "$(hostname)" ${quote(user)} "$(stat -c 'owner %U, mode %a' -- "$d" 2>&1)"; return ${LOCK_BUSY}
    fi
    : > "$d/.private"
  fi
  l="$d/lock"; i="$d/holder"
  exec 9>>"$l" || { echo "hoist: cannot open $l: no run lock taken" >&2; return 0; }
  if ! flock -n ${mode} 9; then
    grep -qxF ${quote(`run=${lock.runId}`)} "$i" 2>/dev/null && return 0
    printf 'waiting for the run lock on %s held by: %s\\n' "$(hostname)" "$(tail -n +2 "$i" 2>/dev/null | tr '\\n' ' ')" >&2
    flock -w ${seconds} ${mode} 9 || { printf 'another hoist run holds the lock on %s (%s): waited ${seconds} s\\n' "$(hostname)" "$(tail -n +2 "$i" 2>/dev/null | tr '\\n' ' ')"; return ${LOCK_BUSY}; }
  fi
  ${lock.exclusive ? `{ printf '%s\\n%s\\n' ${quote(`run=${lock.runId}`)} ${quote(lock.holder)} > "$i"; } 2>/dev/null || true` : ":"}
}
hoist_lock`;
}
