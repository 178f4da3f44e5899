package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// daemon is the snap's service: the cluster agent on :25000, the datastore
// (on the node holding it), the API server and controller manager, restarted
// when the node joins a cluster or its certificate is refreshed, and the
// Node object this node heartbeats in place of a kubelet.
func daemon() {
	ensureCredentials()
	go serveAgent()
	stop := func() {}
	last := ""
	for {
		s := readState()
		// What the children run with: a change restarts them.
		crt, _ := os.Stat(dataPath("certs", "server.crt"))
		want := fmt.Sprintf("%s|%d", s.Cluster, crt.ModTime().UnixNano())
		if want != last {
			stop()
			stop = supervise(children(s))
			last = want
		}
		heartbeat()
		time.Sleep(2 * time.Second)
	}
}

// supervise keeps each command running (restarted two seconds after it
// exits) until the returned function stops them all.
func supervise(argvs [][]string) func() {
	var mu sync.Mutex
	stopped := false
	running := make([]*exec.Cmd, len(argvs))
	for i, argv := range argvs {
		go func() {
			for {
				mu.Lock()
				if stopped {
					mu.Unlock()
					return
				}
				c := exec.Command(argv[0], argv[1:]...)
				c.Stdout, c.Stderr = os.Stdout, os.Stderr
				err := c.Start()
				running[i] = c
				mu.Unlock()
				if err == nil {
					_ = c.Wait()
				}
				time.Sleep(2 * time.Second)
			}
		}()
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		for _, c := range running {
			if c != nil && c.Process != nil {
				_ = c.Process.Kill()
			}
		}
	}
}

func children(s state) [][]string {
	bin := func(n string) string { return filepath.Join(snapDir(), "bin", n) }
	etcd := "http://127.0.0.1:12379"
	var cmds [][]string
	if s.Cluster == "" {
		// Stand-in for dqlite: one etcd on the node that formed the cluster, reached by the others.
		cmds = append(cmds, []string{bin("etcd"), "--name", "standin", "--data-dir", dataPath("var", "etcd"),
			"--listen-client-urls", "http://0.0.0.0:12379", "--advertise-client-urls", "http://" + nodeAddress() + ":12379",
			"--listen-peer-urls", "http://127.0.0.1:12380", "--initial-advertise-peer-urls", "http://127.0.0.1:12380",
			"--initial-cluster", "standin=http://127.0.0.1:12380"})
	} else {
		etcd = "http://" + s.Cluster + ":12379"
	}
	cert := func(n string) string { return dataPath("certs", n) }
	cmds = append(cmds,
		[]string{bin("kube-apiserver"), "--etcd-servers=" + etcd, "--secure-port=16443", "--advertise-address=" + nodeAddress(),
			"--tls-cert-file=" + cert("server.crt"), "--tls-private-key-file=" + cert("server.key"), "--client-ca-file=" + cert("ca.crt"),
			"--token-auth-file=" + dataPath("credentials", "known_tokens.csv"), "--authorization-mode=Node,RBAC",
			"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file=" + cert("serviceaccount.key"),
			"--service-account-signing-key-file=" + cert("serviceaccount.key"), "--service-cluster-ip-range=10.152.183.0/24",
			"--allow-privileged=true"},
		[]string{bin("kube-controller-manager"), "--kubeconfig=" + dataPath("credentials", "client.config"), "--leader-elect=true",
			"--service-account-private-key-file=" + cert("serviceaccount.key"), "--root-ca-file=" + cert("ca.crt"),
			"--cluster-signing-cert-file=" + cert("ca.crt"), "--cluster-signing-key-file=" + cert("ca.key"),
			"--service-cluster-ip-range=10.152.183.0/24"},
	)
	return cmds
}

// heartbeat registers this node and marks it Ready, as a kubelet does: the
// stand-in runs no kubelet (nor a container runtime to give one).
func heartbeat() {
	host, _ := os.Hostname()
	node := fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"labels":{"kubernetes.io/hostname":%q,"microk8s.io/cluster":"true","node.kubernetes.io/microk8s-controlplane":"microk8s-controlplane"}}}`, host, host)
	apply := kubectl("apply", "--server-side", "--field-manager=standin-kubelet", "-f", "-")
	apply.Stdin = strings.NewReader(node)
	if apply.Run() != nil {
		return
	}
	now := time.Now().UTC().Format(time.RFC3339)
	status := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q},{"type":"Hostname","address":%q}],"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"stand-in node of the hoist lab (no kubelet)","lastHeartbeatTime":%q,"lastTransitionTime":%q}],"nodeInfo":{"kubeletVersion":"v1.34.4","osImage":"hoist lab","containerRuntimeVersion":"none://standin"}}}`, nodeAddress(), host, now, now)
	_ = kubectl("patch", "node", host, "--subresource=status", "--type=merge", "-p", status).Run()
}

var tokensMu sync.Mutex

// serveAgent is the cluster agent joiners talk to (MicroK8s' on :25000).
func serveAgent() {
	http.HandleFunc("/cluster/api/v1.0/join", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Token, Hostname, Address string }
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", 400)
			return
		}
		tokensMu.Lock()
		defer tokensMu.Unlock()
		s := readState()
		if s.Cluster != "" {
			http.Error(w, "this stand-in node does not hold the datastore: join through "+s.Cluster, 503)
			return
		}
		if !takeToken(req.Token) {
			http.Error(w, "Invalid token", 500)
			return
		}
		for _, m := range s.Members {
			if m.Address == req.Address || m.Hostname == req.Hostname {
				http.Error(w, fmt.Sprintf("The joining node (%s) is already known to dqlite", req.Address), 504)
				return
			}
		}
		s.Members = append(s.Members, member{Address: req.Address, Hostname: req.Hostname})
		writeState(s)
		read := func(p ...string) string { b, _ := os.ReadFile(dataPath(p...)); return string(b) }
		_ = json.NewEncoder(w).Encode(map[string]string{
			"ca": read("certs", "ca.crt"), "ca_key": read("certs", "ca.key"), "sa_key": read("certs", "serviceaccount.key"),
			"tokens": read("credentials", "known_tokens.csv"),
		})
	})
	http.HandleFunc("/cluster/api/v1.0/members", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(readState().Members)
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(":25000", nil))
	os.Exit(1)
}

// fingerprint is the cluster certificate's, as the third part of a join line.
func fingerprint() string {
	b, _ := os.ReadFile(dataPath("certs", "ca.crt"))
	return fmt.Sprintf("%x", sha256.Sum256(b))[:12]
}
