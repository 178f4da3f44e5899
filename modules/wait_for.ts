/**
 * wait_for: wait, on the host, until a TCP port accepts connections (or
 * stops), a file appears (or goes, or holds a regex) — polling there in one
 * command, not from the control machine. Never a change; in check mode it
 * looks once and, when the condition does not hold yet, says it cannot know.
 */
import { defineModule, cannotKnow, noChange } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";
import { WaitCondition } from "../facts/wait-condition.ts";

interface Args {
  host: string;
  port?: number;
  path?: string;
  search_regex?: string;
  state: "started" | "stopped" | "present" | "absent";
  timeout: number;
  delay: number;
  sleep: number;
  connect_timeout: number;
  msg?: string;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

export default defineModule<Args>({
  name: "wait_for",
  description: "Wait on the host until a TCP port is open (or closed) or a path exists (or not, or contains a regex), for at most `timeout` seconds.",
  schema: {
    type: "object",
    properties: {
      host: {
        type: "string",
        pattern: "^[A-Za-z0-9_.:][A-Za-z0-9_.:-]*$",
        default: "127.0.0.1",
        description: "Host (name or address) whose port is waited on, from the managed host.",
      },
      port: { type: "integer", minimum: 1, maximum: 65535 },
      path: absolutePath,
      search_regex: { type: "string", description: "Extended regex that the port's first output, or the file, must contain." },
      state: {
        enum: ["started", "stopped", "present", "absent"],
        default: "started",
        description: "started/present: until it is there; stopped/absent: until it is gone.",
      },
      timeout: { type: "integer", minimum: 0, default: 300, description: "Seconds to wait at most." },
      delay: { type: "integer", minimum: 0, default: 0, description: "Seconds to wait before the first look." },
      sleep: { type: "integer", minimum: 1, default: 1, description: "Seconds between looks." },
      connect_timeout: { type: "integer", minimum: 1, default: 5, description: "Seconds one connection attempt may take." },
      msg: { type: "string", description: "The failure message when the time is up." },
    },
    additionalProperties: false,
  },
  notes: [
    "No `drained`, `exclude_hosts` or `active_connection_states`: use `state: stopped` for a port that must close.",
    "Polls on the host with bash's /dev/tcp, so `host` is seen from the managed host, as in Ansible (use delegate_to to wait from elsewhere).",
    "In check mode it looks once without waiting: ok when the condition already holds, unknown when it does not (something may make it hold).",
  ].join("\n"),
  examples: `
- name: the API answers
  wait_for: { port: 6443, timeout: 120 }
- name: the join finished
  wait_for: { path: /var/snap/microk8s/current/var/lock/ha-cluster, timeout: 600 }
- name: the log says ready
  wait_for: { path: /var/log/app.log, search_regex: "listening on [0-9]+" }
`,
  validate(args) {
    if ((args.port === undefined) === (args.path === undefined)) return "give either port or path";
    if (args.path !== undefined && args.state === "stopped") return "a path is present or absent; stopped is for ports";
    if (args.port !== undefined && (args.state === "present" || args.state === "absent")) return "a port is started or stopped; present/absent are for paths";
    if (args.search_regex !== undefined && (args.state === "stopped" || args.state === "absent")) return "search_regex goes with started or present";
    return undefined;
  },
  async plan(args, probe) {
    const on = args.port !== undefined ? "port" : "path";
    const what = on === "port" ? `${args.host}:${args.port}` : args.path!;
    const base = {
      on,
      host: args.host,
      port: args.port,
      path: args.path,
      regex: args.search_regex,
      sleep: args.sleep,
      connectTimeout: args.connect_timeout,
    } as const;
    // A path waits to be present; `started` (the default) means the same for it.
    const state = on === "path" && args.state === "started" ? "present" : args.state;
    const wanted = `${what} to be ${state}${args.search_regex ? ` matching /${args.search_regex}/` : ""}`;
    if (probe.check) {
      const now = await probe.fact(WaitCondition, { ...base, state, timeout: 0 });
      if (now.met) return noChange({ reason: `${what} is ${state}`, result: { elapsed: 0, state } });
      return cannotKnow(`would wait up to ${args.timeout}s for ${wanted}`);
    }
    if (args.delay) await sleep(args.delay);
    const waited = await probe.fact(WaitCondition, { ...base, state, timeout: args.timeout });
    const result = { elapsed: waited.elapsed + args.delay, state, ...(args.port !== undefined ? { port: args.port } : { path: args.path }) };
    if (!waited.met) return noChange({ fail: args.msg ?? `timeout after ${args.timeout}s waiting for ${wanted}`, result });
    return noChange({ reason: `${what} is ${state} after ${result.elapsed}s`, result });
  },
});
