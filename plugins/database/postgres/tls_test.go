package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue returns a certificate and key (PEM) for cn, valid for the names.
func (ca *testCA) issue(t testing.TB, cn string, usage x509.ExtKeyUsage, dns []string, ips []net.IP) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: dns, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// TestTLS runs against a private server that accepts only TLS with a client
// certificate and a password: the CA, certificate and key fields must reach
// pgx and the tools alike (libpq would otherwise look in ~/.postgresql).
func TestTLS(t *testing.T) {
	ca, other := newCA(t, "dbkeep test CA"), newCA(t, "someone else's CA")
	srvCert, srvKey := ca.issue(t, "localhost", x509.ExtKeyUsageServerAuth, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	cliCert, cliKey := ca.issue(t, "postgres", x509.ExtKeyUsageClientAuth, nil, nil)

	bin := serverBinaries()
	if bin == "" {
		bin = testserver.Resolve(t, testserver.Server{Name: "PostgreSQL server binaries (initdb, postgres)", Env: binDirEnv})
	}
	srv := startPrivateServer(t, bin, &serverTLS{cert: srvCert, key: srvKey, clientCA: ca.pem})
	dsn, sock := srv.dsn, srv.socket
	cfg := configFrom(t, dsn)
	cfg[fieldPassword] = scramPassword
	cfg[fieldSSLMode] = "verify-full"
	cfg[fieldSSLRootCert], cfg[fieldSSLCert], cfg[fieldSSLKey] = ca.pem, cliCert, cliKey
	db := client(t)

	info, err := db.Test(callCtx(t), cfg)
	if err != nil {
		t.Fatalf("Test over verified TLS with a client certificate: %v", err)
	}
	t.Logf("server %+v", info)

	source, target := uniqueName("tls"), uniqueName("tls_copy")
	createDB(t, sock, source)
	mustExec(t, admin(t, sock, source), `CREATE TABLE t (v text); INSERT INTO t VALUES ('sealed')`)
	dropLater(t, sock, target)
	dumpAndRestore(t, db, cfg, source, target)
	if got := rows(t, admin(t, sock, target), `SELECT v FROM t`); len(got) != 1 || got[0] != "sealed" {
		t.Errorf("restored rows %q", got)
	}

	for _, c := range []struct {
		name string
		cfg  spec.Config
		want error // nil: any error
	}{
		{"unknown CA", with(cfg, fieldSSLRootCert, other.pem), nil},
		{"no client certificate", with(with(cfg, fieldSSLCert, ""), fieldSSLKey, ""), nil},
		{"no TLS", with(cfg, fieldSSLMode, "disable"), spec.ErrUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.Test(callCtx(t), c.cfg)
			if err == nil {
				t.Fatal("Test succeeded")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Test = %v, want an error matching %v", err, c.want)
			}
			t.Logf("message: %v", err)
		})
	}
}
