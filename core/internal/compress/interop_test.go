package compress_test

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestSystemToolsRead: what we write, the standard tools read back, so a
// backup stays recoverable without dbkeep (README of the recovery kit).
func TestSystemToolsRead(t *testing.T) {
	in := sqlDump(3<<20, 11)
	for _, tc := range []struct {
		a    compress.Algorithm
		tool string
	}{{compress.Zstd, "zstd"}, {compress.Gzip, "gzip"}, {compress.Brotli, "brotli"}} {
		path, err := exec.LookPath(tc.tool)
		if err != nil {
			// The tools are packages, not servers; still, CI must check
			// them all (.ci/run installs them), and a developer sees why not.
			if testserver.CI() {
				t.Fatalf("CI=true: %s is not installed (apt-get install %s)", tc.tool, tc.tool)
			}
			t.Logf("%s is not installed: interop with it not checked", tc.tool)
			continue
		}
		for _, data := range [][]byte{in, {}} {
			cmd := exec.Command(path, "-dc")
			cmd.Stdin = bytes.NewReader(compressed(t, tc.a, data))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s -dc of %d bytes: %v", tc.tool, len(data), err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("%s -dc: %d bytes out, want the %d written", tc.tool, len(out), len(data))
			}
		}
	}
}
