/**
 * Public roles, unchanged, against Ansible itself: each role of
 * test/compat/roles (fetched from their authors' repositories, each with its
 * licence) is applied by hoist to one fresh lab host — check mode, run,
 * re-run — and by ansible-core's ansible-playbook to another, and the two
 * hosts must end alike: the files the role writes byte for byte (with their
 * mode and owner), its packages installed, its services running and enabled.
 * The roles run in order on the same two hosts, as a site playbook would.
 *
 * Tried and left out, with the reason: geerlingguy.certbot and dev-sec's ssh_hardening (ansible-core
 * alone cannot load them: they name community.general modules, which PyPI's ansible-core does not
 * carry), geerlingguy.php (`find`), .ntp (`timezone`, `service_facts`) and .swap (`mount`),
 * which use modules hoist does not have yet, geerlingguy.apache (a
 * vars file js-yaml refuses), and the roles that download from the internet (docker, containerd,
 * helm, kubernetes, elasticsearch, jenkins, nodejs; k3s-ansible, prometheus-community's exporters).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { labSession, labTest } from "./lab-session.ts";
import { ansiblePlaybook } from "../oracle.ts";

/** What each role owns on the host, read back from both hosts after the runs. */
interface RoleCase {
  role: string;
  /** Variables for both tools (to keep the lab reachable, or two roles from one port). */
  vars?: Record<string, unknown>;
  files: string[];
  packages: string[];
  services: string[];
  /** Commands whose output must be the same on both hosts (accounts, as getent prints them). */
  commands?: string[];
}

/** robertdebock.users with its own example's users and groups (molecule/default/converge.yml), but the keys made on the control machine and the one fetched from GitHub. */
const USERS = {
  users_groups: [
    { name: "robertdb", gid: 1024 },
    { name: "users" },
    { name: "notgroup", state: "absent" },
    { name: "systemgroup", system: true },
    { name: "mywheel", sudo_options: "ALL=(ALL) NOPASSWD: ALL" },
  ],
  users: [
    { name: "root", cron_allow: true, unauthorized_keys: ["ssh-rsa XYZYX54321"] },
    {
      name: "robertdb",
      comment: "Robert de Bock",
      uid: 1024,
      group: "robertdb",
      groups: ["users"],
      cron_allow: true,
      sudo_options: "ALL=(ALL) NOPASSWD: ALL",
      authorized_keys: ["ssh-rsa ABC123"],
      expires: -1,
      password_validity_days: 9,
    },
    {
      name: "robert.d.b",
      comment: "Robert de Bock with dots in username",
      uid: 1025,
      group: "robertdb",
      groups: ["users"],
      cron_allow: true,
      sudo_options: "ALL=(ALL) ALL",
      authorized_keys: ["ssh-rsa ABC123"],
      expires: -1,
      password_validity_days: 9,
    },
    { name: "notuser", state: "absent" },
    { name: "multiplekeys", authorized_keys: ["ssh-rsa ABC1234", "ssh-rsa ABC12345"] },
    {
      name: "passuser",
      password: "$6$mysecretsalt$qJbapG68nyRab3gxvKWPUcs2g3t0oMHSHMnSKecYNpSi3CuZm.GbBqXO8BE6EI6P1JUefhA0qvD7b5LSh./PU1",
      update_password: "on_create",
    },
    { name: "systemuser", system: true },
    { name: "multisudo", sudo_options: ["ALL= NOPASSWD: /usr/bin/systemctl restart httpd", "ALL= NOPASSWD: /usr/bin/systemctl start httpd"] },
    {
      name: "myprivkeyuser",
      private_keys: [{ name: "id_ed25519", content: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key, a stand-in\n-----END OPENSSH PRIVATE KEY-----\n" }],
    },
  ],
};
const ACCOUNTS = ["robertdb", "robert.d.b", "notuser", "multiplekeys", "passuser", "systemuser", "multisudo", "myprivkeyuser"];

const ROLES: RoleCase[] = [
  { role: "memcached", files: ["/etc/memcached.conf"], packages: ["memcached"], services: ["memcached"] },
  { role: "redis", files: ["/etc/redis/redis.conf"], packages: ["redis-server"], services: ["redis-server"] },
  // Off port 80, which nginx takes later on the same hosts.
  { role: "haproxy", vars: { haproxy_frontend_port: 8081 }, files: ["/etc/haproxy/haproxy.cfg"], packages: ["haproxy"], services: ["haproxy"] },
  { role: "git", files: [], packages: ["git"], services: [] },
  { role: "pip", files: [], packages: ["python3-pip"], services: [] },
  { role: "nginx", files: ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/vhosts.conf"], packages: ["nginx"], services: ["nginx"] },
  {
    role: "security",
    // The lab is reached as root with a key: keep that, as an operator applying the role to hosts they reach so would.
    vars: { security_ssh_permit_root_login: "yes", security_sudoers_passwordless: [], security_autoupdate_enabled: true },
    files: ["/etc/ssh/sshd_config", "/etc/apt/apt.conf.d/20auto-upgrades", "/etc/apt/apt.conf.d/50unattended-upgrades"],
    packages: ["fail2ban", "unattended-upgrades"],
    services: ["fail2ban", "ssh"],
  },
  // The JRE rather than the role's default JDK: the same role path, a tenth of the download.
  { role: "java", vars: { java_packages: ["openjdk-17-jre-headless"] }, files: [], packages: ["openjdk-17-jre-headless"], services: [] },
  {
    role: "firewall",
    vars: { firewall_allowed_tcp_ports: [22, 80] },
    files: ["/etc/firewall.bash", "/etc/systemd/system/firewall.service"],
    packages: ["iptables"],
    services: ["firewall"],
  },
  {
    role: "users",
    vars: USERS,
    files: [
      "/etc/sudoers",
      "/etc/cron.allow",
      "/etc/sudoers.d/robertdb",
      "/etc/sudoers.d/robertdotddotb",
      "/etc/sudoers.d/mywheel",
      "/etc/sudoers.d/multisudo",
      "/home/robertdb/.ssh/authorized_keys",
      "/home/robert.d.b/.ssh/authorized_keys",
      "/home/multiplekeys/.ssh/authorized_keys",
      "/home/myprivkeyuser/.ssh/id_ed25519",
    ],
    packages: ["sudo"],
    services: [],
    // Accounts as getent reads them back; ~/.ansible, ansible-core's own scratch directory for a become user, is not the role's.
    commands: [
      ...ACCOUNTS.map(
        (u) =>
          `getent passwd ${u}; id ${u}; getent shadow ${u} | cut -d: -f1,3-; ls -la /home/${u} 2>&1 | awk '$NF != ".ansible" && $1 != "total" { print $1, $3, $4, $NF }'`,
      ),
      "getent group robertdb users notgroup systemgroup mywheel",
      "getent shadow passuser | cut -d: -f2 | sha256sum",
      "stat -c '%n %a %U %G' /home/*/.ssh",
    ],
  },
];

const PACKAGES = [
  "memcached",
  "redis-server",
  "haproxy",
  "git",
  "python3-pip",
  "python3-setuptools",
  "nginx",
  "fail2ban",
  "python3-systemd",
  "unattended-upgrades",
  "iptables",
  "python3-apt",
  "openssh-server",
  "openjdk-17-jre-headless",
  "sudo",
];
const lab = labSession("rolecompat", 2, PACKAGES);
const rolesPath = join(import.meta.dirname, "..", "..", "..", "test", "compat", "roles");

const playbook = (host: string, c: RoleCase) =>
  `- hosts: ${host}\n  become: true\n  ${c.vars ? `vars: ${JSON.stringify(c.vars)}\n  ` : ""}roles:\n    - ${c.role}\n`;

/** The end state a role leaves, as read by plain commands on the host. */
async function endState(host: string, c: RoleCase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of c.files) out[f] = await lab.sh(host, `if [ -e '${f}' ]; then stat -c '%a %U %G' '${f}'; sha256sum < '${f}'; else echo missing; fi`);
  for (const p of c.packages) out[`package ${p}`] = await lab.sh(host, `dpkg-query -W -f='\${db:Status-Abbrev}' ${p} 2>/dev/null || echo none`);
  for (const s of c.services) out[`service ${s}`] = await lab.sh(host, `echo $(systemctl is-active ${s}) $(systemctl is-enabled ${s} 2>/dev/null)`);
  for (const command of c.commands ?? []) out[command] = await lab.sh(host, `(${command}) 2>&1; true`);
  return out;
}

labTest("public roles, unchanged: hoist converges (check, run, re-run with no change) and leaves the host as ansible-core leaves another", async () => {
  const knownHosts = String(lab.vars("node1").hoist_known_hosts);
  // Both tools start from the lab's own apt repository, as an air-gapped site's mirror.
  const converged: string[] = [];
  const problems: string[] = [];
  for (const c of ROLES) {
    const prefix = `${c.role}:`;
    const check = await lab.run(playbook("node1", c), { check: true, rolesPath: [rolesPath] });
    const checkFailed = check.results.filter((r) => r.result.status === "failed");
    const run = await lab.run(playbook("node1", c), { rolesPath: [rolesPath] });
    // A failure a block's rescue handled is no failure of the run (Ansible's recap counts it rescued).
    const runFailed = (run.stats.get("node1")?.failed ?? 0) > 0 ? run.results.filter((r) => r.result.status === "failed" && !r.result.ignored) : [];
    const again = await lab.run(playbook("node1", c), { rolesPath: [rolesPath] });
    const changedAgain = again.results.filter((r) => r.result.changed).map((r) => r.task);
    const ansible = await ansiblePlaybook(lab.lab.inventory, playbook("node2", c), rolesPath, knownHosts);
    const mine = await endState("node1", c);
    const theirs = await endState("node2", c);
    const differs = Object.keys(mine).filter((k) => mine[k] !== theirs[k]);
    const said = [
      ...checkFailed.map((r) => `check mode failed '${r.task}': ${r.result.msg}`),
      ...runFailed.map((r) => `run failed '${r.task}': ${r.result.msg}`),
      ...(changedAgain.length ? [`re-run changed: ${changedAgain.join(", ")}`] : []),
      ...(ansible.code !== 0
        ? [
            `ansible-playbook exit ${ansible.code}: ${ansible.output
              .split("\n")
              .filter((l) => /fatal|FAILED|ERROR/.test(l))
              .slice(0, 3)
              .join(" | ")}`,
          ]
        : []),
      ...differs.map((k) => `${k}: hoist ${JSON.stringify(mine[k])}, ansible-core ${JSON.stringify(theirs[k])}`),
    ];
    if (said.length) problems.push(...said.map((s) => `${prefix} ${s}`));
    else converged.push(c.role);
  }
  console.log(`role compat: ${converged.length} of ${ROLES.length} public roles converge unchanged with ansible-core's end state (${converged.join(", ")})`);
  for (const p of problems) console.log(`role compat: ${p}`);
  assert.deepEqual(problems, []);
});
