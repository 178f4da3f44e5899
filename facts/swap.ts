/**
 * SwapUnits: the swap units systemd knows that are not masked, with the
 * path each stands for; SwapFile: a file's size and whether it carries a
 * swap signature.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * @example
 * await probe.fact(SwapUnits, {}) // [{ unit: "swapfile.swap", path: "/swapfile" }]
 */
export const SwapUnits = defineFact<Record<string, never>, { unit: string; path: string }[]>({
  name: "SwapUnits",
  command: () => [
    "sh",
    "-c",
    'systemctl list-units --type=swap --all --plain --no-legend --no-pager | while read -r u load _; do [ "$load" = masked ] || echo "$u $(systemd-escape -u --path "${u%.swap}")"; done',
  ],
  parse: (r) =>
    r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" "))
      .map(([unit, path]) => ({ unit, path })),
  paths: ["/etc/systemd/", "/run/systemd/", "/etc/fstab"],
});

/**
 * @example
 * await probe.fact(SwapFile, { path: "/swapfile" }) // { size: 1073741824, signed: true }
 */
export const SwapFile = defineFact<{ path: string }, { size: number; signed: boolean } | null>({
  name: "SwapFile",
  command: ({ path }) => ["sh", "-c", '[ -f "$1" ] || exit 3; stat -c %s -- "$1"; tail -c +$(( $(getconf PAGESIZE) - 9 )) -- "$1" | head -c 10', "sh", path],
  parse(r) {
    if (r.code === 3) return null;
    const [size, signature] = r.stdout.split("\n");
    return { size: Number(size), signed: signature === "SWAPSPACE2" };
  },
});
