/**
 * MicroK8s HA (playbooks/microk8s-ha.yaml) on five lab hosts: haproxy on
 * node1, the NFS server on node2, MicroK8s on node3-5. The snap store cannot
 * be reached from this machine, so MicroK8s itself cannot be installed: the
 * nodes run the lab's stand-in microk8s snap (lab/microk8s), installed by
 * snapd from its file, whose CLI follows MicroK8s' for status, add-node,
 * join, enable and kubectl, over a real kube-apiserver and controller manager
 * on every node (one etcd stands in for dqlite; Node objects are heartbeated
 * by the stand-in, which runs no kubelet, so no Pods run). Real: snapd, the
 * API server and every object the playbook applies, haproxy with TLS and
 * health checks, the NFS export table (exportfs; this kernel has no NFS
 * server), /etc/hosts, chrony, sysctl and swap. nginx on each node answers
 * on the ingress NodePort in place of the ingress controller's pods.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { $ } from "zx";
import { labSession, labTest } from "./lab-session.ts";
import { KUBERNETES_DIR } from "../../lab/kubernetes.ts";
import { hoistCli, tempDir } from "../helpers.ts";
import { createRun } from "../../engine/run/run.ts";
import { changedTasks, failures, idempotent, namedChanges, seconds, truth } from "./playbook-proof.ts";

const PACKAGES = ["snapd", "squashfuse", "fuse3", "udev", "chrony", "haproxy", "nfs-kernel-server", "nginx-light"];
const lab = labSession("mk8s", 5, PACKAGES, { microk8s: true });
const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const PLAYBOOK = join(root, "playbooks", "microk8s-ha.yaml");
const NODES = ["node3", "node4", "node5"];
const microk8s = (host: string, cmd: string) =>
  lab.sh(host, `/snap/bin/microk8s ${cmd} 2>&1 | grep -v -e '^Warning: /snap/bin' -e 'your session' -e 'forum.snapcraft' -e '^$' || true`);

let inventory = "";
let dir = "";
lab.setUp(async () => {
  dir = tempDir();
  // The lab inventory as `hoist lab inventory microk8s-ha` writes it, with the operators' user this suite makes.
  const written = await hoistCli(["lab", "inventory", "microk8s-ha", "--name", lab.lab.name]);
  assert.equal(written.status, 0, written.stderr);
  assert.equal(written.stdout.trim(), join(lab.lab.dir, "microk8s-ha", "hosts.ini"));
  inventory = written.stdout.trim();
  writeFileSync(join(dir, "extra.yaml"), "microk8s_users: [ops]\n");
  // What the hosts have before hoist comes: the operators' user on the nodes, and (standing in for the
  // ingress controller's pods, which cannot run here) nginx answering on the ingress NodePort.
  await Promise.all(
    NODES.map((n) =>
      lab.sh(
        n,
        `useradd -m ops && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null &&
         printf '%s\\n' 'server { listen 30080; location /healthz { return 200 "ok\\n"; } location / { return 200 "ingress stand-in on ${n}: $http_host $http_x_forwarded_proto\\n"; } }' > /etc/nginx/sites-enabled/ingress-standin &&
         systemctl reload nginx`,
      ),
    ),
  );
});

const run = (check = false) => createRun({ playbook: PLAYBOOK, inventory, check, forks: 10, extraVars: { microk8s_users: ["ops"] } });
const cliCheck = () => hoistCli(["run", PLAYBOOK, "-i", inventory, "-e", `@${join(dir, "extra.yaml")}`, "--check", "--detailed-exitcode"]);
const lb = () => lab.lab.hosts[0].address;
/** GET through the load balancer over TLS, trusting only the CA the playbook made there. */
const viaLb = (ca: string, path = "/") =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    get({ host: lb(), port: 443, path, ca, servername: "shop.k8s.lab.test", headers: { host: "shop.k8s.lab.test" } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });

labTest("check on fresh hosts plans every task and fails none; the real run forms the HA cluster, one join at a time", async () => {
  const cli = await cliCheck();
  assert.equal(cli.status, 2, cli.stdout.slice(-2000));
  const [check, checkTime] = await seconds(() => run(true));
  assert.deepEqual(failures(check), []);
  const count = (s: string) => check.results.filter((r) => r.result.status === s).length;
  console.log(`    microk8s: check on fresh hosts (${checkTime} s): ${["ok", "changed", "unknown", "skipped"].map((s) => `${count(s)} ${s}`).join(", ")}`);
  const [real, realTime] = await seconds(() => run());
  console.log(`    microk8s: the first run took ${realTime} s (5 hosts; snapd and the snaps installed, three API servers started, joins one at a time)`);
  assert.deepEqual(failures(real), []);
  const t = truth(check, real);
  console.log(`    check-mode truth (fresh hosts): ${t.exact} predicted exactly, ${t.unknown} unknown, ${t.wrong.length} wrong`);
  assert.deepEqual(t.wrong, []);

  const status = await microk8s("node3", "status");
  assert.match(status, /^high-availability: yes$/m);
  assert.match(status, /datastore master nodes: (\S+:19001 ){2}\S+:19001$/m, "three voters");
  const nodes = await microk8s("node4", "kubectl get nodes --no-headers");
  assert.deepEqual(
    nodes
      .split("\n")
      .filter((l) => / Ready /.test(l))
      .map((l) => l.split(/\s+/)[0]),
    NODES,
  );
  // One join at a time: each joiner's token was taken after the previous joiner was Ready.
  const joins = real.results.filter((r) => r.task === "join the cluster" && r.result.changed);
  assert.deepEqual(
    joins.map((r) => r.host),
    ["node4", "node5"],
  );
  const tokens = real.results.filter((r) => r.task === "a join token for this node" && r.result.changed).map((r) => r.host);
  assert.deepEqual(tokens, ["node4", "node5"], "a fresh token per joiner");
  assert.doesNotMatch(
    JSON.stringify(real.results.filter((r) => r.task === "a join token for this node")),
    /25000\/[0-9a-f]{32}/,
    "join tokens never reach the results",
  );
});

labTest(
  "what the cluster runs: addons, the ingress behind haproxy with TLS, kubectl through the load balancer, NFS storage, the dashboard's token",
  async () => {
    const addons = await microk8s("node3", "status --format yaml");
    for (const a of ["dns", "rbac", "ingress", "dashboard", "hostpath-storage"])
      assert.match(addons, new RegExp(`- name: ${a}\\n.*\\n.*\\n\\s+status: enabled`), a);
    // A used token is refused, a member is "already known": the behaviour the join tasks rely on.
    const used = (await microk8s("node3", "add-node --format short")).trim();
    await microk8s("node4", used.replace(/^microk8s /, ""));
    assert.match(await microk8s("node5", used.replace(/^microk8s /, "")), /Invalid token \(500\)/);
    const fresh = (await microk8s("node3", "add-node --format short")).trim();
    assert.match(await microk8s("node4", fresh.replace(/^microk8s /, "")), /already known to dqlite \(504\)/);

    const ca = await lab.sh("node1", "cat /etc/haproxy/certs/ca.crt");
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await viaLb(ca);
      assert.equal(r.status, 200);
      assert.match(r.body, /^ingress stand-in on node[345]: shop\.k8s\.lab\.test https$/m);
      seen.add(r.body.split(":")[0]);
    }
    assert.equal(seen.size, 3, "haproxy balances over every node's ingress NodePort");
    const redirect = await new Promise<{ status?: number; location?: string }>((resolve, reject) =>
      httpGet({ host: lb(), port: 80, path: "/x", headers: { host: "shop.k8s.lab.test" } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, location: res.headers.location });
      }).on("error", reject),
    );
    assert.deepEqual(redirect, { status: 301, location: "https://shop.k8s.lab.test/x" }, "plain HTTP is redirected to HTTPS");

    // kubectl from the control machine through the load balancer: the API certificate names it.
    const config = (await microk8s("node3", "config")).replace(/server: https:\/\/[^:]+:16443/, `server: https://${lb()}:16443`);
    const kubeconfig = join(dir, "lb.kubeconfig");
    writeFileSync(kubeconfig, config, { mode: 0o600 });
    const kubectl = join(KUBERNETES_DIR, "bin", "kubectl");
    assert.match((await $`${kubectl} --kubeconfig ${kubeconfig} get nodes -o name`).stdout, /node\/node3\nnode\/node4\nnode\/node5/);

    assert.match(await microk8s("node5", "kubectl get storageclass/nfs-client -o jsonpath={.provisioner}"), /^k8s-sigs\.io\/nfs-subdir-external-provisioner/);
    assert.match(
      await microk8s("node5", "kubectl -n nfs-provisioner get deploy nfs-client-provisioner -o jsonpath={.spec.template.spec.volumes[0].nfs}"),
      new RegExp(`"server":"${lab.lab.hosts[1].address}"`),
    );
    assert.equal((await microk8s("node5", "kubectl -n ingress get svc ingress-nodeport -o jsonpath={.spec.ports[*].nodePort}")).trim(), "30080 30443");
    // The controller manager's token controller fills the dashboard's token (a JWT) once it sees the Secret.
    let token = "";
    for (let i = 0; i < 30 && !token.includes('"alg":"ES256"'); i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000));
      token = await microk8s(
        "node3",
        "kubectl -n kube-system get secret admin-user-token -o jsonpath='{.data.token}' | base64 -d | cut -d. -f1 | base64 -d 2>/dev/null",
      );
    }
    assert.match(token, /"alg":"ES256"/, "the token controller filled the dashboard's token");
    const exports = await lab.sh("node2", "exportfs -v");
    assert.match(
      exports,
      new RegExp(
        `/srv/nfs/kubedata\\s+${lb()
          .replace(/\.\d+$/, "")
          .replace(/\./g, "\\.")}\\.0/24\\(.*rw.*no_root_squash`,
      ),
    );
    console.log("    microk8s: the NFS export table is real (exportfs); this kernel has no NFS server, so nothing serves or mounts it here");
    assert.match(await lab.sh("node4", "grep -A5 'BEGIN HOIST CLUSTER HOSTS' /etc/hosts"), /node1\n.*node2\n.*node3\n.*node4\n.*node5/);
    assert.equal((await lab.sh("node5", "systemctl is-active chrony")).trim(), "active");
    assert.match(await lab.sh("node3", "id -nG ops"), /\bmicrok8s\b/);
  },
);

labTest(
  "re-run changes nothing; check on the built cluster knows every task; drift (haproxy stopped, an export edited, a ConfigMap deleted) is caught, named and put back",
  async () => {
    const { againTime, checkTime } = await idempotent(run);
    console.log(`    microk8s: re-run ${againTime} s, check run ${checkTime} s (5 hosts)`);

    await lab.sh("node1", "systemctl stop haproxy");
    await lab.sh("node2", "sed -i 's/no_root_squash/root_squash/' /etc/exports.d/kubedata.exports && exportfs -ra");
    await microk8s("node4", "kubectl -n ingress delete configmap nginx-load-balancer-microk8s-conf");
    const cli = await cliCheck();
    assert.equal(cli.status, 2);
    const [drift, driftTime] = await seconds(() => run(true));
    const named = namedChanges(drift);
    console.log(`    microk8s: drift check (${driftTime} s) names: ${named.join("; ")}`);
    for (const want of [
      "node1 unit:haproxy.service state [haproxy running]",
      "node2 file:/etc/exports.d/kubedata.exports content [the cluster's share]",
      "node3 k8s:ConfigMap/ingress/nginx-load-balancer-microk8s-conf object [ingress controller settings]",
    ])
      assert.ok(named.includes(want), `${want} in:\n${named.join("\n")}`);
    const fix = await run();
    assert.deepEqual(failures(fix), []);
    const t = truth(drift, fix);
    console.log(`    check-mode truth (after drift): ${t.exact} predicted exactly, ${t.unknown} unknown, ${t.wrong.length} wrong`);
    assert.deepEqual(t.wrong, []);
    assert.deepEqual(changedTasks(await run(true)), [], "after the fix, nothing left to change");
  },
);
