/**
 * The benchmark's one workload, written for each tool in its own language:
 * 10 directories, 10 small files with content, a line in a sysctl.d file,
 * three /etc/hosts lines, one service started and enabled (25 items per host).
 */
import { writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../lab/lab.ts";

const ITEMS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const HOSTS_LINES = [1, 2, 3];

const hoistPlaybook = `- hosts: all
  tasks:
    - name: directories
      file: { path: "/srv/bench/d{{ item }}", state: directory, mode: "0755" }
      loop: ${JSON.stringify(ITEMS)}
    - name: files
      file: { path: "/srv/bench/d{{ item }}/f.conf", content: "item {{ item }} on {{ inventory_hostname }}\\n", mode: "0644" }
      loop: ${JSON.stringify(ITEMS)}
    - name: sysctl line
      file: { path: /etc/sysctl.d/90-bench.conf, line: "net.ipv4.ip_forward = 1", regexp: "^net.ipv4.ip_forward" }
    - name: hosts lines
      file: { path: /etc/hosts, line: "10.0.0.{{ item }} bench{{ item }}", regexp: " bench{{ item }}$" }
      loop: ${JSON.stringify(HOSTS_LINES)}
    - name: service
      systemd: { name: bench-sleeper, state: started, enabled: true }
`;

const ansiblePlaybook = `- hosts: all
  gather_facts: false
  tasks:
    - name: directories
      ansible.builtin.file: { path: "/srv/bench/d{{ item }}", state: directory, mode: "0755" }
      loop: ${JSON.stringify(ITEMS)}
    - name: files
      ansible.builtin.copy: { dest: "/srv/bench/d{{ item }}/f.conf", content: "item {{ item }} on {{ inventory_hostname }}\\n", mode: "0644" }
      loop: ${JSON.stringify(ITEMS)}
    - name: sysctl line
      ansible.builtin.lineinfile: { path: /etc/sysctl.d/90-bench.conf, line: "net.ipv4.ip_forward = 1", regexp: "^net.ipv4.ip_forward", create: true }
    - name: hosts lines
      ansible.builtin.lineinfile: { path: /etc/hosts, line: "10.0.0.{{ item }} bench{{ item }}", regexp: " bench{{ item }}$" }
      loop: ${JSON.stringify(HOSTS_LINES)}
    - name: service
      ansible.builtin.systemd_service: { name: bench-sleeper, state: started, enabled: true }
`;

const pyinfraDeploy = `from io import StringIO
from pyinfra import host
from pyinfra.operations import files, systemd

for i in range(10):
    files.directory(name=f"directory {i}", path=f"/srv/bench/d{i}", mode="755")
for i in range(10):
    files.put(name=f"file {i}", src=StringIO(f"item {i} on {host.name}\\n"), dest=f"/srv/bench/d{i}/f.conf", mode="644")
files.line(name="sysctl line", path="/etc/sysctl.d/90-bench.conf", line="^net.ipv4.ip_forward", replace="net.ipv4.ip_forward = 1")
for i in (1, 2, 3):
    files.line(name=f"hosts line {i}", path="/etc/hosts", line=f" bench{i}$", replace=f"10.0.0.{i} bench{i}")
systemd.service(name="service", service="bench-sleeper.service", running=True, enabled=True)
`;

/**
 * The files the bench workload is made of, by role: what each peer is given to run.
 */
export interface WorkloadFiles {
  hoist: string;
  /** The same workload reading a fact (ansible_hostname is the inventory name in the lab): facts are gathered. */
  hoistFacts: string;
  ansible: string;
  ansibleInventory: string;
  ansibleConfig: string;
  mitogenConfig: string;
  mitogenStrategy?: string;
  pyinfra: string;
  pyinfraInventory: string;
}

/** Write the workload for every tool into `dir`. */
export function workload(dir: string, lab: Lab, peers: string): WorkloadFiles {
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const sshArgs = `-o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s`;
  const config = (extra: string) => `[defaults]
forks = 50
host_key_checking = True
interpreter_python = /usr/bin/python3
stdout_callback = default
${extra}
[ssh_connection]
pipelining = True
ssh_args = ${sshArgs}
`;
  const strategyDir = join(peers, "..", "lib", "python3.11", "site-packages", "ansible_mitogen", "plugins", "strategy");
  const hosts = lab.hosts.map((h) => `${h.name} ansible_host=${h.address}`).join("\n");
  return {
    hoist: write("hoist.yaml", hoistPlaybook),
    hoistFacts: write("hoist-facts.yaml", hoistPlaybook.replace("{{ inventory_hostname }}", "{{ ansible_hostname }}")),
    ansible: write("ansible.yaml", ansiblePlaybook),
    ansibleInventory: write("ansible-hosts.ini", `[lab]\n${hosts}\n\n[lab:vars]\nansible_user=root\nansible_ssh_private_key_file=${lab.key}\n`),
    ansibleConfig: write("ansible.cfg", config("")),
    mitogenConfig: write("ansible-mitogen.cfg", config(`strategy_plugins = ${strategyDir}\nstrategy = mitogen_linear\n`)),
    mitogenStrategy: existsSync(strategyDir) ? strategyDir : undefined,
    pyinfra: write("deploy.py", pyinfraDeploy),
    pyinfraInventory: write(
      "inventory.py",
      `lab = [\n${lab.hosts.map((h) => `    ("${h.name}", {"ssh_hostname": "${h.address}", "ssh_user": "root", "ssh_key": "${lab.key}", "ssh_known_hosts_file": "${lab.knownHosts}", "ssh_strict_host_key_checking": "yes"}),`).join("\n")}\n]\n`,
    ),
  };
}
