package storagetest

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// observer watches a plugin served in-process from its side of the boundary:
// how many bytes each upload has handed the implementation, when the
// implementation's calls return and with what error, and whether a download's
// reader was closed. The abort tests use it to act at a known point (the
// plugin holds data) and to check after the plugin finished (nothing appears
// late), instead of guessing with sleeps.
type observer struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	running  int           // calls in the implementation
	received map[string]int64
	uploaded map[string]error // the last Upload result per name
	closed   map[string]bool  // download readers closed, per name
	stall    map[string]int64 // downloads to hold after this many bytes
}

func newObserver() *observer {
	return &observer{
		changed: make(chan struct{}), received: map[string]int64{}, uploaded: map[string]error{},
		closed: map[string]bool{}, stall: map[string]int64{},
	}
}

// update changes the state under the lock and wakes every waiter.
func (o *observer) update(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f()
	close(o.changed)
	o.changed = make(chan struct{})
}

// waitFor blocks until cond holds (read under the lock) or d passes.
func (o *observer) waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	for {
		o.mu.Lock()
		ok, ch := cond(), o.changed
		o.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

func (o *observer) enter() { o.update(func() { o.running++ }) }
func (o *observer) leave() { o.update(func() { o.running-- }) }

// wrap returns impl seen through o. The result implements the optional
// interfaces impl implements, so the served description is unchanged; the
// Describe subtest compares it with the plugin's own to catch a new optional
// interface this function does not know yet.
func (o *observer) wrap(impl storage.Storage) storage.Storage {
	w := &watched{Storage: impl, o: o}
	u, usage := impl.(storage.UsageReporter)
	v, validates := impl.(spec.ConfigValidator)
	switch {
	case usage && validates:
		return struct {
			*watched
			storage.UsageReporter
			spec.ConfigValidator
		}{w, u, v}
	case usage:
		return struct {
			*watched
			storage.UsageReporter
		}{w, u}
	case validates:
		return struct {
			*watched
			spec.ConfigValidator
		}{w, v}
	}
	return w
}

// watched reports the calls that move bytes to its observer.
type watched struct {
	storage.Storage
	o *observer
}

func (w *watched) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	w.o.enter()
	defer w.o.leave()
	w.o.update(func() { delete(w.o.received, req.Name) })
	info, err := w.Storage.Upload(ctx, cfg, req, &countingReader{r: r, add: func(n int) {
		w.o.update(func() { w.o.received[req.Name] += int64(n) })
	}})
	w.o.update(func() { w.o.uploaded[req.Name] = err })
	return info, err
}

func (w *watched) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	w.o.enter()
	rc, err := w.Storage.Download(ctx, cfg, req)
	if err != nil {
		w.o.leave()
		return nil, err
	}
	w.o.update(func() { delete(w.o.closed, req.Name) })
	w.o.mu.Lock()
	after, stall := w.o.stall[req.Name]
	w.o.mu.Unlock()
	sr := &stallingReader{ReadCloser: rc, ctx: ctx, stall: stall, after: after}
	sr.onClose = func() {
		w.o.update(func() { w.o.closed[req.Name] = true })
		w.o.leave()
	}
	return sr, nil
}

type countingReader struct {
	r   io.Reader
	add func(int)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(n)
	}
	return n, err
}

// stallingReader passes a download through, and when stall is set holds it
// after `after` bytes until the call is cancelled, like a backend that went
// quiet: the cancellation must still end the caller's read at once.
type stallingReader struct {
	io.ReadCloser
	ctx     context.Context
	stall   bool
	after   int64
	n       int64
	once    sync.Once
	onClose func()
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.stall {
		if s.n >= s.after {
			<-s.ctx.Done()
			return 0, s.ctx.Err()
		}
		p = p[:min(int64(len(p)), s.after-s.n)]
	}
	n, err := s.ReadCloser.Read(p)
	s.n += int64(n)
	return n, err
}

func (s *stallingReader) Close() error {
	err := s.ReadCloser.Close()
	s.once.Do(s.onClose)
	return err
}
