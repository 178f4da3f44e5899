/**
 * What every lab suite shares: whether a lab can boot here, booting and
 * removing one, connections and playbook runs against it.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { test, before, after } from "node:test";
import { labUp, labDown, type Lab, type LabOptions } from "../../lab/lab.ts";
import { runPlaybook } from "../helpers.ts";
import { openConnection, type ConnectOptions } from "../../engine/connection/index.ts";
import { loadInventory, hostVariables } from "../../engine/load/inventory.ts";
import type { Connection } from "../../engine/connection/types.ts";

/** Why no lab can boot here (not root, not Linux, no systemd-nspawn or apt to install it), or undefined when one can. */
const noLab: string | undefined =
  process.platform === "linux" &&
  process.getuid?.() === 0 &&
  spawnSync("sh", ["-c", "command -v systemd-nspawn || apt-get -v"]).status === 0 &&
  !process.env.HOIST_NO_LAB
    ? undefined
    : "lab integration tests need root on Linux with systemd-nspawn (set up by .ci/run)";

/**
 * A lab suite's test: run when a lab can boot here, otherwise reported
 * skipped with the reason (never passed).
 *
 * @example
 * labTest("apt installs from the lab repository", async () => { … });
 */
export function labTest(name: string, fn: () => Promise<void> | void): void {
  test(name, { skip: noLab }, fn);
}

export interface LabSession {
  /** Run `f` once the lab is up, before the suite's first test (hooks of a file run side by side in node:test). */
  setUp(f: () => Promise<void>): void;
  /** Run `f` after the suite's last test, before the lab goes down. */
  tearDown(f: () => Promise<void>): void;
  readonly lab: Lab;
  vars(host: string): Record<string, unknown>;
  open(host: string, extra?: Record<string, unknown>, ssh?: Partial<ConnectOptions["ssh"]>): Promise<Connection>;
  /** Run playbook text against the lab's inventory. */
  run(playbook: string, options?: Parameters<typeof runPlaybook>[1]): ReturnType<typeof runPlaybook>;
  /** Run a shell command on a host, independently of the code under test's probes. */
  sh(host: string, command: string): Promise<string>;
}

/**
 * Boot lab `name` with `hosts` hosts (and `packages` in its apt repository) before the suite's tests and remove it after.
 *
 * @example
 * const lab = labSession("mtest", 2);
 * test("x", async () => { await lab.run("- hosts: lab\n  tasks: []\n"); });
 */
export function labSession(name: string, hosts: number, packages: string[] = [], options: LabOptions = {}): LabSession {
  let lab: Lab | undefined;
  // node:test runs a file's top-level hooks side by side: a suite's own set-up joins these instead, in order.
  const setUps: (() => Promise<void>)[] = [];
  const tearDowns: (() => Promise<void>)[] = [];
  before(async () => {
    if (noLab) return;
    // Said here too, in the suite's output: the failed hook fails every test of the suite.
    lab = await labUp(hosts, name, (s) => console.log(`lab: ${s}`), packages, options).catch((e: Error) => {
      console.log(`lab: cannot boot lab '${name}': ${e.message}`);
      throw e;
    });
    for (const f of setUps) await f();
  });
  after(async () => {
    if (noLab) return;
    for (const f of tearDowns) await f();
    // HOIST_KEEP_LAB=1 leaves the lab up to look into a failure (`hoist lab down --name NAME` removes it).
    if (process.env.HOIST_KEEP_LAB) console.log(`lab: '${name}' kept up: ${lab?.inventory}`);
    else await labDown(name);
  });
  const session: LabSession = {
    get lab() {
      return lab!;
    },
    setUp: (f) => void setUps.push(f),
    tearDown: (f) => void tearDowns.push(f),
    vars: (h) => hostVariables(loadInventory(lab!.inventory), h),
    open: (h, extra = {}, ssh = {}) =>
      openConnection(h, { ...session.vars(h), ...extra }, { ssh: { acceptNewHostKeys: false, connectTimeoutMs: 5000, attempts: 2, ...ssh } }),
    run: (pb, opts = {}) => runPlaybook(pb, { inventory: readFileSync(lab!.inventory, "utf8"), connect: (h) => session.open(h), ...opts }),
    async sh(host, command) {
      const c = await session.open(host);
      try {
        const r = await c.exec(command);
        if (r.code !== 0) throw new Error(`${command} on ${host}: exit ${r.code}: ${r.stderr}`);
        return r.stdout;
      } finally {
        await c.close();
      }
    },
  };
  return session;
}
