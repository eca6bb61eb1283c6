package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// exactCommand returns a command that runs the bytes of b's file at path
// (b.Path, or an install's temporary copy) whose SHA-256 is sum, and nothing
// else: the file is copied into an
// anonymous in-memory file while it is hashed, the copy is executed through
// /proc/self/fd, and a file that does not hash to sum is never executed.
// Replacing or rewriting the file on disk after the check changes nothing.
// The caller calls cleanup once the command has finished.
func exactCommand(ctx context.Context, b Binary, path, sum string, args ...string) (cmd *exec.Cmd, cleanup func(), err error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("dbkeep-plugin", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("in-memory copy of %s: %w", path, err)
	}
	mem := os.NewFile(uintptr(fd), "dbkeep-plugin")
	defer mem.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(mem, h), src); err != nil {
		return nil, nil, fmt.Errorf("in-memory copy of %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return nil, nil, &ChecksumError{File: b.File(), Path: path, Expected: sum, Actual: got}
	}
	// A file open for writing cannot be executed (ETXTBSY): run a read-only
	// descriptor of the copy, and let the writable one close on return.
	ro, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", mem.Fd()))
	if err != nil {
		return nil, nil, fmt.Errorf("in-memory copy of %s: %w", path, err)
	}
	cmd = exec.CommandContext(ctx, "/proc/self/fd/3", args...) // ExtraFiles[0] is fd 3 in the child
	cmd.Args[0] = path
	cmd.ExtraFiles = []*os.File{ro}
	return cmd, func() { ro.Close() }, nil
}
