import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadInventory, hostVariables, groupsMap, expandHostRange, groupsOf } from "../../engine/load/inventory.ts";
import { matchHosts } from "../../engine/load/patterns.ts";
import { InputError } from "../../engine/errors.ts";
import { tempDir } from "../helpers.ts";

const INI = `# Ansible sample
mail.example.com

[webservers]
foo.example.com http_port=80 maxRequestsPerChild=808
bar.example.com ansible_host=10.0.0.2 ansible_port=2222

[dbservers]
db-[a:c].example.com

[masters]
master[01:03] ansible_user=admin

[k8s:children]
masters
dbservers

[k8s:vars]
ntp_server=ntp.example.com
proxy="http proxy"

[all:vars]
ntp_server=pool.ntp.org
`;

function inventoryDir(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test("INI: hosts, ranges, children, vars", () => {
  const dir = inventoryDir({ hosts: INI });
  const inv = loadInventory(join(dir, "hosts"));
  const groups = groupsMap(inv);
  assert.deepEqual(groups.dbservers, ["db-a.example.com", "db-b.example.com", "db-c.example.com"]);
  assert.deepEqual(groups.masters, ["master01", "master02", "master03"]);
  assert.deepEqual(groups.k8s, ["db-a.example.com", "db-b.example.com", "db-c.example.com", "master01", "master02", "master03"]);
  assert.deepEqual(groups.ungrouped, ["mail.example.com"]);
  const bar = hostVariables(inv, "bar.example.com");
  assert.equal(bar.ansible_host, "10.0.0.2");
  assert.equal(bar.ansible_port, 2222);
  assert.equal(hostVariables(inv, "master02").ntp_server, "ntp.example.com");
  assert.equal(hostVariables(inv, "master02").proxy, "http proxy");
  assert.equal(hostVariables(inv, "foo.example.com").ntp_server, "pool.ntp.org");
});

test("YAML inventory with group_vars and host_vars directories", () => {
  const dir = inventoryDir({
    "inv.yaml": `all:
  vars: { role: generic }
  children:
    masters:
      hosts:
        m[1:2]:
          ansible_host: 10.0.0.1
      vars: { role: master }
    workers:
      hosts:
        w1: {}
`,
    "group_vars/all.yaml": "dns: 1.1.1.1\nrole: from-group-vars-all\n",
    "group_vars/masters/main.yml": "kube_version: '1.30'\n",
    "host_vars/w1.yaml": "role: special\n",
  });
  const inv = loadInventory(dir);
  const groups = groupsMap(inv);
  assert.deepEqual(groups.masters, ["m1", "m2"]);
  assert.deepEqual(groups.all, ["m1", "m2", "w1"]);
  const m1 = hostVariables(inv, "m1");
  assert.equal(m1.kube_version, "1.30");
  assert.equal(m1.dns, "1.1.1.1");
  // Inventory-file group vars lose to group_vars/ files, as in Ansible.
  assert.equal(m1.role, "from-group-vars-all");
  assert.equal(hostVariables(inv, "w1").role, "special");
  assert.deepEqual(groupsOf(inv, "m1"), ["all", "masters"]);
});

test("YAML inventory errors are located with a suggestion", () => {
  const dir = inventoryDir({ "inv.yaml": "all:\n  childen:\n    web: {}\n" });
  try {
    loadInventory(join(dir, "inv.yaml"));
    assert.fail("unreachable");
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.match((e as Error).message, /inv\.yaml:2:3: inventory group 'all\.childen': unknown key 'childen' \(did you mean 'children'\?\)/);
  }
});

test("INI errors name the line", () => {
  const dir = inventoryDir({ hosts: "[web]\nweb1 port\n" });
  try {
    loadInventory(join(dir, "hosts"));
    assert.fail("unreachable");
  } catch (e) {
    assert.match((e as Error).message, /hosts:2:1: expected key=value, got 'port'/);
  }
});

test("host ranges", () => {
  assert.deepEqual(expandHostRange("node[1:3]"), ["node1", "node2", "node3"]);
  assert.deepEqual(expandHostRange("web[08:10]"), ["web08", "web09", "web10"]);
  assert.deepEqual(expandHostRange("n[0:4:2]"), ["n0", "n2", "n4"]);
  assert.deepEqual(expandHostRange("r[1:2]c[a:b]"), ["r1ca", "r1cb", "r2ca", "r2cb"]);
});

test("patterns: union, intersection, exclusion, subscripts, globs", () => {
  const groups = { all: ["a", "b", "c", "d"], web: ["a", "b"], db: ["b", "c"], prod: ["a", "b", "c"] };
  const hosts = groups.all;
  assert.deepEqual(matchHosts("web:db", groups, hosts), ["a", "b", "c"]);
  assert.deepEqual(matchHosts("web:&db", groups, hosts), ["b"]);
  assert.deepEqual(matchHosts("prod:!db", groups, hosts), ["a"]);
  assert.deepEqual(matchHosts("web[0]", groups, hosts), ["a"]);
  assert.deepEqual(matchHosts("prod[-1]", groups, hosts), ["c"]);
  assert.deepEqual(matchHosts("prod[0:1]", groups, hosts), ["a", "b"]);
  assert.deepEqual(matchHosts("all", groups, hosts), hosts);
  assert.deepEqual(matchHosts("~[cd]", groups, hosts), ["c", "d"]);
  assert.deepEqual(matchHosts("d", groups, hosts), ["d"]);
  assert.throws(() => matchHosts("wbe", groups, hosts), /matches no group or host \(did you mean 'web'\?\)/);
});
