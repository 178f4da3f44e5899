/**
 * One directed graph check for every place hoist orders things (tasks on a
 * host, tasks across hosts, inventory groups): find a cycle, if there is one.
 * Iterative, so a long chain (every task waits for the one before it, on
 * fifty hosts) cannot overflow the stack.
 *
 * @example
 * findCycle(["a", "b"], (n) => (n === "a" ? ["b"] : ["a"])) // ["a", "b", "a"]
 * findCycle(["a", "b"], (n) => (n === "a" ? ["b"] : []))    // undefined
 */
export function findCycle<N>(nodes: Iterable<N>, edges: (node: N) => Iterable<N>, key: (node: N) => string = String): N[] | undefined {
  const state = new Map<string, 1 | 2>();
  for (const start of nodes) {
    if (state.has(key(start))) continue;
    const path: N[] = [start];
    const pending: Iterator<N>[] = [edges(start)[Symbol.iterator]()];
    state.set(key(start), 1);
    while (pending.length) {
      const next = pending[pending.length - 1].next();
      if (next.done) {
        state.set(key(path.pop()!), 2);
        pending.pop();
        continue;
      }
      const k = key(next.value);
      if (state.get(k) === 2) continue;
      if (state.get(k) === 1) return [...path.slice(path.findIndex((n) => key(n) === k)), next.value];
      state.set(k, 1);
      path.push(next.value);
      pending.push(edges(next.value)[Symbol.iterator]());
    }
  }
  return undefined;
}
