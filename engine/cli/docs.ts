/**
 * `hoist modules` output: the list, and one module's documentation with its
 * argument schema and examples.
 */
import type { Module } from "../module.ts";

const firstSentence = (text: string) => (/^[^.]*\./.exec(text)?.[0] ?? text).trim();

/** One line per module: name and first sentence of its description. */
export function moduleList(modules: Module[]): string {
  const width = Math.max(...modules.map((m) => m.name.length));
  return (
    modules
      .map((m) => `${m.name.padEnd(width)}  ${firstSentence(m.description)}`)
      .sort()
      .join("\n") + "\n"
  );
}

function describeType(schema: Record<string, unknown>): string {
  if (schema.enum) return (schema.enum as unknown[]).map(String).join(" | ");
  if (schema.anyOf || schema.oneOf) return ((schema.anyOf ?? schema.oneOf) as Record<string, unknown>[]).map(describeType).join(" or ");
  const t = schema.type;
  if (t === "array" && schema.items) return `list of ${describeType(schema.items as Record<string, unknown>)}`;
  return Array.isArray(t) ? t.join(" | ") : String(t ?? "any");
}

/** A module's documentation, as text or as JSON (description, schema, examples). */
export function moduleDoc(m: Module, json: boolean): string {
  if (json)
    return (
      JSON.stringify({ name: m.name, description: m.description, aliases: m.aliases ?? [], schema: m.schema, examples: m.examples, notes: m.notes }, null, 2) +
      "\n"
    );
  const props = (m.schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((m.schema.required as string[]) ?? []);
  const lines = [`${m.name}${m.aliases?.length ? ` (also: ${m.aliases.join(", ")})` : ""}`, "", m.description, "", "ARGUMENTS"];
  for (const [name, p] of Object.entries(props)) {
    const flags = [required.has(name) ? "required" : "", p.default !== undefined ? `default ${JSON.stringify(p.default)}` : ""].filter(Boolean).join(", ");
    lines.push(`  ${name}: ${describeType(p)}${flags ? ` (${flags})` : ""}`);
    if (p.description) lines.push(`      ${p.description}`);
  }
  if (m.notes) lines.push("", "NOTES", ...m.notes.split("\n").map((l) => `  ${l}`));
  lines.push(
    "",
    "EXAMPLES",
    ...m.examples
      .trim()
      .split("\n")
      .map((l) => `  ${l}`),
    "",
  );
  return lines.join("\n");
}
