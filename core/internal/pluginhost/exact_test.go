package pluginhost

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
)

// A binary changed after its sum was checked is refused by describe itself:
// describe runs only bytes that hash to the checked sum, so the window
// between the check and the run is closed.
func TestDescribeRunsOnlyTheCheckedBytes(t *testing.T) {
	env := newEnv(t, "")
	bin := env.add(fixtures.Storage, "storage-fixture")
	checked, err := SumFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b := Binary{ID: "storage-fixture", Path: bin}
	appendByte(t, bin) // the swap, after the check

	_, err = describeBinary(context.Background(), b, bin, checked, nil, 10*time.Second)
	var mismatch *ChecksumError
	if !errors.As(err, &mismatch) || mismatch.Expected != checked || mismatch.Actual == checked {
		t.Fatalf("describe of a binary changed after its check: %v, want a checksum mismatch", err)
	}
	if _, err := os.Stat(marker(bin)); !os.IsNotExist(err) {
		t.Fatalf("the changed binary ran (marker: %v)", err)
	}

	// The same call with the sum of what is there now runs it.
	now, _ := SumFile(bin)
	if _, err := describeBinary(context.Background(), b, bin, now, nil, 10*time.Second); err != nil {
		t.Fatalf("describe with the current sum: %v", err)
	}
	if _, err := os.Stat(marker(bin)); err != nil {
		t.Fatalf("describe did not run the binary: %v", err)
	}
}
