/**
 * The faults an SSH transport meets, each made for real on lab hosts or on
 * loopback: refused authentication, a host that never answers the handshake,
 * a refusal that passes (retried with backoff), Ctrl-C in the middle of a run,
 * and a login profile that is slow to load.
 */
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labSession, labTest } from "./lab-session.ts";
import { SshConnection } from "../../engine/connection/ssh.ts";
import { tempDir } from "../helpers.ts";

const session = labSession("ftest", 2);
const address = (host: string) => String(session.vars(host).ansible_host);

/** A loopback server that does `handle` with each connection; closed by the caller. */
function listen(handle: (s: Socket) => void, port = 0): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(handle);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
const portOf = (server: Server) => (server.address() as { port: number }).port;

labTest("refused authentication: that host is unreachable and says why; the others go on", async () => {
  const dir = tempDir();
  const key = join(dir, "wrong_key");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const out = await session.run(`- hosts: lab\n  tasks:\n    - { name: t, command: "true" }\n`, {
    connect: (h) => session.open(h, h === "node1" ? { ansible_ssh_private_key_file: key } : {}),
  });
  assert.equal(out.byTask("t", "node1").status, "unreachable");
  assert.match(out.byTask("t", "node1").msg!, /authentication/i);
  assert.equal(out.byTask("t", "node2").status, "changed");
});

labTest("a host that never answers the handshake times out as unreachable; the others go on", async () => {
  const silent: Socket[] = [];
  const server = await listen((s) => silent.push(s));
  try {
    const inventory = readFileSync(session.lab.inventory, "utf8").replace("[lab]\n", "[lab]\nsilent\n");
    const silentVars = { ansible_host: "127.0.0.1", ansible_port: portOf(server) };
    const started = Date.now();
    const out = await session.run(`- hosts: lab\n  tasks:\n    - { name: t, command: "true" }\n`, {
      inventory,
      connect: (h) => session.open(h, h === "silent" ? silentVars : {}, { connectTimeoutMs: 1000 }),
    });
    assert.equal(out.byTask("t", "silent").status, "unreachable");
    assert.match(out.byTask("t", "silent").msg!, /timed out/i);
    assert.ok(Date.now() - started < 5000, `gave up after the timeout (${Date.now() - started} ms)`);
    for (const h of ["node1", "node2"]) assert.equal(out.byTask("t", h).status, "changed");
  } finally {
    silent.forEach((s) => s.destroy());
    server.close();
  }
});

labTest("a refused connection is retried with backoff and gets through once the port opens", async () => {
  // A port that refuses for 400 ms, then forwards to node1's sshd.
  const probe = await listen(() => {});
  const port = portOf(probe);
  await new Promise((r) => probe.close(r));
  const dir = tempDir();
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, "");
  const options = {
    host: "node1",
    address: "127.0.0.1",
    port,
    user: "root",
    privateKeyFile: session.lab.key,
    knownHostsFile: knownHosts,
    acceptNewHostKeys: true,
    connectTimeoutMs: 3000,
  };
  try {
    await SshConnection.open({ ...options, attempts: 1 });
    assert.fail("connected to a closed port");
  } catch (e) {
    assert.match((e as Error).message, /ECONNREFUSED/);
  }
  let forward: Server | undefined;
  const opening = new Promise<void>((resolve) =>
    setTimeout(async () => {
      forward = await listen((s) => {
        const upstream = connect(22, address("node1"));
        s.pipe(upstream).pipe(s);
        s.on("error", () => upstream.destroy());
        upstream.on("error", () => s.destroy());
      }, port);
      resolve();
    }, 400),
  );
  const started = Date.now();
  const c = await SshConnection.open({ ...options, attempts: 4 });
  try {
    assert.ok(Date.now() - started >= 400, "it waited for the port");
    assert.equal((await c.exec("hostname")).stdout, "node1\n");
  } finally {
    await c.close();
    await opening;
    forward?.close();
  }
});

labTest("Ctrl-C: a step that ends within the grace finishes, nothing new starts, exit 130, connections closed", async () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(
    pb,
    `- hosts: lab
  tasks:
    - { name: slow, command: "sleep 2.5" }
    - { name: after, file: { path: /root/after-interrupt, content: "x\\n" } }
`,
  );
  const child = spawn(process.execPath, [join(process.cwd(), "bin/hoist.js"), "run", pb, "-i", session.lab.inventory], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  // Ctrl-C once the slow step is running on the host.
  for (let i = 0; i < 100 && (await session.sh("node1", "pgrep -c -x sleep || true")) === "0\n"; i++) await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  assert.equal(code, 130, output);
  assert.match(output, /interrupted: starting nothing new; commands still running in 5 s are ended/);
  assert.match(output, /changed: \[node1\] slow/, "the running command finished");
  for (const h of ["node1", "node2"])
    assert.equal(await session.sh(h, "test -e /root/after-interrupt && echo yes || echo no"), "no\n", "the next task never started");
  // Our own check is the one SSH session left on the host.
  let sessions = "";
  for (let i = 0; i < 20 && sessions !== "1\n"; i++) {
    sessions = await session.sh("node1", "pgrep -c -f 'sshd: root@notty' || true");
    if (sessions !== "1\n") await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(sessions, "1\n", "hoist's connection was closed");
});

labTest("a slow login profile is paid once per host, not per command", async () => {
  await session.sh("node2", "cp /root/.bashrc /root/.bashrc.orig && sed -i '1i sleep 0.3' /root/.bashrc");
  try {
    const started = Date.now();
    const c = await session.open("node2");
    for (let i = 0; i < 30; i++) assert.equal((await c.exec(`echo ${i}`)).stdout, `${i}\n`);
    const elapsed = Date.now() - started;
    await c.close();
    assert.ok(elapsed >= 300, `the profile ran (${elapsed} ms)`);
    assert.ok(elapsed < 1500, `30 commands after a 300 ms profile took ${elapsed} ms`);
  } finally {
    await session.sh("node2", "mv /root/.bashrc.orig /root/.bashrc");
  }
});
