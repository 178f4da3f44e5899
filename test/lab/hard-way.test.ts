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
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labSession, skipUnlessLab } from "./lab-session.ts";
import { KUBERNETES_DIR } from "../../lab/kubernetes.ts";
import { tempDir } from "../helpers.ts";
import { createRun, type RunOutcome } from "../../engine/run/run.ts";

skipUnlessLab(3);
const PACKAGES = ["etcd-server", "etcd-client", "haproxy", "nginx-light", "containerd", "runc", "containernetworking-plugins", "socat", "conntrack", "ipset", "iptables"];
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

test.before(async () => {
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
  const [lb, c1, c2, c3, w1, w2] = lab.lab.hosts;
  const vars = {
    kubernetes_download_url: `http://${bridge}:${(server.address() as AddressInfo).port}`,
    kubernetes_checksums: checksums,
    kubernetes_api_address: lb.address,
    // This machine's cgroup v2 hierarchy has no controllers free: the kubelet runs without QoS cgroups.
    kube_kubelet_extra: { cgroupDriver: "cgroupfs", cgroupsPerQOS: false, enforceNodeAllocatable: [], failSwapOn: false },
    kube_containerd_systemd_cgroup: false,
    kubernetes_pause_image: "hoist.lab/pause:1",
  };
  const dir = tempDir();
  inventory = join(dir, "hosts.ini");
  const line = (h: { name: string; address: string }, extra = "") => `${h.name} ansible_host=${h.address}${extra}`;
  writeFileSync(
    inventory,
    [
      "[lb]",
      line(lb),
      "[controllers]",
      ...[c1, c2, c3].map((h) => line(h)),
      "[etcd:children]",
      "controllers",
      "[workers]",
      line(w1, " kube_pod_cidr=10.200.1.0/24"),
      line(w2, " kube_pod_cidr=10.200.2.0/24"),
      "[kubernetes:children]",
      "lb",
      "controllers",
      "workers",
      "[all:vars]",
      "ansible_user=root",
      `ansible_ssh_private_key_file=${lab.lab.key}`,
      `hoist_known_hosts=${lab.lab.knownHosts}`,
      "",
    ].join("\n"),
  );
  // The prod inventory's settings for all hosts, the lab's own above them (group kubernetes).
  mkdirSync(join(dir, "group_vars"));
  writeFileSync(join(dir, "group_vars", "all.yaml"), readFileSync(join(root, "inventories", "prod", "group_vars", "all.yaml"), "utf8"));
  writeFileSync(join(dir, "group_vars", "kubernetes.yaml"), JSON.stringify({ ...vars, kube_credentials_dir: join(dir, "credentials") }));
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

const run = (check = false) => createRun({ playbook: PLAYBOOK, inventory, check, forks: 10 });
const failures = (out: RunOutcome) => out.results.filter((r) => r.result.status === "failed" && !r.result.ignored).map((r) => `${r.task}@${r.host}: ${r.result.msg}`);
const kubectl = (cmd: string) => lab.sh("node2", `/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.kubeconfig ${cmd}`);

test("check on fresh hosts plans every task, fails none; the real run builds the cluster; the API answers through the load balancer", async () => {
  const check = await run(true);
  assert.equal(failures(check), []);
  const statuses = new Set(check.results.map((r) => r.result.status));
  console.log(`    hard way: check on fresh hosts: ${[...statuses].map((s) => `${check.results.filter((r) => r.result.status === s).length} ${s}`).join(", ")}`);
  const started = Date.now();
  const real = await run();
  console.log(`    hard way: the first run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(failures(real), []);
  assert.match(await kubectl("get --raw /readyz"), /^ok/);
  const lb = lab.lab.hosts[0].address;
  assert.match(await lab.sh("node5", `/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/kube-proxy.kubeconfig --server https://${lb}:6443 get --raw /healthz`), /^ok/);
});

test.run();
