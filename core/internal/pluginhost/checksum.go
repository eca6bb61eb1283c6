package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// ErrUntrusted is matched (errors.Is) by every refusal to run a binary for
// its checksum: a *ChecksumError or an *UnpinnedError.
var ErrUntrusted = errors.New("plugin binary not trusted")

// ChecksumError: the binary's SHA-256 differs from its pin. The binary was not
// executed.
type ChecksumError struct {
	File     string // dbkeep-<id>
	Path     string
	Expected string
	Actual   string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("plugin %s: checksum mismatch: expected sha256 %s, file %s has %s; not executed",
		e.File, e.Expected, e.Path, e.Actual)
}

// Is makes errors.Is(err, ErrUntrusted) true.
func (e *ChecksumError) Is(target error) bool { return target == ErrUntrusted }

// UnpinnedError: the binary has no pin in the lock file. Under the pinned
// policy it is not executed.
type UnpinnedError struct {
	File     string
	Path     string
	Actual   string
	LockFile string
}

func (e *UnpinnedError) Error() string {
	return fmt.Sprintf("plugin %s: not pinned in %s (file %s has sha256 %s); not executed — "+
		"run `dbkeep plugins install` or `dbkeep plugins lock` to trust it", e.File, e.LockFile, e.Path, e.Actual)
}

// Is makes errors.Is(err, ErrUntrusted) true.
func (e *UnpinnedError) Is(target error) bool { return target == ErrUntrusted }

// SumFile returns the lower-case hex SHA-256 of the file at path.
func SumFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify hashes b and compares it with its pin. It returns the actual sum,
// and a *ChecksumError or *UnpinnedError when b must not run.
func verify(b Binary, lock *pluginconf.Lock, lockFile string) (string, error) {
	sum, err := SumFile(b.Path)
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w", b.File(), err)
	}
	pin, ok := lock.Pins[b.ID]
	if !ok {
		return sum, &UnpinnedError{File: b.File(), Path: b.Path, Actual: sum, LockFile: lockFile}
	}
	if pin.SHA256 != sum {
		return sum, &ChecksumError{File: b.File(), Path: b.Path, Expected: pin.SHA256, Actual: sum}
	}
	return sum, nil
}
