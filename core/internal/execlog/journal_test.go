package execlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// newExecution opens a fresh state database holding one job and one pending
// backup of it, and returns the store and the execution's id.
func newExecution(t testing.TB) (*store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := st.Destinations().Create(ctx, store.ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.Jobs().Create(ctx, store.JobInput{Name: "nightly", SourceID: src.ID, AllDatabases: true, Compression: "zstd",
		Enabled: true, Destinations: []store.JobDestination{{DestinationID: dst.ID, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &job.ID})
	if err != nil {
		t.Fatal(err)
	}
	return st, ex.ID
}

// quick shortens the journal's timings so tests do not wait.
func quick(j *Journal) *Journal {
	j.flushEvery, j.blockFor = 5*time.Millisecond, 5*time.Millisecond
	return j
}

func storedLines(t *testing.T, st *store.Store, id int64) []store.LogLine {
	t.Helper()
	var all []store.LogLine
	for after := int64(0); ; {
		page, err := st.Executions().Logs(context.Background(), id, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
}

func TestJournalStoresLinesAndProgress(t *testing.T) {
	st, id := newExecution(t)
	j := quick(New(st.Executions(), nil))
	rec := j.For(id)
	rec.Log(Info, OriginCore, "starting")
	rec.Log(Debug, "database-sqlite", "sqlite3 .dump")
	rec.Log(Level("chatty"), "database-sqlite", "odd level")
	rec.Log(Error, OriginCore, strings.Repeat("é", MaxMessageBytes)) // cut at a character boundary
	dests := []DestinationProgress{{DestinationID: 1, Name: "a", BytesStored: 10, State: "uploading"}}
	rec.Progress(Progress{Stage: "dump", BytesRead: 100, BytesTotal: 1000, Destinations: dests})
	dests[0].BytesStored = 999 // the journal kept its own copy
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	rec.Log(Info, OriginCore, "after the end") // dropped, not stored

	lines := storedLines(t, st, id)
	if len(lines) != 4 {
		t.Fatalf("stored %d lines: %+v", len(lines), lines)
	}
	if lines[0].Message != "starting" || lines[1].Level != store.LogDebug || lines[1].Origin != "database-sqlite" ||
		lines[2].Level != store.LogWarn || lines[2].Message != `(level "chatty") odd level` {
		t.Fatalf("lines %+v", lines[:3])
	}
	if len(lines[3].Message) > MaxMessageBytes+20 || !strings.HasSuffix(lines[3].Message, "(cut)") || !strings.HasPrefix(lines[3].Message, "éé") {
		t.Fatalf("long line kept as %d bytes ending %q", len(lines[3].Message), lines[3].Message[len(lines[3].Message)-20:])
	}
	ex, err := st.Executions().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ex.BytesDone != 100 || ex.BytesTotal != 1000 || ex.Stage != "dump" {
		t.Fatalf("summary %+v", ex)
	}
	doc, _ := st.Executions().ProgressOf(context.Background(), id)
	var p Progress
	if err := json.Unmarshal(doc, &p); err != nil || len(p.Destinations) != 1 || p.Destinations[0].BytesStored != 10 {
		t.Fatalf("progress %s (%v)", doc, err)
	}
	if j.Recording(id) || len(j.runs) != 0 {
		t.Fatalf("journal still holds the run after Finish")
	}
}

// countingSink counts the writes reaching the store and can hold them, the
// way a busy disk would.
type countingSink struct {
	*store.Executions
	progressWrites atomic.Int64
	gate           chan struct{} // when not nil, AppendLogs waits for it to close
}

func (c *countingSink) AppendLogs(ctx context.Context, id int64, lines []store.LogLine) error {
	if c.gate != nil {
		<-c.gate
	}
	return c.Executions.AppendLogs(ctx, id, lines)
}

func (c *countingSink) SaveProgress(ctx context.Context, id, done, total int64, stage string, doc json.RawMessage) error {
	c.progressWrites.Add(1)
	return c.Executions.SaveProgress(ctx, id, done, total, stage, doc)
}

func TestJournalCoalescesProgress(t *testing.T) {
	st, id := newExecution(t)
	sink := &countingSink{Executions: st.Executions()}
	j := quick(New(sink, nil))
	j.persistEvery = time.Hour
	rec := j.For(id)
	for i := int64(1); i <= 10000; i++ {
		rec.Progress(Progress{Stage: "upload", BytesRead: i})
	}
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	// At most the first persist and the final one.
	if n := sink.progressWrites.Load(); n < 1 || n > 2 {
		t.Fatalf("%d progress writes for 10000 updates", n)
	}
	ex, _ := st.Executions().Get(context.Background(), id)
	if ex.BytesDone != 10000 {
		t.Fatalf("last progress stored %d", ex.BytesDone)
	}
}

func TestJournalBoundedWhenTheStoreStalls(t *testing.T) {
	st, id := newExecution(t)
	sink := &countingSink{Executions: st.Executions(), gate: make(chan struct{})}
	j := quick(New(sink, nil))
	j.pendingLines = 100
	rec := j.For(id)
	// The writer takes the first line and then waits on the store: all
	// further lines stay in the bounded buffer.
	rec.Log(Info, OriginCore, "first")
	time.Sleep(50 * time.Millisecond)
	const debugLines = 5000
	infoLines := 0
	for i := range debugLines {
		rec.Log(Debug, OriginCore, fmt.Sprintf("debug %d", i))
		if i%83 == 0 {
			rec.Log(Info, OriginCore, fmt.Sprintf("info %d", i))
			infoLines++
		}
	}
	j.runs[id].mu.Lock()
	held := len(j.runs[id].pending)
	j.runs[id].mu.Unlock()
	if held > j.pendingLines {
		t.Fatalf("%d lines held, bound %d", held, j.pendingLines)
	}
	close(sink.gate)
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	var infos, debugs, dropped int
	for _, l := range storedLines(t, st, id) {
		switch {
		case l.Level == store.LogInfo:
			infos++
		case l.Level == store.LogDebug:
			debugs++
		case l.Level == store.LogWarn && strings.Contains(l.Message, "debug lines were dropped"):
			var n int
			fmt.Sscanf(l.Message, "%d debug lines", &n)
			dropped += n
		}
	}
	if infos != infoLines+1 {
		t.Errorf("%d info lines stored, want %d: the buffer dropped lines that matter while debug lines were there", infos, infoLines+1)
	}
	if dropped == 0 || debugs+dropped != debugLines {
		t.Errorf("%d debug lines stored, %d reported dropped; want a sum of %d", debugs, dropped, debugLines)
	}
}

// follow reads execution id's log the way Subscribe documents: subscribe,
// read the store after the last line shown, then take events, skipping
// lines already shown and re-reading the store on a gap. It returns every
// message in the order shown.
func follow(t *testing.T, j *Journal, st *store.Store, id int64, started chan<- struct{}) []string {
	events, cancel := j.Subscribe(id)
	defer cancel()
	var shown []string
	var last int64
	show := func(lines []store.LogLine) {
		for _, l := range lines {
			if l.ID > last {
				shown, last = append(shown, l.Message), l.ID
			}
		}
	}
	replay := func() {
		for {
			page, err := st.Executions().Logs(context.Background(), id, last, 7) // small pages on purpose
			if err != nil {
				t.Error(err)
				return
			}
			if len(page) == 0 {
				return
			}
			show(page)
		}
	}
	replay()
	close(started)
	for ev := range events {
		switch ev.Kind {
		case EventLog:
			show(ev.Lines)
		case EventGap:
			replay()
		case EventEnd:
			replay()
		}
	}
	return shown
}

func TestSubscribersSeeEveryLineOnce(t *testing.T) {
	st, id := newExecution(t)
	j := quick(New(st.Executions(), nil))
	j.batchLines = 3
	j.subscriberCap = 2 // readers fall behind: gaps are part of the test
	rec := j.For(id)
	const total = 3000
	var wg sync.WaitGroup
	results := make([][]string, 4)
	written := make(chan int, 1)
	go func() {
		for i := range total {
			rec.Log(Info, OriginCore, fmt.Sprintf("line %d", i))
			if i%500 == 0 {
				time.Sleep(2 * time.Millisecond) // let readers join at different points
			}
		}
		written <- total
	}()
	for r := range results {
		started := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[r] = follow(t, j, st, id, started)
		}()
		<-started
		time.Sleep(time.Duration(r) * 3 * time.Millisecond)
	}
	<-written
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for r, got := range results {
		if len(got) != total {
			t.Fatalf("reader %d saw %d lines, want %d", r, len(got), total)
		}
		for i, m := range got {
			if m != fmt.Sprintf("line %d", i) {
				t.Fatalf("reader %d: line %d is %q", r, i, m)
			}
		}
	}
	if n := j.Subscribers(id); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
}

func TestSlowSubscriberIsBounded(t *testing.T) {
	st, id := newExecution(t)
	j := quick(New(st.Executions(), nil))
	j.batchLines, j.subscriberCap = 1, 4
	events, cancel := j.Subscribe(id) // subscribed before the run records
	defer cancel()
	rec := j.For(id)
	for i := range 500 {
		rec.Log(Info, OriginCore, fmt.Sprintf("line %d", i))
		rec.Progress(Progress{Stage: "dump", BytesRead: int64(i)})
		if i%25 == 24 {
			// Wait for the batch to be stored, so that 20 batches at
			// least are published while the reader does not read.
			for len(storedLines(t, st, id)) < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	var logs, gaps, progresses int
	var lastProgress *Progress
	var ended bool
	for ev := range events {
		switch ev.Kind {
		case EventLog:
			logs++
		case EventGap:
			gaps++
		case EventProgress:
			progresses++
			lastProgress = ev.Progress
		case EventEnd:
			ended = true
		}
	}
	// The reader took nothing until the end: at most the bounded queue (and
	// the one event the forwarding goroutine may already hold, waiting for
	// the reader, when the queue filled), one gap standing for every line
	// not pushed, and one latest progress.
	if !ended || logs > j.subscriberCap+1 || gaps != 1 || progresses > 2 || lastProgress == nil || lastProgress.BytesRead != 499 {
		t.Fatalf("ended %v, %d log events, %d gaps, %d progress events, last %+v", ended, logs, gaps, progresses, lastProgress)
	}
}

func TestCancelReleasesTheSubscription(t *testing.T) {
	st, id := newExecution(t)
	j := quick(New(st.Executions(), nil))
	_, cancel := j.Subscribe(id)
	if j.Subscribers(id) != 1 {
		t.Fatal("not subscribed")
	}
	cancel()
	cancel() // twice is fine
	if j.Subscribers(id) != 0 || len(j.runs) != 0 {
		t.Fatalf("subscription kept after cancel")
	}
}

// A For racing a Finish of the same execution (a cleanup that logs while
// the run's own recorder ends) neither mixes their writers' channels nor
// leaves a Finish waiting forever.
func TestForRacingFinish(t *testing.T) {
	st, id := newExecution(t)
	j := quick(New(st.Executions(), nil))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			j.For(id).Log(Info, OriginCore, fmt.Sprintf("line %d", i))
			// A few lines per Finish, not a flood the store cannot keep up with.
			time.Sleep(time.Millisecond)
		}
	})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for range 50 {
			j.Finish(id)
		}
	}()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatal("Finish did not return")
	}
	close(stop)
	wg.Wait()
	if err := j.Finish(id); err != nil {
		t.Fatal(err)
	}
	if j.Recording(id) {
		t.Error("still recording after the last Finish")
	}
}
