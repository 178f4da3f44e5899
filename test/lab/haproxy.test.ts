/**
 * The haproxy module against the real haproxy: one lab host balancing HTTP
 * and TCP to nginx on two others (Debian's packages, from the lab's
 * repository). Traffic is checked through it from this machine, a backend
 * is drained and traffic moves, a bad configuration never replaces a good one.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("lbtest", 3);

/** GET / through the balancer `times` times; the bodies answered (each nginx answers its host's name). */
async function through(port: number, times: number): Promise<string[]> {
  const lb = lab.lab.hosts[0].address;
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push((await (await fetch(`http://${lb}:${port}/`)).text()).trim());
  return out;
}

/** One raw TCP request through the TCP listener: the status line and body nginx sent. */
function tcpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, lab.lab.hosts[0].address, () => s.end("GET / HTTP/1.0\r\n\r\n"));
    let data = "";
    s.on("data", (d) => (data += d));
    s.on("end", () => resolve(data));
    s.on("error", reject);
  });
}

const CONFIG = (node2: string, node3: string, extra = "") => `- hosts: node1
  gather_facts: false
  tasks:
    - name: balancer
      haproxy:
        global: { stats: "socket /run/haproxy/admin.sock mode 660 level admin", maxconn: 256 }
        defaults: { mode: http, timeout: [connect 2s, client 10s, server 10s] }
        frontends:
          web: { bind: "*:8080", default_backend: nginx${extra} }
        backends:
          nginx: { balance: roundrobin, server: ["node2 ${node2}:80 check inter 500ms", "node3 ${node3}:80 check inter 500ms"] }
        listen:
          tcp: { bind: "*:8443", mode: tcp, server: ["node2 ${node2}:80", "node3 ${node3}:80"] }
`;

labTest("configuration as data: check, write validated, reload (not restart), re-run empty, traffic balanced over HTTP and TCP", async () => {
  const [, b, c] = lab.lab.hosts;
  await lab.run(`- hosts: lab
  gather_facts: false
  tasks:
    - { apt: { name: haproxy }, when: inventory_hostname == 'node1' }
    - { apt: { name: nginx-light }, when: inventory_hostname != 'node1' }
    - { copy: { content: "{{ inventory_hostname }}\\n", dest: /var/www/html/index.html }, when: inventory_hostname != 'node1' }
`);
  const pid = await lab.sh("node1", "systemctl show -p MainPID --value haproxy");
  const check = await lab.run(CONFIG(b.address, c.address), { check: true });
  assert.equal(check.byTask("balancer").status, "changed");
  assert.doesNotMatch(await lab.sh("node1", "cat /etc/haproxy/haproxy.cfg"), /managed by hoist/, "check mode wrote nothing");
  const real = await lab.run(CONFIG(b.address, c.address));
  assert.equal(real.byTask("balancer").status, "changed", real.byTask("balancer").msg as string);
  assert.equal(await lab.sh("node1", "systemctl show -p MainPID --value haproxy"), pid, "reloaded: the master process is the same");
  const again = await lab.run(CONFIG(b.address, c.address));
  assert.equal(again.byTask("balancer").status, "ok");
  await new Promise((r) => setTimeout(r, 1500)); // health checks see both up
  assert.deepEqual([...new Set(await through(8080, 6))].sort(), ["node2", "node3"]);
  assert.match(await tcpGet(8443), /^HTTP\/1\.1 200 OK[\s\S]*node[23]\n$/);
  // A configuration haproxy refuses never replaces the one that works.
  const bad = await lab.run(CONFIG(b.address, c.address, ', bogus_keyword: "yes"'));
  assert.equal(bad.byTask("balancer").status, "failed");
  assert.match(bad.byTask("balancer").msg!, /haproxy|unknown keyword|bogus/);
  assert.doesNotMatch(await lab.sh("node1", "cat /etc/haproxy/haproxy.cfg"), /bogus/);
  assert.deepEqual([...new Set(await through(8080, 4))].sort(), ["node2", "node3"]);
});

labTest("runtime state through the admin socket: drain moves traffic, check predicts, re-run is empty, enable brings it back", async () => {
  const drain = `- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: drain, haproxy: { state: drain, host: node2, backend: nginx, wait: true, wait_interval: 0.5 } }\n`;
  const check = await lab.run(drain, { check: true });
  assert.equal(check.byTask("drain").status, "changed");
  assert.deepEqual(
    check.byTask("drain").changes.map((x) => [x.resource, x.field, x.before, x.after]),
    [["haproxy-server:nginx/node2", "state", "enabled", "drain"]],
  );
  const real = await lab.run(drain);
  assert.equal(real.byTask("drain").status, "changed", real.byTask("drain").msg as string);
  assert.deepEqual([...new Set(await through(8080, 6))], ["node3"], "a drained server gets no new traffic");
  assert.equal((await lab.run(drain)).byTask("drain").status, "ok", "already drained: nothing sent, no wait");
  const weight = await lab.run(`- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: w, haproxy: { host: node3, weight: 7 } }\n`);
  assert.deepEqual(
    weight.byTask("w").changes.map((x) => [x.resource, x.field, x.before, x.after]),
    [
      ["haproxy-server:nginx/node3", "weight", 1, 7],
      ["haproxy-server:tcp/node3", "weight", 1, 7],
    ],
    "without backend: every backend that has the server",
  );
  const enable = await lab.run(
    `- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: up, haproxy: { state: enabled, host: node2, backend: nginx, wait: true, wait_interval: 0.5 } }\n`,
  );
  assert.equal(enable.byTask("up").status, "changed", enable.byTask("up").msg as string);
  assert.deepEqual([...new Set(await through(8080, 16))].sort(), ["node2", "node3"]);
});

labTest("a server whose health check fails is named, not waited on forever; an unknown server names the ones there are", async () => {
  await lab.sh("node2", "systemctl stop nginx");
  await new Promise((r) => setTimeout(r, 2000));
  const out = await lab.run(`- hosts: node1
  gather_facts: false
  tasks:
    - { name: enabled, haproxy: { state: enabled, host: node2, backend: nginx } }
    - { name: waited, haproxy: { state: enabled, host: node2, backend: nginx, wait: true, wait_interval: 0.2, wait_retries: 5 }, ignore_errors: true }
    - { name: unknown, haproxy: { state: disabled, host: node9, fail_on_not_found: true }, ignore_errors: true }
`);
  assert.equal(out.byTask("enabled").status, "ok");
  assert.match(out.byTask("enabled").msg!, /nginx\/node2 is enabled but its health check says DOWN/);
  assert.equal(out.byTask("waited").status, "failed");
  assert.match(out.byTask("waited").msg!, /nginx\/node2 is DOWN/);
  assert.match(out.byTask("unknown").msg!, /no server 'node9'; haproxy has nginx\/node2, nginx\/node3, tcp\/node2, tcp\/node3/);
  await lab.sh("node2", "systemctl start nginx");
});
