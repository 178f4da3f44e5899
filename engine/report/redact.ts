/**
 * The one redaction pass. Every result goes through it once, before any
 * reporter sees it (text, --diff, --json, and whatever reports drift), so no
 * reporter has to know what is secret. Three things are hidden:
 * - a change a module marked `sensitive` (key material, a token): its
 *   before and after, as Terraform hides a sensitive attribute;
 * - a task with `no_log: true`: everything it returned;
 * - the values of secret variables (the become and SSH passwords, and any
 *   variable a play lists under `secret:`) wherever they appear in text, and
 *   passwords written into URLs (`get_url: { url: "https://u:pw@host/f" }`).
 * The registered result keeps the real values: later tasks may use them.
 */
import type { Change } from "../module.ts";
import type { TaskResult } from "../outcome/result.ts";

/** What a hidden value is replaced with. */
export const REDACTED = "(sensitive)";
/** What a `no_log: true` task's output is replaced with, as Ansible words it. */
export const HIDDEN = "the output has been hidden due to no_log: true";

/**
 * Secret values shorter than this are hidden only where marked sensitive:
 * replacing a one-letter password everywhere would make the output unreadable.
 */
const SHORTEST = 4;

/** A URL's `user:password@`: the user is kept, the password hidden. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]*@/gi;
const HAS_URL_PASSWORD = new RegExp(URL_PASSWORD.source, "i");

/**
 * Hides secrets (no_log results, vault values, passwords, sensitive changes) in results before
 * anything shows them: redaction happens here, once.
 */
export class Redactor {
  private readonly secrets: string[];

  /**
   * @example
   * const r = new Redactor(["hunter22"]);
   * r.text("login hunter22 ok") // "login (sensitive) ok"
   */
  constructor(secrets: Iterable<unknown>) {
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...new Set([...secrets].filter((s): s is string => typeof s === "string" && s.length >= SHORTEST))].sort((a, b) => b.length - a.length);
  }

  /** Text with every secret value replaced, and the password of any URL holding one (`https://u:pw@host/`). */
  text(s: string): string {
    let out = s.replace(URL_PASSWORD, `$1${REDACTED}@`);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Any value, with secrets replaced in every string inside it. */
  value<T>(v: T): T {
    if (typeof v === "string") return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x)) as T;
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)])) as T;
    return v;
  }

  private change(c: Change): Change {
    if (c.sensitive)
      return {
        ...c,
        before: c.before === null || c.before === undefined ? c.before : REDACTED,
        after: c.after === null || c.after === undefined ? c.after : REDACTED,
      };
    return this.value(c);
  }

  /**
   * A task's result as reporters may show it.
   *
   * @example
   * redactor.result(result, { noLog: task.noLog })
   */
  result(r: TaskResult, options: { noLog?: boolean } = {}): TaskResult {
    // Nothing secret to look for and nothing marked: the result goes out as it is (most results).
    if (!options.noLog && this.secrets.length === 0 && !r.changes.some((c) => c.sensitive) && !r.results?.length && !HAS_URL_PASSWORD.test(JSON.stringify(r)))
      return r;
    if (options.noLog) {
      return {
        ...r,
        msg: r.msg === undefined ? undefined : HIDDEN,
        changes: r.changes.map((c) => ({
          ...(c.resource ? { resource: c.resource } : {}),
          field: c.field,
          ...(c.path ? { path: c.path } : {}),
          before: REDACTED,
          after: REDACTED,
          sensitive: true,
        })),
        values: {},
        item: r.item === undefined ? undefined : "hidden",
        label: r.label === undefined ? undefined : "hidden",
        results: r.results?.map((x) => this.result(x, options)),
      };
    }
    return {
      ...r,
      msg: r.msg === undefined ? undefined : this.text(r.msg),
      changes: r.changes.map((c) => this.change(c)),
      values: this.value(r.values),
      item: this.value(r.item),
      label: r.label === undefined ? undefined : this.text(r.label),
      results: r.results?.map((x) => this.result(x, options)),
    };
  }
}
