package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestToolConfigFile checks what the mongodump mode hands its tools: a 0600
// YAML file with the connection string and the password, in a private
// directory removed afterwards; nothing secret is left for argv.
func TestToolConfigFile(t *testing.T) {
	s, err := parseConfig(spec.Config{fieldHost: "db1,db2:27018", fieldPort: "27017", fieldUser: "backup", fieldPassword: `p"w: #x`,
		fieldAuthSource: "admin", fieldReplicaSet: "rs0", fieldTLS: "true", fieldTLSCA: selfSignedPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	tf, err := newToolFiles(s)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(tf.config)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", st.Mode().Perm())
	}
	body, _ := os.ReadFile(tf.config)
	var uri, pw string
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		key, val, _ := strings.Cut(line, ": ")
		var v string
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			t.Fatalf("line %q: value is not a quoted scalar: %v", line, err)
		}
		switch key {
		case "uri":
			uri = v
		case "password":
			pw = v
		}
	}
	if pw != `p"w: #x` {
		t.Errorf("password in the config file: %q", pw)
	}
	for _, want := range []string{"mongodb://backup@db1:27017,db2:27018/", "authSource=admin", "replicaSet=rs0", "tls=true", "tlsCAFile="} {
		if !strings.Contains(uri, want) {
			t.Errorf("uri %q lacks %q", uri, want)
		}
	}
	if strings.Contains(uri, "p%22w") || strings.Contains(uri, `p"w`) {
		t.Errorf("the password is in the URI: %q", uri)
	}
	tf.Close()
	if _, err := os.Stat(tf.dir); !os.IsNotExist(err) {
		t.Errorf("private directory left behind: %v", err)
	}
}

// selfSignedPEM is a fresh certificate, for fields that must hold one.
func selfSignedPEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
