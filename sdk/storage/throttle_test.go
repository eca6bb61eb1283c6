package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// pacer counts what a paced reader asks for instead of sleeping, so the
// limiter's use is checked without measuring time.
type pacer struct {
	mu    sync.Mutex
	burst int
	waits []int
	// block, when set, makes WaitN wait for the context's end.
	block bool
}

func (p *pacer) Burst() int { return p.burst }

func (p *pacer) WaitN(ctx context.Context, n int) error {
	p.mu.Lock()
	p.waits = append(p.waits, n)
	p.mu.Unlock()
	if p.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return ctx.Err()
}

func (p *pacer) total() (sum, largest int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.waits {
		sum += n
		largest = max(largest, n)
	}
	return sum, largest
}

// TestThrottlePacesEveryByte: each byte of an upload and a download is
// waited for once, in reads no larger than the limiter's burst.
func TestThrottlePacesEveryByte(t *testing.T) {
	data := make([]byte, 1<<20+123)
	rand.Read(data)
	up, down := &pacer{burst: 64 << 10}, &pacer{burst: 10_000}
	s := storage.WithThrottleWaiters(&memstore.Store{}, storage.Limits{}, up, down)
	if _, err := s.Upload(t.Context(), nil, storage.UploadRequest{Name: "a", SizeHint: -1}, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Download(t.Context(), nil, storage.DownloadRequest{Name: "a", Offset: 100})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data[100:]) {
		t.Fatalf("download: %d bytes, %v; want the object from offset 100", len(got), err)
	}
	for _, c := range []struct {
		what  string
		p     *pacer
		bytes int
	}{{"upload", up, len(data)}, {"download", down, len(data) - 100}} {
		sum, largest := c.p.total()
		if sum != c.bytes || largest > c.p.burst {
			t.Errorf("%s: waited for %d bytes in reads of at most %d; want %d in reads of at most %d", c.what, sum, largest, c.bytes, c.p.burst)
		}
	}
}

// TestThrottleWaitEndsWithTheCaller: an upload waiting for bandwidth ends
// when its caller gives up, and the storage keeps nothing.
func TestThrottleWaitEndsWithTheCaller(t *testing.T) {
	store := &memstore.Store{}
	s := storage.WithThrottleWaiters(store, storage.Limits{}, &pacer{burst: 1024, block: true}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Upload(ctx, nil, storage.UploadRequest{Name: "a", SizeHint: -1}, bytes.NewReader(make([]byte, 4096)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("upload cancelled while paced: %v", err)
	}
	if _, err := store.Stat(t.Context(), nil, "a"); !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("the cancelled upload was kept: %v", err)
	}
}

// TestThrottleRealLimiterHonorsCancellation: with golang.org/x/time/rate at
// 1 KiB/s, a 1 MiB download would take a quarter of an hour; cancelling
// ends it at once.
func TestThrottleRealLimiterHonorsCancellation(t *testing.T) {
	store := &memstore.Store{}
	put(t, store, "a")
	if _, err := store.Upload(t.Context(), nil, storage.UploadRequest{Name: "big", SizeHint: -1}, bytes.NewReader(make([]byte, 1<<20))); err != nil {
		t.Fatal(err)
	}
	s, err := storage.WithThrottle(store, storage.Limits{DownloadBytesPerSecond: 1024})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	rc, err := s.Download(ctx, nil, storage.DownloadRequest{Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	time.AfterFunc(50*time.Millisecond, cancel)
	n, err := io.Copy(io.Discard, rc)
	if !errors.Is(err, context.Canceled) || n >= 1<<20 {
		t.Errorf("cancelled paced download: %d bytes, %v", n, err)
	}
}

// TestThrottleLimitsConcurrentTransfers: with two slots, a third transfer
// waits until one is given back, and a download holds its slot until its
// reader is closed.
func TestThrottleLimitsConcurrentTransfers(t *testing.T) {
	store := &memstore.Store{}
	put(t, store, "a", "b", "c")
	s, err := storage.WithThrottle(store, storage.Limits{MaxTransfers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	r1, err := s.Download(ctx, nil, storage.DownloadRequest{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	// An upload whose source is blocked holds the second slot.
	pr, pw := io.Pipe()
	upDone := make(chan error, 1)
	go func() {
		_, err := s.Upload(ctx, nil, storage.UploadRequest{Name: "d", SizeHint: -1}, pr)
		upDone <- err
	}()
	pw.Write([]byte("x")) // the upload has its slot once it reads

	// No slot left: a third transfer waits, and gives up with its context.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = s.Download(short, nil, storage.DownloadRequest{Name: "b"})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third transfer with two slots taken: %v, want it to wait until its deadline", err)
	}
	// Metadata calls never queue behind transfers.
	if _, err := s.Stat(ctx, nil, "c"); err != nil {
		t.Errorf("stat while the slots are taken: %v", err)
	}

	third := make(chan error, 1)
	go func() {
		rc, err := s.Download(ctx, nil, storage.DownloadRequest{Name: "b"})
		if err == nil {
			rc.Close()
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("third transfer went ahead with both slots taken: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	r1.Close()
	r1.Close() // a second Close does not give back a second slot
	if err := <-third; err != nil {
		t.Errorf("third transfer after a slot was freed: %v", err)
	}
	pw.Close()
	if err := <-upDone; err != nil {
		t.Errorf("upload: %v", err)
	}
	// Both slots are free again.
	for range 2 {
		rc, err := s.Download(ctx, nil, storage.DownloadRequest{Name: "c"})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
	}
}

func TestThrottleRefusesNegativeLimits(t *testing.T) {
	_, err := storage.WithThrottle(&memstore.Store{}, storage.Limits{UploadBytesPerSecond: -1, MaxTransfers: -2})
	fields := map[string]bool{}
	for _, fe := range spec.FieldErrors(err) {
		fields[fe.Field] = true
	}
	if !fields["upload-bytes-per-second"] || !fields["max-transfers"] {
		t.Errorf("negative limits: %v", err)
	}
}

// BenchmarkThrottledUpload reports the throughput of uploads unpaced and
// paced at 64 MiB/s: the limiter's own cost, and that the rate is held
// (the reported MB/s nears 67, above it only by the first burst).
func BenchmarkThrottledUpload(b *testing.B) {
	for _, limit := range []int64{0, 64 << 20} {
		name := "unlimited"
		if limit > 0 {
			name = "64MiBps"
		}
		b.Run(name, func(b *testing.B) {
			s, err := storage.WithThrottle(&discard{}, storage.Limits{UploadBytesPerSecond: limit})
			if err != nil {
				b.Fatal(err)
			}
			const size = 16 << 20
			b.SetBytes(size)
			for b.Loop() {
				if _, err := s.Upload(b.Context(), nil, storage.UploadRequest{Name: "a", SizeHint: size}, io.LimitReader(zeros{}, size)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// discard is a storage that drops what it is given, so the benchmark
// measures the pacing, not a copy.
type discard struct{ memstore.Store }

func (*discard) Upload(_ context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	n, err := io.Copy(io.Discard, r)
	return storage.ObjectInfo{Name: req.Name, Size: n}, err
}
