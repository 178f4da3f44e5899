import { test } from "node:test";
import assert from "node:assert/strict";
import { findCycle } from "../../engine/graph/graph.ts";

test("a cycle is found and returned from where it closes; none in a DAG", () => {
  const g: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a"], d: ["a"] };
  assert.deepEqual(
    findCycle(["d", "a", "b", "c"], (n) => g[n]),
    ["a", "b", "c", "a"],
  );
  assert.equal(
    findCycle(["a", "b", "c"], (n) => (({ a: ["b", "c"], b: ["c"], c: [] }) as Record<string, string[]>)[n]),
    undefined,
  );
  assert.deepEqual(
    findCycle(["x"], () => ["x"]),
    ["x", "x"],
  );
});

test("a chain of 100,000 nodes does not overflow the stack", () => {
  assert.equal(
    findCycle([99999], (n) => (n > 0 ? [n - 1] : [])),
    undefined,
  );
});

test("nodes may be any value, told apart by a key", () => {
  const nodes: [number, string][] = [
    [0, "h1"],
    [1, "h1"],
    [0, "h2"],
  ];
  const edges = ([i, h]: [number, string]): [number, string][] => (i === 1 ? [[0, "h2"]] : h === "h2" ? [[1, "h1"]] : []);
  assert.deepEqual(
    findCycle(nodes, edges, ([i, h]) => `${i}@${h}`)?.map(([i, h]) => `${i}@${h}`),
    ["1@h1", "0@h2", "1@h1"],
  );
});
