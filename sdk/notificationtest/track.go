package notificationtest

import (
	"context"
	"sync"

	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// tracker wraps the plugin's Notifier on the plugin side of the boundary.
// The gRPC client gives up at the caller's deadline whatever the plugin does,
// so only the plugin side can tell whether Send itself obeyed its context.
type tracker struct {
	inner notification.Notifier

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever a Send starts or ends
	running  int
	started  int
	returned []error
}

func newTracker(n notification.Notifier) *tracker {
	return &tracker{inner: n, changed: make(chan struct{})}
}

func (tr *tracker) Send(ctx context.Context, cfg spec.Config, ev notification.Event) error {
	tr.update(func() { tr.running++; tr.started++ })
	err := tr.inner.Send(ctx, cfg, ev)
	tr.update(func() { tr.running--; tr.returned = append(tr.returned, err) })
	return err
}

func (tr *tracker) update(f func()) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	f()
	close(tr.changed)
	tr.changed = make(chan struct{})
}

// reset forgets earlier calls; call it while no Send runs.
func (tr *tracker) reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.started, tr.returned = 0, nil
}

// waitFor waits until cond holds over (running, started, returned) or ctx ends,
// and reports whether it held.
func (tr *tracker) waitFor(ctx context.Context, cond func(running, started int, returned []error) bool) bool {
	for {
		tr.mu.Lock()
		ok := cond(tr.running, tr.started, tr.returned)
		ch := tr.changed
		tr.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// calls returns how many Sends started since reset.
func (tr *tracker) calls() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.started
}

// results returns the errors of the Sends that returned since reset.
func (tr *tracker) results() []error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]error(nil), tr.returned...)
}

// validatingTracker keeps the plugin's ConfigValidator visible to the SDK,
// which derives the config-validation capability and runs the validator
// from the implementation's interfaces.
type validatingTracker struct {
	*tracker
	v spec.ConfigValidator
}

func (vt validatingTracker) ValidateConfig(ctx context.Context, cfg spec.Config) error {
	return vt.v.ValidateConfig(ctx, cfg)
}

// wrap returns the notifier to serve in place of n, and its tracker.
func wrap(n notification.Notifier) (notification.Notifier, *tracker) {
	tr := newTracker(n)
	if v, ok := n.(spec.ConfigValidator); ok {
		return validatingTracker{tracker: tr, v: v}, tr
	}
	return tr, tr
}
