/**
 * snap: snap packages, their channel, confinement and configuration.
 */
import { defineModule, type Change, type Plan, type Probe, type Step, planFailure } from "../engine/module.ts";
import { snapChannel, snapFile, snapName } from "./lib/argument-types.ts";
import { SnapConfig, SnapFile, SnapRefreshes, Snaps } from "../facts/snaps.ts";
import { unknowable } from "../engine/projection.ts";

/**
 * What installing or removing a snap leaves unknowable to later reads in check mode: snapd's
 * answers, the snap's files and data, and what snapd and the snap's hooks write for it (its
 * services' units, a group: a classic snap's hooks run unconfined).
 */
const SNAP_CHANGE = unknowable({ facts: [Snaps, SnapRefreshes, SnapConfig], paths: ["/snap/", "/var/snap/", "/var/lib/snapd/", "/etc/", "/run/"] });

interface Args {
  name: string | string[];
  state?: "present" | "absent" | "refreshed";
  classic?: boolean;
  channel?: string;
  options?: Record<string, string | number | boolean>;
  dangerous?: boolean;
}

const schema = {
  type: "object",
  properties: {
    name: {
      anyOf: [snapName, snapFile, { type: "array", items: { anyOf: [snapName, snapFile] }, minItems: 1 }],
      description: "Snap names, or paths of snap files on the host (with `dangerous: true`).",
    },
    state: { enum: ["present", "absent", "refreshed"], default: "present", description: "refreshed: installed and at the newest revision of its channel." },
    classic: { type: "boolean", default: false, description: "Install with classic confinement (microk8s, kubectl)." },
    channel: { ...snapChannel, description: "e.g. 1.30/stable; an installed snap tracking another channel is switched to it." },
    options: {
      type: "object",
      propertyNames: { pattern: "^[a-z0-9][a-z0-9._-]*$" },
      additionalProperties: { type: ["string", "number", "boolean"] },
      description: "Configuration set with `snap set` (keys may be dotted).",
    },
    dangerous: {
      type: "boolean",
      default: false,
      description: "Install snap files without checking their signatures (`snap install --dangerous`); needed for files that come from no store.",
    },
  },
  required: ["name"],
  additionalProperties: false,
};

const RISKS = new Set(["stable", "candidate", "beta", "edge"]);

/** snap's own shorthand: `1.30` is `1.30/stable`, `edge` is `latest/edge`. */
export function normalizeChannel(channel: string): string {
  const parts = channel.split("/");
  if (parts.length === 1) return RISKS.has(parts[0]) ? `latest/${parts[0]}` : `${parts[0]}/stable`;
  return channel;
}

const parsed = (v: unknown) => {
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
};

/** Options whose current value (`snap get -d`) differs from the wanted one, with the `snap set` words for them. */
async function optionChanges(
  probe: Probe,
  name: string,
  options: Record<string, unknown>,
  installed: boolean,
): Promise<{ changes: Change[]; assignments: string[] }> {
  let config: Record<string, unknown> = {};
  if (installed) {
    config = await probe.fact(SnapConfig, { name });
  }
  const changes: Change[] = [];
  const assignments: string[] = [];
  for (const [key, want] of Object.entries(options)) {
    const have = key.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), config);
    const after = parsed(want);
    if (JSON.stringify(have) === JSON.stringify(after)) continue;
    changes.push({ resource: `snap:${name}`, field: `option ${key}`, before: have ?? null, after });
    assignments.push(`${key}=${typeof after === "string" ? after : JSON.stringify(after)}`);
  }
  return { changes, assignments };
}

/** A snap file given instead of a name: the snap it holds, read on the host. */
const isFile = (n: string) => n.startsWith("/");

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const given = [args.name].flat();
  const files = given.filter(isFile);
  if (files.length && !args.dangerous && args.state !== "absent")
    return planFailure(`${files.join(", ")}: a snap file comes from no store, so its signature cannot be checked; say dangerous: true`);
  const inFile = new Map(await Promise.all(files.map(async (f) => [f, await probe.fact(SnapFile, { path: f })] as const)));
  const names = given.map((n) => inFile.get(n)?.name ?? n);
  const installed = new Map(Object.entries(await probe.fact(Snaps, {})));
  const changes: Change[] = [];
  const steps: Step[] = [];
  const channel = args.channel ? normalizeChannel(args.channel) : undefined;

  if (args.state === "absent") {
    for (const n of names.filter((n) => installed.has(n))) {
      changes.push({ resource: `snap:${n}`, field: "installed", before: `${installed.get(n)!.version} (${installed.get(n)!.tracking})`, after: null });
      steps.push({ run: ["snap", "remove", n] });
    }
    return changes.length ? { changes, steps, projects: [SNAP_CHANGE] } : { changes, steps, reason: `not installed: ${names.join(", ")}` };
  }

  const stale = new Set(args.state === "refreshed" ? await probe.fact(SnapRefreshes, {}) : []);
  for (const [i, n] of names.entries()) {
    const have = installed.get(n);
    const file = inFile.get(given[i]);
    if (file) {
      // A local snap gets revisions x1, x2…: the version it holds is what tells whether it is the one installed.
      if (have?.version !== file.version) {
        changes.push({
          resource: `snap:${n}`,
          field: "installed",
          before: have ? `${have.version} (${have.rev})` : null,
          after: `${file.version} (${given[i]})`,
        });
        steps.push({ run: ["snap", "install", "--dangerous", ...(args.classic ? ["--classic"] : []), "--", given[i]] });
      }
    } else if (!have) {
      changes.push({ resource: `snap:${n}`, field: "installed", before: null, after: `${channel ?? "latest/stable"}${args.classic ? ", classic" : ""}` });
      steps.push({ run: ["snap", "install", n, ...(channel ? [`--channel=${channel}`] : []), ...(args.classic ? ["--classic"] : [])] });
    } else {
      const toClassic = !!args.classic && !have.notes.includes("classic");
      if (toClassic) changes.push({ resource: `snap:${n}`, field: "confinement", before: "strict", after: "classic" });
      if (channel && have.tracking !== channel) {
        changes.push({ resource: `snap:${n}`, field: "channel", before: have.tracking, after: channel });
        steps.push({ run: ["snap", "refresh", n, `--channel=${channel}`, ...(args.classic ? ["--classic"] : [])] });
      } else if (stale.has(n)) {
        changes.push({ resource: `snap:${n}`, field: "revision", before: `${have.version} (rev ${have.rev})`, after: "newest revision" });
        steps.push({ run: ["snap", "refresh", n] });
      } else if (toClassic) {
        steps.push({ run: ["snap", "refresh", n, "--classic"] });
      }
    }
    if (args.options) {
      const opts = await optionChanges(probe, n, args.options, !!have);
      if (opts.changes.length) {
        changes.push(...opts.changes);
        steps.push({ run: ["snap", "set", n, ...opts.assignments] });
      }
    }
  }
  // What snapd will report after installs, refreshes and `snap set` is not worth guessing: later reads are unknown in check mode.
  return changes.length
    ? { changes, steps, projects: [SNAP_CHANGE] }
    : { changes, steps, reason: names.map((n) => `${n} ${installed.get(n)!.version} (${installed.get(n)!.tracking})`).join(", ") };
}

export default defineModule<Args>({
  name: "snap",
  aliases: ["community.general.snap"],
  description: "Install, refresh and remove snaps, keep them on a channel, with classic confinement, and set their configuration.",
  schema,
  notes: [
    "Channels are compared as snap normalises them: `1.30` means `1.30/stable`, `edge` means `latest/edge`.",
    "`state: refreshed` (Ansible has none) refreshes only when `snap refresh --list` shows a newer revision, so it is idempotent.",
    "`options` compares with `snap get -d` and sets only the keys that differ, in one `snap set`.",
    "Several names install one by one, since snap takes --channel and --classic for one snap at a time.",
    "A snap file on the host (with `dangerous: true`, as in community.general.snap) is installed when the snap of its name is missing or holds another version; `state: absent` with a file removes the snap it holds.",
  ].join("\n"),
  examples: `
- name: MicroK8s from a pinned channel
  snap: { name: microk8s, classic: true, channel: 1.30/stable }
- name: kubectl and helm
  snap: { name: [kubectl, helm], classic: true }
- name: a snap built in-house, from a file on the host
  snap: { name: /opt/snaps/agent_2.1.snap, dangerous: true }
- name: a snap's configuration
  snap: { name: lxd, options: { "core.https_address": "[::]:8443" } }
`,
  plan,
});
