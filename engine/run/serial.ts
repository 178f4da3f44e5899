/**
 * A play's hosts in the batches `serial` makes: a number, a percentage, or a
 * list of them (the last one repeats).
 *
 * @example
 * batches(["a", "b", "c"], [1, "50%"]) // [["a"], ["b"], ["c"]]
 */
export function batches(hosts: string[], serial?: (number | string)[]): string[][] {
  if (!serial?.length) return [hosts];
  const out: string[][] = [];
  let i = 0;
  let step = 0;
  while (i < hosts.length) {
    const spec = serial[Math.min(step++, serial.length - 1)];
    const size =
      typeof spec === "string" && spec.endsWith("%") ? Math.max(1, Math.floor((hosts.length * Number(spec.slice(0, -1))) / 100)) : Math.max(1, Number(spec));
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}
