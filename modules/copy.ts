/**
 * copy: Ansible's copy module — a file from the control machine (the role's
 * `files/` first), from the host itself (`remote_src`), or exact `content`,
 * onto the host. A front of `file`, which does the writing.
 */
import { defineModule } from "../engine/module.ts";
import { destinationProperties, planDestination, type Destination } from "./lib/file-front.ts";

interface Args extends Destination {
  src?: string;
  content?: string;
  remote_src?: boolean;
}

export default defineModule<Args>({
  name: "copy",
  description:
    "Copy a file from the control machine (or, with remote_src, from the host) or exact content to a file on the host; `src` is looked for in the role's files/, then beside the playbook.",
  schema: {
    type: "object",
    properties: {
      src: { type: "string", minLength: 1, description: "A file on the control machine (or on the host, with remote_src)." },
      content: { type: "string", description: "Exact content, instead of src." },
      remote_src: { type: "boolean", default: false },
      ...destinationProperties,
    },
    required: ["dest"],
    additionalProperties: false,
  },
  notes: ["Copies one file: a directory as `src` (recursive copy) is not supported; `dest` is the file itself, not a directory to copy into."].join("\n"),
  examples: `
- name: the CA certificate
  copy: { src: ca.pem, dest: /etc/kubernetes/pki/ca.crt, mode: "0644" }
- name: exact content
  copy: { content: "net.ipv4.ip_forward = 1\\n", dest: /etc/sysctl.d/90-forward.conf }
`,
  validate(args) {
    if ((args.src === undefined) === (args.content === undefined)) return "give either src or content";
    if (args.src?.endsWith("/")) return "copying a directory (src ending in /) is not supported; copy its files one by one";
    return undefined;
  },
  plan: (args, probe, ctx) => planDestination(args, probe, ctx),
});
