package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// flaky is real storage (memstore) whose calls fail with err the first
// failures times each operation is made.
type flaky struct {
	storage.Storage
	mu       sync.Mutex
	failures int
	err      error
	calls    map[string]int
	// listHalf makes a failing List hand over one object first: a
	// connection lost mid-listing.
	listHalf bool
}

func newFlaky(failures int, err error) *flaky {
	return &flaky{Storage: &memstore.Store{}, failures: failures, err: err, calls: map[string]int{}}
}

// fail counts a call of op and says whether it must fail.
func (f *flaky) fail(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.calls[op] <= f.failures {
		return fmt.Errorf("%s: %w", op, f.err)
	}
	return nil
}

func (f *flaky) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *flaky) Test(ctx context.Context, cfg spec.Config) (string, error) {
	if err := f.fail("test"); err != nil {
		return "", err
	}
	return f.Storage.Test(ctx, cfg)
}

func (f *flaky) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	if err := f.fail("upload"); err != nil {
		return storage.ObjectInfo{}, err
	}
	return f.Storage.Upload(ctx, cfg, req, r)
}

func (f *flaky) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	if err := f.fail("download"); err != nil {
		return nil, err
	}
	return f.Storage.Download(ctx, cfg, req)
}

func (f *flaky) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	err := f.fail("list")
	if err == nil || !f.listHalf {
		if err != nil {
			return err
		}
		return f.Storage.List(ctx, cfg, prefix, fn)
	}
	// Hand over one object, then fail: a connection lost mid-listing.
	done := errors.New("half")
	lerr := f.Storage.List(ctx, cfg, prefix, func(o storage.ObjectInfo) error {
		if ferr := fn(o); ferr != nil {
			return ferr
		}
		return done
	})
	if lerr != done {
		return lerr
	}
	return err
}

func (f *flaky) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	if err := f.fail("stat"); err != nil {
		return storage.ObjectInfo{}, err
	}
	return f.Storage.Stat(ctx, cfg, name)
}

// Delete fails after deleting: the answer is what was lost.
func (f *flaky) Delete(ctx context.Context, cfg spec.Config, name string) error {
	err := f.Storage.Delete(ctx, cfg, name)
	if ferr := f.fail("delete"); ferr != nil {
		return ferr
	}
	return err
}

func (f *flaky) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	if err := f.fail("usage"); err != nil {
		return storage.Usage{}, err
	}
	return storage.Usage{UsedBytes: 1, FreeBytes: 2, TotalBytes: 3}, nil
}

// recorder stands in for time: it records the waits asked for and returns
// at once.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func policy(rec *recorder, attempts int) storage.RetryPolicy {
	return storage.WithRetrySleep(storage.RetryPolicy{
		Attempts: attempts, InitialDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond,
	}, rec.sleep)
}

func put(t *testing.T, s storage.Storage, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := s.Upload(t.Context(), nil, storage.UploadRequest{Name: n, SizeHint: -1}, strings.NewReader(n)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRetryMendsTransientFailures(t *testing.T) {
	f := newFlaky(2, spec.ErrUnavailable)
	put(t, f.Storage, "a", "b", "c")
	var rec recorder
	s := storage.WithRetry(f, policy(&rec, 4))
	ctx := t.Context()

	if _, err := s.Test(ctx, nil); err != nil {
		t.Errorf("test: %v", err)
	}
	if _, err := s.Stat(ctx, nil, "a"); err != nil {
		t.Errorf("stat: %v", err)
	}
	rc, err := s.Download(ctx, nil, storage.DownloadRequest{Name: "b"})
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	if b, _ := io.ReadAll(rc); string(b) != "b" {
		t.Errorf("download read %q", b)
	}
	rc.Close()
	if u, err := s.Usage(ctx, nil); err != nil || u.TotalBytes != 3 {
		t.Errorf("usage: %v, %v", u, err)
	}
	var listed []string
	if err := s.List(ctx, nil, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Errorf("list: %v", err)
	}
	if err := s.Delete(ctx, nil, "c"); err != nil {
		t.Errorf("delete whose answer was lost twice: %v", err)
	}
	for _, op := range []string{"test", "stat", "download", "usage", "list", "delete"} {
		if got := f.count(op); got != 3 {
			t.Errorf("%s made %d calls, want 3 (two failures, then success)", op, got)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, []string{"a", "b", "c"}) {
		t.Errorf("listed %q", listed)
	}
	if _, err := f.Storage.Stat(ctx, nil, "c"); !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("c still there after delete: %v", err)
	}
	// Six operations, two waits each, each within [d/2, d) of a doubling
	// delay: 100ms then 200ms.
	if len(rec.waits) != 12 {
		t.Fatalf("%d waits, want 12: %v", len(rec.waits), rec.waits)
	}
	for i, w := range rec.waits {
		d := 100 * time.Millisecond << (i % 2)
		if w < d/2 || w >= d {
			t.Errorf("wait %d is %v, want within [%v, %v)", i, w, d/2, d)
		}
	}
}

func TestRetryGivesUpAfterAttempts(t *testing.T) {
	f := newFlaky(100, syscall.ECONNRESET)
	var rec recorder
	s := storage.WithRetry(f, policy(&rec, 5))
	_, err := s.Stat(t.Context(), nil, "a")
	if !errors.Is(err, syscall.ECONNRESET) || !strings.Contains(err.Error(), "after 5 attempts") {
		t.Errorf("stat on a server that keeps failing: %v", err)
	}
	if got := f.count("stat"); got != 5 {
		t.Errorf("%d calls, want 5", got)
	}
	// The waits double up to MaxDelay.
	caps := []time.Duration{100, 200, 300, 300}
	for i, w := range rec.waits {
		if d := caps[i] * time.Millisecond; w < d/2 || w >= d {
			t.Errorf("wait %d is %v, want within [%v, %v)", i, w, d/2, d)
		}
	}
}

func TestRetryNeverRepeatsLastingErrors(t *testing.T) {
	for _, sentinel := range []error{
		spec.ErrNotFound, spec.ErrPermission, spec.ErrUnauthenticated, spec.ErrInvalidArgument,
		spec.ErrNoSpace, context.Canceled, context.DeadlineExceeded, errors.New("something else"),
		&spec.ValidationError{Fields: []spec.FieldError{{Field: "host", Message: "is required"}}},
	} {
		f := newFlaky(1, sentinel)
		var rec recorder
		_, err := storage.WithRetry(f, policy(&rec, 4)).Stat(t.Context(), nil, "a")
		if !errors.Is(err, sentinel) {
			t.Errorf("%v: got %v", sentinel, err)
		}
		if got := f.count("stat"); got != 1 {
			t.Errorf("%v: %d calls, want 1", sentinel, got)
		}
	}
}

func TestRetryStopsWhenTheCallerGivesUp(t *testing.T) {
	f := newFlaky(100, spec.ErrUnavailable)
	ctx, cancel := context.WithCancel(t.Context())
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	s := storage.WithRetry(f, storage.WithRetrySleep(storage.RetryPolicy{Attempts: 10}, sleep))
	_, err := s.Test(ctx, nil)
	if !errors.Is(err, spec.ErrUnavailable) || !strings.Contains(err.Error(), "gave up retrying: context canceled") {
		t.Errorf("cancelled during the wait: %v", err)
	}
	if got := f.count("test"); got != 1 {
		t.Errorf("%d calls, want 1", got)
	}

	// With the real clock: a cancellation ends the wait at once.
	ctx, cancel = context.WithCancel(t.Context())
	s = storage.WithRetry(f, storage.RetryPolicy{Attempts: 10, InitialDelay: time.Hour})
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := s.Test(ctx, nil); !strings.Contains(fmt.Sprint(err), "gave up retrying") {
		t.Errorf("cancelled during an hour's wait: %v", err)
	}
}

func TestRetryDoesNotRepeatUploads(t *testing.T) {
	f := newFlaky(1, spec.ErrUnavailable)
	var rec recorder
	_, err := storage.WithRetry(f, policy(&rec, 4)).Upload(t.Context(), nil, storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	if !errors.Is(err, spec.ErrUnavailable) || f.count("upload") != 1 {
		t.Errorf("upload: %v after %d calls; want the failure of the one call", err, f.count("upload"))
	}
}

// TestRetriedListHandsEachObjectOnce: a listing cut off half-way is made
// again, and fn does not see the objects it already had.
func TestRetriedListHandsEachObjectOnce(t *testing.T) {
	f := newFlaky(2, spec.ErrUnavailable)
	f.listHalf = true
	put(t, f.Storage, "a", "b", "c")
	var rec recorder
	var listed []string
	err := storage.WithRetry(f, policy(&rec, 4)).List(t.Context(), nil, "", func(o storage.ObjectInfo) error {
		listed = append(listed, o.Name)
		return nil
	})
	slices.Sort(listed)
	if err != nil || !slices.Equal(listed, []string{"a", "b", "c"}) {
		t.Errorf("list: %q, %v; want each object once", listed, err)
	}
}

func TestRetryKeepsTheCallersListError(t *testing.T) {
	f := newFlaky(0, nil)
	put(t, f.Storage, "a")
	var rec recorder
	stop := fmt.Errorf("caller stops: %w", spec.ErrUnavailable) // transient-looking, still the caller's
	err := storage.WithRetry(f, policy(&rec, 4)).List(t.Context(), nil, "", func(storage.ObjectInfo) error { return stop })
	if err != stop || f.count("list") != 1 {
		t.Errorf("list whose fn fails: %v after %d calls; want fn's error after one", err, f.count("list"))
	}
}

func TestRetryWithoutUsage(t *testing.T) {
	s := storage.WithRetry(&memstore.Store{}, storage.RetryPolicy{})
	if _, err := s.Usage(t.Context(), nil); !errors.Is(err, spec.ErrUnsupported) {
		t.Errorf("usage of a storage that cannot tell: %v", err)
	}
}

func TestRetryReportsEachRetry(t *testing.T) {
	f := newFlaky(2, spec.ErrUnavailable)
	var rec recorder
	p := policy(&rec, 4)
	var heard []string
	p.OnRetry = func(op string, attempt int, err error, wait time.Duration) {
		heard = append(heard, fmt.Sprintf("%s#%d", op, attempt))
	}
	if _, err := storage.WithRetry(f, p).Test(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(heard, []string{"test#1", "test#2"}) {
		t.Errorf("OnRetry heard %q", heard)
	}
}

func TestIsTransient(t *testing.T) {
	for err, want := range map[error]bool{
		nil:                   false,
		spec.ErrUnavailable:   true,
		syscall.ECONNREFUSED:  true,
		io.ErrUnexpectedEOF:   true,
		spec.ErrNotFound:      false,
		context.Canceled:      false,
		errors.New("unknown"): false,
		fmt.Errorf("cancelled while unavailable: %w, %w", context.Canceled, spec.ErrUnavailable): false,
	} {
		if got := storage.IsTransient(err); got != want {
			t.Errorf("IsTransient(%v) = %v, want %v", err, got, want)
		}
	}
}
