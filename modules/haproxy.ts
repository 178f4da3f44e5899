/**
 * haproxy: the configuration as data (or as text), validated with
 * `haproxy -c` before it replaces the old one and reloaded, never
 * restarted; and the runtime state of a server through the admin socket
 * (community.general.haproxy's arguments: enable, disable, drain, weight,
 * wait), read first so that only what differs is sent.
 */
import { defineModule, unknowable, type Change, type Plan, type Probe, type Step, cannotKnow, noChange, planFailure } from "../engine/module.ts";
import { absolutePath, unitName } from "./lib/argument-types.ts";
import { planFileContent } from "./lib/managed-file.ts";
import { badValue, NAME, renderConfig, type HaproxySections } from "./lib/haproxy-config.ts";
import { HaproxyServers, SOCKET_CLIENT, type ServerStat } from "../facts/haproxy-stat.ts";
import { SystemdUnit } from "../facts/systemd-unit.ts";

interface Args extends HaproxySections {
  config?: string;
  path: string;
  validate: boolean;
  reload: boolean;
  service: string;
  state?: "enabled" | "disabled" | "drain";
  host?: string;
  backend?: string;
  weight?: number;
  wait: boolean;
  wait_interval: number;
  wait_retries: number;
  shutdown_sessions: boolean;
  socket: string;
  fail_on_not_found: boolean;
}

/** Polls `show stat` until the server is in the wanted condition: argv socket backend server want retries interval. */
const WAIT = `import socket, sys, time
path, backend, server, want, retries, interval = sys.argv[1:7]
def stat():
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
    s.sendall(b"show stat\\n"); out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    s.close()
    lines = out.decode().splitlines(); cols = lines[0][2:].split(",")
    for l in lines[1:]:
        f = l.split(",")
        if len(f) == len(cols) and f[0] == backend and f[1] == server:
            return f[cols.index("status")], int(f[cols.index("scur")] or 0)
    sys.exit("%s/%s is not in haproxy any more" % (backend, server))
for i in range(int(retries)):
    st, cur = stat()
    if (want == "up" and (st.startswith("UP") or st == "no check")) or (want == "maint" and st.startswith("MAINT") and cur == 0) or (want == "drained" and st.startswith("DRAIN") and cur == 0):
        sys.exit(0)
    time.sleep(float(interval))
sys.exit("%s/%s is %s with %d sessions after %s looks %ss apart" % (backend, server, st, cur, retries, interval))
`;

const name = { type: "string", pattern: NAME };
const directives = { type: "object", propertyNames: { pattern: NAME } };
const named = { type: "object", propertyNames: { pattern: NAME }, additionalProperties: directives };

/** What an admin state is, from `show stat`'s status. */
const adminState = (s: ServerStat): "enabled" | "disabled" | "drain" =>
  s.status.startsWith("MAINT") ? "disabled" : s.status.startsWith("DRAIN") ? "drain" : "enabled";

async function planConfig(args: Args, probe: Probe): Promise<Plan> {
  const text = args.config ?? renderConfig(args);
  const file = await planFileContent(probe, args.path, text, { validate: args.validate ? ["haproxy", "-c", "-q", "-f", "%s"] : undefined });
  if (!file.changes.length) return noChange(`${args.path} is as wanted`);
  const steps: Step[] = [...file.steps];
  const projects = [];
  if (args.reload) {
    const unit = await probe.fact(SystemdUnit, { unit: args.service });
    // A reload keeps established connections; a stopped haproxy is left for the systemd module to start.
    if (unit.ActiveState === "active") {
      steps.push({ run: ["systemctl", "reload", "--", args.service], touches: [] });
      projects.push(unknowable({ facts: [HaproxyServers] }));
    }
  }
  return { changes: file.changes, steps, projects };
}

function serverCommands(args: Args, s: ServerStat): { changes: Change[]; commands: string[] } {
  const id = `${s.backend}/${s.server}`;
  const changes: Change[] = [];
  const commands: string[] = [];
  const now = adminState(s);
  if (args.state && args.state !== now) {
    changes.push({ resource: `haproxy-server:${id}`, field: "state", before: now, after: args.state });
    if (args.state === "enabled") commands.push(`set server ${id} state ready`);
    if (args.state === "drain") commands.push(`set server ${id} state drain`);
    if (args.state === "disabled") commands.push(`disable server ${id}`);
  }
  if (args.state === "disabled" && args.shutdown_sessions && (now !== "disabled" || s.sessions > 0)) commands.push(`shutdown sessions server ${id}`);
  if (args.weight !== undefined && args.weight !== s.weight) {
    changes.push({ resource: `haproxy-server:${id}`, field: "weight", before: s.weight, after: args.weight });
    commands.push(`set server ${id} weight ${args.weight}`);
  }
  return { changes, commands };
}

async function planServer(args: Args, probe: Probe): Promise<Plan> {
  const servers = await probe.fact(HaproxyServers, { socket: args.socket });
  if (servers === null) return planFailure(`nothing answers on ${args.socket}: is haproxy running, with 'stats socket ${args.socket} level admin'?`);
  const matching = servers.filter((s) => s.server === args.host && (args.backend === undefined || s.backend === args.backend));
  if (!matching.length) {
    const known = [...new Set(servers.map((s) => `${s.backend}/${s.server}`))].join(", ");
    const msg = `no server '${args.host}'${args.backend ? ` in backend '${args.backend}'` : ""}; haproxy has ${known || "no servers"}`;
    return args.fail_on_not_found ? planFailure(msg) : noChange(msg);
  }
  const changes: Change[] = [];
  const steps: Step[] = [];
  const notes: string[] = [];
  for (const s of matching) {
    const planned = serverCommands(args, s);
    changes.push(...planned.changes);
    if (planned.commands.length)
      steps.push({ run: ["python3", "-c", SOCKET_CLIENT, args.socket, ...planned.commands], describe: planned.commands.join("; "), touches: [] });
    // Enabled is an admin state; a failing health check still keeps the server out: say so, and wait for it if asked.
    if (args.state === "enabled" && s.status.startsWith("DOWN")) notes.push(`${s.backend}/${s.server} is enabled but its health check says DOWN`);
    const want = args.state === "enabled" ? "up" : args.state === "disabled" ? "maint" : args.state === "drain" ? "drained" : undefined;
    const already =
      want === "up"
        ? s.status.startsWith("UP") || s.status === "no check"
        : want === "maint"
          ? adminState(s) === "disabled" && s.sessions === 0
          : want === "drained"
            ? adminState(s) === "drain" && s.sessions === 0
            : true;
    if (args.wait && want && (planned.commands.length || !already)) {
      steps.push({
        run: ["python3", "-c", WAIT, args.socket, s.backend, s.server, want, String(args.wait_retries), String(args.wait_interval)],
        // Waiting alone changes nothing.
        ...(planned.commands.length ? {} : { unchangedCodes: [0] }),
        describe: `wait for ${s.backend}/${s.server} to be ${want}`,
        touches: [],
      });
    }
  }
  const reason = notes.length ? notes.join("; ") : changes.length ? undefined : `${args.host} is ${args.state ?? "as wanted"}`;
  if (probe.check && steps.length && !changes.length) return cannotKnow(`would wait: ${notes.join("; ") || "sessions still open"}`);
  return { changes, steps, reason, projects: changes.length ? [unknowable({ facts: [HaproxyServers] })] : [] };
}

export default defineModule<Args>({
  name: "haproxy",
  description:
    "haproxy's configuration as data (global, defaults, frontends, backends, listen) or text, validated with `haproxy -c` and reloaded on change; or a server's runtime state (enabled, disabled, drain, weight) through the admin socket.",
  schema: {
    type: "object",
    properties: {
      global: directives,
      defaults: directives,
      frontends: named,
      backends: named,
      listen: named,
      config: { type: "string", description: "The whole configuration as text, instead of sections." },
      path: { ...absolutePath, default: "/etc/haproxy/haproxy.cfg" },
      validate: { type: "boolean", default: true, description: "Check the new configuration with `haproxy -c` before it replaces the old." },
      reload: { type: "boolean", default: true, description: "Reload the service when the configuration changed and it is running." },
      service: { ...unitName, default: "haproxy.service" },
      state: { enum: ["enabled", "disabled", "drain"], description: "A server's admin state (with host)." },
      host: { ...name, description: "The server's name in the backend." },
      backend: { ...name, description: "Its backend; default: every backend that has the server." },
      weight: { type: "integer", minimum: 0, maximum: 256 },
      wait: { type: "boolean", default: false, description: "Wait until the server is UP (enabled), in MAINT without sessions (disabled) or drained (drain)." },
      wait_interval: { type: "number", minimum: 0.1, default: 5 },
      wait_retries: { type: "integer", minimum: 1, default: 25 },
      shutdown_sessions: { type: "boolean", default: false, description: "With disabled: close the server's sessions now." },
      socket: { ...absolutePath, default: "/run/haproxy/admin.sock" },
      fail_on_not_found: { type: "boolean", default: false },
    },
    additionalProperties: false,
  },
  aliases: ["community.general.haproxy"],
  notes: [
    "The configuration part has no Ansible counterpart (Ansible writes haproxy.cfg with template); the runtime part takes community.general.haproxy's arguments.",
    "A change is read from `show stat` first, so an enabled server is not enabled again; `wait` on a server already in the wanted state does not wait, and a server its health check holds DOWN is named instead of waited on forever.",
    "The admin socket is spoken to with python3 on the host (no socat needed); `socket` default /run/haproxy/admin.sock, Debian's.",
  ].join("\n"),
  examples: `
- name: the load balancer
  haproxy:
    global: { log: /dev/log local0, stats: "socket /run/haproxy/admin.sock mode 660 level admin", daemon: true }
    defaults: { mode: http, timeout: [connect 5s, client 30s, server 30s] }
    frontends:
      http: { bind: "*:80", default_backend: web }
    backends:
      web: { balance: roundrobin, server: ["web1 10.0.0.11:80 check", "web2 10.0.0.12:80 check"] }
- name: take web1 out, sessions drained
  haproxy: { state: drain, host: web1, backend: web, wait: true }
`,
  validate(args) {
    const runtime = args.state !== undefined || args.host !== undefined || args.weight !== undefined;
    const config =
      args.config !== undefined ||
      ["global", "defaults", "frontends", "backends", "listen"].some((k) => (args as unknown as Record<string, unknown>)[k] !== undefined);
    if (runtime && config) return "a task either writes the configuration or sets a server's state, not both";
    if (runtime && args.host === undefined) return "state and weight need host (the server's name)";
    if (!runtime && !config) return "give the configuration (sections or config) or a server's state (host, state)";
    if (
      args.config !== undefined &&
      ["global", "defaults", "frontends", "backends", "listen"].some((k) => (args as unknown as Record<string, unknown>)[k] !== undefined)
    )
      return "give config (text) or sections, not both";
    return badValue(args);
  },
  async plan(args, probe) {
    return args.host !== undefined ? planServer(args, probe) : planConfig(args, probe);
  },
});
