package main

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestTLS talks to a MongoDB-protocol server that speaks TLS with a
// certificate of its own authority (make test-services starts FerretDB so,
// DBKEEP_TEST_MONGODB_TLS_URI and DBKEEP_TEST_MONGODB_TLS_CA say where): the
// CA field makes it trusted, the insecure toggle skips verification, and
// without either the connection is refused for its certificate.
func TestTLS(t *testing.T) {
	raw := testserver.Resolve(t, testserver.Server{Name: "MongoDB with TLS", Env: "DBKEEP_TEST_MONGODB_TLS_URI"})
	caFile := testserver.Resolve(t, testserver.Server{Name: "the CA certificate of the MongoDB TLS server", Env: "DBKEEP_TEST_MONGODB_TLS_CA"})
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("DBKEEP_TEST_MONGODB_TLS_CA: %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("DBKEEP_TEST_MONGODB_TLS_URI: %v", err)
	}
	base := spec.Config{fieldHost: u.Hostname(), fieldPort: u.Port(), fieldConnectTimeout: "3"}
	e := &engine{}
	schema := plugin().Schema

	t.Run("trusted CA", func(t *testing.T) {
		cfg := withField(base, fieldTLS, "true", fieldTLSCA, string(ca))
		if err := schema.Validate(cfg); err != nil {
			t.Fatal(err)
		}
		info, err := e.Test(ctxFor(t), schema.WithDefaults(cfg))
		if err != nil {
			t.Fatalf("Test over TLS with the server's CA: %v", err)
		}
		if _, err := e.ListDatabases(ctxFor(t), schema.WithDefaults(cfg)); err != nil {
			t.Fatalf("ListDatabases over TLS: %v", err)
		}
		t.Logf("server over TLS: %+v", info)
	})
	t.Run("insecure", func(t *testing.T) {
		cfg := withField(base, fieldTLS, "true", fieldTLSInsecure, "true")
		if _, err := e.Test(ctxFor(t), schema.WithDefaults(cfg)); err != nil {
			t.Fatalf("Test over TLS without verification: %v", err)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		cfg := withField(base, fieldTLS, "true")
		_, err := e.Test(ctxFor(t), schema.WithDefaults(cfg))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Test over TLS with an unknown authority: err %v, want a certificate error", err)
		}
	})
	t.Run("URI with tls=true and the CA field", func(t *testing.T) {
		cfg := spec.Config{fieldURI: "mongodb://" + u.Host + "/?tls=true", fieldTLSCA: string(ca), fieldConnectTimeout: "3"}
		if _, err := e.Test(ctxFor(t), schema.WithDefaults(cfg)); err != nil {
			t.Fatalf("Test with a tls=true URI and the CA field: %v", err)
		}
	})
}
