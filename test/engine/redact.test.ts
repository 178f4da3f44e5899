/**
 * Secrets never reach output: the one redaction pass, through the real
 * loader, scheduler and both reporters. A private key written by `file`, a
 * variable listed under `secret:`, the become password and a `no_log` task,
 * in text with --diff and in --json.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers.ts";
import { Redactor, REDACTED } from "../../engine/report/redact.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hoist = (args: string[]) =>
  spawnSync(process.execPath, [join(root, "bin", "hoist.js"), ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

test("a private key, a secret variable, the become password and no_log never reach text, --diff or --json", () => {
  const dir = tempDir();
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n";
  writeFileSync(join(dir, "id_ed25519"), key);
  const token = "tok-" + "9f8e7d6c5b4a";
  const become = "become-pw-123";
  const pb = join(dir, "site.yaml");
  writeFileSync(
    pb,
    `- hosts: localhost
  secret: [api_token]
  vars: { api_token: "${token}", ansible_become_password: "${become}" }
  tasks:
    - { name: key, file: { path: ${dir}/key, src: id_ed25519, mode: "0600" } }
    - { name: token file, file: { path: ${dir}/token, content: "token={{ api_token }}\\n" } }
    - { name: say, debug: { msg: "calling with {{ api_token }} and {{ ansible_become_password }}" } }
    - { name: quiet, command: "echo ${"quiet-" + "output-42"}", no_log: true }
`,
  );
  // Before the real run: the key's change, marked and hidden.
  const json = JSON.parse(hoist(["run", pb, "--check", "--json"]).stdout);
  const keyChange = json.plays[0].results.find((r: { task: string }) => r.task === "key").diff[0];
  assert.deepEqual(
    keyChange,
    { field: "content", path: `${dir}/key`, before: null, after: REDACTED, sensitive: true, resource: `file:${dir}/key` },
    "a file that did not exist shows as null",
  );
  const leaks = (out: string) => ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", token, become, "quiet-output-42"].filter((s) => out.includes(s));
  for (const args of [["--check", "--diff"], ["--diff"], ["--check", "--json"], ["--json", "--diff"]]) {
    const r = hoist(["run", pb, ...args]);
    assert.deepEqual(leaks(r.stdout + r.stderr), [], `${args.join(" ")}: ${r.stdout}`);
    assert.ok(r.stdout.includes(REDACTED), "it says something was hidden");
  }
  assert.equal(readFileSync(join(dir, "key"), "utf8"), key, "the key itself was written whole");
  assert.equal(readFileSync(join(dir, "token"), "utf8"), `token=${token}\n`, "secrets are used, only not shown");
});

test("the redactor: longest secret first, short ones left to sensitive marks", () => {
  const r = new Redactor(["abcd", "abcdef", "x", undefined, 7]);
  assert.equal(r.text("abcdef abcd x"), `${REDACTED} ${REDACTED} x`);
  assert.deepEqual(r.value({ a: ["abcd"], n: 1 }), { a: [REDACTED], n: 1 });
});
