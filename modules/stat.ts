/**
 * stat: Ansible's stat — what a path is on the host, for `register` and
 * later `when:`s (`st.stat.exists`, `st.stat.isdir`, `st.stat.checksum`).
 * Reads only, so check mode runs it as the real run does. The result has
 * Ansible's keys for what hoist reads: existence, type, mode, owner, group,
 * size, a link's target, and the checksum of a regular file.
 */
import { defineModule, noChange, type Plan, type Probe } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";
import { DIGESTS, FileDigest, type Digest } from "../facts/file-digest.ts";

interface Args {
  path: string;
  get_checksum?: boolean;
  checksum_algorithm?: Digest;
  follow?: boolean;
  get_mime?: boolean;
  get_attributes?: boolean;
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const found = (await probe.statMany([args.path])).get(args.path) ?? null;
  // follow: a link is reported as what it points to (its own stat, taken through it).
  const target = found?.type === "link" && args.follow && found.target !== undefined ? found.target : undefined;
  const seen = target === undefined ? found : ((await probe.statMany([absoluteTarget(args.path, target)])).get(absoluteTarget(args.path, target)) ?? null);
  if (!seen) return noChange({ result: { stat: { exists: false } }, reason: `${args.path} does not exist` });
  const stat: Record<string, unknown> = {
    exists: true,
    path: args.path,
    mode: seen.mode,
    isdir: seen.type === "directory",
    isreg: seen.type === "file",
    islnk: seen.type === "link",
    pw_name: seen.owner,
    gr_name: seen.group,
    size: seen.size,
  };
  if (seen.type === "link") Object.assign(stat, { lnk_target: seen.target, lnk_source: absoluteTarget(args.path, seen.target ?? "") });
  if (seen.type === "file" && args.get_checksum !== false) {
    const algorithm = args.checksum_algorithm ?? "sha1";
    stat.checksum = await probe.remembered(FileDigest, { path: target === undefined ? args.path : absoluteTarget(args.path, target), algorithm });
  }
  return noChange({ result: { stat }, reason: `${args.path} is a ${seen.type}` });
}

/** A link's target as an absolute path (relative targets are relative to the link's directory). */
function absoluteTarget(link: string, target: string): string {
  if (target.startsWith("/")) return target;
  return `${link.slice(0, link.lastIndexOf("/") + 1)}${target}`.replace(/\/\.\//g, "/");
}

export default defineModule<Args>({
  name: "stat",
  aliases: ["ansible.builtin.stat"],
  description: "Read what a path is on the host (exists, type, mode, owner, size, checksum) for register and when. Changes nothing.",
  schema: {
    type: "object",
    properties: {
      path: { ...absolutePath, description: "The path on the host." },
      get_checksum: { type: "boolean", default: true, description: "Checksum a regular file (sha1 unless checksum_algorithm says otherwise)." },
      checksum_algorithm: { enum: [...DIGESTS], default: "sha1" },
      follow: { type: "boolean", default: false, description: "Report what a symbolic link points to rather than the link." },
      get_mime: { type: "boolean", description: "Accepted for Ansible's sake; hoist reports no mime type." },
      get_attributes: { type: "boolean", description: "Accepted for Ansible's sake; hoist reports no attributes." },
    },
    required: ["path"],
    additionalProperties: false,
  },
  notes: "No uid/gid numbers, times, inode or mime type: roles test `exists`, `isdir`, `isreg`, `islnk`, `mode`, `pw_name`, `size` and `checksum`.",
  examples: `
- name: is there a kubeconfig already
  stat: { path: /etc/kubernetes/admin.conf }
  register: admin_conf
- name: initialise only once
  command: kubeadm init --config /etc/kubernetes/kubeadm.yaml
  when: not admin_conf.stat.exists
`,
  plan,
});
