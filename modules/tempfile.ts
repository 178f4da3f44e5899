/**
 * tempfile: Ansible's tempfile — a new temporary file or directory (0600 or
 * 0700, as Python's mkstemp and mkdtemp make them) made by mktemp(1), its
 * path in the result. Always a change; check mode cannot know the name, so
 * it skips the task, as Ansible does (the module has no check mode).
 */
import { defineModule, noChange, type Plan, type StepOutput } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";

interface Args {
  state?: "file" | "directory";
  path?: string;
  prefix?: string;
  suffix?: string;
}

/** A part of a file name: no slash, nothing mktemp would read as an option or another template. */
const namePart = { type: "string", pattern: "^[^/\\u0000\\n]*$" } as const;

function plan(args: Args): Plan {
  const directory = args.state === "directory";
  // Ten random characters where Python's tempfile puts eight: mktemp's own minimum is three.
  const template = `${args.prefix ?? "ansible."}XXXXXXXXXX`;
  return {
    changes: [{ resource: `tempfile:${args.path ?? "$TMPDIR"}`, field: directory ? "directory" : "file", before: null, after: "(new)" }],
    steps: [
      {
        run: ["mktemp", ...(directory ? ["-d"] : []), args.path ? `--tmpdir=${args.path}` : "--tmpdir", `--suffix=${args.suffix ?? ""}`, "--", template],
        touches: [args.path ?? "/tmp"],
        describe: `make a temporary ${directory ? "directory" : "file"}`,
      },
    ],
    unpredictable: "the name of a temporary file is chosen when it is made",
    changed: true,
    next: async (outputs: StepOutput[]) => noChange({ result: { path: outputs[0].stdout.trim(), state: directory ? "directory" : "file" } }),
  };
}

export default defineModule<Args>({
  name: "tempfile",
  aliases: ["ansible.builtin.tempfile"],
  description:
    "Make a new temporary file (0600) or directory (0700) with mktemp, in `path` or $TMPDIR (else /tmp); its path is the result's `path`. Always changed; check mode skips it.",
  schema: {
    type: "object",
    properties: {
      state: { enum: ["file", "directory"], default: "file" },
      path: { ...absolutePath, description: "The directory to make it in; default $TMPDIR, else /tmp." },
      prefix: { ...namePart, default: "ansible.", description: "The start of its name." },
      suffix: { ...namePart, default: "", description: "The end of its name." },
    },
    additionalProperties: false,
  },
  notes: "The random part of the name is ten characters long (Python's is eight).",
  examples: `
- name: a scratch directory
  tempfile: { state: directory, suffix: build }
  register: scratch
- name: unpack into it
  command: tar -xf /srv/app.tar -C {{ scratch.path }}
`,
  plan: async (args) => plan(args),
});
