/**
 * SysctlValue: a kernel parameter's live value, whitespace-normalised; null
 * when /proc/sys has no such key (its module is not loaded). It is made of
 * its file in /proc/sys alone: the live value is the kernel's, which files
 * in /etc/sysctl.d change only when something applies them (sysctl -w,
 * sysctl --system, steps that say they touch anything).
 */
import { defineFact } from "../engine/fact.ts";

/**
 * Where the kernel keeps a parameter: `net.ipv4.ip_forward` is /proc/sys/net/ipv4/ip_forward.
 *
 * @example
 * sysctlPath("net.ipv4.ip_forward") // "/proc/sys/net/ipv4/ip_forward"
 */
export const sysctlPath = (name: string): string => `/proc/sys/${name.replace(/[./]/g, "/")}`;

/**
 * @example
 * await probe.fact(SysctlValue, { name: "net.ipv4.ip_forward" }) // "1"
 */
export const SysctlValue = defineFact<{ name: string }, string | null>({
  name: "SysctlValue",
  command: ({ name }) => ["sysctl", "-n", "--", name],
  parse: (r) => (r.code === 0 ? r.stdout.trim().split(/\s+/).join(" ") : null),
  // sysctl accepts both spellings of a name: net.ipv4.ip_forward and net/ipv4/ip_forward.
  files: ({ name }) => [sysctlPath(name)],
});
