/**
 * Variable scopes. Layers merge low to high (see README "Variables"); a
 * templated value is rendered lazily when read, as Ansible does, so
 * `url: "http://{{ host }}"` works wherever `host` is defined later.
 * Layers of data (what hosts answered: registered results, facts, loop items
 * made from them) are never rendered: a file on a host that holds `{{ … }}`
 * stays text, as Ansible's "unsafe" marking keeps it.
 */
import { render, containsTemplate, TemplateError } from "./template.ts";
import { RUN_SECRETS, type Vars } from "../vars.ts";

const DATA = Symbol("hoist data layer");

/** A layer whose values are data, never templates. */
export interface DataLayer {
  readonly [DATA]: Vars;
}

/**
 * Mark a layer as data: its strings are used as they are, never rendered.
 *
 * @example
 * scope({ a: "{{ b }}" }, data({ out: "{{ 7*7 }}" })).out // "{{ 7*7 }}"
 */
export function data(values: Vars): DataLayer {
  return { [DATA]: values };
}

function renderLazily(value: unknown, scope: Vars): unknown {
  if (typeof value === "string") return render(value, scope);
  if (Array.isArray(value)) return value.map((v) => renderLazily(v, scope));
  if (value && typeof value === "object") {
    const out: Vars = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderLazily(v, scope);
    return out;
  }
  return value;
}

/**
 * Merge layers (later wins) into one scope whose templated values render on read.
 *
 * @example
 * const v = scope({ a: "{{ b }}!" }, { b: "hi" });
 * v.a // "hi!"
 */
export function scope(...layers: (Vars | DataLayer | undefined)[]): Vars {
  const out: Vars = {};
  const resolving: string[] = [];
  for (const given of layers) {
    if (!given) continue;
    const isData = DATA in given;
    const layer = isData ? (given as DataLayer)[DATA] : (given as Vars);
    // The engine's own entry (a run's secrets, see engine/vars.ts) is passed on as it is: one read, scopes are hot.
    const secrets = (layer as { [RUN_SECRETS]?: unknown })[RUN_SECRETS];
    if (secrets) (out as { [RUN_SECRETS]?: unknown })[RUN_SECRETS] = secrets;
    for (const key of Object.keys(layer)) {
      const descriptor = Object.getOwnPropertyDescriptor(layer, key)!;
      if (descriptor.get) {
        Object.defineProperty(out, key, { get: descriptor.get, enumerable: true, configurable: true });
        continue;
      }
      const raw = descriptor.value;
      if (isData || !containsTemplate(raw)) {
        Object.defineProperty(out, key, { value: raw, enumerable: true, configurable: true, writable: true });
        continue;
      }
      let cached: { value: unknown } | undefined;
      Object.defineProperty(out, key, {
        enumerable: true,
        configurable: true,
        get() {
          if (cached) return cached.value;
          if (resolving.includes(key)) {
            throw new TemplateError(`variables form a cycle: ${[...resolving.slice(resolving.indexOf(key)), key].join(" -> ")}`);
          }
          resolving.push(key);
          try {
            cached = { value: renderLazily(raw, out) };
            return cached.value;
          } finally {
            resolving.pop();
          }
        },
      });
    }
  }
  return out;
}
