/**
 * A real control plane on a lab host, set up by hoist's own modules: Debian's
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler 1.34 built
 * from the Go module proxy (lab/kubernetes.ts), certificates from pki, units
 * from systemd, kubeconfigs from kubeconfig — the API answering through
 * kubectl, both leases held, a Deployment turned into Pods by the controllers.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("kube", 1, ["etcd-server", "etcd-client"], { kubernetes: true });

const PKI = "/etc/kubernetes/pki";
const playbook = (address: string) => `- hosts: node1
  gather_facts: false
  tasks:
    - { name: etcd, apt: { name: [etcd-server, etcd-client] } }
    - { name: etcd running, systemd: { name: etcd, state: started } }
    - { name: pki dir, file: { path: ${PKI}, state: directory, mode: "0700" } }
    - { name: ca, pki: { state: ca, key: ${PKI}/ca.key, cert: ${PKI}/ca.crt, common_name: kubernetes-ca } }
    - name: apiserver request
      pki: { state: request, key: ${PKI}/apiserver.key, cert: ${PKI}/apiserver.crt, ca_cert: ${PKI}/ca.crt, common_name: kube-apiserver,
             sans: [kubernetes, kubernetes.default, kubernetes.default.svc, 10.32.0.1, ${address}, 127.0.0.1] }
      register: req
    - name: apiserver sign
      pki: { state: sign, csr: "{{ req.csr }}", ca_cert: ${PKI}/ca.crt, ca_key: ${PKI}/ca.key, common_name: kube-apiserver,
             sans: [kubernetes, kubernetes.default, kubernetes.default.svc, 10.32.0.1, ${address}, 127.0.0.1] }
      when: req.needs_certificate
      register: signed
    - { name: apiserver cert, copy: { content: "{{ signed.certificate }}", dest: ${PKI}/apiserver.crt }, when: req.needs_certificate }
    - { name: service account key, command: "openssl genpkey -algorithm RSA -out ${PKI}/sa.key", args: { creates: ${PKI}/sa.key } }
    - { name: service account public key, command: "openssl pkey -in ${PKI}/sa.key -pubout -out ${PKI}/sa.pub", args: { creates: ${PKI}/sa.pub } }
    - name: tokens
      copy:
        content: "hoist-lab-admin-token,admin,admin,system:masters\\nhoist-lab-cm-token,system:kube-controller-manager,cm\\nhoist-lab-sched-token,system:kube-scheduler,sched\\n"
        dest: /etc/kubernetes/tokens.csv
        mode: "0600"
    - name: apiserver
      systemd:
        name: kube-apiserver.service
        state: started
        content: |
          [Unit]
          Description=Kubernetes API server
          After=etcd.service
          [Service]
          ExecStart=/opt/kubernetes/bin/kube-apiserver --etcd-servers=http://127.0.0.1:2379 --advertise-address=${address} --secure-port=6443 --tls-cert-file=${PKI}/apiserver.crt --tls-private-key-file=${PKI}/apiserver.key --token-auth-file=/etc/kubernetes/tokens.csv --authorization-mode=RBAC --service-account-issuer=https://kubernetes.default.svc --service-account-key-file=${PKI}/sa.pub --service-account-signing-key-file=${PKI}/sa.key --service-cluster-ip-range=10.32.0.0/24
          Restart=on-failure
          [Install]
          WantedBy=multi-user.target
    - { name: serving, wait_for: { port: 6443, timeout: 120 } }
    - { name: kube dir, file: { path: /root/.kube, state: directory, mode: "0700" } }
    - name: admin kubeconfig
      kubeconfig:
        path: /root/.kube/config
        cluster: { name: lab, server: "https://${address}:6443", certificate_authority: ${PKI}/ca.crt }
        user: { name: admin, token: hoist-lab-admin-token }
    - name: controller-manager kubeconfig
      kubeconfig:
        path: /etc/kubernetes/controller-manager.kubeconfig
        cluster: { name: lab, server: "https://${address}:6443", certificate_authority: ${PKI}/ca.crt }
        user: { name: system:kube-controller-manager, token: hoist-lab-cm-token }
    - name: scheduler kubeconfig
      kubeconfig:
        path: /etc/kubernetes/scheduler.kubeconfig
        cluster: { name: lab, server: "https://${address}:6443", certificate_authority: ${PKI}/ca.crt }
        user: { name: system:kube-scheduler, token: hoist-lab-sched-token }
    - name: controller-manager
      systemd:
        name: kube-controller-manager.service
        state: started
        content: |
          [Unit]
          Description=Kubernetes controller manager
          After=kube-apiserver.service
          [Service]
          ExecStart=/opt/kubernetes/bin/kube-controller-manager --kubeconfig=/etc/kubernetes/controller-manager.kubeconfig --leader-elect=true --use-service-account-credentials=true --service-account-private-key-file=${PKI}/sa.key --root-ca-file=${PKI}/ca.crt --cluster-signing-cert-file=${PKI}/ca.crt --cluster-signing-key-file=${PKI}/ca.key --service-cluster-ip-range=10.32.0.0/24
          Restart=on-failure
          [Install]
          WantedBy=multi-user.target
    - name: scheduler
      systemd:
        name: kube-scheduler.service
        state: started
        content: |
          [Unit]
          Description=Kubernetes scheduler
          After=kube-apiserver.service
          [Service]
          ExecStart=/opt/kubernetes/bin/kube-scheduler --kubeconfig=/etc/kubernetes/scheduler.kubeconfig --leader-elect=true
          Restart=on-failure
          [Install]
          WantedBy=multi-user.target
`;

labTest("kube-apiserver 1.34 (built from the Go module proxy) on Debian's etcd, set up by hoist's modules; kubectl gets through", async () => {
  const address = lab.lab.hosts[0].address;
  const first = await lab.run(playbook(address));
  const failed = first.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}: ${r.result.msg}`);
  assert.deepEqual(failed, []);
  let healthz = "";
  for (let i = 0; i < 60 && healthz !== "ok"; i++) {
    healthz = (await lab.sh("node1", "/opt/kubernetes/bin/kubectl get --raw /readyz 2>/dev/null || true")).trim();
    if (healthz !== "ok") await new Promise((r) => setTimeout(r, 1000));
  }
  assert.equal(healthz, "ok", "the API server is ready");
  assert.match(await lab.sh("node1", "/opt/kubernetes/bin/kubectl version -o json"), /"gitVersion": "v1\.34\.4"/);
  assert.match(await lab.sh("node1", "/opt/kubernetes/bin/kubectl get namespaces -o name"), /namespace\/kube-system/);
  // The controller manager and the scheduler (built the same way) take their leases, and the controllers work.
  const holders = async () =>
    lab.sh(
      "node1",
      "/opt/kubernetes/bin/kubectl -n kube-system get lease kube-controller-manager kube-scheduler -o jsonpath='{.items[*].spec.holderIdentity}' 2>/dev/null || true",
    );
  let held = "";
  for (let i = 0; i < 60 && held.trim().split(/\s+/).filter(Boolean).length < 2; i++) {
    held = await holders();
    if (held.trim().split(/\s+/).filter(Boolean).length < 2) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.match(held, /^node1_\S+ node1_\S+$/, "both hold their leases");
  await lab.sh("node1", "/opt/kubernetes/bin/kubectl create deployment web --image=hoist.lab/hello:1 --replicas=2 >/dev/null");
  let pods = "";
  for (let i = 0; i < 60 && (pods.match(/Pending/g) ?? []).length < 2; i++) {
    pods = await lab.sh("node1", "/opt/kubernetes/bin/kubectl get pods -l app=web --no-headers 2>/dev/null || true");
    if ((pods.match(/Pending/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.equal((pods.match(/Pending/g) ?? []).length, 2, `the Deployment got a ReplicaSet and two Pods (Pending: this suite runs no kubelet):\n${pods}`);
  const unschedulable = await lab.sh("node1", "/opt/kubernetes/bin/kubectl get events --field-selector reason=FailedScheduling -o name | wc -l");
  assert.ok(Number(unschedulable) > 0, "the scheduler looked at them (no node to put them on)");
  const again = await lab.run(playbook(address));
  assert.deepEqual(
    again.results.filter((r) => r.result.status === "changed").map((r) => r.task),
    [],
    "the second run changes nothing",
  );
});

const apply = (value: string, extra = "") => `- hosts: node1
  gather_facts: false
  tasks:
    - name: namespace
      kubectl_apply: { kubectl: /opt/kubernetes/bin/kubectl, definition: { apiVersion: v1, kind: Namespace, metadata: { name: demo } } }
    - name: objects
      kubectl_apply:
        kubectl: /opt/kubernetes/bin/kubectl
        namespace: demo
        definition:
          - { apiVersion: v1, kind: ConfigMap, metadata: { name: settings }, data: { mode: "${value}" } }
          - { apiVersion: v1, kind: Secret, metadata: { name: creds }, stringData: { password: "s3cr3t-${value}" } }
          - apiVersion: v1
            kind: Service
            metadata: { name: web }
            spec: { type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
${extra}`;

labTest(
  "kubectl_apply on the real API server: check mode knows a namespace comes first, server-side apply, defaulted fields are no change, one field changed is one change, secrets hidden, absent deletes",
  async () => {
    const check = await lab.run(apply("a"), { check: true });
    assert.equal(check.byTask("namespace").status, "changed");
    assert.equal(check.byTask("objects").status, "unknown", check.byTask("objects").msg as string);
    assert.match(check.byTask("objects").msg!, /depends on 'namespace'|namespaces? "demo" not found/);
    const real = await lab.run(apply("a"));
    assert.equal(real.byTask("objects").status, "changed", real.byTask("objects").msg as string);
    assert.match(await lab.sh("node1", "/opt/kubernetes/bin/kubectl -n demo get configmap settings -o jsonpath='{.data.mode}'"), /^a$/);
    const again = await lab.run(apply("a"));
    assert.equal(again.byTask("objects").status, "ok", "node port, cluster IP and other defaults are not changes");
    const changed = await lab.run(apply("b"), { check: true });
    assert.deepEqual(
      changed.byTask("objects").changes.map((c) => [c.resource, c.field, c.before, c.after]),
      [
        ["k8s:ConfigMap/demo/settings", "data.mode", "a", "b"],
        ["k8s:Secret/demo/creds", "data.password", "(sensitive)", "(sensitive)"],
      ],
    );
    assert.doesNotMatch(JSON.stringify(changed.results), /s3cr3t/);
    assert.match(
      await lab.sh("node1", "/opt/kubernetes/bin/kubectl -n demo get configmap settings -o jsonpath='{.data.mode}'"),
      /^a$/,
      "check mode wrote nothing",
    );
    const gone = await lab.run(`- hosts: node1
  gather_facts: false
  tasks:
    - { name: rm, kubectl_apply: { kubectl: /opt/kubernetes/bin/kubectl, state: absent, namespace: demo, definition: { apiVersion: v1, kind: ConfigMap, metadata: { name: settings } } } }
`);
    assert.equal(gone.byTask("rm").status, "changed");
    assert.equal(await lab.sh("node1", "/opt/kubernetes/bin/kubectl -n demo get configmap settings --ignore-not-found -o name"), "");
  },
);

labTest("kubectl_apply prune on the real API server: what carries the selector and left the manifests is deleted, nothing else", async () => {
  const kubectl = "/opt/kubernetes/bin/kubectl";
  const pb = (names: string[]) => `- hosts: node1
  gather_facts: false
  tasks:
    - name: parts
      kubectl_apply:
        kubectl: ${kubectl}
        namespace: demo
        prune: { selector: app.kubernetes.io/part-of=shop }
        definition:
${names.map((n) => `          - { apiVersion: v1, kind: ConfigMap, metadata: { name: ${n}, labels: { app.kubernetes.io/part-of: shop } }, data: { n: "${n}" } }`).join("\n")}
`;
  assert.equal((await lab.run(pb(["cart", "stock", "old"]))).byTask("parts").status, "changed");
  await lab.sh("node1", `${kubectl} -n demo create configmap unlabelled --from-literal=x=1 >/dev/null`);
  await lab.sh(
    "node1",
    `${kubectl} -n default create configmap elsewhere --from-literal=x=1 >/dev/null && ${kubectl} -n default label configmap elsewhere app.kubernetes.io/part-of=shop >/dev/null`,
  );
  const check = await lab.run(pb(["cart", "stock"]), { check: true });
  assert.deepEqual(
    check.byTask("parts").changes.map((c) => [c.resource, c.after]),
    [["k8s:ConfigMap/demo/old", "pruned"]],
  );
  assert.match(await lab.sh("node1", `${kubectl} -n demo get configmap old -o name`), /configmap\/old/, "check mode deleted nothing");
  assert.equal((await lab.run(pb(["cart", "stock"]))).byTask("parts").status, "changed");
  assert.deepEqual(
    (await lab.sh("node1", `${kubectl} -n demo get configmaps -o name`))
      .trim()
      .split("\n")
      .filter((n) => n !== "configmap/kube-root-ca.crt") // the controller manager's, in every namespace
      .sort(),
    ["configmap/cart", "configmap/stock", "configmap/unlabelled"],
    "the unlabelled one stays",
  );
  assert.match(await lab.sh("node1", `${kubectl} -n default get configmap elsewhere -o name`), /elsewhere/, "another namespace is not the manifests'");
  assert.equal((await lab.run(pb(["cart", "stock"]))).byTask("parts").status, "ok", "nothing left to prune");
});

labTest(
  "kubectl_apply: a field someone took over by hand (kubectl patch) is drift the run takes back with force_conflicts, and a conflict without it fails naming the other manager, as Ansible's k8s module does",
  async () => {
    const kubectl = "/opt/kubernetes/bin/kubectl";
    const pb = (force: boolean) => `- hosts: node1
  gather_facts: false
  tasks:
    - name: pinned
      kubectl_apply:
        kubectl: ${kubectl}
        namespace: demo
        server_side_apply: { force_conflicts: ${force} }
        definition:
          apiVersion: v1
          kind: Service
          metadata: { name: pinned }
          spec: { type: NodePort, selector: { app: pinned }, ports: [{ port: 80, nodePort: 30080 }] }
`;
    const nodePort = async () => (await lab.sh("node1", `${kubectl} -n demo get service pinned -o jsonpath='{.spec.ports[0].nodePort}'`)).trim();
    assert.equal((await lab.run(pb(true))).byTask("pinned").status, "changed");
    assert.equal(await nodePort(), "30080");
    await lab.sh(
      "node1",
      `${kubectl} -n demo patch service pinned --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30081}]' >/dev/null`,
    );
    assert.equal(await nodePort(), "30081");
    // Without force_conflicts the field is another manager's now: the task fails, in check mode and in the run, naming it.
    for (const out of [await lab.run(pb(false), { check: true }), await lab.run(pb(false))]) {
      assert.equal(out.byTask("pinned").status, "failed");
      assert.match(String(out.byTask("pinned").msg), /conflict.*kubectl-patch/);
    }
    assert.equal(await nodePort(), "30081", "nothing was taken back");
    // With it, check mode names the change, the run takes the field back, and the re-run finds nothing to do.
    const check = await lab.run(pb(true), { check: true });
    assert.equal(check.byTask("pinned").status, "changed", String(check.byTask("pinned").msg));
    assert.ok(
      check.byTask("pinned").changes.some((c) => c.resource === "k8s:Service/demo/pinned" && /nodePort|ports/.test(c.field)),
      JSON.stringify(check.byTask("pinned").changes),
    );
    assert.equal((await lab.run(pb(true))).byTask("pinned").status, "changed");
    assert.equal(await nodePort(), "30080");
    assert.equal((await lab.run(pb(true))).byTask("pinned").status, "ok");
    await lab.sh("node1", `${kubectl} -n demo delete service pinned >/dev/null`);
  },
);

labTest(
  "kubectl_apply of a 1 MB ConfigMap plans, checks and applies: manifests reach kubectl on stdin, never as one argument (Linux caps one at 128 KiB)",
  async () => {
    const kubectl = "/opt/kubernetes/bin/kubectl";
    const big = (fill: string) => fill.repeat(1_000_000);
    const pb = (fill: string) => `- hosts: node1
  gather_facts: false
  tasks:
    - name: big
      kubectl_apply:
        kubectl: ${kubectl}
        namespace: demo
        definition: { apiVersion: v1, kind: ConfigMap, metadata: { name: big }, data: { blob: "${big(fill)}" } }
`;
    const check = await lab.run(pb("a"), { check: true });
    assert.equal(check.byTask("big").status, "changed", check.byTask("big").msg as string);
    assert.equal(await lab.sh("node1", `${kubectl} -n demo get configmap big --ignore-not-found -o name`), "", "check mode applied nothing");
    const real = await lab.run(pb("a"));
    assert.equal(real.byTask("big").status, "changed", real.byTask("big").msg as string);
    assert.equal((await lab.sh("node1", `${kubectl} -n demo get configmap big -o jsonpath='{.data.blob}' | wc -c`)).trim(), "1000000");
    assert.equal((await lab.run(pb("a"))).byTask("big").status, "ok", "the re-run finds it as declared");
    const changed = await lab.run(pb("b"), { check: true });
    assert.deepEqual(
      changed.byTask("big").changes.map((c) => [c.resource, c.field]),
      [["k8s:ConfigMap/demo/big", "data.blob"]],
    );
    assert.equal((await lab.run(pb("b"))).byTask("big").status, "changed");
    await lab.sh("node1", `${kubectl} -n demo delete configmap big >/dev/null`);
  },
);
