package main

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// client serves the plugin in-process through the real gRPC boundary, so
// that errors arrive as the core sees them.
func client(t testing.TB) host.DatabaseClient {
	t.Helper()
	return sdktest.Start(t, plugin()).Database()
}

// memDump is a DumpWriter keeping the dump in memory (the extras dump small
// databases) and calling onWrite, when set, before each write.
type memDump struct {
	mu      sync.Mutex
	header  *database.DumpHeader
	buf     bytes.Buffer
	logs    []string
	onWrite func() error
}

func (m *memDump) Begin(h database.DumpHeader) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.header = &h
	return nil
}

func (m *memDump) Write(p []byte) (int, error) {
	if m.onWrite != nil {
		if err := m.onWrite(); err != nil {
			return 0, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}

func (m *memDump) Log(_ spec.Level, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logs = append(m.logs, msg)
}

func (m *memDump) Progress(spec.Progress) {}

func (m *memDump) lines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.logs...)
}

// callCtx bounds one call of a test.
func callCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dumpAndRestore dumps source with cfg and restores it into target.
func dumpAndRestore(t testing.TB, db host.DatabaseClient, cfg spec.Config, source, target string) *memDump {
	t.Helper()
	d := &memDump{}
	if err := db.Dump(callCtx(t), cfg, database.DumpRequest{Database: source}, d); err != nil {
		t.Fatalf("Dump(%q): %v (log %q)", source, err, d.lines())
	}
	rep := &memDump{}
	req := database.RestoreRequest{Source: *d.header, TargetDatabase: target}
	if _, err := db.Restore(callCtx(t), cfg, req, bytes.NewReader(d.buf.Bytes()), rep); err != nil {
		t.Fatalf("Restore(%q → %q): %v (log %q)", source, target, err, rep.lines())
	}
	return d
}
