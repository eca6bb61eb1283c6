package pluginhost

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// The marker mechanism works: a trusted fixture leaves its mark when it runs,
// for describe and for a start. Without this, the tests below that find no
// mark would prove nothing.
func TestMarkerRecordsEveryRun(t *testing.T) {
	env := newEnv(t, "")
	bin := env.add(fixtures.Storage, "storage-fixture")
	env.pin("storage-fixture")
	h := env.host()
	if _, err := h.Inspect(context.Background(), "storage-fixture"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Start(context.Background(), "storage-fixture"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(marker(bin))
	if err != nil {
		t.Fatalf("trusted fixture left no marker: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[0], " describe") {
		t.Errorf("marker lines = %q, want a describe run then a start", lines)
	}
}

// A binary whose sum does not match its pin is never executed: not to list
// it, not to start it, not through a kind client. Each refusal names the file
// and both sums.
func TestTamperedBinaryNeverRuns(t *testing.T) {
	env := newEnv(t, "")
	bin := env.add(fixtures.Storage, "storage-fixture")
	pinned := env.pin("storage-fixture")
	appendByte(t, bin)
	actual, err := SumFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	h := env.host()
	ctx := context.Background()
	wantInError := []string{"dbkeep-storage-fixture", "checksum mismatch", "expected sha256 " + pinned, bin + " has " + actual}

	inv, err := h.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Plugins) != 1 || inv.Plugins[0].State != StateChecksumMismatch {
		t.Fatalf("inventory = %+v, want one checksum-mismatch entry", inv.Plugins)
	}
	assertContainsAll(t, "inventory error", inv.Plugins[0].Error, wantInError)
	if inv.Plugins[0].SHA256 != actual || inv.Plugins[0].PinnedSHA256 != pinned {
		t.Errorf("inventory sums = %s / %s, want %s / %s", inv.Plugins[0].SHA256, inv.Plugins[0].PinnedSHA256, actual, pinned)
	}

	_, err = h.Start(ctx, "storage-fixture")
	var mismatch *ChecksumError
	if !errors.As(err, &mismatch) || !errors.Is(err, ErrUntrusted) {
		t.Fatalf("Start: got %v, want a *ChecksumError", err)
	}
	assertContainsAll(t, "Start error", err.Error(), wantInError)

	st, err := h.Storage("storage-fixture")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Test(ctx, spec.Config{"path": "x"}); !errors.As(err, &mismatch) {
		t.Errorf("Storage().Test: got %v, want a *ChecksumError", err)
	}
	assertContainsAll(t, "log", env.log.String(), []string{"plugin refused", "dbkeep-storage-fixture", pinned, actual})
	assertNeverRan(t, bin)
}

// Under the pinned policy, a binary without a pin is not executed either.
func TestUnpinnedBinaryNeverRuns(t *testing.T) {
	env := newEnv(t, "")
	bin := env.add(fixtures.Storage, "storage-fixture")
	actual, _ := SumFile(bin)
	h := env.host()
	ctx := context.Background()

	inv, err := h.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Plugins) != 1 || inv.Plugins[0].State != StateUnpinned {
		t.Fatalf("inventory = %+v, want one unpinned entry", inv.Plugins)
	}
	_, err = h.Start(ctx, "storage-fixture")
	var unpinned *UnpinnedError
	if !errors.As(err, &unpinned) || !errors.Is(err, ErrUntrusted) {
		t.Fatalf("Start: got %v, want an *UnpinnedError", err)
	}
	assertContainsAll(t, "Start error", err.Error(), []string{"dbkeep-storage-fixture", "not pinned", env.cfg.LockFile, actual})
	assertNeverRan(t, bin)
}

// A trusted binary that says it is another plugin is refused at start.
func TestStartRefusesBinaryDescribingAnotherPlugin(t *testing.T) {
	env := newEnv(t, "")
	env.add(fixtures.Storage, "storage-other")
	env.pin("storage-other")
	h := env.host()
	_, err := h.Start(context.Background(), "storage-other")
	if err == nil || !strings.Contains(err.Error(), `dbkeep-storage-other describes itself as "storage-fixture"`) {
		t.Errorf("Start: got %v, want a refusal naming both ids", err)
	}
	if got := h.Status(); len(got) != 1 || got[0].Running {
		t.Errorf("status after a refused start = %+v", got)
	}
}

func TestDisabledPluginDoesNotStart(t *testing.T) {
	env := newEnv(t, "plugin_dir = \"plugins\"\nplugin \"storage-fixture\" {\n  enabled = false\n}\n")
	bin := env.add(fixtures.Storage, "storage-fixture")
	env.pin("storage-fixture")
	h := env.host()
	if _, err := h.Start(context.Background(), "storage-fixture"); !errors.Is(err, ErrDisabled) {
		t.Errorf("Start: got %v, want ErrDisabled", err)
	}
	inv, err := h.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Plugins) != 1 || inv.Plugins[0].State != StateDisabled {
		t.Errorf("inventory = %+v, want one disabled entry", inv.Plugins)
	}
	assertNeverRan(t, bin)
}

func assertContainsAll(t *testing.T, what, s string, parts []string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not contain %q", what, s, p)
		}
	}
}
