/**
 * slurp: a file's content from the host into a registered result (base64, as
 * Ansible's slurp returns it), read through the probe: in check mode it is
 * the file that is there, or what an earlier planned change makes of it, or
 * unknown — never a command skipped. Changes nothing.
 */
import { defineModule, noChange, planFailure } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";

export default defineModule<{ src: string }>({
  name: "slurp",
  aliases: ["ansible.builtin.slurp"],
  description: "Read a file on the host into the registered result (`content`, base64). Changes nothing; check mode reads it too.",
  schema: {
    type: "object",
    properties: { src: { ...absolutePath, description: "The file to read." } },
    required: ["src"],
    additionalProperties: false,
  },
  notes: "Text files (read as UTF-8): keys, certificates, tokens, configuration. A file that is not there fails the task, as in Ansible.",
  examples: `
- name: every controller's service-account public key
  slurp: { src: /etc/kubernetes/pki/service-accounts.pub }
  register: sa_pub
- copy:
    dest: /etc/kubernetes/pki/all.pub
    content: "{% for h in groups.controllers %}{{ hostvars[h].sa_pub.content | b64decode }}{% endfor %}"
`,
  async plan(args, probe) {
    const text = await probe.readFile(args.src);
    if (text === null) return planFailure(`${args.src} is not there on ${probe.host}`);
    return noChange({ result: { content: Buffer.from(text, "utf8").toString("base64"), encoding: "base64", source: args.src } });
  },
});
