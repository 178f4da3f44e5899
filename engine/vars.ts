/**
 * Variable scopes. Layers merge low to high (see README "Variables"); a
 * templated value is rendered lazily when read, as Ansible does, so
 * `url: "http://{{ host }}"` works wherever `host` is defined later.
 */
import { render, isTemplated } from "./template.ts";

export type Vars = Record<string, unknown>;

function containsTemplate(v: unknown): boolean {
  if (isTemplated(v)) return true;
  if (Array.isArray(v)) return v.some(containsTemplate);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).some(containsTemplate);
  return false;
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
export function scope(...layers: (Vars | undefined)[]): Vars {
  const out: Vars = {};
  const resolving = new Set<string>();
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer)) {
      const descriptor = Object.getOwnPropertyDescriptor(layer, key)!;
      if (descriptor.get) {
        Object.defineProperty(out, key, { get: descriptor.get, enumerable: true, configurable: true });
        continue;
      }
      const raw = descriptor.value;
      if (!containsTemplate(raw)) {
        Object.defineProperty(out, key, { value: raw, enumerable: true, configurable: true, writable: true });
        continue;
      }
      let cached: { value: unknown } | undefined;
      Object.defineProperty(out, key, {
        enumerable: true,
        configurable: true,
        get() {
          if (cached) return cached.value;
          // nunjucks copies the whole context on every render, reading every
          // getter; a read while this value is being rendered gets the raw text.
          if (resolving.has(key)) return raw;
          resolving.add(key);
          try {
            cached = { value: renderLazily(raw, out) };
            return cached.value;
          } finally {
            resolving.delete(key);
          }
        },
      });
    }
  }
  return out;
}
