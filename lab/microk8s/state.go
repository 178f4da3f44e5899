package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// state is what a node knows of its cluster. A fresh node is a cluster of
// one that holds the datastore; a node that joined another names it.
type state struct {
	// Cluster is the address of the node holding the datastore; empty on that node itself.
	Cluster string `json:"cluster,omitempty"`
	// Members are the datastore's nodes, kept on the node holding it.
	Members []member `json:"members,omitempty"`
}

type member struct {
	Address  string `json:"address"`
	Hostname string `json:"hostname"`
}

func readState() state {
	var s state
	if b, err := os.ReadFile(dataPath("var", "standin-state.json")); err == nil {
		_ = json.Unmarshal(b, &s)
	}
	if s.Cluster == "" && len(s.Members) == 0 {
		host, _ := os.Hostname()
		s.Members = []member{{Address: nodeAddress(), Hostname: host}}
	}
	return s
}

func writeState(s state) {
	b, _ := json.MarshalIndent(s, "", "  ")
	writeAtomic(dataPath("var", "standin-state.json"), b, 0o600)
}

// writeAtomic writes a whole file or nothing: the daemon reads these files at any time.
func writeAtomic(path string, b []byte, mode os.FileMode) {
	must(os.MkdirAll(filepath.Dir(path), 0o755))
	tmp := path + ".tmp"
	must(os.WriteFile(tmp, b, mode))
	must(os.Rename(tmp, path))
}

func must(err error) {
	if err != nil {
		fail(err.Error())
	}
}

// nodeAddress is the node's first non-loopback IPv4 address, as MicroK8s picks its default interface's.
func nodeAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		fail(fmt.Sprintf("%s %s: %v: %s", name, strings.Join(args, " "), err, out))
	}
	return string(out)
}

func lookupGroup(name string) (string, error) {
	f, err := os.Open("/etc/group")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), name+":") {
			return s.Text(), nil
		}
	}
	return "", fmt.Errorf("no group %s", name)
}

// adminToken is the token in the cluster's known_tokens.csv that kubectl uses.
func adminToken() string {
	b, err := os.ReadFile(dataPath("credentials", "known_tokens.csv"))
	if err != nil {
		fail("microk8s is not set up: " + err.Error())
	}
	return strings.SplitN(string(b), ",", 2)[0]
}

// ensureCredentials makes a fresh node's CA, service-account key, API
// certificate template, admin token and kubeconfig, once.
func ensureCredentials() {
	if _, err := os.Stat(dataPath("credentials", "client.config")); err == nil {
		return
	}
	ca, caKey := newCA()
	writeAtomic(dataPath("certs", "ca.crt"), ca, 0o644)
	writeAtomic(dataPath("certs", "ca.key"), caKey, 0o600)
	writeAtomic(dataPath("certs", "serviceaccount.key"), newKey(), 0o600)
	if _, err := os.Stat(dataPath("certs", "csr.conf.template")); err != nil {
		writeAtomic(dataPath("certs", "csr.conf.template"), []byte(csrTemplate), 0o644)
	}
	writeAtomic(dataPath("credentials", "known_tokens.csv"), []byte(randomHex(16)+",admin,admin,\"system:masters\"\n"), 0o600)
	issueServerCert()
	writeAtomic(dataPath("credentials", "client.config"), []byte(kubeconfig("127.0.0.1")), 0o600)
}

// kubeconfig is the admin kubeconfig for the API at address, as `microk8s config` prints it.
func kubeconfig(address string) string {
	ca, err := os.ReadFile(dataPath("certs", "ca.crt"))
	must(err)
	return fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://%s:16443
  name: microk8s-cluster
contexts:
- context:
    cluster: microk8s-cluster
    user: admin
  name: microk8s
current-context: microk8s
kind: Config
preferences: {}
users:
- name: admin
  user:
    token: %s
`, base64(ca), address, adminToken())
}
