/**
 * pki on real hosts with openssl: a CA on node1, node2's key made on node2
 * and its certificate signed on node1 (the CA key never leaves it); check
 * predicts, a re-run changes nothing, a new SAN or a certificate near expiry
 * is reissued, and no private key is in any result.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("pkitest", 2);

const playbook = (sans: string, renew = 30) => `- hosts: node1
  gather_facts: false
  tasks:
    - { name: ca dir, file: { path: /etc/hoist-ca, state: directory, mode: "0700" } }
    - { name: ca, pki: { state: ca, key: /etc/hoist-ca/ca.key, cert: /etc/hoist-ca/ca.crt, common_name: hoist-ca, days: 3650 }, register: ca }
- hosts: node2
  gather_facts: false
  tasks:
    - { name: pki dir, file: { path: /etc/kube, state: directory, mode: "0755" } }
    - { name: trust, copy: { content: "{{ hostvars.node1.ca.certificate }}", dest: /etc/kube/ca.crt } }
    - name: request
      pki: { state: request, key: /etc/kube/node.key, cert: /etc/kube/node.crt, ca_cert: /etc/kube/ca.crt, common_name: "system:node:node2", organization: "system:nodes", sans: ${sans}, renew_days: ${renew} }
      register: req
    - name: sign
      pki: { state: sign, csr: "{{ req.csr }}", ca_cert: /etc/hoist-ca/ca.crt, ca_key: /etc/hoist-ca/ca.key, days: 90,
             common_name: "system:node:node2", organization: "system:nodes", sans: ${sans} }
      delegate_to: node1
      when: req.needs_certificate
      register: signed
    - name: install
      copy: { content: "{{ signed.certificate }}", dest: /etc/kube/node.crt }
      when: req.needs_certificate
`;

labTest("a CA, a key made where it is kept, a certificate signed on the CA host; check predicts, re-run empty", async () => {
  const pb = playbook('["node2", "10.0.0.2"]');
  const check = await lab.run(pb, { check: true });
  const statuses = (out: typeof check) => out.results.map((r) => `${r.task}:${r.result.status}`);
  assert.deepEqual(statuses(check), ["ca dir:changed", "ca:changed", "pki dir:changed", "trust:unknown", "request:unknown", "sign:unknown", "install:unknown"]);
  const real = await lab.run(pb);
  assert.deepEqual(statuses(real), ["ca dir:changed", "ca:changed", "pki dir:changed", "trust:changed", "request:changed", "sign:changed", "install:changed"]);
  const verify = await lab.sh(
    "node2",
    "openssl verify -CAfile /etc/kube/ca.crt /etc/kube/node.crt; openssl x509 -in /etc/kube/node.crt -noout -subject -ext subjectAltName -nameopt RFC2253; stat -c %a /etc/kube/node.key",
  );
  assert.match(verify, /node\.crt: OK/);
  assert.match(verify, /subject=O=system:nodes,CN=system:node:node2/);
  assert.match(verify, /DNS:node2, IP Address:10\.0\.0\.2/);
  assert.match(verify, /\n600\n$/);
  assert.equal(await lab.sh("node2", "test -e /etc/hoist-ca/ca.key && echo leaked || echo kept"), "kept\n", "the CA key is only on node1");
  for (const [h, key] of [
    ["node1", "/etc/hoist-ca/ca.key"],
    ["node2", "/etc/kube/node.key"],
  ]) {
    const pem = (await lab.sh(h, `cat ${key}`)).split("\n")[1];
    assert.ok(!String(JSON.stringify(real.results)).includes(pem), `${key} is in no result`);
  }
  const again = await lab.run(pb);
  assert.deepEqual(statuses(again), ["ca dir:ok", "ca:ok", "pki dir:ok", "trust:ok", "request:ok", "sign:skipped", "install:skipped"]);
  const checkAgain = await lab.run(pb, { check: true });
  assert.deepEqual(statuses(checkAgain), statuses(again), "check mode after the run predicts the same");
});

labTest("a SAN added or the renewal window reached: a new certificate for the same key; a certificate that matches is left alone", async () => {
  const key = await lab.sh("node2", "openssl pkey -in /etc/kube/node.key -pubout");
  const added = await lab.run(playbook('["node2", "10.0.0.2", "node2.lab"]'));
  const asked = (out: typeof added) => String(out.byTask("request").changes.find((c) => c.field === "certificate")?.after);
  assert.match(asked(added), /SANs \[DNS:node2, IP:10\.0\.0\.2\] are not/);
  assert.equal(added.byTask("install").status, "changed");
  assert.match(await lab.sh("node2", "openssl x509 -in /etc/kube/node.crt -noout -ext subjectAltName"), /DNS:node2\.lab/);
  assert.equal(await lab.sh("node2", "openssl pkey -in /etc/kube/node.key -pubout"), key, "the key stays");
  const renew = await lab.run(playbook('["node2", "10.0.0.2", "node2.lab"]', 100));
  assert.match(asked(renew), /expires in (89|90) days \(renew_days: 100\)/, asked(renew));
  assert.equal(renew.byTask("install").status, "changed");
});

// A compromised node answers the request with a CSR of its choosing: cluster-admin, and a CA of its own.
const HOSTILE_REQUEST =
  "openssl req -new -key /etc/kube/node.key -subj /CN=admin/O=system:masters -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign -addext subjectAltName=DNS:kubernetes";
const hostile = (request: string, checkModeOff = "") => `- hosts: node2
  gather_facts: false
  tasks:
    - name: request
      command: ${request}${checkModeOff}
      register: req
    - name: sign
      pki: { state: sign, csr: "{{ req.stdout }}\\n", ca_cert: /etc/hoist-ca/ca.crt, ca_key: /etc/hoist-ca/ca.key, days: 90,
             common_name: "system:node:node2", organization: "system:nodes", sans: [node2] }
      delegate_to: node1
      register: signed
    - name: install
      copy: { content: "{{ signed.certificate }}", dest: /etc/kube/hostile.crt }
`;

labTest("hostile: a node's CSR asking for system:masters and CA:TRUE gets only what the task declares; check mode never signs", async () => {
  const real = await lab.run(hostile(HOSTILE_REQUEST));
  assert.equal(real.byTask("sign").status, "changed", real.byTask("sign").msg as string);
  const text = await lab.sh(
    "node2",
    "openssl x509 -in /etc/kube/hostile.crt -noout -subject -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName -nameopt RFC2253",
  );
  assert.match(text, /subject=O=system:nodes,CN=system:node:node2\n/);
  assert.doesNotMatch(text, /system:masters|admin|CA:TRUE|Certificate Sign|DNS:kubernetes/);
  assert.match(text, /CA:FALSE/);
  assert.match(text, /DNS:node2/);
  const samePublicKey = await lab.sh(
    "node2",
    '[ "$(openssl x509 -in /etc/kube/hostile.crt -noout -pubkey)" = "$(openssl pkey -in /etc/kube/node.key -pubout)" ] && echo same',
  );
  assert.equal(samePublicKey, "same\n", "the certificate is for the request's public key");
  // A request whose self-signature does not hold (whoever sent it does not hold the key) is refused.
  const csr = await lab.sh("node2", HOSTILE_REQUEST);
  const der = Buffer.from(csr.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, ""), "base64");
  der[der.length - 1] ^= 1;
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE REQUEST-----\n`;
  await lab.sh("node2", `printf '%s' '${pem}' > /etc/kube/forged.csr`);
  const refused = await lab.run(hostile("cat /etc/kube/forged.csr"));
  assert.equal(refused.byTask("sign").status, "failed");
  assert.match(String(refused.byTask("sign").msg), /not signed by its own key/);
  // Check mode (and so drift) plans the signing and never runs it: the CA host signs nothing.
  await lab.sh(
    "node1",
    "printf '#!/bin/sh\\necho called >> /root/openssl-calls\\nexec /usr/bin/openssl \"$@\"\\n' > /usr/local/bin/openssl && chmod +x /usr/local/bin/openssl; rm -f /root/openssl-calls",
  );
  try {
    const check = await lab.run(hostile(HOSTILE_REQUEST, "\n      check_mode: false"), { check: true });
    assert.equal(check.byTask("sign").status, "changed", check.byTask("sign").msg as string);
    assert.equal(await lab.sh("node1", "test -e /root/openssl-calls && echo signed || echo none"), "none\n", "check mode ran openssl on the CA host");
    // The wrapper is on the PATH hoist's commands see: a real run goes through it.
    await lab.run(hostile(HOSTILE_REQUEST));
    assert.equal(await lab.sh("node1", "test -e /root/openssl-calls && echo signed || echo none"), "signed\n");
  } finally {
    await lab.sh("node1", "rm -f /usr/local/bin/openssl /root/openssl-calls");
  }
  console.log("hostile: what a node's own CSR asks for reaching its certificate: tried 6, held 6");
});
