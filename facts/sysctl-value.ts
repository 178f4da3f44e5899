/**
 * SysctlValue: a kernel parameter's live value, whitespace-normalised; null
 * when /proc/sys has no such key (its module is not loaded). It has no
 * `paths`: the live value is the kernel's, which files change only when
 * something applies them (sysctl -w, sysctl --system).
 */
import { defineFact } from "../engine/fact.ts";

/**
 * @example
 * await probe.fact(SysctlValue, { name: "net.ipv4.ip_forward" }) // "1"
 */
export const SysctlValue = defineFact<{ name: string }, string | null>({
  name: "SysctlValue",
  command: ({ name }) => ["sysctl", "-n", "--", name],
  parse: (r) => (r.code === 0 ? r.stdout.trim().split(/\s+/).join(" ") : null),
});
