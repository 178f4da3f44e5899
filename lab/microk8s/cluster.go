package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Tokens live in cluster-tokens.txt as "token|expiry", as MicroK8s keeps them.
func tokensFile() string { return dataPath("credentials", "cluster-tokens.txt") }

func takeToken(token string) bool {
	b, _ := os.ReadFile(tokensFile())
	found := false
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, "|", 2)
		if len(parts) != 2 {
			continue
		}
		expiry, _ := strconv.ParseInt(parts[1], 10, 64)
		if expiry < time.Now().Unix() {
			continue
		}
		if parts[0] == token {
			found = true // single use: not kept
			continue
		}
		keep = append(keep, line)
	}
	writeAtomic(tokensFile(), []byte(strings.Join(keep, "\n")+"\n"), 0o600)
	return found
}

// addNode is `microk8s add-node [--token T] [--token-ttl S] [--format short|yaml|json]`.
func addNode(args []string) {
	fs := flag.NewFlagSet("add-node", flag.ExitOnError)
	token := fs.String("token", "", "")
	ttl := fs.Int64("token-ttl", 86400, "")
	format := fs.String("format", "pretty", "")
	_ = fs.Parse(args)
	s := readState()
	if s.Cluster != "" {
		fail("the hoist lab's stand-in adds nodes from the node holding the datastore: " + s.Cluster)
	}
	if *token == "" {
		*token = randomHex(16)
	} else if len(*token) != 32 {
		fail("The token must be 32 characters long")
	}
	f, err := os.OpenFile(tokensFile(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	must(err)
	_, err = fmt.Fprintf(f, "%s|%d\n", *token, time.Now().Unix()+*ttl)
	must(err)
	must(f.Close())
	line := fmt.Sprintf("microk8s join %s:25000/%s/%s", nodeAddress(), *token, fingerprint())
	switch *format {
	case "short":
		fmt.Println(line)
	case "json", "yaml":
		b, _ := json.Marshal(map[string]any{"token": *token + "/" + fingerprint(), "urls": []string{nodeAddress() + ":25000"}})
		fmt.Println(string(b))
	default:
		fmt.Printf("From the node you wish to join to this cluster, run the following:\n%s\n\nUse the '--worker' flag to join a node as a worker not running the control plane, eg:\n%s --worker\n\nIf the node you are adding is not reachable through the default interface you can use one of the following:\n%s\n", line, line, line)
	}
}

// join is `microk8s join HOST:PORT/TOKEN[/FINGERPRINT] [--worker]`.
func join(args []string) {
	if len(args) < 1 {
		fail("usage: microk8s join HOST:PORT/TOKEN")
	}
	parts := strings.Split(args[0], "/")
	if len(parts) < 2 || !strings.Contains(parts[0], ":") {
		fail("The connection string should be of the form <master>:<port>/<token>")
	}
	host, _ := os.Hostname()
	fmt.Println("Contacting cluster at " + strings.Split(parts[0], ":")[0])
	body, _ := json.Marshal(map[string]string{"token": parts[1], "hostname": host, "address": nodeAddress()})
	resp, err := http.Post("http://"+parts[0]+"/cluster/api/v1.0/join", "application/json", bytes.NewReader(body))
	if err != nil {
		fail("Connection failed. " + err.Error())
	}
	reply, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		fail(fmt.Sprintf("Connection failed. %s (%d).", strings.TrimSpace(string(reply)), resp.StatusCode))
	}
	var creds map[string]string
	must(json.Unmarshal(reply, &creds))
	writeAtomic(dataPath("certs", "ca.crt"), []byte(creds["ca"]), 0o644)
	writeAtomic(dataPath("certs", "ca.key"), []byte(creds["ca_key"]), 0o600)
	writeAtomic(dataPath("certs", "serviceaccount.key"), []byte(creds["sa_key"]), 0o600)
	writeAtomic(dataPath("credentials", "known_tokens.csv"), []byte(creds["tokens"]), 0o600)
	writeAtomic(dataPath("credentials", "client.config"), []byte(kubeconfig("127.0.0.1")), 0o600)
	issueServerCert()
	writeState(state{Cluster: strings.Split(parts[0], ":")[0]})
	fmt.Print("Waiting for this node to finish joining the cluster. ")
	if !waitReady(120 * time.Second) {
		fail("\nThe node did not become ready")
	}
	fmt.Println(".. \nSuccessfully joined the cluster.")
}

// members are the datastore's nodes, read from the node holding it.
func members() ([]member, error) {
	s := readState()
	if s.Cluster == "" {
		return s.Members, nil
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + s.Cluster + ":25000/cluster/api/v1.0/members")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m []member
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

func kubectlOut(args ...string) (string, error) {
	out, err := kubectl(args...).CombinedOutput()
	return string(out), err
}

func waitReady(timeout time.Duration) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(time.Second) {
		if out, err := kubectlOut("get", "--raw", "/readyz"); err == nil && strings.TrimSpace(out) == "ok" {
			return true
		}
	}
	return false
}

// status is `microk8s status [--wait-ready] [--timeout N] [--format pretty|yaml|short]`.
func status(args []string) {
	fs := flag.NewFlagSet("status", flag.ExitOnError)
	wait := fs.Bool("wait-ready", false, "")
	timeout := fs.Int("timeout", 0, "")
	format := fs.String("format", "pretty", "")
	_ = fs.Parse(args)
	limit := time.Duration(*timeout) * time.Second
	if !*wait {
		limit = time.Second
	} else if *timeout == 0 {
		limit = 24 * time.Hour
	}
	if !waitReady(limit) {
		fmt.Println("microk8s is not running. Use microk8s inspect for a deeper inspection.")
		os.Exit(1)
	}
	ms, err := members()
	if err != nil {
		fail("cannot read the datastore's members: " + err.Error())
	}
	ha := len(ms) >= 3
	enabled := enabledAddons()
	if *format == "yaml" {
		fmt.Printf("microk8s:\n  running: true\nhigh-availability:\n  enabled: %v\n  nodes:\n", ha)
		for i, m := range ms {
			fmt.Printf("  - address: %s:19001\n    role: %s\n", m.Address, role(i))
		}
		fmt.Println("addons:")
		for _, a := range addons {
			fmt.Printf("  - name: %s\n    repository: core\n    description: %s\n    status: %s\n", a.name, a.description, onOff(enabled[a.name]))
		}
		return
	}
	fmt.Println("microk8s is running")
	fmt.Printf("high-availability: %s\n", map[bool]string{true: "yes", false: "no"}[ha])
	var voters, standby []string
	for i, m := range ms {
		if role(i) == "voter" {
			voters = append(voters, m.Address+":19001")
		} else {
			standby = append(standby, m.Address+":19001")
		}
	}
	fmt.Printf("  datastore master nodes: %s\n  datastore standby nodes: %s\naddons:\n", strings.Join(voters, " "), orNone(standby))
	for _, on := range []bool{true, false} {
		fmt.Printf("  %s:\n", onOff(on))
		for _, a := range addons {
			if enabled[a.name] == on {
				fmt.Printf("    %-20s # (core) %s\n", a.name, a.description)
			}
		}
	}
}

func role(i int) string {
	if i < 3 {
		return "voter"
	}
	return "standby"
}

func onOff(on bool) string {
	if on {
		return "enabled"
	}
	return "disabled"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
