/**
 * Why check mode cannot know what a task would do, as data (Terraform's
 * `DeferredReason`): which read, which earlier task, or what the module
 * said. The message people read is made from it in one place,
 * `describeUnknown`; decisions read the reason, never the message.
 *
 * @example
 * ```ts
 * import { describeUnknown, type UnknownReason } from "./unknown.ts";
 * const reason: UnknownReason = { kind: "read", read: "stat:/srv/b", by: "'maker' (site.yaml:5)" };
 * if (describeUnknown(reason) !== "cannot know until an earlier change is applied: stat:/srv/b depends on 'maker' (site.yaml:5)") throw new Error("example");
 * ```
 */

/**
 * One reason a result is unknown.
 *
 * - `read`: a read whose answer an earlier planned change decides (`by` names that task);
 * - `registered`: a template reads a registered result whose task has not really run;
 * - `facts`: host facts an earlier planned change decides;
 * - `module`: the module itself cannot know before the run (a download's content).
 *
 * @example
 * ```ts
 * import type { UnknownReason } from "./unknown.ts";
 * const r: UnknownReason = { kind: "module", why: "the port opens only once haproxy is installed" };
 * if (r.kind !== "module") throw new Error("example");
 * ```
 */
export type UnknownReason =
  | { kind: "read"; read: string; by: string }
  | { kind: "registered"; name: string }
  | { kind: "facts"; host: string; by: string }
  | { kind: "module"; why: string };

/**
 * The sentence a person reads for a reason.
 *
 * @example
 * ```ts
 * import { describeUnknown } from "./unknown.ts";
 * if (describeUnknown({ kind: "module", why: "a download" }) !== "cannot know before the run: a download") throw new Error("example");
 * ```
 */
export function describeUnknown(reason: UnknownReason): string {
  switch (reason.kind) {
    case "read":
      return `cannot know until an earlier change is applied: ${reason.read} depends on ${reason.by}`;
    case "registered":
      return `cannot know until an earlier change is applied: ${reason.name} comes from a task that has not run`;
    case "facts":
      return `cannot know until an earlier change is applied: facts of '${reason.host}' depend on ${reason.by}`;
    case "module":
      return `cannot know before the run: ${reason.why}`;
  }
}
