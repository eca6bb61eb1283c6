package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// tlsEnv names a MySQL or MariaDB server that speaks TLS:
// mysql://user[:password]@host:port/?ca=/path/ca.pem[&ssl-mode=verify-identity].
// The shared test server has TLS off and cannot turn it on without a
// restart, so this server is optional: unset, the test skips even under
// CI=true; set, it must pass. docs/databases.md says how to get one.
const tlsEnv = "DBKEEP_TEST_MYSQL_TLS_DSN"

// tlsServer returns the configuration of the TLS test server, with the CA
// and the ssl-mode (verify-ca unless the DSN says otherwise) filled in.
func tlsServer(t *testing.T) spec.Config {
	t.Helper()
	dsn := os.Getenv(tlsEnv)
	if dsn == "" {
		msg := tlsEnv + " is not set: no TLS server to test against (make test-services starts one; see docs/databases.md)"
		if testserver.CI() {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		t.Fatalf("%s=%q: want mysql://user[:password]@host:port/?ca=/path/ca.pem", tlsEnv, dsn)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "3306"
	}
	pw, _ := u.User.Password()
	cfg := spec.Config{fieldHost: host, fieldPort: port, fieldUser: u.User.Username(), fieldPassword: pw, fieldSSLMode: sslVerifyCA}
	if m := u.Query().Get("ssl-mode"); m != "" {
		cfg[fieldSSLMode] = m
	}
	ca := u.Query().Get("ca")
	if ca == "" {
		t.Fatalf("%s=%q: name the server's CA certificate with ?ca=/path/ca.pem", tlsEnv, dsn)
	}
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		t.Fatalf("%s: the CA certificate: %v", tlsEnv, err)
	}
	cfg[fieldSSLCA] = string(caPEM)
	return cfg
}

// TestTLS connects, dumps and restores over TLS with the CA verified: the
// plugin's own connection is encrypted (Ssl_cipher is set), the tools get the
// CA from the option file, and a CA that did not sign the server's
// certificate is refused.
func TestTLS(t *testing.T) {
	cfg := tlsServer(t)
	c, err := parseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := open(ctx, c, "")
	if err != nil {
		t.Fatalf("connect with ssl-mode %s: %v", c.sslMode, err)
	}
	var name, cipher string
	if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Errorf("the plugin's connection is not encrypted (Ssl_cipher %q, %v)", cipher, err)
	}
	db.Close()

	source, target := uniqueName("dbk_tls"), uniqueName("dbk_tls_copy")
	// The admin helpers connect without TLS options; a server that requires
	// TLS for its user refuses them, so the test creates through the plugin's
	// own connection.
	db, err = open(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE " + quoteIdent(source) + " CHARACTER SET utf8mb4",
		"CREATE TABLE " + quoteIdent(source) + ".t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO " + quoteIdent(source) + ".t VALUES (1, 'chiffré ✓'), (2, NULL)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, n := range []string{source, target} {
			db.Exec("DROP DATABASE IF EXISTS " + quoteIdent(n))
		}
	})
	cl := client(t)
	w := newFileWriter(t)
	if err := cl.Dump(ctx, cfg, database.DumpRequest{Database: source}, w); err != nil {
		t.Fatalf("Dump over TLS: %v (log %q)", err, w.logs)
	}
	if _, err := cl.Restore(ctx, cfg, database.RestoreRequest{Source: w.header, TargetDatabase: target}, w.open(t), spec.Discard); err != nil {
		t.Fatalf("Restore over TLS: %v", err)
	}
	counts, err := cl.CountRows(ctx, cfg, database.CountRowsRequest{Database: target})
	if err != nil || len(counts) != 1 || counts[0].Rows != 2 {
		t.Errorf("restored over TLS: counts %+v, %v; want table t with 2 rows", counts, err)
	}

	// Another CA: the plugin's connection and the tools both refuse.
	other := withField(cfg, fieldSSLCA, selfSignedCA(t))
	if _, err := cl.Test(ctx, other); err == nil {
		t.Error("Test with a CA that did not sign the server's certificate succeeded")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Test with another CA: %v, want an error about the certificate", err)
	}
	if err := cl.Dump(ctx, other, database.DumpRequest{Database: source}, newFileWriter(t)); err == nil {
		t.Error("Dump with a CA that did not sign the server's certificate succeeded")
	}
}

// selfSignedCA is a fresh CA certificate that signed nothing the test
// server could present.
func selfSignedCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the server's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
