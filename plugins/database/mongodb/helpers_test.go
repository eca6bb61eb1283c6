package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// resolveServer returns the URI of a real MongoDB-protocol server: the
// FerretDB of `make test-services`, a MongoDB, or mongo:7 in a container.
func resolveServer(t testing.TB) string {
	t.Helper()
	return testserver.Resolve(t, testserver.Server{
		Name: "MongoDB", Env: "DBKEEP_TEST_MONGODB_URI", Container: mongoContainer,
	})
}

// mongoContainer starts mongo:7 for machines with Docker.
func mongoContainer(ctx context.Context, t testing.TB) (string, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        "mongo:7",
			ExposedPorts: []string{"27017/tcp"},
			WaitingFor:   wait.ForListeningPort("27017/tcp").WithStartupTimeout(2 * time.Minute),
		},
		Started: true,
	})
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { testcontainers.TerminateContainer(c) })
	host, err := c.Host(ctx)
	if err != nil {
		return "", err
	}
	port, err := c.MappedPort(ctx, "27017/tcp")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("mongodb://%s/", net.JoinHostPort(host, port.Port())), nil
}

// testConfig is the plugin's configuration for the test server.
func testConfig(t testing.TB) spec.Config {
	return spec.Config{fieldURI: resolveServer(t)}
}

// admin is a driver client of the test server, closed when t ends.
func admin(t testing.TB, cfg spec.Config) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(cfg[fieldURI]).SetTimeout(5 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disconnect(client) })
	return client
}

// uniqueName is a database name no other test run uses.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("dbk_mongotest_%s_%s", prefix, hex.EncodeToString(b))
}

// dropLater drops database name when t ends, whoever created it.
func dropLater(t testing.TB, client *mongo.Client, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := client.Database(name).Drop(ctx); err != nil {
			t.Logf("drop test database %q: %v", name, err)
		}
	})
}

// withField returns a copy of cfg with the given name/value pairs set.
func withField(cfg spec.Config, kv ...string) spec.Config {
	out := spec.Config{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// closedPort is a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
