/**
 * command: run a program — the escape hatch when no module fits.
 */
import { absolutePath } from "./lib/argument-types.ts";
import { defineModule, type Plan, type Probe, noChange } from "../engine/module.ts";
import { commandLine, splitWords } from "../engine/shell.ts";

/**
 * The arguments of `command` and `shell`.
 */
export interface CommandArgs {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
}

/**
 * The argument schema `command` and `shell` share.
 */
export const commandSchema = {
  type: "object",
  properties: {
    cmd: { type: "string", description: "The command line, split into words like a shell would (no expansion, pipes or redirection)." },
    argv: { type: "array", items: { type: "string" }, minItems: 1, description: "The command as a list of words." },
    chdir: { ...absolutePath, description: "Directory to run in (absolute)." },
    creates: { type: "string", description: "Skip the command when this path exists." },
    removes: { type: "string", description: "Run the command only when this path exists." },
    stdin: { type: "string", description: "Data fed to the command's standard input." },
  },
  oneOf: [{ required: ["cmd"] }, { required: ["argv"] }],
  additionalProperties: false,
};

/**
 * The plan shared by `command` and `shell`: honour creates/removes, otherwise
 * run `argv` and count it as a change, which check mode cannot predict.
 *
 * @example
 * await planCommand({ creates: "/etc/done" }, ["touch", "/etc/done"], probe)
 */
export async function planCommand(args: CommandArgs, argv: string[], probe: Probe): Promise<Plan> {
  if (args.creates || args.removes) {
    const stats = await probe.statMany([args.creates, args.removes].filter((p): p is string => !!p));
    if (args.creates && stats.get(args.creates)) return noChange(`${args.creates} exists`);
    if (args.removes && !stats.get(args.removes)) return noChange(`${args.removes} does not exist`);
  }
  const run = args.chdir ? ["sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", args.chdir, ...argv] : argv;
  const shown = commandLine(argv);
  return {
    changes: [],
    steps: [{ run, stdin: args.stdin, describe: shown }],
    changed: true,
    unpredictable: `would run: ${shown}`,
    result: { cmd: argv },
  };
}

export default defineModule<CommandArgs>({
  name: "command",
  description:
    "Run a command on the host. Reports changed unless creates/removes (or changed_when) say otherwise; skipped in check mode, since its effect cannot be known.",
  schema: commandSchema,
  freeForm: "cmd",
  notes: "Like Ansible's command: no shell, so no pipes, redirection or variables; use `shell` for those. `argv` is the exact word list.",
  examples: `
- command: kubeadm token create --print-join-command
  register: join
  changed_when: false
- name: run once
  command: { argv: [/usr/local/bin/init-cluster, --yes], creates: /etc/cluster/initialised }
`,
  validate(args) {
    try {
      if (args.cmd !== undefined) splitWords(args.cmd);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  },
  async plan(args, probe) {
    return planCommand(args, args.argv ?? splitWords(args.cmd!), probe);
  },
});
