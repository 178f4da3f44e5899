/**
 * apt's key download, run for real on this machine against a loopback HTTP
 * server: the key lands when the download works, and when curl and wget both
 * fail the step fails and leaves no file (it used to exit 0 and leave an
 * empty key file for ever).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Probe } from "../../engine/module.ts";
import { moduleNamed, tempDir } from "../helpers.ts";

const KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQENBF...\n-----END PGP PUBLIC KEY BLOCK-----\n";

async function downloadStep(url: string): Promise<string[]> {
  const apt = await moduleNamed("apt");
  // The plan reads nothing but that the key and list files are not there yet.
  const probe = {
    host: "here",
    check: false,
    stat: async () => null,
    statMany: async (ps: string[]) => new Map(ps.map((p) => [p, null])),
    readFile: async () => null,
    fact: async () => {
      throw new Error("no fact");
    },
  } as unknown as Probe;
  const plan = await apt.plan({ repo: "deb https://example.invalid/deb /", key: url, filename: "t" }, probe, {} as never);
  return plan.steps.map((s) => ("run" in s ? s.run : [])).find((r) => r.some((w) => w === url))!;
}

test("the key lands whole when the server answers; nothing is left when both downloaders fail", async () => {
  const server = createServer((req, res) => {
    if (req.url !== "/key.asc") res.statusCode = 404;
    res.end(req.url === "/key.asc" ? KEY : "");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const dir = tempDir();
    for (const [path, ok] of [
      ["/key.asc", true],
      ["/missing.asc", false],
    ] as const) {
      const url = `http://127.0.0.1:${port}${path}`;
      const step = await downloadStep(url);
      const target = join(dir, `${ok}.asc`);
      const argv = step.map((w) => (w.startsWith("/etc/apt/keyrings/") ? target : w));
      // Not spawnSync: the server answers from this same process.
      const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
        const child = spawn(argv[0], argv.slice(1));
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("exit", (status) => done({ status, stderr }));
      });
      if (ok) {
        assert.equal(r.status, 0, String(r.stderr));
        assert.equal(readFileSync(target, "utf8"), KEY);
      } else {
        assert.notEqual(r.status, 0, "the step fails");
        assert.match(String(r.stderr), /cannot download/);
        assert.ok(!(existsSync(target) || existsSync(`${target}.tmp`)), "no key file, no leftover");
      }
    }
  } finally {
    server.close();
  }
});
