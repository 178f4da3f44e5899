package main

import (
	"fmt"
	"os"
	"strings"
)

// addon is one of MicroK8s' core addons as the stand-in knows it: the
// objects enabling applies (real objects in the real API server), and the
// one whose presence means enabled, so status reads the cluster, as
// MicroK8s does, and an addon whose objects were deleted shows disabled.
type addon struct {
	name, description string
	marker            []string // kubectl get arguments
	manifest          string
}

var addons = []addon{
	{"dashboard", "The Kubernetes dashboard", []string{"-n", "kube-system", "deployment/kubernetes-dashboard"}, dashboard},
	{"dns", "CoreDNS", []string{"-n", "kube-system", "deployment/coredns"}, dns},
	{"hostpath-storage", "Storage class; allocates storage from host directory", []string{"storageclass/microk8s-hostpath"}, hostpath},
	{"ingress", "Ingress controller for external access", []string{"-n", "ingress", "daemonset/nginx-ingress-microk8s-controller"}, ingress},
	{"rbac", "Role-Based Access Control for authorisation", []string{"-n", "kube-system", "configmap/microk8s-rbac"}, rbac},
}

// aliases are addon names MicroK8s still accepts.
var aliases = map[string]string{"storage": "hostpath-storage", "core/dns": "dns", "core/ingress": "ingress"}

func findAddon(name string) addon {
	if a, ok := aliases[name]; ok {
		fmt.Printf("Addon %s is an alias of %s\n", name, a)
		name = a
	}
	for _, a := range addons {
		if a.name == name {
			return a
		}
	}
	fail(fmt.Sprintf("Addon %s was not found in any repository", name))
	return addon{}
}

func enabledAddons() map[string]bool {
	on := map[string]bool{}
	for _, a := range addons {
		_, err := kubectlOut(append([]string{"get"}, a.marker...)...)
		on[a.name] = err == nil
	}
	return on
}

// enable is `microk8s enable ADDON...`.
func enable(args []string) {
	if len(args) == 0 {
		fail("usage: microk8s enable ADDON...")
	}
	for _, name := range args {
		a := findAddon(name)
		if enabledAddons()[a.name] {
			fmt.Printf("Addon core/%s is already enabled\n", a.name)
			continue
		}
		fmt.Printf("Infer repository core for addon %s\nEnabling %s\n", a.name, a.name)
		cmd := kubectl("apply", "-f", "-")
		cmd.Stdin = strings.NewReader(a.manifest)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if cmd.Run() != nil {
			fail(fmt.Sprintf("Failed to enable %s", a.name))
		}
		fmt.Printf("%s is enabled\n", a.name)
	}
}

// disable is `microk8s disable ADDON...`.
func disable(args []string) {
	for _, name := range args {
		a := findAddon(name)
		if !enabledAddons()[a.name] {
			fmt.Printf("Addon core/%s is already disabled\n", a.name)
			continue
		}
		cmd := kubectl("delete", "--ignore-not-found", "-f", "-")
		cmd.Stdin = strings.NewReader(a.manifest)
		if out, err := cmd.CombinedOutput(); err != nil {
			fail(string(out))
		}
		fmt.Printf("%s is disabled\n", a.name)
	}
}

const dns = `apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa }
        forward . /etc/resolv.conf
        cache 30
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      containers:
        - {name: coredns, image: coredns/coredns:1.10.1, args: [-conf, /etc/coredns/Corefile]}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: 10.152.183.10
  selector: {k8s-app: kube-dns}
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
`

const ingress = `apiVersion: v1
kind: Namespace
metadata: {name: ingress}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nginx-ingress-microk8s-serviceaccount, namespace: ingress}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: public, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: nginx-ingress-microk8s-controller, namespace: ingress, labels: {microk8s-application: nginx-ingress-microk8s}}
spec:
  selector: {matchLabels: {name: nginx-ingress-microk8s}}
  template:
    metadata: {labels: {name: nginx-ingress-microk8s}}
    spec:
      serviceAccountName: nginx-ingress-microk8s-serviceaccount
      containers:
        - name: nginx-ingress-microk8s
          image: registry.k8s.io/ingress-nginx/controller:v1.10.1
          args: [/nginx-ingress-controller, --ingress-class=public]
          ports: [{name: http, containerPort: 80, hostPort: 80}, {name: https, containerPort: 443, hostPort: 443}, {name: health, containerPort: 10254, hostPort: 10254}]
`

const dashboard = `apiVersion: v1
kind: ServiceAccount
metadata: {name: kubernetes-dashboard, namespace: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kubernetes-dashboard, namespace: kube-system, labels: {k8s-app: kubernetes-dashboard}}
spec:
  selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
  template:
    metadata: {labels: {k8s-app: kubernetes-dashboard}}
    spec:
      serviceAccountName: kubernetes-dashboard
      containers:
        - {name: kubernetes-dashboard, image: kubernetesui/dashboard:v2.7.0, args: [--auto-generate-certificates]}
---
apiVersion: v1
kind: Service
metadata: {name: kubernetes-dashboard, namespace: kube-system, labels: {k8s-app: kubernetes-dashboard}}
spec:
  selector: {k8s-app: kubernetes-dashboard}
  ports: [{port: 443, targetPort: 8443}]
`

const hostpath = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: microk8s-hostpath, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: microk8s.io/hostpath
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hostpath-provisioner, namespace: kube-system, labels: {k8s-app: hostpath-provisioner}}
spec:
  selector: {matchLabels: {k8s-app: hostpath-provisioner}}
  template:
    metadata: {labels: {k8s-app: hostpath-provisioner}}
    spec:
      containers:
        - {name: hostpath-provisioner, image: cdkbot/hostpath-provisioner:1.5.0}
`

// rbac: the stand-in's API server always authorises with RBAC (MicroK8s
// turns it on when the addon is enabled); enabling records that it was asked for.
const rbac = `apiVersion: v1
kind: ConfigMap
metadata: {name: microk8s-rbac, namespace: kube-system}
data: {enabled: "true"}
`
