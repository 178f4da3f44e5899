/**
 * kubeconfig on a real host: certificates made there with openssl, embedded,
 * compared as data (a file rewritten in another layout is no change), each
 * change named, keys and tokens never shown.
 */
import assert from "node:assert/strict";
import { load } from "js-yaml";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("kctest", 1);

const PKI = "/etc/kubernetes/pki";
const kubeconfig = (server: string, user = `{ name: admin, client_certificate: ${PKI}/admin.crt, client_key: ${PKI}/admin.key }`) => `- hosts: node1
  gather_facts: false
  tasks:
    - name: kc
      kubeconfig:
        path: /root/.kube/admin.conf
        cluster: { name: hoist, server: "${server}", certificate_authority: ${PKI}/ca.crt }
        user: ${user}
`;

labTest("built from files on the host, re-run empty, another layout of the same data is no change, a new server is one named change", async () => {
  await lab.sh(
    "node1",
    `mkdir -p ${PKI} /root/.kube && cd ${PKI} && openssl req -x509 -newkey ed25519 -nodes -keyout ca.key -out ca.crt -subj /CN=hoist-ca -days 30 2>/dev/null && openssl req -newkey ed25519 -nodes -keyout admin.key -out admin.csr -subj /CN=admin 2>/dev/null && openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 30 2>/dev/null`,
  );
  const pb = kubeconfig("https://10.0.0.10:6443");
  const check = await lab.run(pb, { check: true });
  assert.deepEqual(
    check.byTask("kc").changes.map((c) => c.field),
    ["cluster", "user", "user credentials", "context", "current-context", "the rest"],
  );
  const real = await lab.run(pb);
  assert.equal(real.byTask("kc").status, "changed");
  const key = (await lab.sh("node1", `base64 -w0 ${PKI}/admin.key`)).trim();
  assert.ok(!String(JSON.stringify(real.results)).includes(key), "the key is in no result");
  assert.equal(await lab.sh("node1", "stat -c %a /root/.kube/admin.conf"), "600\n");
  // What kubectl reads: the embedded CA is the CA file, byte for byte.
  const written = load(await lab.sh("node1", "cat /root/.kube/admin.conf")) as { clusters: { cluster: Record<string, string> }[] };
  assert.equal(Buffer.from(written.clusters[0].cluster["certificate-authority-data"], "base64").toString(), await lab.sh("node1", `cat ${PKI}/ca.crt`));
  assert.equal((await lab.run(pb)).byTask("kc").status, "ok");
  // The same data as JSON (which YAML reads), keys in reverse order: no change.
  const doc = load(await lab.sh("node1", "cat /root/.kube/admin.conf")) as Record<string, unknown>;
  const reversed = Object.fromEntries(Object.entries(doc).reverse());
  await lab.sh("node1", `printf '%s' '${JSON.stringify(reversed)}' > /root/.kube/admin.conf`);
  assert.equal((await lab.run(pb)).byTask("kc").status, "ok", "another layout of the same kubeconfig");
  const moved = await lab.run(kubeconfig("https://10.0.0.99:6443"));
  assert.deepEqual(
    moved.byTask("kc").changes.map((c) => c.field),
    ["cluster"],
    "only the cluster changed",
  );
});

labTest("a token is sensitive; a missing certificate fails naming it; check mode sees a certificate an earlier task writes", async () => {
  const token = "hoist-lab-token-0123456789abcdef";
  const out = await lab.run(kubeconfig("https://10.0.0.99:6443", `{ name: admin, token: ${token} }`));
  assert.equal(out.byTask("kc").status, "changed");
  assert.ok(!String(JSON.stringify(out.results)).includes(token));
  assert.equal(out.byTask("kc").changes.find((c) => c.field === "user credentials")!.after, "(sensitive)");
  const missing = await lab.run(kubeconfig("https://10.0.0.99:6443", `{ name: ops, client_certificate: ${PKI}/ops.crt, client_key: ${PKI}/ops.key }`));
  assert.equal(missing.byTask("kc").status, "failed");
  assert.match(missing.byTask("kc").msg!, /client_certificate \/etc\/kubernetes\/pki\/ops\.crt does not exist on the host/);
  const earlier = `- hosts: node1
  gather_facts: false
  tasks:
    - { name: cert, copy: { remote_src: true, src: ${PKI}/admin.crt, dest: ${PKI}/ops.crt } }
    - { name: key, copy: { remote_src: true, src: ${PKI}/admin.key, dest: ${PKI}/ops.key, mode: "0600" } }
${kubeconfig("https://10.0.0.99:6443", `{ name: ops, client_certificate: ${PKI}/ops.crt, client_key: ${PKI}/ops.key }`).split("\n").slice(3).join("\n")}`;
  const check = await lab.run(earlier, { check: true });
  assert.equal(check.byTask("kc").status, "changed", check.byTask("kc").msg as string);
  const real = await lab.run(earlier);
  assert.equal(real.byTask("kc").status, "changed", real.byTask("kc").msg as string);
  assert.equal((await lab.run(earlier)).byTask("kc").status, "ok");
});
