package storage

import (
	"context"
	"fmt"
	"io"
	"sync"

	"golang.org/x/time/rate"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Limits bound what one destination may take of the machine and the link.
// Its zero value limits nothing.
type Limits struct {
	// UploadBytesPerSecond caps the bytes per second of all uploads to the
	// destination together; 0 means no limit.
	UploadBytesPerSecond int64
	// DownloadBytesPerSecond caps the bytes per second of all downloads
	// from the destination together; 0 means no limit.
	DownloadBytesPerSecond int64
	// MaxTransfers caps how many uploads and downloads run at once; a
	// further one waits for a free slot (or its context's end). 0 means no
	// limit.
	MaxTransfers int
}

// Validate names the field of a limit that cannot be used.
func (l Limits) Validate() error {
	var errs spec.ValidationError
	if l.UploadBytesPerSecond < 0 {
		errs.Add("upload-bytes-per-second", "must be 0 (no limit) or more")
	}
	if l.DownloadBytesPerSecond < 0 {
		errs.Add("download-bytes-per-second", "must be 0 (no limit) or more")
	}
	if l.MaxTransfers < 0 {
		errs.Add("max-transfers", "must be 0 (no limit) or more")
	}
	return errs.Err()
}

// minBurst is the smallest burst a bandwidth limiter allows, so that a low
// limit still moves data in reads of a useful size.
const minBurst = 32 << 10

// WithThrottle returns s with its transfers limited by l: the bytes of
// Upload sources and Download readers are paced by a token bucket shared by
// all transfers in that direction (golang.org/x/time/rate: the reader
// sleeps until its bytes are due, no polling), and at most l.MaxTransfers
// uploads and downloads hold a slot at once. A download holds its slot until
// its reader is closed. Waiting for bandwidth or a slot ends with the
// caller's context. Test, List, Stat, Delete and Usage pass through: they
// move little and must not queue behind a long transfer.
//
// The limits hold for the returned value: wrap a destination once and share
// the result between its transfers.
func WithThrottle(s Storage, l Limits) (Location, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	t := &throttled{s: s}
	if l.UploadBytesPerSecond > 0 {
		t.up = newLimiter(l.UploadBytesPerSecond)
	}
	if l.DownloadBytesPerSecond > 0 {
		t.down = newLimiter(l.DownloadBytesPerSecond)
	}
	if l.MaxTransfers > 0 {
		t.slots = make(chan struct{}, l.MaxTransfers)
	}
	return t, nil
}

// waiter is what a paced reader needs of a limiter: rate.Limiter, or a
// counting fake in tests.
type waiter interface {
	WaitN(ctx context.Context, n int) error
	Burst() int
}

func newLimiter(bytesPerSecond int64) *rate.Limiter {
	// A burst of an eighth of a second's worth (at least minBurst) keeps
	// the pace even while reads stay of a natural size.
	burst := int(min(max(bytesPerSecond/8, minBurst), 1<<30))
	return rate.NewLimiter(rate.Limit(bytesPerSecond), burst)
}

type throttled struct {
	s        Storage
	up, down waiter
	// slots holds one token per transfer in progress; nil: no limit.
	slots chan struct{}
}

// Unwrap returns the storage inside.
func (t *throttled) Unwrap() Storage { return t.s }

// acquire takes a transfer slot, or fails when ctx ends first.
func (t *throttled) acquire(ctx context.Context, op, name string) (release func(), err error) {
	if t.slots == nil {
		return func() {}, nil
	}
	select {
	case t.slots <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-t.slots }) }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s %s: waiting for a free transfer slot (%d in use): %w", op, name, cap(t.slots), ctx.Err())
	}
}

func (t *throttled) Upload(ctx context.Context, cfg spec.Config, req UploadRequest, r io.Reader) (ObjectInfo, error) {
	release, err := t.acquire(ctx, "upload", req.Name)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer release()
	if t.up != nil {
		r = &pacedReader{ctx: ctx, r: r, w: t.up}
	}
	return t.s.Upload(ctx, cfg, req, r)
}

func (t *throttled) Download(ctx context.Context, cfg spec.Config, req DownloadRequest) (io.ReadCloser, error) {
	release, err := t.acquire(ctx, "download", req.Name)
	if err != nil {
		return nil, err
	}
	rc, err := t.s.Download(ctx, cfg, req)
	if err != nil {
		release()
		return nil, err
	}
	var r io.Reader = rc
	if t.down != nil {
		r = &pacedReader{ctx: ctx, r: rc, w: t.down}
	}
	return &slotReader{Reader: r, c: rc, release: release}, nil
}

// slotReader gives its transfer slot back when closed.
type slotReader struct {
	io.Reader
	c       io.Closer
	release func()
}

func (s *slotReader) Close() error {
	defer s.release()
	return s.c.Close()
}

// pacedReader reads from r no faster than its limiter allows. Each read is
// cut to the limiter's burst and its bytes are waited for after they
// arrive, so the waits add up to exactly the bytes delivered.
type pacedReader struct {
	ctx context.Context
	r   io.Reader
	w   waiter
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if len(b) > p.w.Burst() {
		b = b[:p.w.Burst()]
	}
	n, err := p.r.Read(b)
	if n > 0 {
		if werr := p.w.WaitN(p.ctx, n); werr != nil {
			// The caller gave up while waiting: the bytes read are dropped
			// with the transfer.
			if cerr := p.ctx.Err(); cerr != nil {
				return 0, cerr
			}
			return 0, fmt.Errorf("bandwidth limit: %w", werr)
		}
	}
	return n, err
}

func (t *throttled) Test(ctx context.Context, cfg spec.Config) (string, error) {
	return t.s.Test(ctx, cfg)
}

func (t *throttled) List(ctx context.Context, cfg spec.Config, prefix string, fn func(ObjectInfo) error) error {
	return t.s.List(ctx, cfg, prefix, fn)
}

func (t *throttled) Stat(ctx context.Context, cfg spec.Config, name string) (ObjectInfo, error) {
	return t.s.Stat(ctx, cfg, name)
}

func (t *throttled) Delete(ctx context.Context, cfg spec.Config, name string) error {
	return t.s.Delete(ctx, cfg, name)
}

func (t *throttled) Usage(ctx context.Context, cfg spec.Config) (Usage, error) {
	return usageOf(ctx, t.s, cfg)
}
