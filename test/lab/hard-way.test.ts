/**
 * Kubernetes the hard way (playbooks/kubernetes-hard-way.yaml) on six lab
 * hosts: haproxy on node1 in front of three controllers (node2-4, etcd on
 * them), two workers (node5-6). The binaries are the lab's own build of
 * 1.34.4, served over HTTP from this machine on the lab network and fetched
 * with their checksums. What is real: the PKI (openssl verify), the etcd TLS
 * cluster, the API through the load balancer, controller-manager and
 * scheduler leases, a Deployment's ReplicaSet and Pods, a Secret encrypted
 * at rest in etcd, containerd and kubelet on the workers. What this machine
 * cannot give is said in the output.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labSession, labTest } from "./lab-session.ts";
import { KUBERNETES_DIR } from "../../lab/kubernetes.ts";
import { hardWayInventory } from "../../lab/hard-way-inventory.ts";
import { tempDir } from "../helpers.ts";
import { createRun } from "../../engine/run/run.ts";
import { changedTasks, failures, idempotent, namedChanges, seconds, truth } from "./playbook-proof.ts";

const PACKAGES = [
  "etcd-server",
  "etcd-client",
  "haproxy",
  "nginx-light",
  "containerd",
  "runc",
  "containernetworking-plugins",
  "socat",
  "conntrack",
  "ipset",
  "iptables",
];
const lab = labSession("hard", 6, PACKAGES, { kubernetes: true, containers: true });
const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const PLAYBOOK = join(root, "playbooks", "kubernetes-hard-way.yaml");
const BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kubelet", "kube-proxy"];

let server: Server;
let inventory = "";
const sha256 = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });

lab.setUp(async () => {
  // The binaries over HTTP on the lab network, as a mirror of dl.k8s.io would serve them.
  const bin = join(KUBERNETES_DIR, "bin");
  const bridge = lab.lab.hosts[0].address.replace(/\.\d+$/, ".1");
  server = createServer((req, res) => {
    const name = (req.url ?? "").slice(1);
    if (!readdirSync(bin).includes(name)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream" });
    createReadStream(join(bin, name)).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, bridge, r));
  const checksums = Object.fromEntries(await Promise.all(BINARIES.map(async (b) => [b, `sha256:${await sha256(join(bin, b))}`])));
  const vars = {
    kubernetes_download_url: `http://${bridge}:${(server.address() as AddressInfo).port}`,
    kubernetes_checksums: checksums,
    // This machine's cgroup v2 hierarchy has no controllers free: the kubelet runs without QoS cgroups.
    kube_kubelet_extra: { cgroupDriver: "cgroupfs", cgroupsPerQOS: false, enforceNodeAllocatable: [], failSwapOn: false },
    kube_containerd_systemd_cgroup: false,
    // A lab host cannot lower OOM scores (no CAP_SYS_RESOURCE) and has no cgroup controllers to give pods.
    kube_containerd_restrict_oom_score_adj: true,
    kube_containerd_disable_cgroup: true,
    // nor set conntrack sysctls (kube-proxy leaves them as they are).
    kube_proxy_extra: { conntrack: { maxPerCore: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" } },
    // No registry is reachable: the lab's images are loaded from their archives, as on an air-gapped cluster.
    kubernetes_pause_image: "hoist.lab/pause:1",
    kube_worker_images: ["pause", "hello"].map((i) => ({ name: `hoist.lab/${i}:1`, archive: `/opt/hoist-lab/images/${i}.tar` })),
  };
  inventory = hardWayInventory(lab.lab, tempDir(), vars, root);
});
lab.tearDown(() => new Promise<void>((r) => server.close(() => r())));

const run = (check = false) => createRun({ playbook: PLAYBOOK, inventory, check, forks: 10 });
const kubectl = (cmd: string) => lab.sh("node2", `/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.kubeconfig ${cmd}`);

labTest("check on fresh hosts plans every task, fails none; the real run builds the cluster; the API answers through the load balancer", async () => {
  const [check, checkTime] = await seconds(() => run(true));
  assert.deepEqual(failures(check), []);
  const statuses = new Set(check.results.map((r) => r.result.status));
  console.log(
    `    hard way: check on fresh hosts (${checkTime} s): ${[...statuses].map((s) => `${check.results.filter((r) => r.result.status === s).length} ${s}`).join(", ")}`,
  );
  const [real, realTime] = await seconds(() => run());
  console.log(`    hard way: the first run took ${realTime} s`);
  assert.deepEqual(failures(real), []);
  const t = truth(check, real);
  console.log(`    check-mode truth (fresh hosts): ${t.exact} predicted exactly, ${t.unknown} unknown, ${t.wrong.length} wrong`);
  assert.deepEqual(t.wrong, []);
  assert.match(await kubectl("get --raw /readyz"), /^ok/);
  const lb = lab.lab.hosts[0].address;
  assert.match(
    await lab.sh("node5", `/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/kube-proxy.kubeconfig --server https://${lb}:6443 get --raw /healthz`),
    /^ok/,
  );
});

labTest("re-run changes nothing; the PKI verifies; etcd is healthy; leases held; a Deployment gets its Pods; a Secret is encrypted in etcd", async () => {
  const { againTime, checkTime } = await idempotent(run);
  console.log(`    hard way: re-run ${againTime} s, check run ${checkTime} s (6 hosts; the API's own calls included)`);
  assert.match(await lab.sh("node3", "openssl verify -CAfile /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/apiserver.crt"), /OK/);
  assert.match(await lab.sh("node6", "openssl verify -CAfile /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/kubelet.crt"), /OK/);
  assert.match(await lab.sh("node3", "openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName"), /IP Address:10\.32\.0\.1/);
  const etcd =
    "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/member.crt --key=/etc/etcd/pki/member.key";
  assert.equal(((await lab.sh("node2", `${etcd} endpoint health --cluster 2>&1`)).match(/is healthy/g) ?? []).length, 3);
  const holders = await kubectl("-n kube-system get lease kube-controller-manager kube-scheduler -o jsonpath='{.items[*].spec.holderIdentity}'");
  assert.match(holders, /^node[234]_\S+ node[234]_\S+$/, "controller manager and scheduler hold their leases");
  await kubectl("create deployment web --image=hoist.lab/hello:1 --replicas=2 -- /hello serve >/dev/null");
  await kubectl("expose deployment web --port 80 --target-port 8080 >/dev/null");
  // Both workers' kubelets registered their nodes; the Deployment's two Pods run; its Service answers from either worker.
  assert.match(await kubectl("get nodes --no-headers"), /^node5\s+Ready\s.*\nnode6\s+Ready\s/m);
  let pods = "";
  for (let i = 0; i < 90 && (pods.match(/\s1\/1\s+Running\s/g) ?? []).length < 2; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000));
    pods = await kubectl("get pods -l app=web --no-headers -o wide 2>/dev/null || true");
  }
  assert.equal((pods.match(/\s1\/1\s+Running\s/g) ?? []).length, 2, `the Deployment's two Pods run:\n${pods}`);
  const clusterIP = (await kubectl("get service web -o jsonpath='{.spec.clusterIP}'")).trim();
  assert.match(clusterIP, /^10\.32\.0\.\d+$/);
  const get = `python3 -c 'import urllib.request; print(urllib.request.urlopen("http://${clusterIP}/", timeout=5).read().decode().strip())'`;
  // kube-proxy writes the Service's rules a moment after its endpoints are ready.
  for (const w of ["node5", "node6"]) {
    let answer = "";
    for (let i = 0; i < 30 && !/^hello from web-/.test(answer); i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000));
      answer = (await lab.sh(w, `${get} 2>&1 || true`)).trim();
    }
    assert.match(answer, /^hello from web-\S+$/, `the Service answers on ${w}`);
  }
  console.log(`    hard way: the smoke test's Pods run on ${[...new Set(pods.match(/node[56]/g))].join(" and ")}, and its Service answers from both workers`);
  await kubectl("create secret generic hoist-smoke --from-literal=password=s3cr3t-smoke >/dev/null");
  const stored = await lab.sh("node3", `${etcd} get /registry/secrets/default/hoist-smoke --print-value-only | head -c 23`);
  assert.equal(stored, "k8s:enc:aescbc:v1:key1:", "the Secret is stored encrypted, with the key the playbook made");
  assert.match(
    await lab.sh("node3", `${etcd} get /registry/secrets/default/hoist-smoke --print-value-only | grep -c s3cr3t-smoke || true`),
    /^0$/m,
    "the value is not in etcd in clear",
  );
  const dns = await kubectl("-n kube-system get pods -l k8s-app=kube-dns --no-headers 2>/dev/null || true");
  console.log(
    `    hard way: CoreDNS is applied, but its image cannot be pulled here (no registry is reachable): ${dns.split("\n")[0]?.replace(/\s+/g, " ") ?? ""}`,
  );
});

labTest(
  "hand-made drift is caught and named (a unit flag, a certificate with other SANs, a stopped etcd member); the run puts it back; a controller whose etcd data is lost joins again",
  async () => {
    await lab.sh("node3", "sed -i 's/--v=1/--v=4/' /etc/systemd/system/kube-scheduler.service");
    await lab.sh(
      "node4",
      "cp /etc/kubernetes/pki/kubelet.crt /tmp/x 2>/dev/null; openssl req -x509 -key /etc/kubernetes/pki/apiserver.key -subj /CN=kubernetes -addext subjectAltName=DNS:elsewhere -days 30 -out /etc/kubernetes/pki/apiserver.crt 2>/dev/null",
    );
    await lab.sh("node2", "systemctl stop etcd");
    const [drift, driftTime] = await seconds(() => run(true));
    const named = namedChanges(drift);
    console.log(`    hard way: drift check (${driftTime} s) names: ${named.join("; ")}`);
    assert.ok(named.includes("node3 file:/etc/systemd/system/kube-scheduler.service content [kube-scheduler unit]"), named.join("\n"));
    assert.ok(
      named.some((n) => n.startsWith("node4 file:/etc/kubernetes/pki/apiserver.crt certificate")),
      named.join("\n"),
    );
    assert.ok(named.includes("node2 unit:etcd.service state [etcd enabled and running]"), named.join("\n"));
    const fix = await run();
    assert.deepEqual(failures(fix), []);
    const t = truth(drift, fix);
    console.log(`    check-mode truth (after drift): ${t.exact} predicted exactly, ${t.unknown} unknown, ${t.wrong.length} wrong`);
    assert.deepEqual(t.wrong, []);
    assert.match(await lab.sh("node4", "openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName"), /IP Address:10\.32\.0\.1/);
    assert.deepEqual(changedTasks(await run()), [], "after the fix, nothing left to change");

    await lab.sh("node4", "systemctl stop etcd && rm -rf /var/lib/etcd/cluster");
    assert.deepEqual(failures(await run()), []);
    assert.match(await lab.sh("node4", "grep INITIAL_CLUSTER_STATE /etc/default/etcd"), /="existing"/);
    const etcd =
      "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/member.crt --key=/etc/etcd/pki/member.key";
    assert.equal(((await lab.sh("node4", `${etcd} endpoint health --cluster 2>&1`)).match(/is healthy/g) ?? []).length, 3);
    assert.match(await kubectl("get secret hoist-smoke -o name"), /hoist-smoke/, "the cluster's data is whole");
  },
);
