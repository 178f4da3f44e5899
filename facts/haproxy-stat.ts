/**
 * HaproxyServers: the servers of a running haproxy, read through its admin
 * socket (`show stat`) with python3 (hosts rarely have socat): per backend
 * and server, the status, weight and current sessions; null when nothing
 * listens on the socket (haproxy stopped, or no `stats socket`).
 */
import { defineFact } from "../engine/fact.ts";

/**
 * One server of a haproxy backend as its runtime API reports it: status, weight, sessions.
 */
export interface ServerStat {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, DRAIN, NOLB, "no check", with haproxy's qualifiers ("UP 1/3", "MAINT (resolution)"). */
  status: string;
  weight: number;
  sessions: number;
}

/**
 * Talks to haproxy's admin socket: argv socket, then the commands (each
 * answered whole, one connection each). Exit 2 when nothing listens.
 */
export const SOCKET_CLIENT = `import socket, sys
path = sys.argv[1]
for cmd in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    try:
        s.connect(path)
    except OSError as e:
        sys.stderr.write("haproxy admin socket %s: %s\\n" % (path, e)); sys.exit(2)
    s.sendall((cmd + "\\n").encode())
    out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    s.close()
    sys.stdout.write(out.decode())
`;

/**
 * The servers in `show stat` CSV (frontends and backend totals left out).
 *
 * @example
 * parseStat("# pxname,svname,qcur,qmax,scur,…,status,weight,…\nweb,w1,0,0,2,…,UP,1,…\n") // [{ backend: "web", server: "w1", status: "UP", weight: 1, sessions: 2 }]
 */
export function parseStat(csv: string): ServerStat[] {
  const lines = csv.split("\n").filter((l) => l.trim() !== "");
  const header = lines.find((l) => l.startsWith("# "));
  if (!header) return [];
  const cols = header.slice(2).split(",");
  const at = (name: string) => cols.indexOf(name);
  return lines
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.split(","))
    .filter((f) => f[at("svname")] !== "FRONTEND" && f[at("svname")] !== "BACKEND")
    .map((f) => ({
      backend: f[at("pxname")],
      server: f[at("svname")],
      status: f[at("status")],
      weight: Number(f[at("weight")]),
      sessions: Number(f[at("scur")]),
    }));
}

/**
 * @example
 * await probe.fact(HaproxyServers, { socket: "/run/haproxy/admin.sock" }) // [{ backend: "web", server: "web1", status: "UP", weight: 1, sessions: 0 }, …]
 */
export const HaproxyServers = defineFact<{ socket: string }, ServerStat[] | null>({
  name: "HaproxyServers",
  command: ({ socket }) => ["python3", "-c", SOCKET_CLIENT, socket, "show stat"],
  parse(r) {
    if (r.code === 2) return null;
    if (r.code !== 0) throw new Error(`haproxy show stat failed (exit ${r.code}): ${r.stderr.trim()}`);
    return parseStat(r.stdout);
  },
  // The runtime state moves by itself (health checks, sessions): asked again every time.
  fresh: true,
});
