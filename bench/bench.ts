/**
 * `npm run bench [-- --hosts N] [--only hoist,ansible,mitogen,pyinfra,cluster] [--repeat N]`: boots a
 * lab of N hosts (default 6) and runs one workload — 25 task items per host:
 * 10 directories, 10 small files with content, a line in a sysctl.d file,
 * three /etc/hosts lines, one service started and enabled — with hoist and,
 * when they are installed (bench/peers.sh), with ansible-playbook (pipelining
 * on), ansible-playbook with Mitogen, and pyinfra, side by side: first run,
 * idempotent re-run, and check with diff. Prints a table of wall times.
 * sake (Go) is not among the peers: the Go module proxy this project reaches
 * refuses github.com/alajmo/sake, so it cannot be installed and measured here.
 * A script, not a test: it measures, it asserts only that every run succeeded.
 */
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { cpus, totalmem } from "node:os";
import { labUp, labDown, labShell, type Lab } from "../lab/lab.ts";
import { workload } from "./workload.ts";
import { hardWayInventory } from "../lab/hard-way-inventory.ts";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "6" },
    only: { type: "string" },
    keep: { type: "boolean", default: false },
    repeat: { type: "string", default: "5" },
  },
});
/** Runs shorter than this are repeated and their median taken: one run of a sub-second tool is mostly noise. */
const REPEAT_UNDER_S = 5;
const repeat = Number(values.repeat);
const hostCount = Number(values.hosts);
const root = resolve(new URL("../..", import.meta.url).pathname);
const PEERS = process.env.HOIST_BENCH_PEERS ?? "/var/cache/hoist-bench/venv/bin";

interface Tool {
  name: string;
  available: boolean;
  /** The command line of a run; the first run and the re-run are the same command. */
  run: string[];
  check: string[];
  env?: Record<string, string>;
  /** Exits 2 when it changed (or, checking, would change) something: a re-run or check must then exit 0. */
  exitsTwoOnChange?: boolean;
}

/** Every host back to the state before the first run, so each tool starts alike. */
async function reset(lab: Lab): Promise<void> {
  const script = `rm -rf /srv/bench /etc/sysctl.d/90-bench.conf; sed -i '/ bench[0-9]$/d' /etc/hosts; systemctl disable --now bench-sleeper.service >/dev/null 2>&1; true`;
  await Promise.all(lab.hosts.map((h) => labShell(lab, h.name, script)));
}

async function prepare(lab: Lab): Promise<void> {
  const unit = "[Unit]\\nDescription=bench sleeper\\n[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n";
  await Promise.all(lab.hosts.map((h) => labShell(lab, h.name, `printf '${unit}' > /etc/systemd/system/bench-sleeper.service && systemctl daemon-reload`)));
}

function time(tool: Tool, argv: string[], cwd: string, expectUnchanged = false): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: "utf8", env: { ...process.env, ...tool.env }, maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // hoist with --detailed-exitcode exits 2 when it changed something, and so may dry runs of the others.
  if (r.status !== 0 && r.status !== 2)
    throw new Error(`${tool.name} failed (exit ${r.status}): ${argv.join(" ")}\n${(r.stdout ?? "").slice(-3000)}\n${r.stderr ?? ""}`);
  // A re-run or check that finds changes did not measure an idempotent run.
  if (r.status === 2 && expectUnchanged && tool.exitsTwoOnChange)
    throw new Error(`${tool.name} found changes where none were left: ${argv.join(" ")}\n${(r.stdout ?? "").slice(-3000)}`);
  return seconds;
}

/** One run, or the median of `repeat` runs when one takes under REPEAT_UNDER_S. */
function median(tool: Tool, argv: string[], cwd: string): number {
  const runs = [time(tool, argv, cwd, true)];
  while (runs[0] < REPEAT_UNDER_S && runs.length < repeat) runs.push(time(tool, argv, cwd, true));
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
}

/**
 * A cluster-sized playbook in check mode: Kubernetes the hard way on the lab's
 * first six hosts (lb, three controllers, two workers), fresh — what an operator
 * runs before building a cluster. The median of `repeat` runs.
 */
function clusterCheck(lab: Lab, dir: string): string | undefined {
  if (lab.hosts.length < 6) return undefined;
  const inventory = hardWayInventory(lab, join(dir, "cluster"), {}, root);
  const argv = [process.execPath, join(root, "bin/hoist.js"), "run", join(root, "playbooks", "kubernetes-hard-way.yaml"), "-i", inventory, "--check"];
  const tool: Tool = { name: "hoist (cluster check)", available: true, run: argv, check: argv };
  const seconds = median(tool, argv, dir);
  return `${seconds.toFixed(2)} s — hoist run playbooks/kubernetes-hard-way.yaml --check on 6 fresh hosts (the median of up to ${repeat} runs)`;
}

const lab = await labUp(hostCount, "bench", (s) => console.error(`lab: ${s}`));
try {
  const dir = mkdtempSync(join(tmpdir(), "hoist-bench-"));
  const files = workload(dir, lab, PEERS);
  await prepare(lab);
  const hoist = [process.execPath, join(root, "bin/hoist.js"), "run", files.hoist, "-i", lab.inventory, "--forks", "50", "--detailed-exitcode"];
  const hoistFacts = [process.execPath, join(root, "bin/hoist.js"), "run", files.hoistFacts, "-i", lab.inventory, "--forks", "50", "--detailed-exitcode"];
  const ansible = [join(PEERS, "ansible-playbook"), "-i", files.ansibleInventory, files.ansible];
  const pyinfra = [join(PEERS, "pyinfra"), "-y", "--parallel", "50", files.pyinfraInventory, files.pyinfra];
  const tools: Tool[] = [
    { name: "hoist", available: true, run: hoist, check: [...hoist, "--check", "--diff"], exitsTwoOnChange: true },
    { name: "hoist (facts on)", available: true, run: hoistFacts, check: [...hoistFacts, "--check", "--diff"], exitsTwoOnChange: true },
    // A drift run is a check run with a report (and its history kept): its column is the drift run.
    {
      name: "hoist drift",
      available: true,
      run: hoist,
      check: [
        process.execPath,
        join(root, "bin/hoist.js"),
        "drift",
        files.hoist,
        "-i",
        lab.inventory,
        "--forks",
        "50",
        "--state-dir",
        join(dir, "drift-state"),
      ],
      exitsTwoOnChange: true,
    },
    {
      name: "ansible (pipelining)",
      available: existsSync(ansible[0]),
      run: ansible,
      check: [...ansible, "--check", "--diff"],
      env: { ANSIBLE_CONFIG: files.ansibleConfig },
    },
    {
      name: "ansible + mitogen",
      available: existsSync(ansible[0]) && !!files.mitogenStrategy,
      run: ansible,
      check: [...ansible, "--check", "--diff"],
      env: { ANSIBLE_CONFIG: files.mitogenConfig },
    },
    { name: "pyinfra", available: existsSync(pyinfra[0]), run: pyinfra, check: [...pyinfra.slice(0, 2), "--dry", "--diff", ...pyinfra.slice(2)] },
  ].filter((t) => !values.only || values.only.split(",").some((o) => t.name.startsWith(o)));
  const rows: { tool: string; first?: number; rerun?: number; check?: number; note?: string }[] = [];
  for (const tool of tools) {
    if (!tool.available) {
      rows.push({ tool: tool.name, note: "not installed (bench/peers.sh installs it)" });
      continue;
    }
    await reset(lab);
    console.error(`bench: ${tool.name} ...`);
    const first = time(tool, tool.run, dir);
    const rerun = median(tool, tool.run, dir);
    const check = median(tool, tool.check, dir);
    rows.push({ tool: tool.name, first, rerun, check });
  }
  const ansibleRow = rows.find((r) => r.tool.startsWith("ansible (") && r.rerun);
  const fmt = (s?: number) => (s === undefined ? "-" : `${s.toFixed(2)} s`);
  const ratio = (a?: number, b?: number) => (a && b ? `${(b / a).toFixed(1)}x` : "-");
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `\n${hostCount} lab hosts, 25 task items per host; ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}`,
  );
  console.log(`first run: one run; re-run and check: the median of ${repeat} runs for a tool that takes under ${REPEAT_UNDER_S} s, else one run`);
  console.log(
    `${"tool".padEnd(22)} ${"first run".padStart(10)} ${"re-run".padStart(10)} ${"check+diff".padStart(11)}   ansible's re-run / check, as a multiple of this tool's`,
  );
  for (const r of rows) {
    if (r.note) console.log(`${r.tool.padEnd(22)} ${r.note}`);
    else
      console.log(
        `${r.tool.padEnd(22)} ${fmt(r.first).padStart(10)} ${fmt(r.rerun).padStart(10)} ${fmt(r.check).padStart(11)}   ${ratio(r.rerun, ansibleRow?.rerun)} / ${ratio(r.check, ansibleRow?.check)}`,
      );
  }
  if (!values.only || values.only.split(",").some((o) => o === "hoist" || o === "cluster")) {
    const cluster = clusterCheck(lab, dir);
    if (cluster) console.log(`\ncluster-sized check: ${cluster}`);
  }
} finally {
  if (!values.keep) await labDown("bench");
}
