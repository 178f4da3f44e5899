package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	enc "encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"regexp"
	"strings"
	"time"
)

// csrTemplate is MicroK8s' API certificate template: operators add the
// addresses the API is reached at (a load balancer) as more IP.N or DNS.N
// lines under [ alt_names ], then run `microk8s refresh-certs --cert server.crt`.
const csrTemplate = `[ req ]
default_bits = 2048
prompt = no
default_md = sha256
req_extensions = req_ext
distinguished_name = dn

[ dn ]
C = GB
ST = Canonical
L = Canonical
O = Canonical
OU = Canonical
CN = 127.0.0.1

[ req_ext ]
subjectAltName = @alt_names

[ alt_names ]
DNS.1 = kubernetes
DNS.2 = kubernetes.default
DNS.3 = kubernetes.default.svc
DNS.4 = kubernetes.default.svc.cluster
DNS.5 = kubernetes.default.svc.cluster.local
IP.1 = 127.0.0.1
IP.2 = 10.152.183.1
#MOREIPS

[ v3_ext ]
authorityKeyIdentifier=keyid,issuer:always
basicConstraints=CA:FALSE
keyUsage=keyEncipherment,dataEncipherment,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=@alt_names
`

func base64(b []byte) string { return enc.StdEncoding.EncodeToString(b) }

func newKey() []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	// SEC1 ("EC PRIVATE KEY"): the form kube-apiserver reads public keys from in --service-account-key-file.
	der, err := x509.MarshalECPrivateKey(k)
	must(err)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func parseKey(b []byte) *ecdsa.PrivateKey {
	block, _ := pem.Decode(b)
	if block == nil {
		fail("not a PEM key")
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	must(err)
	return k
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func newCA() (cert, key []byte) {
	key = newKey()
	k := parseKey(key)
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "10.152.183.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	must(err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

var altName = regexp.MustCompile(`^\s*(DNS|IP)\.\d+\s*=\s*(\S+)\s*$`)

// issueServerCert signs the API's serving certificate for the names under
// [ alt_names ] in csr.conf.template and this node's address (#MOREIPS).
func issueServerCert() {
	tmplText, err := os.ReadFile(dataPath("certs", "csr.conf.template"))
	must(err)
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "127.0.0.1", Organization: []string{"Canonical"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP(nodeAddress())},
	}
	inAltNames := false
	for _, line := range strings.Split(string(tmplText), "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[") {
			inAltNames = strings.Trim(t, "[] ") == "alt_names"
			continue
		}
		m := altName.FindStringSubmatch(line)
		if !inAltNames || m == nil {
			continue
		}
		if m[1] == "DNS" {
			tmpl.DNSNames = append(tmpl.DNSNames, m[2])
		} else if ip := net.ParseIP(m[2]); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			fail("csr.conf.template: not an IP address: " + m[2])
		}
	}
	caPEM, err := os.ReadFile(dataPath("certs", "ca.crt"))
	must(err)
	block, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	must(err)
	caKeyPEM, err := os.ReadFile(dataPath("certs", "ca.key"))
	must(err)
	key := newKey()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &parseKey(key).PublicKey, parseKey(caKeyPEM))
	must(err)
	writeAtomic(dataPath("certs", "server.key"), key, 0o600)
	writeAtomic(dataPath("certs", "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// refreshCerts is `microk8s refresh-certs --cert server.crt`: a new serving
// certificate from the template; the daemon restarts the API server on it.
func refreshCerts(args []string) {
	if len(args) != 2 || args[0] != "--cert" || args[1] != "server.crt" {
		fail("the stand-in refreshes only the API certificate: microk8s refresh-certs --cert server.crt")
	}
	issueServerCert()
	fmt.Println("Taking a backup of the current certificates under " + dataPath("certs-backup"))
	fmt.Println("Creating new certificates")
	fmt.Println("Restarting service kubelite.")
}
