package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/core/internal/server"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// serveOnce runs serve in-process until /healthz answers, then stops it, and
// returns the health report and the log.
func serveOnce(t *testing.T, w *workspace, data string) (server.Health, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	type result struct {
		stderr string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, err := runCtx(ctx, "--config", w.config, "serve", "--listen", addr, "--data", data)
		done <- result{stderr, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case r := <-done:
			t.Fatalf("serve stopped early: %v\n%s", r.err, r.stderr)
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			var h server.Health
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			r := <-done
			if r.err != nil {
				t.Fatalf("serve: %v\n%s", r.err, r.stderr)
			}
			return h, r.stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The state database and key file are made on first start, reported by
// /healthz, and reused on the next start; a wrong or badly protected key
// stops serve before it listens, saying why.
func TestServeState(t *testing.T) {
	t.Setenv(seal.EnvKey, "")
	w := newWorkspace(t)
	data := filepath.Join(w.root, "state")

	h, log := serveOnce(t, w, data)
	latest, err := store.LatestSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	if h.State == nil || h.State.Status != "ok" || h.State.SchemaVersion != latest {
		t.Fatalf("health state = %+v, want ok at %d", h.State, latest)
	}
	keyFile := filepath.Join(data, seal.KeyFileName)
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, info)
	}
	if !strings.Contains(log, "generated a new encryption key file") {
		t.Errorf("first start did not warn about the new key file:\n%s", log)
	}
	keyText, _ := os.ReadFile(keyFile)
	if strings.Contains(log, strings.TrimSpace(string(keyText))) {
		t.Fatal("the log holds the key")
	}
	if _, err := os.Stat(filepath.Join(data, store.FileName)); err != nil {
		t.Fatalf("state database: %v", err)
	}

	_, log = serveOnce(t, w, data)
	if !strings.Contains(log, "encryption key from key file") {
		t.Errorf("second start did not reuse the key file:\n%s", log)
	}

	other, _ := seal.GenerateKey()
	t.Run("wrong key", func(t *testing.T) {
		t.Setenv(seal.EnvKey, other.Encode())
		_, _, err := runCtx(context.Background(), "--config", w.config, "serve", "--listen", freeAddr(t), "--data", data)
		if err == nil || !strings.Contains(err.Error(), "encryption key does not match") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bad key format", func(t *testing.T) {
		t.Setenv(seal.EnvKey, "not-a-key")
		_, _, err := runCtx(context.Background(), "--config", w.config, "serve", "--listen", freeAddr(t), "--data", data)
		if err == nil || !strings.Contains(err.Error(), seal.EnvKey) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("key file readable by others", func(t *testing.T) {
		if err := os.Chmod(keyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(keyFile, 0o600)
		_, _, err := runCtx(context.Background(), "--config", w.config, "serve", "--listen", freeAddr(t), "--data", data)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("right key from the environment", func(t *testing.T) {
		t.Setenv(seal.EnvKey, strings.TrimSpace(string(keyText)))
		h, log := serveOnce(t, w, data)
		if h.State == nil || h.State.Status != "ok" || !strings.Contains(log, "encryption key from "+seal.EnvKey) {
			t.Fatalf("state %+v\n%s", h.State, log)
		}
	})
}
