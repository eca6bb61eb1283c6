package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// These tests drive the real processing chain (compressors, DBK1, the
// fan-out) through dumpWriter, the way a database plugin's Dump does. The
// destinations are in-process storage clients that are slow, stalled or
// failing on demand: what is under test is how the fan-out behaves around
// them, which the real plugins cannot be made to do at a chosen moment.

// fakeStorage is a destination's storage client. Upload reads the object
// at the pace it is told to, fails when it is told to, and remembers how
// its last upload ended.
type fakeStorage struct {
	// failNow makes Upload fail at once, without reading (wrong
	// credentials).
	failNow error
	// failAfter, with failErr, makes Upload fail by itself once it has
	// read that many bytes (a full disk).
	failAfter int64
	failErr   error
	// chunk bytes are read every pause; 0 reads as fast as it can.
	chunk int
	pause time.Duration
	// started, when not nil, is closed once Upload is called; release,
	// when not nil, is waited for before the first read (a destination
	// that stalls).
	started chan struct{}
	release chan struct{}

	mu sync.Mutex
	// readErr is the error the last Upload read from the core (nil: the
	// object ended cleanly); read counts its bytes.
	readErr error
	read    int64
	ended   bool
}

var _ storage.Storage = (*fakeStorage)(nil)

func (s *fakeStorage) Upload(ctx context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	if s.started != nil {
		close(s.started)
	}
	if s.failNow != nil {
		return storage.ObjectInfo{}, s.failNow
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return storage.ObjectInfo{}, ctx.Err()
		}
	}
	size := s.chunk
	if size == 0 {
		size = 64 << 10
	}
	buf := make([]byte, size)
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return storage.ObjectInfo{}, s.end(n, err)
		}
		k, err := r.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			s.end(n, nil)
			return storage.ObjectInfo{Name: req.Name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
		}
		if err != nil {
			return storage.ObjectInfo{}, s.end(n, err)
		}
		if s.failErr != nil && n >= s.failAfter {
			return storage.ObjectInfo{}, s.end(n, s.failErr)
		}
		if s.pause > 0 {
			time.Sleep(s.pause)
		}
	}
}

// end records how the upload ended and returns err.
func (s *fakeStorage) end(n int64, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readErr, s.read, s.ended = err, n, true
	return err
}

func (s *fakeStorage) outcome() (ended bool, read int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.read, s.readErr
}

var errFakeUnused = errors.New("fakeStorage: not used by the fan-out")

func (s *fakeStorage) Test(context.Context, spec.Config) (string, error) { return "", errFakeUnused }
func (s *fakeStorage) Download(context.Context, spec.Config, storage.DownloadRequest) (io.ReadCloser, error) {
	return nil, errFakeUnused
}
func (s *fakeStorage) List(context.Context, spec.Config, string, func(storage.ObjectInfo) error) error {
	return errFakeUnused
}
func (s *fakeStorage) Stat(context.Context, spec.Config, string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, errFakeUnused
}
func (s *fakeStorage) Delete(context.Context, spec.Config, string) error { return errFakeUnused }
func (s *fakeStorage) Usage(context.Context, spec.Config) (storage.Usage, error) {
	return storage.Usage{}, errFakeUnused
}

// memRecorder keeps an execution's log lines.
type memRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (m *memRecorder) Log(level execlog.Level, origin, message string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, fmt.Sprintf("%s [%s] %s", level, origin, message))
}

func (m *memRecorder) Progress(execlog.Progress) {}

// fanoutRun is a run in its dump stage, writing to one destination per
// client; key, when not nil, encrypts the objects.
func fanoutRun(ctx context.Context, compression string, key []byte, clients ...*fakeStorage) *run {
	r := &run{e: &Engine{}, ctx: ctx, rec: &memRecorder{}, prefix: "test/set/",
		job: store.Job{JobInput: store.JobInput{Compression: compression}}, key: key}
	if key != nil {
		r.profile = &store.EncryptionProfile{ID: 1, KeyID: "test-key"}
	}
	for i, c := range clients {
		d := &destination{index: i, conn: store.Connection{ID: int64(i + 1), Name: fmt.Sprintf("dest-%d", i+1)}, client: c}
		r.dests = append(r.dests, d)
		r.progress.Destinations = append(r.progress.Destinations, execlog.DestinationProgress{DestinationID: d.conn.ID, Name: d.conn.Name})
	}
	return r
}

// engineGoroutines returns the stacks of the goroutines a backup's object
// runs: the compressors' workers and flushers, the fan-out's feeders and
// the uploads.
func engineGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/klauspost/") || strings.Contains(g, "core/internal/engine.(*fanout)") ||
			strings.Contains(g, "core/internal/engine.(*run).openFanout") || strings.Contains(g, "engine.(*fakeStorage)") {
			out = append(out, g)
		}
	}
	return out
}

// waitGone waits, up to a bound, for the goroutines of engineGoroutines to
// number at most base, and fails the test with their stacks if they do not.
func waitGone(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := engineGoroutines()
		if len(left) <= base {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutine(s) of the object outlived it (%d before):\n%s", len(left), base, strings.Join(left, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAbortMidStreamJoinsTheCompressor aborts a dump after 16 MiB, while
// the compressor's own goroutine is still flushing into a slow destination.
// The late flush must find the fan-out ended (it panicked, sending on a
// closed channel), the compressor's goroutines must end with the object,
// the slow destination's plugin must read the abort's cause, and a
// destination that had failed by itself must be dropped with its own reason.
func TestAbortMidStreamJoinsTheCompressor(t *testing.T) {
	// The parallel encoders (the ones with goroutines of their own) are
	// used from two cores on; make sure there are several.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	key := make([]byte, dbk1.KeySize)
	rand.Read(key)
	for _, tc := range []struct {
		compression string
		key         []byte
	}{
		// brotli and none have no goroutines of their own: one
		// synchronous chain is enough.
		{"zstd", nil}, {"gzip", nil}, {"zstd", key}, {"gzip", key}, {"none", key},
	} {
		name := tc.compression
		if tc.key != nil {
			name += "+dbk1"
		}
		t.Run(name, func(t *testing.T) {
			base := len(engineGoroutines())
			slow := &fakeStorage{chunk: 32 << 10, pause: time.Millisecond}
			full := &fakeStorage{failAfter: 1 << 20, failErr: errors.New("no space left on device")}
			r := fanoutRun(context.Background(), tc.compression, tc.key, slow, full)
			dctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			w := &dumpWriter{r: r, database: "app", stop: stop}
			if err := w.Begin(database.DumpHeader{Database: "app", Format: "sqlite3", Extension: "sqlite"}); err != nil {
				t.Fatal(err)
			}
			// Random bytes: the compressors keep their whole input as
			// output, so the flush behind the last Write is large.
			p := make([]byte, 256<<10)
			for range 64 {
				rand.Read(p)
				if _, err := w.Write(p); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			cause := errors.New("the dump tool was killed")
			if err := w.finish(cause); !errors.Is(err, cause) {
				t.Fatalf("finish returned %v, want the dump's error", err)
			}

			ended, read, err := slow.outcome()
			if !ended || !errors.Is(err, cause) {
				t.Errorf("the slow destination's upload ended=%v after %d bytes with %v; want the abort's cause", ended, read, err)
			}
			if r.dests[0].failed != nil {
				t.Errorf("the slow destination was dropped: %v", r.dests[0].failed)
			}
			if got := r.dests[1].failed; got == nil || !strings.Contains(got.Error(), "no space left on device") {
				t.Errorf("the full destination was dropped with %v; want its own reason", got)
			}
			if c := context.Cause(dctx); c != nil {
				t.Errorf("the dump was stopped (%v) while a destination was still taking it", c)
			}
			waitGone(t, base)
		})
	}
}

// TestAbortFreesAWriteOnAStalledDestination: a write waiting for a
// destination that reads nothing returns once abort closes the pipes, and
// fails; a write after finish fails too rather than panic.
func TestAbortFreesAWriteOnAStalledDestination(t *testing.T) {
	base := len(engineGoroutines())
	stalled := &fakeStorage{started: make(chan struct{}), release: make(chan struct{})}
	r := fanoutRun(context.Background(), "none", nil, stalled)
	_, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	f := r.openFanout(r.prefix+"app.sqlite", stop)
	<-stalled.started
	written := make(chan error, 1)
	go func() { written <- f.write(make([]byte, 1<<20)) }()
	// Give the write time to reach the stalled pipe; if it has not, it
	// must fail all the same once abort began.
	time.Sleep(50 * time.Millisecond)
	cause := errors.New("the run was cancelled")
	f.abort(cause)
	select {
	case err := <-written:
		if !errors.Is(err, errFanoutEnded) {
			t.Errorf("the write freed by abort returned %v, want %v", err, errFanoutEnded)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write on a stalled destination was still blocked 10 s after abort")
	}
	close(stalled.release)
	results := f.finish(cause)
	if len(results) != 1 || results[0].own {
		t.Errorf("results %+v: the destination did not fail by itself", results)
	}
	if _, _, err := stalled.outcome(); !errors.Is(err, cause) {
		t.Errorf("the stalled destination read %v, want the abort's cause", err)
	}
	if err := f.write([]byte("late")); !errors.Is(err, errFanoutEnded) {
		t.Errorf("a write after finish returned %v, want %v", err, errFanoutEnded)
	}
	waitGone(t, base)
}

// TestInstantFailureLeavesTheOtherDestination: the first destination fails
// before the second one's upload even exists. That must not count as the
// last destination failing: the dump goes on and the object is stored on
// the second. Repeated, because it was a race (run under -race).
func TestInstantFailureLeavesTheOtherDestination(t *testing.T) {
	p := make([]byte, 64<<10)
	rand.Read(p)
	for i := range 500 {
		denied := &fakeStorage{failNow: errors.New("403: the access key is wrong")}
		healthy := &fakeStorage{}
		r := fanoutRun(context.Background(), "zstd", nil, denied, healthy)
		dctx, stop := context.WithCancelCause(context.Background())
		w := &dumpWriter{r: r, database: "app", stop: stop}
		if err := w.Begin(database.DumpHeader{Database: "app", Format: "sqlite3", Extension: "sqlite"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p); err != nil {
			t.Fatalf("run %d: write: %v", i, err)
		}
		if c := context.Cause(dctx); c != nil {
			t.Fatalf("run %d: the dump was stopped (%v) although the second destination is healthy", i, c)
		}
		if err := w.finish(nil); err != nil {
			t.Fatalf("run %d: the object failed: %v", i, err)
		}
		stop(nil)
		if got := r.dests[0].failed; got == nil || !strings.Contains(got.Error(), "the access key is wrong") {
			t.Fatalf("run %d: the first destination was dropped with %v, want its own reason", i, got)
		}
		if r.dests[1].failed != nil || len(r.dests[1].objects) != 1 {
			t.Fatalf("run %d: the second destination failed (%v) or holds %d objects", i, r.dests[1].failed, len(r.dests[1].objects))
		}
		if _, read, _ := healthy.outcome(); read != r.dests[1].objects[0].Size {
			t.Fatalf("run %d: the second destination read %d bytes, the manifest says %d", i, read, r.dests[1].objects[0].Size)
		}
	}
}

// TestEveryDestinationFailingEndsTheChain: when the only destination fails
// by itself mid-stream, the dump is told (a Write fails, and the dump's
// context is cancelled with errNoDestinationLeft), the destination is
// dropped with its own reason, and no goroutine of the compressor is left:
// a compressor that saw the write error itself would keep one (pgzip's
// Close then returns at once).
func TestEveryDestinationFailingEndsTheChain(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, compression := range []string{"zstd", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			base := len(engineGoroutines())
			full := &fakeStorage{failAfter: 1 << 20, failErr: errors.New("no space left on device")}
			r := fanoutRun(context.Background(), compression, nil, full)
			dctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			w := &dumpWriter{r: r, database: "app", stop: stop}
			if err := w.Begin(database.DumpHeader{Database: "app", Format: "sqlite3", Extension: "sqlite"}); err != nil {
				t.Fatal(err)
			}
			p := make([]byte, 256<<10)
			var werr error
			for i := 0; i < 256 && werr == nil; i++ {
				rand.Read(p)
				_, werr = w.Write(p)
			}
			if !errors.Is(werr, errNoDestinationLeft) {
				t.Fatalf("64 MiB written to a destination that failed after 1 MiB: the last write returned %v", werr)
			}
			if c := context.Cause(dctx); !errors.Is(c, errNoDestinationLeft) {
				t.Errorf("the dump's context ended with %v, want %v", c, errNoDestinationLeft)
			}
			if err := w.finish(werr); !errors.Is(err, errNoDestinationLeft) {
				t.Errorf("finish returned %v", err)
			}
			if got := r.dests[0].failed; got == nil || !strings.Contains(got.Error(), "no space left on device") {
				t.Errorf("the destination was dropped with %v; want its own reason", got)
			}
			waitGone(t, base)
		})
	}
}
