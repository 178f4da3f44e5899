/**
 * systemd: services and other units — running state, enablement, masking,
 * and the unit file itself.
 */
import { defineModule, type Change, type Plan, type Probe, type Step, noChange, planFailure } from "../engine/module.ts";
import { absolutePath, unitName } from "./lib/argument-types.ts";
import { SystemdUnit, type UnitState } from "../facts/systemd-unit.ts";
import { UnitsNeedingReload } from "../facts/units-needing-reload.ts";
import { projectEveryFact, projectFact, type Projection } from "../engine/projection.ts";
import { planFileContent } from "./lib/managed-file.ts";

interface Args {
  name?: string;
  state?: "started" | "stopped" | "restarted" | "reloaded";
  sleep?: number;
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  content?: string;
  path?: string;
}

const schema = {
  type: "object",
  properties: {
    name: { ...unitName, description: "Unit name; `.service` is added when there is no suffix. Globs are refused: they would act on every matching unit." },
    state: { enum: ["started", "stopped", "restarted", "reloaded"] },
    sleep: { type: "integer", minimum: 0, maximum: 3600, description: "With restarted: seconds between the stop and the start (Ansible's service)." },
    enabled: { type: "boolean", description: "Start at boot." },
    masked: { type: "boolean", description: "Masked units cannot be started at all." },
    daemon_reload: { type: "boolean", default: false, description: "Reload systemd's configuration when a unit file changed on disk (NeedDaemonReload)." },
    content: { type: "string", description: "The unit file; checked with `systemd-analyze verify` before it is installed, then systemd is reloaded." },
    path: { ...absolutePath, description: "Where the unit file goes (default /etc/systemd/system/NAME)." },
  },
  additionalProperties: false,
  // Without a unit, the task can only be Ansible's bare `systemd: daemon_reload: true`.
  anyOf: [{ required: ["name"] }, { required: ["daemon_reload"], properties: { daemon_reload: { const: true } } }],
};

/**
 * `systemd: { daemon_reload: true }` with no unit: reload when a loaded unit's file changed on disk, so the task is a
 * change exactly when there was something to reload (Ansible reloads every time and reports ok).
 */
async function planDaemonReload(probe: Probe): Promise<Plan> {
  const stale = await probe.fact(UnitsNeedingReload, {});
  if (!stale.length) return noChange("no loaded unit changed on disk");
  return {
    changes: [{ resource: "systemd:daemon", field: "configuration", before: `changed on disk: ${stale.join(", ")}`, after: "reloaded" }],
    steps: [{ run: ["systemctl", "daemon-reload"] }],
    projects: [projectFact(UnitsNeedingReload, {}, []), projectEveryFact(SystemdUnit, (u) => ({ ...u, NeedDaemonReload: "no" }))],
  };
}

/** systemd-analyze only verifies files named like units, so the new file is checked under its real name. */
const verify = (unit: string) => [
  "sh",
  "-c",
  'd=$(mktemp -d) && cp "$1" "$d/$2" && systemd-analyze verify "$d/$2"; r=$?; rm -rf "$d"; exit $r',
  "sh",
  "%s",
  unit,
];

/**
 * `systemctl start` or `restart`, then whether the unit ran: systemd skips a unit whose start
 * conditions fail (ConditionCapability=, ConditionVirtualization=, …) and still exits 0, which would
 * report a start that never happened, run after run.
 */
const STARTED =
  'systemctl "$1" -- "$2" || exit; [ "$(systemctl show --property=ConditionResult --value -- "$2")" != no ] || { echo "$2 did not start: its start conditions are not met (systemctl status $2 says which)" >&2; exit 1; }';
const starting = (verb: "start" | "restart", unit: string): Step => ({
  run: ["sh", "-c", STARTED, "sh", verb, unit],
  describe: `systemctl ${verb} -- ${unit}`,
});

const ACTIVE = new Set(["active", "activating", "reloading"]);
/** Unit file states for which `enabled: true` has nothing to do. */
const ENABLED = new Set(["enabled", "enabled-runtime", "static", "alias", "indirect", "generated"]);

async function plan(args: Args, probe: Probe): Promise<Plan> {
  if (args.name === undefined) return planDaemonReload(probe);
  const unit = /\.[a-z]+$/.test(args.name) ? args.name : `${args.name}.service`;
  const systemctl = (...words: string[]): Step => ({ run: ["systemctl", ...words, "--", unit] });
  const changes: Change[] = [];
  const steps: Step[] = [];
  let info = await probe.fact(SystemdUnit, { unit });
  let reload = info.NeedDaemonReload === "yes" && (args.daemon_reload || args.content !== undefined);

  if (args.content !== undefined) {
    const file = await planFileContent(probe, args.path ?? `/etc/systemd/system/${unit}`, args.content, { mode: "0644", validate: verify(unit) });
    changes.push(...file.changes);
    steps.push(...file.steps);
    if (file.changes.length) {
      reload = true;
      if (info.LoadState === "not-found") info = { ...info, LoadState: "loaded", ActiveState: "inactive", UnitFileState: "disabled" };
    }
  }
  if (reload && !changes.length) changes.push({ resource: "systemd:daemon", field: "configuration", before: "unit file changed on disk", after: "reloaded" });
  if (reload) steps.push({ run: ["systemctl", "daemon-reload"] });

  // In check mode, a unit an earlier planned change may bring (a package) is not known here: the
  // engine reports the task unknown, because that change made this read unknowable.
  if (info.LoadState === "not-found") return planFailure(`unit ${unit} not found on ${probe.host}`);

  const masked = info.LoadState === "masked" || info.UnitFileState === "masked";
  if (args.masked === false && masked) {
    changes.push({ resource: `unit:${unit}`, field: "masked", before: true, after: false });
    steps.push(systemctl("unmask"));
  }
  const willBeMasked = args.masked ?? masked;
  if (args.enabled !== undefined && !willBeMasked) {
    const enabled = ENABLED.has(info.UnitFileState);
    if (args.enabled !== enabled && !(args.enabled === false && info.UnitFileState === "static")) {
      changes.push({ resource: `unit:${unit}`, field: "enabled", before: enabled, after: args.enabled });
      steps.push(systemctl(args.enabled ? "enable" : "disable"));
    }
  }
  const active = ACTIVE.has(info.ActiveState);
  const activeState = (after: string) => changes.push({ resource: `unit:${unit}`, field: "state", before: info.ActiveState, after });
  if (args.state === "started" && !active) {
    if (willBeMasked) return planFailure(`unit ${unit} is masked; set masked: false to start it`);
    activeState("active");
    steps.push(starting("start", unit));
  } else if (args.state === "stopped" && active) {
    activeState("inactive");
    steps.push(systemctl("stop"));
  } else if (args.state === "restarted") {
    activeState(active ? "restarted" : "active");
    if (args.sleep)
      steps.push(
        {
          run: ["sh", "-c", 'systemctl stop -- "$1" && sleep "$2"', "sh", unit, String(args.sleep)],
          describe: `systemctl stop -- ${unit}; sleep ${args.sleep}`,
        },
        starting("start", unit),
      );
    else steps.push(starting("restart", unit));
  } else if (args.state === "reloaded") {
    activeState(active ? "reloaded" : "active");
    steps.push(active ? systemctl("reload-or-restart") : starting("start", unit));
  }
  if (args.masked === true && !masked) {
    changes.push({ resource: `unit:${unit}`, field: "masked", before: false, after: true });
    steps.push(systemctl("mask"));
  }
  if (!changes.length && !steps.length) return { changes, steps, reason: `${unit} is ${info.ActiveState}, ${info.UnitFileState || "no unit file"}` };
  return { changes, steps, projects: projection(unit, info, args, reload) };
}

/** What the unit will look like after the steps, for later plans in check mode. */
function projection(unit: string, info: UnitState, args: Args, reload: boolean): Projection[] {
  const masked = args.masked ?? (info.LoadState === "masked" || info.UnitFileState === "masked");
  const active = masked ? info.ActiveState : args.state === "stopped" ? "inactive" : args.state ? "active" : info.ActiveState;
  const fileState = masked
    ? "masked"
    : args.enabled === undefined
      ? info.UnitFileState
      : args.enabled
        ? info.UnitFileState === "static"
          ? "static"
          : "enabled"
        : info.UnitFileState === "static"
          ? "static"
          : "disabled";
  const after: UnitState = { LoadState: masked ? "masked" : "loaded", ActiveState: active, UnitFileState: fileState, NeedDaemonReload: "no" };
  // daemon-reload leaves no unit needing one.
  const reloaded = reload ? [projectEveryFact(SystemdUnit, (u) => ({ ...u, NeedDaemonReload: "no" }))] : [];
  return [...reloaded, projectFact(SystemdUnit, { unit }, after)];
}

export default defineModule<Args>({
  name: "systemd",
  aliases: ["ansible.builtin.systemd", "systemd_service", "ansible.builtin.systemd_service", "service", "ansible.builtin.service"],
  description:
    "Start, stop, restart and reload systemd units, enable, disable and mask them, and install their unit files (checked with systemd-analyze verify, then systemd reloaded).",
  schema,
  notes: [
    "`restarted` and `reloaded` always count as a change, as in Ansible; use them in handlers (`notify:`).",
    "`daemon_reload: true` reloads only when systemd reports a changed unit file (NeedDaemonReload) or a drop-in it has not read yet (a new `UNIT.d/*.conf`, which systemd's own flag misses), so it stays idempotent; writing `content` reloads by itself.",
    "A start or restart that systemd skips because a start condition of the unit is not met (ConditionCapability=, ConditionVirtualization=…) fails, saying so; Ansible reports it changed while the unit stays down.",
    "`reloaded` on a stopped unit starts it; on a unit that cannot reload it restarts it (reload-or-restart).",
    "`enabled: true` is satisfied by static, alias and generated units, which cannot be enabled.",
    "In check mode, a unit that may come from an earlier planned change (a package install, a unit file written by `file`) is reported unknown, not guessed at; a unit that nothing planned could bring fails, as the real run would.",
  ].join("\n"),
  examples: `
- name: systemd reads the unit files a role changed
  systemd: { daemon_reload: true }
- name: haproxy running and started at boot
  systemd: { name: haproxy, state: started, enabled: true }
- name: a unit of our own
  systemd:
    name: node-exporter
    content: |
      [Unit]
      Description=Prometheus node exporter
      [Service]
      ExecStart=/usr/local/bin/node_exporter
      [Install]
      WantedBy=multi-user.target
    state: started
    enabled: true
- name: never swap
  systemd: { name: swap.target, masked: true }
`,
  plan,
});
