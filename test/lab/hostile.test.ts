/**
 * The hostile review's reproductions on real lab hosts: the become password
 * under NOPASSWD, cached credentials and a prompt; kill -9 and a double
 * Ctrl-C in the middle of big writes; host keys of another type and revoked
 * ones; two runs at once; values that would become options on a host.
 * Each prints its figures (tried / held).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { labSession, labTest } from "./lab-session.ts";
import { tempDir } from "../helpers.ts";
import { tally } from "../security/tally.ts";

const session = labSession("htest", 2);
const root = resolve(new URL("../../..", import.meta.url).pathname);
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Run the real CLI; `signals` are sent after the given delays (ms from start). */
function hoist(
  args: string[],
  signals: [number, NodeJS.Signals][] = [],
  stdin?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, "bin/hoist.js"), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(stdin ?? "");
    for (const [at, signal] of signals) setTimeout(() => child.kill(signal), at);
    child.on("exit", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

labTest("become: the password reaches sudo only when it asks (NOPASSWD, cached credentials, prompt)", async () => {
  const secret = "pw-" + randomBytes(5).toString("hex");
  const setup = (user: string, rule: string) => `id ${user} >/dev/null 2>&1 || useradd -m -s /bin/sh ${user}
echo '${user}:${secret}' | chpasswd
printf '%s\\n' '${rule}' > /etc/sudoers.d/${user}; chmod 0440 /etc/sudoers.d/${user}
mkdir -p /home/${user}/.ssh; cp /root/.ssh/authorized_keys /home/${user}/.ssh/; chown -R ${user} /home/${user}/.ssh`;
  await session.sh(
    "node1",
    [
      setup("nopw", "nopw ALL=(ALL) NOPASSWD: ALL"),
      setup("cached", "Defaults:cached timestamp_type=global, timestamp_timeout=30\ncached ALL=(ALL) ALL"),
      setup("prompt", "Defaults:prompt timestamp_timeout=0\nprompt ALL=(ALL) ALL"),
    ].join("\n"),
  );
  // Cached credentials: a login of the user's own authenticates once; hoist's run then finds them cached.
  const cachedLogin = await session.open("node1", { ansible_user: "cached" });
  assert.equal((await cachedLogin.exec("sudo -S -p '' -v", { stdin: `${secret}\n` })).code, 0);
  await cachedLogin.close();
  let tried = 0;
  let held = 0;
  for (const user of ["nopw", "cached", "prompt"]) {
    const content = `written by ${user} through become\n`;
    const playbook = `- hosts: node1
  become: true
  tasks:
    - { name: whoami, command: id -u, register: r, changed_when: false }
    - { name: write, file: { path: /root/become-${user}, content: "${content.trimEnd()}\\n", mode: "0644" } }
    - { name: stdin, command: { argv: [cat], stdin: "given input" }, changed_when: false }
`;
    const run = () => session.run(playbook, { connect: (h) => session.open(h, { ansible_user: user }), extraVars: { ansible_become_password: secret } });
    const first = await run();
    const second = await run();
    const onHost = await session.sh("node1", `cat /root/become-${user}`);
    tried++;
    const ok =
      first.byTask("whoami").values.stdout === "0" &&
      onHost === content &&
      !onHost.includes(secret) &&
      first.byTask("stdin").values.stdout === "given input" &&
      second.byTask("write").status === "ok" &&
      !JSON.stringify([first.results, second.results]).includes(secret);
    if (ok) held++;
    else
      console.log(`become as ${user}: ${JSON.stringify(first.results.map((r) => [r.task, r.result.status, r.result.msg]))} on host: ${JSON.stringify(onHost)}`);
  }
  const wrong = await session.run(`- hosts: node1\n  become: true\n  tasks:\n    - { name: whoami, command: id -u }\n`, {
    connect: (h) => session.open(h, { ansible_user: "prompt" }),
    extraVars: { ansible_become_password: "wrong" },
  });
  tried++;
  if (
    wrong.byTask("whoami").status === "failed" &&
    /refused by sudo/.test(wrong.byTask("whoami").msg ?? "") &&
    !JSON.stringify(wrong.results).includes("wrong\n")
  )
    held++;
  tally("become password only when sudo asks", tried, held);
  assert.equal(held, tried);
});

labTest("kill -9 and a double Ctrl-C during big writes leave every file whole: old or new, never cut", async () => {
  const dir = tempDir();
  const inventory = session.lab.inventory;
  const files = 6;
  const playbook = join(dir, "big.yaml");
  writeFileSync(
    playbook,
    `- hosts: node2\n  tasks:\n${Array.from({ length: files }, (_, i) => `    - file: { path: /root/big${i}, src: blob${i} }\n`).join("")}`,
  );
  await session.sh("node2", "rm -f /root/big*");
  const known: string[][] = Array.from({ length: files }, () => ["absent"]);
  const fresh = () => {
    for (let i = 0; i < files; i++) {
      // Text for even files (sent as is), binary for odd ones (sent as base64): both paths of the write.
      const data = i % 2 ? randomBytes(1_500_000) : Buffer.from(randomBytes(1_100_000).toString("hex"));
      writeFileSync(join(dir, `blob${i}`), data);
      known[i].push(sha(data));
    }
  };
  // How long a whole run takes on this machine; each signal then goes where the last one showed the
  // writes to be: later when no file had landed yet, earlier when all had.
  fresh();
  const started = Date.now();
  assert.equal((await hoist(["run", playbook, "-i", inventory])).code, 0);
  const full = Date.now() - started;
  let delay = full * 0.6;
  const trials: ((ms: number) => [number, NodeJS.Signals][])[] = [
    ...Array.from({ length: 12 }, () => (ms: number): [number, NodeJS.Signals][] => [[ms, "SIGKILL"]]),
    ...Array.from({ length: 6 }, () => (ms: number): [number, NodeJS.Signals][] => [
      [ms, "SIGINT"],
      [ms + 20, "SIGINT"],
    ]),
  ];
  let cut = 0;
  let interrupted = 0;
  let midway = 0;
  for (const signalsAt of trials) {
    fresh();
    const r = await hoist(["run", playbook, "-i", inventory], signalsAt(Math.round(delay)));
    if (r.code !== 0) interrupted++;
    const sums = await session.sh(
      "node2",
      `for i in $(seq 0 ${files - 1}); do [ -e /root/big$i ] && sha256sum < /root/big$i | cut -d' ' -f1 || echo absent; done; ls -a /root | grep -c '^\\.hoist\\.' || true`,
    );
    const lines = sums.trim().split("\n");
    const landed = known.filter((k, i) => lines[i] === k[k.length - 1]).length;
    if (landed > 0 && landed < files) midway++;
    delay += landed === 0 ? full * 0.08 : landed === files ? -full * 0.08 : full * 0.02 * (Math.random() - 0.5);
    for (let i = 0; i < files; i++) {
      // Whole means: the content of this trial or of an earlier one (or never written).
      if (!known[i].includes(lines[i])) cut++;
    }
  }
  tally("kill -9 / double Ctrl-C during writes (files checked)", trials.length * files, trials.length * files - cut);
  console.log(
    `hostile: a whole run takes ${full} ms; ${interrupted} of ${trials.length} runs were cut off before they finished, ${midway} between the first and the last write`,
  );
  assert.ok(midway >= trials.length / 4, `the signals landed while files were being written (${midway} of ${trials.length})`);
  assert.equal(cut, 0, `${cut} files were left cut off`);
});

labTest("host keys: another type and @revoked entries are refused as OpenSSH refuses them (compared with ssh itself)", async () => {
  const host = "node1";
  const address = String(session.vars(host).ansible_host);
  const real = readFileSync(session.lab.knownHosts, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${address} `))!;
  const [, realType, realKey] = real.split(" ");
  const dir = tempDir();
  spawnSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", join(dir, "other")]);
  const [otherType, otherKey] = readFileSync(join(dir, "other.pub"), "utf8").split(" ");
  const line = (names: string, type = realType, key = realKey, marker = "") => `${marker ? marker + " " : ""}${names} ${type} ${key}`;
  const files: [string, string[]][] = [
    ["the recorded key", [line(address)]],
    ["only a key of another type", [line(address, otherType, otherKey)]],
    ["another type, then the real key", [line(address, otherType, otherKey), line(address)]],
    ["plain entry, then @revoked", [line(address), line(address, realType, realKey, "@revoked")]],
    ["@revoked, then plain entry", [line(address, realType, realKey, "@revoked"), line(address)]],
    ["@revoked by wildcard", [line(address), line("*", realType, realKey, "@revoked")]],
    ["wildcard pattern", [line("10.*")]],
    ["negated pattern", [line(`!${address},10.*`)]],
    ["nothing known", []],
    ["@cert-authority only", [line(address, realType, realKey, "@cert-authority")]],
  ];
  let agree = 0;
  for (const [what, lines] of files) {
    for (const acceptNew of [false, true]) {
      const file = join(dir, `kh-${agree}-${acceptNew}`);
      writeFileSync(file, lines.map((l) => l + "\n").join(""));
      const before = readFileSync(file, "utf8");
      const ours = await session.open(host, { hoist_known_hosts: file }, { acceptNewHostKeys: acceptNew, attempts: 1 }).then(
        async (c) => {
          await c.close();
          return true;
        },
        () => false,
      );
      const ourFile = readFileSync(file, "utf8");
      writeFileSync(file, before);
      const ssh = spawnSync("ssh", [
        "-o",
        `UserKnownHostsFile=${file}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        `StrictHostKeyChecking=${acceptNew ? "accept-new" : "yes"}`,
        "-o",
        "BatchMode=yes",
        "-o",
        "CheckHostIP=no",
        "-i",
        session.lab.key,
        `root@${address}`,
        "true",
      ]);
      const theirs = ssh.status === 0;
      if (ours === theirs && (ourFile === before) === (readFileSync(file, "utf8") === before)) agree++;
      else
        console.log(
          `host keys: ${what} (accept-new ${acceptNew}): hoist ${ours ? "accepts" : "refuses"}, ssh ${theirs ? "accepts" : "refuses"}: ${ssh.stderr.toString().trim().split("\n").pop()}`,
        );
    }
  }
  tally("host key verdicts equal to OpenSSH's", files.length * 2, agree);
  assert.equal(agree, files.length * 2);
});

labTest("two runs at once against one host: the second waits for the first, no line is lost; past the wait timeout it says who holds the lock", async () => {
  const dir = tempDir();
  await session.sh("node2", "rm -f /root/lines");
  const playbook = (who: string) => {
    const file = join(dir, `${who}.yaml`);
    writeFileSync(file, `- hosts: node2\n  tasks:\n    - file: { path: /root/lines, line: "${who} {{ item }}" }\n      loop: "{{ range(30) | list }}"\n`);
    return file;
  };
  const [a, b] = await Promise.all([hoist(["run", playbook("a"), "-i", session.lab.inventory]), hoist(["run", playbook("b"), "-i", session.lab.inventory])]);
  const lines = (await session.sh("node2", "cat /root/lines")).trim().split("\n");
  const expected = ["a", "b"].flatMap((w) => Array.from({ length: 30 }, (_, i) => `${w} ${i}`)).sort();
  tally("concurrent runs: lines kept", 60, expected.filter((l) => lines.includes(l)).length);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.deepEqual(lines.slice().sort(), expected);
  // A run that holds the host: the next one gives up after --lock-timeout, naming it.
  const slow = join(dir, "slow.yaml");
  writeFileSync(slow, "- hosts: node2\n  tasks:\n    - command: sleep 4\n");
  const holder = hoist(["run", slow, "-i", session.lab.inventory]);
  await new Promise((r) => setTimeout(r, 1500));
  const waiter = await hoist(["run", playbook("c"), "-i", session.lab.inventory, "--lock-timeout", "1"]);
  assert.equal(waiter.code, 1);
  assert.match(waiter.stdout, /another hoist run holds the lock on node2 \(.*pid \d+.*slow\.yaml/);
  assert.equal((await holder).code, 0);
});
