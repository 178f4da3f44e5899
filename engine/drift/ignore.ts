/**
 * `drift_ignore:` rules: what an operator accepts as legitimately changing
 * (replicas an autoscaler owns, a file another tool rewrites). A rule names
 * glob patterns (engine/drift/glob.ts) for any of host, task (its name, `file:line` or
 * identity), resource and field; an item matching every pattern given is
 * listed as ignored, not as drift. Rules live in a YAML file given with
 * `--ignore FILE`; bad rules are bad input (exit 4, file:line:col).
 */
import { globMatcher } from "./glob.ts";
import { loadYamlFile } from "../load/yaml.ts";
import { validateSchema } from "../load/validate.ts";
import { InputError } from "../errors.ts";
import { type DriftItem, type DriftReport, settle } from "./report.ts";

/** One rule as written. */
export interface IgnoreRule {
  host?: string;
  task?: string;
  resource?: string;
  field?: string;
  /** Why it is ignored: shown in reports. */
  reason?: string;
}

const pattern = { type: "string", minLength: 1 };
const schema = {
  type: "object",
  properties: {
    drift_ignore: {
      type: "array",
      items: {
        type: "object",
        properties: { host: pattern, task: pattern, resource: pattern, field: pattern, reason: { type: "string" } },
        additionalProperties: false,
        anyOf: [{ required: ["host"] }, { required: ["task"] }, { required: ["resource"] }, { required: ["field"] }],
      },
    },
  },
  required: ["drift_ignore"],
  additionalProperties: false,
};

/**
 * Read rules from a YAML file holding `drift_ignore: [...]`.
 *
 * @example
 * loadIgnoreRules("drift-ignore.yaml") // [{ resource: "k8s:Deployment/*\/*", field: "spec.replicas", reason: "HPA" }]
 */
export function loadIgnoreRules(file: string): IgnoreRule[] {
  const doc = loadYamlFile<{ drift_ignore: IgnoreRule[] }>(file);
  if (!doc.value || typeof doc.value !== "object" || Array.isArray(doc.value))
    throw new InputError("a drift ignore file holds a mapping with the key drift_ignore", doc.at([]));
  validateSchema(schema, doc.value, { located: doc, what: "drift ignore file" });
  return doc.value.drift_ignore;
}

/** A rule as a test of one item. */
function matcher(rule: IgnoreRule): (i: DriftItem) => boolean {
  // `/` separates path segments: `*` stays within one, `**` crosses them.
  const glob = (p: string | undefined) => (p === undefined ? () => true : globMatcher(p));
  const host = glob(rule.host);
  const task = glob(rule.task);
  const resource = glob(rule.resource);
  const field = glob(rule.field);
  return (i) => host(i.host) && (task(i.task) || task(i.where) || task(i.identity)) && resource(i.resource) && field(i.field);
}

/** How a rule is named in reports. */
export function describeRule(rule: IgnoreRule): string {
  const parts = (["host", "task", "resource", "field"] as const).filter((k) => rule[k] !== undefined).map((k) => `${k}=${rule[k]}`);
  return `${parts.join(" ")}${rule.reason ? ` (${rule.reason})` : ""}`;
}

/**
 * Move the drift that a rule matches to `ignored`.
 *
 * @example
 * applyIgnore(report, [{ resource: "k8s:Deployment/*\/web", field: "spec.replicas" }]).ignored.length // 1
 */
export function applyIgnore(report: DriftReport, rules: IgnoreRule[]): DriftReport {
  if (rules.length === 0) return report;
  const tests = rules.map((r) => ({ test: matcher(r), name: describeRule(r) }));
  const drift: DriftItem[] = [];
  const ignored: DriftItem[] = [...report.ignored];
  for (const item of report.drift) {
    const rule = tests.find((t) => t.test(item));
    if (rule) ignored.push({ ...item, rule: rule.name });
    else drift.push(item);
  }
  return settle({ ...report, drift, ignored });
}
