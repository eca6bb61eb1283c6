package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// exitPoll is how often a running plugin is checked for an exit. go-plugin
// offers no exit notification, only Client.Exited; a crash is noticed, and
// the calls in flight failed, within this interval.
const exitPoll = 20 * time.Millisecond

// instance is one running plugin process.
type instance struct {
	bin    Binary
	pid    int
	client *goplugin.Client
	conn   *host.Conn
	desc   spec.Description

	// ctx ends when the process exits, crash or stop; calls in flight are
	// bound to it so they fail at once instead of waiting on a dead peer.
	ctx      context.Context
	cancel   context.CancelCauseFunc
	dead     chan struct{} // closed once the exit is observed
	stopping atomic.Bool
}

// launch verifies plugin id's binary and starts it. It never executes a
// binary whose sum is not pinned: the sum is checked here, and go-plugin
// checks it again with a fresh hash as it launches, so a binary swapped in
// between is refused too.
func (h *Host) launch(ctx context.Context, id string, onCrash func(time.Time)) (*instance, error) {
	b, err := binaryFor(h.cfg.Dir, id)
	if err != nil {
		return nil, err
	}
	if !h.cfg.Enabled(id) {
		return nil, fmt.Errorf("plugin %s: %w (%s)", b.File(), ErrDisabled, h.cfg.File)
	}
	sum, err := verify(b, h.pins(), h.cfg.LockFile)
	if err != nil {
		h.logger.Error("plugin refused", "plugin", b.File(), "error", err)
		return nil, err
	}
	want, _ := hex.DecodeString(sum)

	cmd := exec.Command(b.Path)
	cmd.Env = h.env
	cfg := host.ClientConfig(cmd, nil, h.logger)
	cfg.SecureConfig = &goplugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	cfg.SkipHostEnv = true // cmd.Env is the whole environment: no core secrets
	cfg.StartTimeout = h.startTimeout
	cfg.SyncStdout = &lineLogger{logger: h.logger.Named(b.File()), stream: "stdout"}
	cfg.SyncStderr = &lineLogger{logger: h.logger.Named(b.File()), stream: "stderr"}
	client := goplugin.NewClient(cfg)

	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
			// Changed since verify: report the sums of this very moment.
			now, _ := SumFile(b.Path)
			err = &ChecksumError{File: b.File(), Path: b.Path, Expected: sum, Actual: now}
			h.logger.Error("plugin refused", "plugin", b.File(), "error", err)
			return nil, err
		}
		return nil, fmt.Errorf("plugin %s: start: %w", b.File(), err)
	}
	conn, err := host.Dispense(rpc)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: %w", b.File(), err)
	}
	dctx, cancel := context.WithTimeout(ctx, h.describeTimeout)
	desc, err := conn.Describe(dctx)
	cancel()
	if err == nil {
		err = checkDescription(b, desc)
	} else {
		err = fmt.Errorf("plugin %s: describe: %w", b.File(), err)
	}
	if err != nil {
		client.Kill()
		return nil, err
	}

	inst := &instance{bin: b, client: client, conn: conn, desc: desc, dead: make(chan struct{})}
	if rc := client.ReattachConfig(); rc != nil {
		inst.pid = rc.Pid
	}
	inst.ctx, inst.cancel = context.WithCancelCause(context.Background())
	go inst.monitor(h.logger, onCrash)
	h.logger.Info("plugin started", "plugin", b.File(), "pid", inst.pid, "version", desc.Version,
		"protocol", fmt.Sprintf("%d.%d", desc.ProtocolMajor, desc.ProtocolMinor))
	return inst, nil
}

// monitor waits for the process to exit. An exit the host did not ask for is
// a crash: it is logged, and the calls in flight are failed.
func (i *instance) monitor(logger hclog.Logger, onCrash func(time.Time)) {
	t := time.NewTicker(exitPoll)
	defer t.Stop()
	for range t.C {
		if i.client.Exited() {
			break
		}
	}
	if i.stopping.Load() {
		i.cancel(fmt.Errorf("plugin %s stopped", i.bin.File()))
	} else {
		logger.Error("plugin crashed; it restarts on next use", "plugin", i.bin.File(), "pid", i.pid)
		onCrash(time.Now())
		i.cancel(fmt.Errorf("plugin %s crashed: process %d exited", i.bin.File(), i.pid))
	}
	close(i.dead)
}

func (i *instance) exited() bool {
	select {
	case <-i.dead:
		return true
	default:
		return false
	}
}

// stop ends the process: go-plugin asks it to exit, then kills it.
func (i *instance) stop() {
	i.stopping.Store(true)
	i.client.Kill()
	<-i.dead
}
