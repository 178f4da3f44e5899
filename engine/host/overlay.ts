/**
 * The check-mode overlay of one host: the projections of the plans planned so
 * far (in order), and what they make of a later read — a value, the host's
 * own answer, or "unknown until an earlier change is applied", naming it.
 */
import type { Projection } from "../projection.ts";
import { overlaps, staleAfter, under, type Read } from "./read.ts";

/**
 * A read that an earlier planned change makes unknowable, and that fails on
 * the host as it is now (a command an earlier install would bring): check
 * mode reports its task unknown, not failed.
 */
export class UnknowableRead extends Error {
  constructor(
    readonly read: string,
    readonly because: string,
    cause: unknown,
  ) {
    super(`${read} depends on ${because}`, { cause });
    this.name = "UnknowableRead";
  }
}

/**
 * How a read is named where check mode says it is unknowable: its key without
 * the `fact:` prefix, cut short (a fact's arguments can hold whole manifests).
 *
 * @example
 * readLabel({ key: 'fact:SystemdUnit {"unit":"etcd.service"}' }) // 'SystemdUnit {"unit":"etcd.service"}'
 */
export function readLabel(read: Read): string {
  const label = read.key.replace(/^fact:/, "");
  return label.length > 120 ? `${label.slice(0, 119)}…` : label;
}

/** A read the step's plan says it leaves alone: a fact it projects whole, or a read of one it changes only in part. */
function spared(rule: Extract<Projection, { kind: "unknown" }>, read: Read): boolean {
  const name = read.fact?.name;
  if (name === undefined) return false;
  return !!rule.except?.includes(name) || !!rule.spare?.some((s) => s.fact === name && !s.affected(read.args));
}

function makesUnknown(rule: Extract<Projection, { kind: "unknown" }>, read: Read): boolean {
  if (rule.everything || rule.keys?.includes(read.key)) return true;
  // A step's own footprint: what the real run would forget after it (read.ts), but for facts the plan itself projects.
  if (rule.touched && staleAfter(read, rule.touched) && !spared(rule, read)) return true;
  if (read.fact && rule.facts?.includes(read.fact.name)) return true;
  const paths = rule.paths ?? [];
  if (read.path !== undefined && paths.some((p) => under(read.path!, p))) return true;
  if (paths.length && read.named?.().some((n) => paths.some((p) => under(n, p)))) return true;
  return !!read.fact?.paths?.some((fp) => paths.some((p) => overlaps(fp, p)));
}

/** A missing path above one a step touched may exist after it (`mkdir -p`): known only once the read's answer is. */
const parentOfTouched = (rule: Projection, read: Read) =>
  rule.kind === "unknown" && Array.isArray(rule.touched) && read.path !== undefined && rule.touched.some((t) => under(t, read.path!));

type State = { is: "host" } | { is: "known"; value: unknown } | { is: "unknown"; by: string };

/**
 * The check-mode overlay of one host: the projections of the plans so far, in order, and what
 * they make of a later read.
 */
export class Overlay {
  private readonly rules: { rule: Projection; by: string }[] = [];

  /**
   * A plan whose own reads were unknowable projects nothing for sure: what it
   * would have projected becomes unknown instead.
   *
   * @example
   * overlay.add(Overlay.doubtful(plan.projects), "install haproxy (site.yaml:3)");
   */
  static doubtful(projections: Projection[]): Projection[] {
    return projections.map((p): Projection => {
      if (p.kind === "value") return { kind: "unknown", keys: [p.key] };
      if (p.kind === "transform") return { kind: "unknown", facts: [p.fact] };
      if (p.kind === "empty") return { kind: "unknown", paths: [p.path] };
      return p;
    });
  }

  /**
   * Add a plan's projections, in order; `by` names the task they come from.
   *
   * @example
   * overlay.add([projectStat("/srv/x", null)], "remove /srv/x (site.yaml:12)");
   */
  add(projections: Projection[], by: string): void {
    for (const rule of projections) this.rules.push({ rule, by });
  }

  /**
   * What the rules make of `read`: `host` reads the host when its answer is needed.
   *
   * @example
   * const { value, unknownBecause } = await overlay.resolve({ key: "stat:/srv/x", path: "/srv/x" }, () => realStat());
   */
  /** True while no plan has projected anything: reads go straight to the host. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The task whose planned change was projected last (undefined while empty). */
  get lastBy(): string | undefined {
    return this.rules[this.rules.length - 1]?.by;
  }

  async resolve<T>(read: Read, host: () => Promise<T>): Promise<{ value: T; unknownBecause?: string }> {
    let state = { is: "host" } as State;
    for (const { rule, by } of this.rules) {
      if (rule.kind === "value" && rule.key === read.key) state = { is: "known", value: rule.value };
      else if (rule.kind === "transform" && read.fact?.name === rule.fact && state.is !== "unknown") {
        state = { is: "known", value: rule.transform(state.is === "known" ? state.value : await host()) };
      } else if (rule.kind === "empty" && read.path !== undefined && read.path !== rule.path && under(read.path, rule.path))
        state = { is: "known", value: null };
      else if (rule.kind === "unknown" && makesUnknown(rule, read)) state = { is: "unknown", by };
      else if (parentOfTouched(rule, read) && state.is !== "unknown") {
        const value = state.is === "known" ? state.value : await host();
        state = value === null ? { is: "unknown", by } : { is: "known", value };
      }
    }
    if (state.is === "known") return { value: state.value as T };
    if (state.is !== "unknown") return { value: await host() };
    try {
      return { value: await host(), unknownBecause: state.by };
    } catch (e) {
      throw new UnknowableRead(readLabel(read), state.by, e);
    }
  }
}
