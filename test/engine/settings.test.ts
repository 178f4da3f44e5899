import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../engine/load/settings.ts";
import { DEFAULT_ROLES_PATH } from "../../engine/load/roles.ts";
import { tempDir } from "../helpers.ts";

test("ansible.cfg's roles_path and fact cache, relative to the file; the environment overrides it", async () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, "ansible.cfg"),
    "[defaults]\nroles_path = roles:~/shared-roles\nfact_caching = jsonfile\nfact_caching_connection = .facts\nfact_caching_timeout = 600\n",
  );
  const fromFile = await loadSettings({ ANSIBLE_CONFIG: join(dir, "ansible.cfg") }, "/");
  assert.deepEqual(fromFile.rolesPath, [join(dir, "roles"), join(homedir(), "shared-roles")]);
  assert.deepEqual(fromFile.factCache, { dir: join(dir, ".facts"), timeoutS: 600 });
  const fromEnv = await loadSettings({ ANSIBLE_CONFIG: join(dir, "ansible.cfg"), ANSIBLE_ROLES_PATH: "/opt/roles", ANSIBLE_CACHE_PLUGIN: "memory" }, "/");
  assert.deepEqual(fromEnv.rolesPath, ["/opt/roles"]);
  assert.equal(fromEnv.factCache, undefined);
  const none = await loadSettings({ ANSIBLE_CONFIG: join(dir, "missing.cfg") }, tempDir());
  if (!none.file) assert.deepEqual(none.rolesPath, DEFAULT_ROLES_PATH);
});

test("a cache hoist cannot honour is refused, naming the file", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nfact_caching = redis\n");
  await loadSettings({ ANSIBLE_CONFIG: join(dir, "ansible.cfg") }, "/").then(
    () => assert.fail("unreachable"),
    (e: Error) => assert.match(e.message, /ansible\.cfg: fact_caching = redis is not supported/),
  );
  writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nfact_caching = jsonfile\n");
  await loadSettings({ ANSIBLE_CONFIG: join(dir, "ansible.cfg") }, "/").then(
    () => assert.fail("unreachable"),
    (e: Error) => assert.match(e.message, /needs fact_caching_connection/),
  );
});
