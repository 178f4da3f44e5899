import { test } from "node:test";
import assert from "node:assert/strict";
import { sshArgSettings } from "../../engine/connection/ssh-args.ts";
import { runPlaybook } from "../helpers.ts";

test("OpenSSH options map onto hoist's settings; process-only options have nothing to do", () => {
  assert.deepEqual(sshArgSettings("-o ProxyCommand='ssh -W %h:%p -q admin@bastion' -o ServerAliveInterval=30 -o ControlMaster=auto", false), {
    proxyJump: "admin@bastion",
  });
  assert.deepEqual(sshArgSettings("-J jump:2222 -p 2200 -o User=ops -i /k -o UserKnownHostsFile=/etc/kh -o ConnectTimeout=7", false), {
    proxyJump: "jump:2222",
    port: 2200,
    user: "ops",
    privateKeyFile: "/k",
    knownHostsFile: "/etc/kh",
    connectTimeoutMs: 7000,
  });
  assert.deepEqual(sshArgSettings("-o StrictHostKeyChecking=accept-new", true), {});
});

test("options that weaken host-key checking, or that hoist cannot honour, are refused by name", () => {
  const refused = (args: string, accept = false) => {
    try {
      sshArgSettings(args, accept);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  assert.match(refused("-o StrictHostKeyChecking=no"), /turns host-key checking off; hoist always checks/);
  assert.match(refused("-o StrictHostKeyChecking=no", true), /turns host-key checking off/);
  assert.match(refused("-o StrictHostKeyChecking=accept-new"), /--accept-new-host-keys/);
  assert.match(refused("-o UserKnownHostsFile=/dev/null"), /every host key unknown/);
  assert.match(refused("-o ProxyCommand='nc %h %p'"), /runs no proxy commands/);
  assert.match(refused("-o ForwardAgent=yes"), /ForwardAgent is not supported/);
  assert.match(refused("-D 1080"), /-D is not supported/);
});

test("a run refuses them before any host is touched (exit 4 in the CLI)", async () => {
  const inventory = "web1 ansible_host=192.0.2.1 ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n";
  let touched = false;
  await runPlaybook("- hosts: all\n  gather_facts: false\n  tasks: [{ debug: { msg: x } }]\n", {
    inventory,
    connect: async () => {
      touched = true;
      throw new Error("must not connect");
    },
  }).then(
    () => assert.fail("refused"),
    (e: Error) => assert.match(e.message, /host web1: ansible_ssh_common_args\/ansible_ssh_extra_args: StrictHostKeyChecking=no/),
  );
  assert.equal(touched, false);
});
