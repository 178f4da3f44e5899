// Command microk8s is the hoist lab's stand-in for the MicroK8s snap: the
// snap store cannot be reached from the lab, so this program, packaged as a
// classic snap named microk8s by lab/microk8s-snap.ts, follows MicroK8s'
// documented command-line behaviour closely enough for a playbook to be
// proven against it: `status [--wait-ready] [--timeout N] [--format yaml]`,
// `add-node` (single-use tokens, printed join lines), `join` (a used token is
// refused, a member is "already known to dqlite"), `enable`/`disable`
// addons, `refresh-certs --cert server.crt`, `config` and `kubectl`.
//
// What is real: every node runs a real kube-apiserver and
// kube-controller-manager (1.34, built by the lab), and `microk8s kubectl`
// is the real kubectl talking to them. What stands in: the datastore is one
// etcd on the node that formed the cluster (MicroK8s replicates dqlite to
// three voters), and each node registers and heartbeats its own Node object
// in place of a kubelet: the stand-in keeps to the control plane (no
// container runtime in its snap), so its nodes run no Pods.
//
//	microk8s status --wait-ready --timeout 120
//	microk8s add-node --format short   # microk8s join 10.199.7.3:25000/<token>/<fingerprint>
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: microk8s status|add-node|join|enable|disable|refresh-certs|config|kubectl ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "daemon":
		daemon()
	case "install-hook":
		installHook()
	case "status":
		status(args)
	case "add-node":
		addNode(args)
	case "join":
		join(args)
	case "enable":
		enable(args)
	case "disable":
		disable(args)
	case "refresh-certs":
		refreshCerts(args)
	case "config":
		fmt.Print(kubeconfig(nodeAddress()))
	case "kubectl":
		kubectlExec(args)
	default:
		fail(fmt.Sprintf("'%s' is not a microk8s command (this is the hoist lab's stand-in)", os.Args[1]))
	}
}

// snapDir is where the snap's files are (SNAP), dataDir where its state is
// (SNAP_DATA, /var/snap/microk8s/current for the active revision).
func snapDir() string { return os.Getenv("SNAP") }
func dataDir() string {
	if d := os.Getenv("SNAP_DATA"); d != "" {
		return d
	}
	return "/var/snap/microk8s/current"
}
func dataPath(parts ...string) string { return filepath.Join(append([]string{dataDir()}, parts...)...) }

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

// kubectl is the real kubectl of the snap on the node's API, with `args`.
func kubectl(args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(snapDir(), "bin", "kubectl"), append([]string{"--kubeconfig", dataPath("credentials", "client.config")}, args...)...)
}

// kubectlExec replaces this process with kubectl (`microk8s kubectl ...`).
func kubectlExec(args []string) {
	cmd := kubectl(args...)
	if err := syscall.Exec(cmd.Path, cmd.Args, os.Environ()); err != nil {
		fail(err.Error())
	}
}

// installHook runs when the snap is installed: the group whose members may
// run microk8s without sudo, as the real snap's hook creates it.
func installHook() {
	if _, err := lookupGroup("microk8s"); err != nil {
		run("groupadd", "--system", "microk8s")
	}
	ensureCredentials()
}
