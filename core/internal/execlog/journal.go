package execlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Sink is where the journal stores what it records; *store.Executions is
// the one the core uses.
type Sink interface {
	// AppendLogs stores lines in one transaction and fills in their ids.
	AppendLogs(ctx context.Context, id int64, lines []store.LogLine) error
	// SaveProgress stores the run's progress summary and document.
	SaveProgress(ctx context.Context, id, done, total int64, stage string, progress json.RawMessage) error
}

// Limits of the journal. They bound memory per recording execution and per
// subscriber whatever a run or a plugin writes.
const (
	// MaxMessageBytes is the longest message kept; longer ones are cut.
	MaxMessageBytes = 16 << 10
	// maxPendingLines and maxPendingBytes bound the lines waiting to be
	// stored for one execution.
	maxPendingLines = 4096
	maxPendingBytes = 4 << 20
)

// Journal records executions' logs and progress. One Journal serves the
// whole core; it is safe for concurrent use.
type Journal struct {
	sink Sink
	log  hclog.Logger

	// Tunables, fixed by New; tests shorten them.
	flushEvery    time.Duration // longest a line waits before it is stored
	persistEvery  time.Duration // progress is stored at most this often
	batchLines    int           // a batch this long is stored at once
	blockFor      time.Duration // longest Log waits for room before dropping
	writeTimeout  time.Duration // one database write
	subscriberCap int           // log events queued per subscriber
	pendingLines  int
	pendingBytes  int

	mu     sync.Mutex
	runs   map[int64]*run
	closed bool
}

// New returns a journal storing into sink and reporting its own failures
// (a batch the database refused) to logger.
func New(sink Sink, logger hclog.Logger) *Journal {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Journal{
		sink: sink, log: logger,
		flushEvery: 250 * time.Millisecond, persistEvery: time.Second, batchLines: 256,
		blockFor: 100 * time.Millisecond, writeTimeout: 30 * time.Second, subscriberCap: 256,
		pendingLines: maxPendingLines, pendingBytes: maxPendingBytes,
		runs: map[int64]*run{},
	}
}

// run is the journal's state for one execution: its recorder's buffer and
// its live subscribers. It exists while one of them does.
type run struct {
	j  *Journal
	id int64

	mu            sync.Mutex
	recording     bool // between For and Finish
	warnedLate    bool // a line after Finish was reported once
	pending       []store.LogLine
	pendingBytes  int
	droppedDebug  int
	droppedOther  int
	progress      *Progress // latest, shared read-only once set
	progressDirty bool
	lastPersist   time.Time
	room          chan struct{} // closed when the writer takes the pending lines
	subs          map[*subscriber]struct{}

	wake    chan struct{} // capacity 1: a full batch is waiting
	stop    chan struct{} // closed by Finish
	stopped chan struct{} // closed by the writer when it has stored everything
	err     error         // the final flush's error, read after stopped
}

// runLocked returns the run of id, creating it. j.mu is held.
func (j *Journal) runLocked(id int64) *run {
	r := j.runs[id]
	if r == nil {
		r = &run{j: j, id: id, subs: map[*subscriber]struct{}{}}
		j.runs[id] = r
	}
	return r
}

// For returns the recorder of execution id and starts storing what it
// records. Calling For again before Finish returns a recorder of the same
// run. The caller must call Finish when the run ends.
func (j *Journal) For(executionID int64) Recorder {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.runLocked(executionID)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.recording && !j.closed {
		r.recording = true
		r.room = make(chan struct{})
		r.wake = make(chan struct{}, 1)
		r.stop = make(chan struct{})
		r.stopped = make(chan struct{})
		r.err = nil
		// The writer gets its own channels: a For after a Finish makes new
		// ones, which must not be the old writer's.
		go r.write(r.wake, r.stop, r.stopped)
	}
	return recorder{r}
}

// Finish stores every line and the last progress of execution id, tells its
// subscribers (EventEnd) and stops recording it; what its Recorder records
// afterwards is dropped. The engine calls it when a run ends, before it
// records the run's final status, so that a reader seeing the final status
// finds the whole log stored. It waits for the last write (bounded by the
// write timeout) and returns its error; finishing an execution that is not
// recording is a no-op.
func (j *Journal) Finish(executionID int64) error {
	j.mu.Lock()
	r := j.runs[executionID]
	j.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	if !r.recording {
		r.mu.Unlock()
		return nil
	}
	r.recording = false
	close(r.stop)
	stopped := r.stopped
	r.mu.Unlock()
	<-stopped

	r.mu.Lock()
	err := r.err
	if r.recording {
		// A For started recording again meanwhile: its subscribers and
		// its writer are that recording's.
		r.mu.Unlock()
		return err
	}
	for s := range r.subs {
		s.end()
	}
	r.subs = map[*subscriber]struct{}{}
	r.mu.Unlock()
	j.forget(r)
	return err
}

// Close finishes every execution still recording (at shutdown) and refuses
// new recorders; the errors of their last writes are joined.
func (j *Journal) Close() error {
	j.mu.Lock()
	j.closed = true
	ids := make([]int64, 0, len(j.runs))
	for id := range j.runs {
		ids = append(ids, id)
	}
	j.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, j.Finish(id))
	}
	return errors.Join(errs...)
}

// Recording reports whether execution id has a recorder that has not
// finished, so a reader that sees a final status can wait for EventEnd.
func (j *Journal) Recording(executionID int64) bool {
	j.mu.Lock()
	r := j.runs[executionID]
	j.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recording
}

// Subscribers counts the live subscribers of execution id.
func (j *Journal) Subscribers(executionID int64) int {
	j.mu.Lock()
	r := j.runs[executionID]
	j.mu.Unlock()
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.subs)
}

// Subscribe streams what execution id records from now on: log lines once
// stored (with their ids), progress, and EventEnd when the run finishes,
// after which the channel is closed. It may be called before the run starts
// recording. To read a log without missing or repeating a line, subscribe
// first, then read the stored lines after the last id already shown
// (store.Executions.Logs), then take events, skipping lines whose id is not
// above the last shown, and re-reading the store on EventGap. The latest
// progress, if any, is sent first. cancel must be called when done
// reading; it releases the subscription and may be called more than once.
func (j *Journal) Subscribe(executionID int64) (events <-chan Event, cancel func()) {
	s := newSubscriber(j.subscriberCap)
	j.mu.Lock()
	r := j.runLocked(executionID)
	r.mu.Lock()
	r.subs[s] = struct{}{}
	if r.progress != nil {
		s.pushProgress(r.progress)
	}
	r.mu.Unlock()
	j.mu.Unlock()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			close(s.done)
			r.mu.Lock()
			delete(r.subs, s)
			r.mu.Unlock()
			j.forget(r)
		})
	}
}

// forget drops r from the journal once nothing uses it.
func (j *Journal) forget(r *run) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.recording && len(r.subs) == 0 && j.runs[r.id] == r {
		delete(j.runs, r.id)
	}
}

// recorder is the Recorder of one run.
type recorder struct{ r *run }

func (rc recorder) Log(level Level, origin, message string) { rc.r.log(level, origin, message) }
func (rc recorder) Progress(p Progress)                     { rc.r.setProgress(p) }

func (r *run) log(level Level, origin, message string) {
	line := store.LogLine{At: time.Now().UTC(), Level: store.LogLevel(level), Origin: origin, Message: cut(message)}
	switch level {
	case Debug, Info, Warn, Error:
	default:
		// Unknown levels would make the whole batch fail the schema's CHECK.
		line.Level, line.Message = store.LogWarn, fmt.Sprintf("(level %q) %s", level, line.Message)
	}
	size := len(line.Message) + len(line.Origin)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.recording {
		if !r.warnedLate {
			r.warnedLate = true
			r.j.log.Warn("log lines after the execution finished are dropped", "execution", r.id)
		}
		return
	}
	for r.full(size) {
		if level == Debug {
			r.droppedDebug++
			return
		}
		if i := slices.IndexFunc(r.pending, func(l store.LogLine) bool { return l.Level == store.LogDebug }); i >= 0 {
			r.pendingBytes -= len(r.pending[i].Message) + len(r.pending[i].Origin)
			r.pending = slices.Delete(r.pending, i, i+1)
			r.droppedDebug++
			continue
		}
		// Only lines that matter are waiting: give the writer a moment,
		// never more, and drop the line if it still has not made room.
		room := r.room
		r.mu.Unlock()
		t := time.NewTimer(r.j.blockFor)
		select {
		case <-room:
		case <-t.C:
		}
		t.Stop()
		r.mu.Lock()
		if !r.recording {
			return
		}
		if r.full(size) && room == r.room {
			r.droppedOther++
			return
		}
	}
	r.pending = append(r.pending, line)
	r.pendingBytes += size
	if len(r.pending) >= r.j.batchLines {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

func (r *run) full(size int) bool {
	return len(r.pending) >= r.j.pendingLines || r.pendingBytes+size > r.j.pendingBytes
}

// cut bounds a message, at a character boundary.
func cut(s string) string {
	if len(s) <= MaxMessageBytes {
		return s
	}
	n := MaxMessageBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " … (cut)"
}

func (r *run) setProgress(p Progress) {
	p.Destinations = slices.Clone(p.Destinations) // the caller may reuse its slice
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.recording {
		return
	}
	r.progress, r.progressDirty = &p, true
	for s := range r.subs {
		s.pushProgress(&p)
	}
}

// write is the run's writer: it stores batches until Finish, then stores
// the rest.
func (r *run) write(wake, stop <-chan struct{}, stopped chan<- struct{}) {
	t := time.NewTicker(r.j.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-wake:
		case <-t.C:
		case <-stop:
			err := r.flush(true)
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
			close(stopped)
			return
		}
		r.flush(false)
	}
}

// flush stores the pending lines and, when due (or final), the progress,
// then publishes the stored lines. A failed batch is put back to be tried
// again, unless final or refused for good (the execution is gone).
func (r *run) flush(final bool) error {
	r.mu.Lock()
	lines := r.pending
	r.pending, r.pendingBytes = nil, 0
	close(r.room)
	r.room = make(chan struct{})
	droppedDebug, droppedOther := r.droppedDebug, r.droppedOther
	r.droppedDebug, r.droppedOther = 0, 0
	var progress *Progress
	if r.progressDirty && (final || time.Since(r.lastPersist) >= r.j.persistEvery) {
		progress, r.progressDirty, r.lastPersist = r.progress, false, time.Now()
	}
	r.mu.Unlock()

	if droppedDebug+droppedOther > 0 {
		lines = append([]store.LogLine{{At: time.Now().UTC(), Level: store.LogWarn, Origin: OriginCore,
			Message: droppedMessage(droppedDebug, droppedOther)}}, lines...)
	}
	var errs []error
	if len(lines) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), r.j.writeTimeout)
		err := r.j.sink.AppendLogs(ctx, r.id, lines)
		cancel()
		if err != nil {
			r.j.log.Error("execution log lines not stored", "execution", r.id, "lines", len(lines), "error", err)
			if !final && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid) {
				r.putBack(lines)
			}
			errs = append(errs, fmt.Errorf("store %d log lines of execution %d: %w", len(lines), r.id, err))
		} else {
			r.publish(lines)
		}
	}
	if progress != nil {
		if err := r.persist(progress); err != nil {
			r.j.log.Error("execution progress not stored", "execution", r.id, "error", err)
			r.mu.Lock()
			r.progressDirty = r.progressDirty || !final
			r.mu.Unlock()
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func droppedMessage(debug, other int) string {
	if other == 0 {
		return fmt.Sprintf("%d debug lines were dropped: the run logged faster than they could be stored", debug)
	}
	return fmt.Sprintf("%d lines (%d of them debug) were dropped: the run logged faster than they could be stored", debug+other, debug)
}

// putBack returns a failed batch to the front of the buffer. The buffer may
// then exceed its bound by one batch; Log drops debug lines until it is back.
func (r *run) putBack(lines []store.LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range lines {
		r.pendingBytes += len(l.Message) + len(l.Origin)
	}
	r.pending = append(lines, r.pending...)
}

func (r *run) persist(p *Progress) error {
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("progress of execution %d: %w", r.id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.j.writeTimeout)
	defer cancel()
	return r.j.sink.SaveProgress(ctx, r.id, p.BytesRead, p.BytesTotal, p.Stage, doc)
}

func (r *run) publish(lines []store.LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.subs {
		s.pushLines(lines)
	}
}
