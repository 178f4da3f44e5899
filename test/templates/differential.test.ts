/**
 * Templates against the oracle: every case of the corpus (templates and `{{ }}`
 * strings of public roles, see SOURCES.md) rendered by ansible-core's templar,
 * in a virtualenv this suite makes, and by hoist; the outcomes compared byte
 * for byte (the value as JSON, or both an error). Every difference hoist keeps
 * is listed in known-differences.json with its reason: a new one fails the
 * suite, and so does a listed one that no longer differs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OMIT, render, renderTemplateFile } from "../../engine/template/template.ts";
import { scope } from "../../engine/template/vars.ts";
import { ANSIBLE_CORE, oraclePython } from "../oracle.ts";

const here = join(import.meta.dirname, "..", "..", "..", "test", "templates");

interface Corpus {
  vars: Record<string, Record<string, unknown>>;
  cases: { template: string; role: string; file?: boolean }[];
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function hoistOutcome(corpus: Corpus, c: Corpus["cases"][number], scopes: Map<string, Record<string, unknown>>): Outcome {
  let vars = scopes.get(c.role);
  if (!vars) scopes.set(c.role, (vars = scope(corpus.vars[c.role])));
  try {
    const value = c.file ? renderTemplateFile(c.template, vars) : render(c.template, vars);
    return { ok: true, value: JSON.parse(JSON.stringify(value) ?? "null") };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Ansible refuses a whole template that is `omit` (nothing to leave out at the top); hoist's marker is the same answer. */
const omitted = (a: Outcome, b: Outcome) => !a.ok && a.error.startsWith("AnsibleValueOmittedError") && b.ok && b.value === OMIT;
const same = (a: Outcome, b: Outcome) =>
  omitted(a, b) || (a.ok === b.ok && (!a.ok || JSON.stringify(a.value) === JSON.stringify((b as { value: unknown }).value)));

test("templates of public roles render as ansible-core renders them", () => {
  const corpus = JSON.parse(readFileSync(join(here, "corpus.json"), "utf8")) as Corpus;
  const known = JSON.parse(readFileSync(join(here, "known-differences.json"), "utf8")) as { template: string; role: string; reason: string }[];
  const answers = JSON.parse(
    execFileSync(oraclePython(), [join(here, "oracle.py"), join(here, "corpus.json")], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as Outcome[];
  assert.equal(answers.length, corpus.cases.length);
  const scopes = new Map<string, Record<string, unknown>>();
  const differ: { i: number; ansible: Outcome; hoist: Outcome }[] = [];
  let rendered = 0;
  corpus.cases.forEach((c, i) => {
    const mine = hoistOutcome(corpus, c, scopes);
    if (!same(answers[i], mine)) differ.push({ i, ansible: answers[i], hoist: mine });
    else if (answers[i].ok) rendered++;
  });
  const total = corpus.cases.length;
  const identical = total - differ.length;
  const isKnown = (d: { i: number }) => known.some((k) => k.template === corpus.cases[d.i].template && k.role === corpus.cases[d.i].role);
  const unexplained = differ.filter((d) => !isKnown(d));
  const mended = known.filter((k) => !differ.some((d) => corpus.cases[d.i].template === k.template && corpus.cases[d.i].role === k.role));
  console.log(
    `templates vs ansible-core: ${identical}/${total} identical to ${ANSIBLE_CORE} (${((100 * identical) / total).toFixed(2)}%): ${rendered} rendered alike, ${identical - rendered} failed alike; ${differ.length} known differences (test/templates/known-differences.json)`,
  );
  if (process.env.HOIST_DIFF_OUT)
    writeFileSync(
      process.env.HOIST_DIFF_OUT,
      JSON.stringify(
        unexplained.map((d) => ({ ...corpus.cases[d.i], ansible: d.ansible, hoist: d.hoist })),
        null,
        1,
      ),
    );
  for (const d of unexplained.slice(0, 20))
    console.log(
      `    DIFFERS ${corpus.cases[d.i].role}: ${JSON.stringify(corpus.cases[d.i].template.slice(0, 200))}\n      ansible: ${JSON.stringify(d.ansible).slice(0, 300)}\n      hoist:   ${JSON.stringify(d.hoist).slice(0, 300)}`,
    );
  assert.deepEqual(unexplained.length, 0, `${unexplained.length} differences not in known-differences.json`);
  assert.deepEqual(mended, [], "listed differences that no longer differ: take them out of known-differences.json");
  assert.ok(identical / total >= 0.99, `identical ${identical}/${total}, below 99%`);
});
