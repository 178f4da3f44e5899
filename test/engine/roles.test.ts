/**
 * Roles, end to end on the local connection: layout, search path, variable
 * precedence, handlers, dependencies, import_role/include_role, role files,
 * and load errors that point into the role.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir, modules } from "../helpers.ts";
import { createRun } from "../../engine/run/run.ts";
import { loadPlaybook } from "../../engine/load/playbook.ts";
import { InputError } from "../../engine/errors.ts";
import { LocalConnection } from "../../engine/connection/local.ts";

/** Write a tree of files under a new directory; returns the directory. */
function tree(files: Record<string, string>): string {
  const dir = tempDir("hoist-roles-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const run = (dir: string, extra: Parameters<typeof createRun>[0] | object = {}) =>
  createRun({
    playbook: join(dir, "site.yaml"),
    inventory: join(dir, "hosts"),
    connect: async (h) => new LocalConnection(h),
    ...extra,
  });

const msgs = (out: Awaited<ReturnType<typeof run>>) => out.results.filter((r) => r.result.values.msg !== undefined).map((r) => String(r.result.values.msg));

test("roles: defaults below inventory, vars above play vars, params above both; dependencies first and once; handlers", async () => {
  const out = tempDir("hoist-roles-out-");
  const dir = tree({
    hosts: "localhost ansible_connection=local from_inventory=inv\n",
    "site.yaml": `- hosts: all
  vars: { from_play: play, overridden_by_role_vars: play }
  roles:
    - common
    - { role: web, vars: { port: 8080 }, tags: [web] }
    - role: web
      port: 8080
`,
    "roles/common/defaults/main.yml": "from_inventory: default\ngreeting: hello\n",
    "roles/common/tasks/main.yml": "- debug: { msg: 'common {{ greeting }} {{ from_inventory }}' }\n",
    "roles/web/meta/main.yml": "dependencies:\n  - common\n",
    "roles/web/defaults/main.yaml": "port: 80\n",
    "roles/web/vars/main.yml": "overridden_by_role_vars: role\n",
    "roles/web/templates/site.conf.j2": "listen {{ port }} on {{ inventory_hostname }}\n",
    "roles/web/tasks/main.yml": `- debug: { msg: "web {{ port }} {{ overridden_by_role_vars }} {{ from_play }}" }
- name: config
  template: { src: site.conf.j2, dest: ${out}/site.conf }
  notify: restart web
`,
    "roles/web/handlers/main.yml": "- name: restart web\n  debug: { msg: 'handler of web' }\n",
  });
  const result = await run(dir);
  assert.deepEqual(msgs(result), ["common hello inv", "web 8080 role play", "handler of web"]);
  assert.equal(readFileSync(join(out, "site.conf"), "utf8"), "listen 8080 on localhost\n");
  const again = await run(dir);
  assert.equal(again.byTask("config").status, "ok", "the second run changes nothing");
  assert.deepEqual(
    again.results.map((r) => r.task),
    ["debug", "debug", "config"],
    "no handler: nothing changed",
  );
  // --tags web selects the role's tasks; its dependency ran (untagged) as the first entry, and runs once.
  const tagged = await run(dir, { tags: ["web"] });
  assert.deepEqual(msgs(tagged), ["web 8080 role play"]);
});

test("import_role (tasks_from, when) and include_role (loop, when decided once)", async () => {
  const dir = tree({
    hosts: "localhost ansible_connection=local\n",
    "site.yaml": `- hosts: all
  tasks:
    - import_role: { name: users, tasks_from: create }
      vars: { who: imported }
    - ansible.builtin.include_role: { name: users, tasks_from: create }
      vars: { who: "{{ item }}" }
      loop: [ann, bob]
    - include_role: { name: users, tasks_from: create }
      when: false
      vars: { who: never }
    - include_tasks: more.yml
      loop: [1, 2]
      loop_control: { loop_var: n }
`,
    "more.yml": "- debug: { msg: 'more {{ n }}' }\n",
    "roles/users/tasks/create.yml": "- debug: { msg: 'create {{ who }}' }\n",
  });
  const result = await run(dir);
  assert.deepEqual(msgs(result), ["create imported", "create ann", "create bob", "more 1", "more 2"]);
  assert.ok(
    result.results.some((r) => r.task === "include_role users" && r.result.status === "skipped"),
    "the include whose when is false is skipped",
  );
});

test("roles are found on rolesPath (ANSIBLE_ROLES_PATH) and by path", async () => {
  const shared = tree({ "ntp/tasks/main.yml": "- debug: { msg: 'ntp from the shared path' }\n" });
  const dir = tree({
    hosts: "localhost ansible_connection=local\n",
    "site.yaml": `- hosts: all\n  roles: [ntp, ./local/thing]\n`,
    "local/thing/tasks/main.yml": "- debug: { msg: 'by path' }\n",
  });
  assert.deepEqual(msgs(await run(dir, { rolesPath: [shared] })), ["ntp from the shared path", "by path"]);
});

async function loadError(files: Record<string, string>): Promise<{ message: string; dir: string }> {
  const dir = tree(files);
  try {
    await loadPlaybook(join(dir, "site.yaml"), await modules(), { rolesPath: [] });
  } catch (e) {
    assert.ok(e instanceof InputError);
    return { message: (e as Error).message.split(dir).join("DIR"), dir };
  }
  throw new Error("expected an InputError");
}

test("load errors point into the role, with the nearest role name", async () => {
  const unknown = await loadError({ "site.yaml": "- hosts: all\n  roles: [comon]\n", "roles/common/tasks/main.yml": "[]\n" });
  assert.match(unknown.message, /^DIR\/site\.yaml:2:\d+: role 'comon' not found in DIR\/roles, DIR \(did you mean 'common'\?\)/);
  const badTask = await loadError({
    "site.yaml": "- hosts: all\n  roles: [common]\n",
    "roles/common/tasks/main.yml": "- debug: { msg: ok }\n- name: typo\n  fiel: { path: /x }\n",
  });
  assert.equal(badTask.message, "DIR/roles/common/tasks/main.yml:3:3: unknown module or task keyword 'fiel' (did you mean 'file'?)");
  const cycle = await loadError({
    "site.yaml": "- hosts: all\n  roles: [a]\n",
    "roles/a/meta/main.yml": "dependencies: [b]\n",
    "roles/b/meta/main.yml": "dependencies: [a]\n",
  });
  assert.match(cycle.message, /role dependencies form a cycle: a -> b -> a/);
  const missingPart = await loadError({
    "site.yaml": "- hosts: all\n  tasks:\n    - import_role: { name: common, tasks_from: instal }\n",
    "roles/common/tasks/install.yml": "[]\n",
  });
  assert.match(missingPart.message, /site\.yaml:3:\d+: role common has no tasks\/instal\(\.yml\|\.yaml\)/);
  const looped = await loadError({
    "site.yaml": "- hosts: all\n  tasks:\n    - import_role: { name: common }\n      loop: [1]\n",
    "roles/common/tasks/main.yml": "[]\n",
  });
  assert.match(looped.message, /import_role cannot loop \(it is static\); use include_role/);
});
