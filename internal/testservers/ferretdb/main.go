// Command ferretdb is a test server speaking the MongoDB wire protocol:
// FerretDB embedded as a library, storing its data in SQLite files. It exists
// because MongoDB itself cannot be installed on the project's machines and
// FerretDB's own command cannot be built with `go install`. scripts/test-services
// builds it into .tools/ and starts it on 127.0.0.1; nothing else uses it.
//
// It is its own Go module so that FerretDB's dependencies never reach the
// dbkeep core, the plugins or their go.mod.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (keep it on loopback)")
	dir := flag.String("data", "", "directory for the SQLite files (required)")
	tlsListen := flag.String("tls-listen", "", "also serve TLS on this address (loopback), with -tls-cert and -tls-key")
	tlsCert := flag.String("tls-cert", "", "PEM certificate of the TLS listener; a self-signed one for 127.0.0.1 is written when it and the key are missing")
	tlsKey := flag.String("tls-key", "", "PEM private key of the TLS listener")
	flag.Parse()
	l := ferretdb.ListenerConfig{TCP: *listen, TLS: *tlsListen, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey}
	if err := run(l, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(l ferretdb.ListenerConfig, dir string) error {
	if dir == "" {
		return fmt.Errorf("-data is required")
	}
	if err := loopback("-listen", l.TCP); err != nil {
		return err
	}
	if l.TLS != "" {
		if err := loopback("-tls-listen", l.TLS); err != nil {
			return err
		}
		if l.TLSCertFile == "" || l.TLSKeyFile == "" {
			return fmt.Errorf("-tls-listen needs -tls-cert and -tls-key")
		}
		if err := ensureCert(l.TLSCertFile, l.TLSKeyFile); err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  l,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "ferretdb: serving on %s (TLS: %q), data in %s\n", l.TCP, l.TLS, abs)
	return f.Run(ctx)
}

// loopback refuses an address that is not on a loopback interface.
func loopback(flagName, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", flagName, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s %q: a test server listens on a loopback address only", flagName, addr)
	}
	return nil
}
