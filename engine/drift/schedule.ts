/**
 * Schedules for `hoist drift --install-timer`: a cron expression (five
 * fields, or @hourly/@daily/@weekly/@monthly) as systemd's OnCalendar, or a
 * systemd calendar expression kept as written (for systemd only).
 *
 * Hand-written: no maintained library turns cron into OnCalendar; the
 * translation expands each field into the values it stands for, so every
 * cron form (lists, ranges, steps, names) comes out as plain lists.
 * The lab test checks its output with `systemd-analyze calendar`.
 */
import { InputError } from "../errors.ts";

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

const NICKNAMES: Record<string, string> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

/** A parsed schedule: the cron line (when it is cron) and the systemd calendar expression. */
export interface Schedule {
  cron?: string;
  onCalendar: string;
}

/** The values one cron field stands for, or an error message. */
function expand(text: string, f: (typeof FIELDS)[number]): number[] {
  const names: readonly string[] = "names" in f ? f.names : [];
  const value = (s: string) => {
    const i = names.indexOf(s.toLowerCase());
    const n = i >= 0 ? i + ("names" in f && f.name === "month" ? 1 : 0) : /^\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!Number.isInteger(n) || n < f.min || n > f.max) throw new InputError(`--install-timer: ${f.name} '${s}' is not between ${f.min} and ${f.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new InputError(`--install-timer: cannot read ${f.name} '${part}'`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new InputError(`--install-timer: ${f.name} step must be at least 1`);
    let [lo, hi] = [f.min as number, f.max as number];
    if (m[1] !== "*") {
      const [a, b] = m[1].split("-");
      lo = value(a);
      hi = b === undefined ? (m[2] === undefined ? lo : f.max) : value(b);
      if (hi < lo) throw new InputError(`--install-timer: ${f.name} range '${m[1]}' runs backwards`);
    }
    for (let n = lo; n <= hi; n += step) out.add(f.name === "day of week" && n === 7 ? 0 : n);
  }
  return [...out].sort((a, b) => a - b);
}

const pad = (n: number) => String(n).padStart(2, "0");
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * Read `--install-timer`'s schedule.
 *
 * @example
 * parseSchedule("*\/30 * * * *") // { cron: "*\/30 * * * *", onCalendar: "*-*-* *:00,30:00" }
 * parseSchedule("0 6 * * 1-5").onCalendar // "Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"
 * parseSchedule("*:0/5").onCalendar // "*:0/5" (a systemd calendar expression, kept)
 */
export function parseSchedule(text: string): Schedule {
  const spec = text.trim();
  const cron = NICKNAMES[spec.toLowerCase()] ?? spec;
  const parts = cron.split(/\s+/);
  if (parts.length !== 5) {
    // Not cron: a systemd calendar expression, which only systemd reads (systemd-analyze checks it where it runs).
    if (!/^[A-Za-z0-9*:.,/~ -]{1,100}$/.test(spec)) throw new InputError(`--install-timer: '${text}' is neither a cron expression nor a systemd calendar`);
    return { onCalendar: spec };
  }
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => expand(p, FIELDS[i]));
  const full = (values: number[], i: number) => values.length === FIELDS[i].max - FIELDS[i].min + 1 - (i === 4 ? 1 : 0);
  // cron runs on either restricted day field; systemd needs both to match: refuse what cannot be said.
  if (!full(days, 2) && !full(weekdays, 4))
    throw new InputError(
      "--install-timer: a cron day of month and day of week both restricted means either day, which systemd cannot say; give one, or a systemd calendar expression",
    );
  // A day no month listed has (Feb 30, Apr 31) never comes: a timer that never fires would be monitoring that never runs.
  const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (!months.some((m) => days.some((d) => d <= longest[m - 1])))
    throw new InputError(`--install-timer: '${text}' never fires: no month listed has day ${days.join(",")}`);
  const list = (values: number[], i: number) => (full(values, i) ? "*" : values.map(pad).join(","));
  const dow = full(weekdays, 4) ? "" : `${weekdays.map((d) => DAYS[d]).join(",")} `;
  return { cron: parts.join(" "), onCalendar: `${dow}*-${list(months, 3)}-${list(days, 2)} ${list(hours, 1)}:${list(minutes, 0)}:00` };
}
