import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { LocalConnection } from "../../engine/connection/local.ts";
import type { Connection, ExecOptions } from "../../engine/connection/types.ts";
import { statPaths } from "../../engine/host/remote.ts";
import { HostState, createProbe } from "../../engine/host/probe.ts";
import { defineFact } from "../../engine/fact.ts";
import { NotAhead } from "../../engine/host/probe.ts";
import type { Stat } from "../../engine/module.ts";
import { runPlaybook, tempDir } from "../helpers.ts";

/** A local connection that counts the commands it runs. */
class CountingConnection extends LocalConnection {
  commands = 0;
  exec(command: string, options?: ExecOptions) {
    this.commands++;
    return super.exec(command, options);
  }
}

test("statPaths: many paths in one command, with small files' contents", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "sub dir"));
  writeFileSync(join(dir, "small"), "héllo\n", { mode: 0o640 });
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "big"), Buffer.alloc(70000, 0x61));
  symlinkSync("small", join(dir, "link to small"));
  const conn = new CountingConnection("local");
  const contents = new Map<string, string>();
  const paths = ["small", "sub dir", "missing", "empty", "big", "link to small", "small"].map((p) => join(dir, p));
  const stats = await statPaths(conn, paths, undefined, contents);
  assert.equal(conn.commands, 1);
  assert.deepEqual(stats.get(join(dir, "small")), { type: "file", mode: "0640", owner: "root", group: "root", size: 7 });
  assert.equal(stats.get(join(dir, "sub dir"))!.type, "directory");
  assert.equal(stats.get(join(dir, "missing")), null);
  assert.equal(stats.get(join(dir, "empty"))!.size, 0);
  assert.equal(stats.get(join(dir, "big"))!.size, 70000);
  assert.deepEqual(stats.get(join(dir, "link to small")), { type: "link", mode: "0777", owner: "root", group: "root", size: 5, target: "small" });
  assert.deepEqual([...contents], [[join(dir, "small"), "héllo\n"]], "only small, non-empty regular files come back, once each");
});

test("statPaths: a relative path that looks like an option is still a path", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "-name"), "x");
  const conn = new LocalConnection("local");
  const stats = await statPaths({ host: "local", exec: (c, o) => conn.exec(`cd ${dir} && ${c}`, o), close: async () => {} } as Connection, ["-name", "("]);
  assert.equal(stats.get("-name")!.type, "file");
  assert.equal(stats.get("("), null);
});

test("a play's reads reach the host as one command; loop items still apply in order", async () => {
  const dir = tempDir();
  const conn = new CountingConnection("localhost");
  const pb = `- hosts: all
  tasks:
    - name: files
      file: { path: "${dir}/f{{ item }}", content: "{{ item }}\\n" }
      loop: [1, 2, 3, 4, 5, 6, 7, 8]
    - name: lines in one file
      file: { path: "${dir}/lines", line: "line {{ item }}", create: true }
      loop: [1, 2, 3]
`;
  const first = await runPlaybook(pb, { connect: async () => conn });
  assert.equal(first.byTask("files").status, "changed");
  assert.equal(readFileSync(join(dir, "lines"), "utf8"), "line 1\nline 2\nline 3\n", "each line item saw the ones before it");
  conn.commands = 0;
  const again = await runPlaybook(pb, { connect: async () => conn });
  assert.equal(again.stats.get("localhost")!.changed, 0);
  assert.equal(conn.commands, 1, "one stat batch for the play");
  writeFileSync(join(dir, "f3"), "tampered\n");
  const drift = await runPlaybook(pb, { check: true, connect: async () => conn });
  assert.deepEqual(
    drift.byTask("files").results!.map((r) => r.changed),
    [false, false, true, false, false, false, false, false],
  );
});

test("after a step, only reads of what it touched are forgotten", async () => {
  const state = new HostState();
  const stats = new Map<string, Stat | null>([
    ["/srv", { type: "directory", mode: "0755", owner: "root", group: "root", size: 4096 }],
    ["/srv/a", null],
    ["/srv/a/b", null],
    ["/srv/c", null],
    ["/srv/ab", null],
  ]);
  const conn = {
    host: "h",
    close: async () => {},
    exec: async (command: string) => {
      const paths = command.split("\n")[0].split(" ").slice(2);
      const out = paths
        .filter((p) => stats.get(p))
        .map((p) => `${p}\0d 755 root root 4096 r \0`)
        .join("");
      return { code: 0, stdout: `${out}\n`, stderr: "" };
    },
  } as Connection;
  const probe = createProbe(conn, state, { check: false });
  await probe.statMany([...stats.keys()]);
  await probe.fact(defineFact({ name: "True", command: () => ["true"], parse: (r) => r.code }), {});
  const cached = () => [...state.cache.keys()].map((k) => k.slice(1)).sort();
  state.forget(["/srv/a/b"]);
  assert.deepEqual(
    cached(),
    ["stat:/srv", "stat:/srv/ab", "stat:/srv/c"],
    "the path, its missing parent and command output go; an existing parent and siblings stay",
  );
  state.forget();
  assert.deepEqual(cached(), []);
});

test("memo policy: a fact is read once until the host changes; a fresh one every time; one that says so is never read ahead", async () => {
  const state = new HostState();
  let execs = 0;
  const conn = { host: "h", close: async () => {}, exec: async () => ({ code: 0, stdout: `${++execs}\n`, stderr: "" }) } as Connection;
  const Counter = defineFact<Record<string, never>, number>({ name: "Counter", command: () => ["count"], parse: (r) => Number(r.stdout) });
  const Clock = defineFact<Record<string, never>, number>({ name: "Clock", command: () => ["date"], parse: (r) => Number(r.stdout), fresh: true });
  const Slow = defineFact<Record<string, never>, number>({ name: "Slow", command: () => ["kubectl", "diff"], parse: (r) => Number(r.stdout), prefetch: false });
  const probe = createProbe(conn, state, { check: false });
  assert.equal(await probe.fact(Counter, {}), 1);
  assert.equal(await probe.fact(Counter, {}), 1, "memoised");
  assert.equal(await probe.fact(Clock, {}), 2);
  assert.equal(await probe.fact(Clock, {}), 3, "fresh: asked again");
  state.forget();
  assert.equal(await probe.fact(Counter, {}), 4, "read again once the host changed");
  const ahead = createProbe(conn, state, { check: false, ahead: true });
  const refused = await ahead.fact(Slow, {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof NotAhead);
  assert.equal(execs, 4, "nothing was run for the read that may not go ahead");
  assert.equal(await probe.fact(Slow, {}), 5, "in its turn it is read");
});

test("remembered facts: a digest is kept on the control machine by the file's identity and read again only when the file changed", async () => {
  process.env.HOIST_CACHE_DIR = tempDir();
  const { FileDigest } = await import("../../facts/file-digest.ts");
  const dir = tempDir();
  const file = join(dir, "binary");
  writeFileSync(file, "v1");
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  const fresh = () => createProbe(new CountingConnection("remembering-host"), new HostState(), { check: true });
  assert.equal(await fresh().remembered(FileDigest, { path: file, algorithm: "sha256" }), sha("v1"));
  // A new run (new probe): the host reports the same identity, and the kept digest answers without hashing.
  const hashes: string[] = [];
  const probe = fresh();
  const fact = probe.fact.bind(probe);
  probe.fact = async (f, args) => {
    const v = await fact(f, args);
    hashes.push((v as { unchanged: boolean }).unchanged ? "kept" : "hashed");
    return v;
  };
  assert.equal(await probe.remembered(FileDigest, { path: file, algorithm: "sha256" }), sha("v1"));
  assert.deepEqual(hashes, ["kept"]);
  writeFileSync(file, "v2");
  assert.equal(await fresh().remembered(FileDigest, { path: file, algorithm: "sha256" }), sha("v2"), "changed content, new identity: hashed again");
  assert.equal(await fresh().remembered(FileDigest, { path: join(dir, "missing"), algorithm: "sha256" }), null);
  delete process.env.HOIST_CACHE_DIR;
});
