/**
 * shell: run a command line through /bin/sh (pipes, redirection, variables).
 */
import { defineModule } from "../engine/module.ts";
import { commandSchema, planCommand, type CommandArgs } from "./command.ts";

interface ShellArgs extends CommandArgs {
  executable?: string;
}

export default defineModule<ShellArgs>({
  name: "shell",
  description: "Run a command line through a shell. Reports changed unless creates/removes (or changed_when) say otherwise; skipped in check mode.",
  schema: {
    ...commandSchema,
    properties: { ...commandSchema.properties, executable: { type: "string", default: "/bin/sh", description: "The shell." } },
    oneOf: [{ required: ["cmd"] }],
  },
  freeForm: "cmd",
  examples: `
- shell: dpkg -l | grep -c ^ii
  register: count
  changed_when: false
`,
  async plan(args, probe) {
    return planCommand(args, [args.executable!, "-c", args.cmd!], probe);
  },
});
