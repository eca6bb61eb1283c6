package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// errNoDestinationLeft stops a dump whose every upload failed.
var errNoDestinationLeft = errors.New("every destination failed")

// errFanoutEnded is what a write after abort or finish gets: the
// compressor's goroutines may flush blocks after the object was ended.
var errFanoutEnded = errors.New("the upload of this object has ended")

// fanout writes one object to every live destination at once. Each
// destination's plugin Upload reads from its own pipe; a write hands the
// same buffer to every pipe concurrently and returns when all have taken
// it, so the slowest destination sets the pace (back-pressure) and the core
// holds no copy: its memory is the chain's buffers, whatever the size.
// A destination whose upload fails stops receiving; the others go on.
type fanout struct {
	r     *run
	name  string
	sinks []*sink
	// stopDump ends the dump when every upload has failed by itself.
	stopDump context.CancelCauseFunc
	// finishing is set when finish or abort starts ending the uploads: an
	// upload failing after that failed because it was told to.
	finishing atomic.Bool
	// aborted is set by abort before it closes the pipes: a write then
	// fails at once, and one in progress ignores the errors the closed
	// pipes give it (they are not the destinations' own).
	aborted atomic.Bool
	// dead counts the uploads that failed by themselves.
	dead atomic.Int32

	// mu is held by write for all of its work and by finish while it ends
	// the sinks: the compressor's own goroutine may still flush into write
	// after the object was aborted, and must find the fan-out ended rather
	// than send on a closed channel.
	mu sync.Mutex
	// ended: finish closed the sinks' channels; every later write fails.
	ended bool
}

// sink is one destination's upload of the object.
type sink struct {
	dest   *destination
	pw     *io.PipeWriter
	cancel context.CancelFunc
	// in hands a buffer to the writer goroutine; ack answers when the
	// upload has taken all of it.
	in   chan []byte
	ack  chan error
	done chan struct{}
	// result receives the Upload's outcome once.
	result chan uploadResult
	failed error
	// own: the upload failed by itself, before finish ended it. Written
	// by the upload goroutine before it sends the result.
	own bool
}

// uploadResult is what one destination's Upload returned.
type uploadResult struct {
	dest *destination
	info storage.ObjectInfo
	err  error
	// own: the upload failed by itself, before the object was ended.
	own bool
}

// openFanout starts the upload of name on every live destination.
//
// Every sink exists before any upload starts: an upload that fails at once
// (wrong credentials) counts the dead against the number of sinks, and must
// not see a list still growing, where it would be the last one standing.
func (r *run) openFanout(name string, stopDump context.CancelCauseFunc) *fanout {
	f := &fanout{r: r, name: name, stopDump: stopDump}
	for _, d := range r.live() {
		f.sinks = append(f.sinks, &sink{dest: d, in: make(chan []byte), ack: make(chan error),
			done: make(chan struct{}), result: make(chan uploadResult, 1)})
	}
	for _, s := range f.sinks {
		f.start(s)
		r.updateProgress(true, func(p *execlog.Progress) { p.Destinations[s.dest.index].State = "uploading" })
	}
	return f
}

// start runs s's plugin Upload, reading from a pipe, and the goroutine
// that feeds the pipe what write hands it.
func (f *fanout) start(s *sink) {
	d := s.dest
	ctx, cancel := context.WithCancel(f.r.ctx)
	pr, pw := io.Pipe()
	s.pw, s.cancel = pw, cancel
	total := len(f.sinks)
	go func() {
		info, err := d.client.Upload(ctx, d.conn.Config, storage.UploadRequest{Name: f.name, SizeHint: -1}, pr)
		if err != nil {
			// Decided before the pipe is closed, so that a write which
			// sees this failure finds the dump already stopped.
			if !f.finishing.Load() {
				s.own = true
				// The last one to fail stops the dump: writes would
				// fail anyway, but a dump that is not writing (waiting
				// for a lock) would wait forever for nobody.
				if int(f.dead.Add(1)) == total {
					f.stopDump(fmt.Errorf("%w: %v", errNoDestinationLeft, err))
				}
			}
			// Whatever the plugin did, writers must not block on a pipe
			// nobody reads any more.
			pr.CloseWithError(err)
		} else {
			pr.Close()
		}
		s.result <- uploadResult{dest: d, info: info, err: err}
	}()
	go func() {
		defer close(s.done)
		for p := range s.in {
			_, err := pw.Write(p)
			s.ack <- err
		}
	}()
}

// write hands p to every destination still receiving and waits until each
// has taken it. It fails when no destination is left, and once the
// fan-out was aborted or finished.
//
// A write in progress when abort begins returns soon: abort closes every
// pipe, so each feeding goroutine's pipe write returns and it acknowledges.
// It still waits for every acknowledgement, because until then a goroutine
// may be reading p, which the caller reuses as soon as write returns.
func (f *fanout) write(p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended || f.aborted.Load() {
		return errFanoutEnded
	}
	var sent []*sink
	for _, s := range f.sinks {
		if s.failed == nil {
			s.in <- p
			sent = append(sent, s)
		}
	}
	acks := make([]error, len(sent))
	for i, s := range sent {
		acks[i] = <-s.ack
	}
	if f.aborted.Load() {
		// The pipes were closed under this write: their errors say so,
		// not why any destination failed.
		return errFanoutEnded
	}
	ok := 0
	for i, s := range sent {
		if err := acks[i]; err != nil {
			// The upload goroutine closed the pipe with the plugin's
			// error: this destination stops here; finish reports why.
			s.failed = err
			s.cancel()
			continue
		}
		ok++
	}
	if ok == 0 {
		return errNoDestinationLeft
	}
	f.r.updateProgress(false, func(pr *execlog.Progress) {
		for _, s := range sent {
			if s.failed == nil {
				pr.Destinations[s.dest.index].BytesStored += int64(len(p))
			}
		}
	})
	return nil
}

// abort ends every upload with cause, at once, so that each plugin discards
// the partial object: it closes the pipes, which also frees a write blocked
// on a slow destination. Every later write fails. finish must still be
// called to collect the outcomes.
func (f *fanout) abort(cause error) {
	f.finishing.Store(true)
	f.aborted.Store(true)
	for _, s := range f.sinks {
		s.pw.CloseWithError(cause)
	}
}

// finish ends every upload: cleanly when cause is nil (the plugin sees the
// end of the object and commits it), else with cause (the plugin discards
// the partial object). It returns each destination's outcome.
func (f *fanout) finish(cause error) []uploadResult {
	f.finishing.Store(true)
	if cause != nil {
		f.abort(cause)
	}
	f.mu.Lock()
	f.ended = true
	for _, s := range f.sinks {
		close(s.in)
		<-s.done
		if cause == nil && s.failed == nil {
			s.pw.Close()
		} else {
			c := cause
			if c == nil {
				c = s.failed
			}
			s.pw.CloseWithError(c)
		}
	}
	f.mu.Unlock()
	out := make([]uploadResult, 0, len(f.sinks))
	for _, s := range f.sinks {
		res := <-s.result
		s.cancel()
		if s.failed != nil || s.own {
			res.own = true
			if res.err == nil {
				res.err = s.failed
			}
		}
		out = append(out, res)
	}
	return out
}
