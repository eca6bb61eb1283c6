package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Bounds on a `describe` run: a plugin that hangs or floods its output must
// not hang or exhaust the core.
const (
	maxDescribeOutput = 1 << 20
	maxDescribeStderr = 8 << 10
)

// describeBinary runs `<path> describe` and decodes the JSON description. It
// runs exactly the bytes whose SHA-256 is sum (see exactCommand): a file
// changed after the caller checked it is refused, never executed.
func describeBinary(ctx context.Context, b Binary, path, sum string, env []string, timeout time.Duration) (spec.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr boundedBuffer
	stdout.max, stderr.max = maxDescribeOutput, maxDescribeStderr
	var err error
	// A binary just written (install, tests) can be briefly busy when another
	// goroutine's fork holds it open for writing (golang/go#22315): retry.
	for attempt := 0; attempt < 5; attempt++ {
		stdout.Reset()
		stderr.Reset()
		cmd, cleanup, cerr := exactCommand(ctx, b, path, sum, "describe")
		if cerr != nil {
			return spec.Description{}, cerr
		}
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = time.Second
		err = cmd.Run()
		cleanup()
		if !errors.Is(err, syscall.ETXTBSY) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ctx.Err() != nil {
		return spec.Description{}, fmt.Errorf("describe: no answer within %s", timeout)
	}
	if stdout.overflow {
		return spec.Description{}, fmt.Errorf("describe: output larger than %d bytes", maxDescribeOutput)
	}
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return spec.Description{}, fmt.Errorf("describe: %w: %s", err, msg)
		}
		return spec.Description{}, fmt.Errorf("describe: %w", err)
	}
	var d spec.Description
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return spec.Description{}, fmt.Errorf("describe: not a plugin description: %w", err)
	}
	if err := d.Validate(); err != nil {
		return spec.Description{}, fmt.Errorf("describe: %w", err)
	}
	return d, nil
}

// describeChecked describes b's binary at path (b.Path, or an install's
// temporary copy), whose checked SHA-256 is sum, and checks the description
// belongs to b. Errors name the plugin.
func (h *Host) describeChecked(ctx context.Context, b Binary, path, sum string) (spec.Description, error) {
	d, err := describeBinary(ctx, b, path, sum, h.env, h.describeTimeout)
	var mismatch *ChecksumError
	if errors.As(err, &mismatch) {
		return spec.Description{}, err
	}
	if err != nil {
		return spec.Description{}, fmt.Errorf("plugin %s: %w", b.File(), err)
	}
	if err := checkDescription(b, d); err != nil {
		return spec.Description{}, err
	}
	return d, nil
}

// checkDescription reports a description that does not belong to b: the id
// and kind come from the file name, which is what the pin and the
// configuration refer to, and the protocol major must be the core's.
func checkDescription(b Binary, d spec.Description) error {
	if d.ID != b.ID || d.Kind != b.Kind {
		return fmt.Errorf("plugin %s describes itself as %q of kind %q; the file name says %q of kind %q",
			b.File(), d.ID, d.Kind, b.ID, b.Kind)
	}
	if d.ProtocolMajor != spec.ProtocolMajor {
		return fmt.Errorf("plugin %s speaks protocol %d.%d; this core speaks %d.x",
			b.File(), d.ProtocolMajor, d.ProtocolMinor, spec.ProtocolMajor)
	}
	return nil
}

// boundedBuffer keeps at most max bytes and remembers that more came.
type boundedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.overflow = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		// Failing the write stops the copy: the child meets a closed pipe
		// instead of being read until the timeout.
		return 0, errors.New("describe output too large")
	}
	return b.Buffer.Write(p)
}

func (b *boundedBuffer) Reset() {
	b.Buffer.Reset()
	b.overflow = false
}
