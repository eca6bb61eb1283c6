package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// crashGrace is how long an error that may come from a dying process waits
// for the exit to be observed before it is returned as the plugin's own. The
// transport breaks the moment the process dies; the exit is seen a poll later.
const crashGrace = 250 * time.Millisecond

// do runs fn against the live process of plugin id, starting it if needed,
// and turns errors caused by the process dying into a *CrashError.
func (h *Host) do(ctx context.Context, id string, fn func(context.Context, *instance) error) error {
	inst, err := h.acquire(ctx, id)
	if err != nil {
		return err
	}
	cctx, release := inst.bind(ctx)
	defer release()
	return inst.wrap(ctx, fn(cctx, inst))
}

// call is do for calls with a result.
func call[T any](ctx context.Context, h *Host, id string, fn func(context.Context, *instance) (T, error)) (T, error) {
	var out T
	err := h.do(ctx, id, func(ctx context.Context, inst *instance) error {
		var err error
		out, err = fn(ctx, inst)
		return err
	})
	return out, err
}

// bind returns a context that ends with ctx or with the process, whichever
// comes first, and the function releasing it.
func (i *instance) bind(ctx context.Context) (context.Context, func()) {
	cctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(i.ctx, func() { cancel(context.Cause(i.ctx)) })
	return cctx, func() {
		stop()
		cancel(nil)
	}
}

// wrap names the plugin in err when the process died under the call.
func (i *instance) wrap(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	if !i.exited() {
		if ctx.Err() != nil || !maybeTransport(err) {
			return err // the caller gave up, or the plugin answered
		}
		t := time.NewTimer(crashGrace)
		defer t.Stop()
		select {
		case <-i.dead:
		case <-t.C:
			return err
		}
	}
	if i.stopping.Load() {
		return fmt.Errorf("plugin %s stopped during the call: %w", i.bin.File(), err)
	}
	return &CrashError{File: i.bin.File(), PID: i.pid, Err: err}
}

// maybeTransport reports errors a dying process produces: a broken connection
// (gRPC Unavailable, which the SDK maps to spec.ErrUnavailable), or the
// cancellation bind applies.
func maybeTransport(err error) bool {
	if errors.Is(err, spec.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.Internal:
		return true
	}
	return false
}

// streamReader is a plugin's byte stream that outlives the call opening it:
// it names the plugin in errors and holds the binding until closed.
type streamReader struct {
	rc      io.ReadCloser
	inst    *instance
	ctx     context.Context
	release func()
}

func (r *streamReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = r.inst.wrap(r.ctx, err)
	}
	return n, err
}

func (r *streamReader) Close() error {
	err := r.rc.Close()
	r.release()
	return err
}
