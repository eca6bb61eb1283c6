package notificationtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

const (
	// callTimeout bounds every call the kit expects to finish, so that a
	// hanging plugin fails its test instead of stalling the test binary.
	callTimeout = 30 * time.Second
	// grace is how long Send may keep running after its context ended.
	grace = 3 * time.Second
	// quiet is how long the kit listens for deliveries nobody sent (a retry
	// that duplicated one) after every Send it made has returned.
	quiet = 250 * time.Millisecond
	// slowDeadline is the deadline of the Send to the silent receiver.
	slowDeadline = 500 * time.Millisecond
)

// Run checks a notification plugin against the contract of
// notification.Notifier, through the real plugin boundary. Each check is a
// subtest: Describe, ValidateConfig, Delivers, Rejected, Cancelled, Deadline,
// Concurrent.
func Run(t *testing.T, opts Options) {
	t.Helper()
	checkOptions(t, opts)
	p := opts.Plugin
	served, tr := wrap(p.Notifier)
	p.Notifier = served
	conn := sdktest.Start(t, p)
	k := &kit{opts: opts, conn: conn, n: conn.Notifier(), tr: tr, validates: isValidator(opts.Plugin.Notifier)}
	t.Run("Describe", k.describe)
	t.Run("ValidateConfig", k.validateConfig)
	t.Run("Delivers", k.delivers)
	t.Run("Rejected", k.rejected)
	t.Run("Cancelled", k.cancelled)
	t.Run("Deadline", k.deadline)
	t.Run("Concurrent", k.concurrent)
}

// checkOptions stops a test whose Options would make some check vacuous.
func checkOptions(t *testing.T, o Options) {
	t.Helper()
	var missing []string
	if o.Plugin.Notifier == nil {
		missing = append(missing, "Plugin.Notifier is nil")
	}
	if o.Receiver == nil {
		missing = append(missing, "Receiver is nil: the kit cannot see what was delivered")
	}
	if o.Rejecting == nil || o.RejectedWith == "" {
		missing = append(missing, "Rejecting and RejectedWith are needed to check that a refused delivery is an error saying why")
	}
	if o.Slow == nil {
		missing = append(missing, "Slow is nil: the kit cannot check cancellation")
	}
	if len(o.InvalidConfigs) == 0 {
		missing = append(missing, "InvalidConfigs is empty: name at least one configuration the plugin must refuse")
	}
	for _, name := range o.Ignore {
		if _, ok := reflect.TypeFor[notification.Event]().FieldByName(name); !ok {
			missing = append(missing, fmt.Sprintf("Ignore: %q is not a field of notification.Event", name))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("notificationtest.Options:\n\t%s", strings.Join(missing, "\n\t"))
	}
}

func isValidator(n notification.Notifier) bool {
	_, ok := n.(spec.ConfigValidator)
	return ok
}

type kit struct {
	opts      Options
	conn      *host.Conn
	n         notification.Notifier
	tr        *tracker
	validates bool
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

func (k *kit) describe(t *testing.T) {
	d, err := k.conn.Describe(ctxFor(t))
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("description is invalid: %v", err)
	}
	want := spec.Description{
		ID: "notification-" + k.opts.Plugin.Name, Kind: spec.KindNotification, Name: k.opts.Plugin.Name,
		SDKVersion: spec.SDKVersion, ProtocolMajor: spec.ProtocolMajor, ProtocolMinor: spec.ProtocolMinor,
		Schema: k.opts.Plugin.Schema,
	}
	ignore := cmpopts.IgnoreFields(spec.Description{}, "DisplayName", "Summary", "Version", "Capabilities")
	if diff := cmp.Diff(want, d, ignore, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
	if d.Version == "" || d.DisplayName == "" {
		t.Errorf("description has version %q and display name %q; both must be set", d.Version, d.DisplayName)
	}
	if k.validates && !d.Has(spec.CapConfigValidation) {
		t.Errorf("the notifier validates configurations but capabilities %v lack %q", d.Capabilities, spec.CapConfigValidation)
	}
}

func (k *kit) validateConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  spec.Config
	}{{"Config", k.opts.Config}, {"Rejecting", k.opts.Rejecting}, {"Slow", k.opts.Slow}} {
		if err := k.conn.ValidateConfig(ctxFor(t), c.cfg); err != nil {
			t.Errorf("Options.%s is refused: %v", c.name, err)
		}
	}
	for _, ic := range k.opts.InvalidConfigs {
		name := ic.Name
		if name == "" {
			name = strings.Join(ic.Fields, ",")
		}
		t.Run(name, func(t *testing.T) {
			want := uniqueSorted(ic.Fields)
			err := k.conn.ValidateConfig(ctxFor(t), ic.Config)
			if err == nil {
				t.Fatalf("ValidateConfig(%v) = nil; want errors for %v", ic.Config.Redacted(k.opts.Plugin.Schema), want)
			}
			checkFieldErrors(t, "ValidateConfig", err, want)

			// The SDK validates before every call: Send must never reach the
			// plugin with a configuration ValidateConfig refuses.
			k.tr.reset()
			err = k.n.Send(ctxFor(t), ic.Config, concurrentEvent(0))
			checkFieldErrors(t, "Send", err, want)
			if k.tr.calls() != 0 {
				t.Errorf("Send with an invalid configuration reached the notifier")
			}
		})
	}
}

func checkFieldErrors(t *testing.T, call string, err error, want []string) {
	t.Helper()
	fes := spec.FieldErrors(err)
	if fes == nil {
		t.Errorf("%s: %v; want a validation error naming %v", call, err, want)
		return
	}
	var got []string
	for _, fe := range fes {
		got = append(got, fe.Field)
		if fe.Message == "" {
			t.Errorf("%s: field %q has an error without a message", call, fe.Field)
		}
	}
	if diff := cmp.Diff(want, uniqueSorted(got)); diff != "" {
		t.Errorf("%s: fields with errors (-want +got):\n%s\nerror: %v", call, diff, err)
	}
}

func uniqueSorted(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// eventOpts compare a sent event with what arrived.
func (k *kit) eventOpts() cmp.Options {
	o := cmp.Options{cmpopts.EquateEmpty()}
	if len(k.opts.Ignore) > 0 {
		o = append(o, cmpopts.IgnoreFields(notification.Event{}, k.opts.Ignore...))
	}
	return o
}

func (k *kit) delivers(t *testing.T) {
	for _, c := range deliveryEvents() {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxFor(t)
			if err := k.n.Send(ctx, k.opts.Config, c.ev); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got, err := k.opts.Receiver.Receive(ctx)
			if err != nil {
				t.Fatalf("Send returned nil but nothing arrived: %v", err)
			}
			if diff := cmp.Diff(c.ev, got, k.eventOpts()); diff != "" {
				t.Errorf("delivered event (-sent +arrived):\n%s", diff)
			}
		})
	}
	k.expectQuiet(t)
}

// expectQuiet fails when a delivery arrives that no Send made: a duplicate.
func (k *kit) expectQuiet(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), quiet)
	defer cancel()
	if ev, err := k.opts.Receiver.Receive(ctx); err == nil {
		t.Errorf("an extra delivery arrived (a duplicate?): %q", ev.Title)
	}
}

func (k *kit) rejected(t *testing.T) {
	err := k.n.Send(ctxFor(t), k.opts.Rejecting, deliveryEvents()[0].ev)
	if err == nil {
		t.Fatal("Send to a receiver that refuses returned nil")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send to a receiver that refuses: %v; want the receiver's answer, not a context error", err)
	}
	if !strings.Contains(err.Error(), k.opts.RejectedWith) {
		t.Errorf("Send to a receiver that refuses: %q does not say what it answered (%q)", err, k.opts.RejectedWith)
	}
}

// cancelled checks that cancelling the caller's context ends the plugin's
// Send while it waits for a receiver that never answers.
func (k *kit) cancelled(t *testing.T) {
	k.tr.reset()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- k.n.Send(ctx, k.opts.Slow, deliveryEvents()[0].ev) }()
	k.waitStarted(t)
	// Let the plugin reach the receiver, so that cancellation finds it
	// waiting for the answer rather than still connecting.
	select {
	case err := <-done:
		t.Fatalf("Send to a receiver that never answers returned before cancellation: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Send: %v; want an error matching context.Canceled", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("cancelled Send did not return")
	}
	k.checkPluginReturned(t, "its context was cancelled")
}

// deadline checks that the plugin obeys a deadline it did not set itself.
func (k *kit) deadline(t *testing.T) {
	k.tr.reset()
	ctx, cancel := context.WithTimeout(t.Context(), slowDeadline)
	defer cancel()
	err := k.n.Send(ctx, k.opts.Slow, deliveryEvents()[0].ev)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send past its deadline: %v; want an error matching context.DeadlineExceeded", err)
	}
	k.checkPluginReturned(t, "its deadline passed")
}

func (k *kit) waitStarted(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	if !k.tr.waitFor(ctx, func(_, started int, _ []error) bool { return started > 0 }) {
		t.Fatal("Send never reached the plugin")
	}
}

// checkPluginReturned fails unless the plugin's own Send returned, with an
// error, within grace: the gRPC client gives up at once whatever the plugin
// does, so only the plugin side shows a Send that ignores its context.
func (k *kit) checkPluginReturned(t *testing.T, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), grace)
	defer cancel()
	if !k.tr.waitFor(ctx, func(running, _ int, returned []error) bool { return running == 0 && len(returned) > 0 }) {
		t.Fatalf("the plugin's Send kept running more than %v after %s", grace, why)
	}
	for _, err := range k.tr.results() {
		if err == nil {
			t.Errorf("the plugin's Send returned nil after %s, though the receiver never answered", why)
		}
	}
}

func (k *kit) concurrent(t *testing.T) {
	ctx := ctxFor(t)
	var wg sync.WaitGroup
	errs := make([]error, concurrentSends)
	for i := range concurrentSends {
		wg.Go(func() { errs[i] = k.n.Send(ctx, k.opts.Config, concurrentEvent(i)) })
	}
	wg.Wait()
	want := map[string]notification.Event{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("Send #%d: %v", i, err)
			continue
		}
		ev := concurrentEvent(i)
		want[ev.Title] = ev
	}
	seen := map[string]int{}
	for range len(want) {
		got, err := k.opts.Receiver.Receive(ctx)
		if err != nil {
			t.Fatalf("after %d of %d deliveries: %v", len(seen), len(want), err)
		}
		seen[got.Title]++
		sent, ok := want[got.Title]
		switch {
		case !ok:
			t.Errorf("a delivery arrived that was not sent: %q", got.Title)
		case seen[got.Title] > 1:
			t.Errorf("%q arrived %d times", got.Title, seen[got.Title])
		default:
			if diff := cmp.Diff(sent, got, k.eventOpts()); diff != "" {
				t.Errorf("delivered event (-sent +arrived):\n%s", diff)
			}
		}
	}
	k.expectQuiet(t)
}
