package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/executions"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// testRunner stands in for the engine: it records through the journal as
// the engine does (a line and a progress every few milliseconds) until it
// is released (success) or cancelled, then finishes the journal and the
// run, in that order.
type testRunner struct {
	j       *execlog.Journal
	st      *store.Store
	release chan struct{}
	started chan int64
	mu      sync.Mutex
	written map[int64]int // lines logged per run
}

func (r *testRunner) Run(ctx context.Context, ex store.Execution) {
	rec := r.j.For(ex.ID)
	r.started <- ex.ID
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	status, errText := store.StatusSuccess, ""
	n := 0
loop:
	for {
		select {
		case <-ctx.Done():
			status, errText = store.StatusCancelled, context.Cause(ctx).Error()
			break loop
		case <-r.release:
			break loop
		case <-tick.C:
			rec.Log(execlog.Info, execlog.OriginCore, fmt.Sprintf("line %d", n))
			n++
			rec.Progress(execlog.Progress{Stage: "upload", Database: "shop", DatabaseIndex: 1, DatabaseCount: 1,
				BytesRead: int64(n) * 100, BytesTotal: 1 << 20,
				Destinations: []execlog.DestinationProgress{{DestinationID: 1, Name: "local", BytesStored: int64(n) * 50, State: "uploading"}}})
		}
	}
	rec.Log(execlog.Info, execlog.OriginCore, "finished "+string(status))
	n++
	r.mu.Lock()
	r.written[ex.ID] = n
	r.mu.Unlock()
	if err := r.j.Finish(ex.ID); err != nil {
		panic(err)
	}
	if err := r.st.Executions().Finish(context.Background(), ex.ID, status, errText); err != nil {
		panic(err)
	}
}

func (r *testRunner) CleanupInterrupted(context.Context, int64) error { return nil }

// execEnv is the API over a fresh state database, real accounts, the real
// queue and journal, served on 127.0.0.1.
type execEnv struct {
	t       *testing.T
	app     *fiber.App
	base    string
	st      *store.Store
	journal *execlog.Journal
	runner  *testRunner
	session *testCreds
	jobA    int64
	jobB    int64
}

// testClient bounds every exchange, streams included, so a stream that
// never ends fails the test instead of hanging it.
var testClient = &http.Client{Timeout: time.Minute}

type testCreds struct {
	key    string
	cookie *http.Cookie
	csrf   string
}

const testPassword = "a long enough password"

func newExecEnv(t *testing.T) *execEnv {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	accounts, err := auth.New(ctx, auth.Options{Store: st, PasswordParams: &auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	journal := execlog.New(st.Executions(), nil)
	runner := &testRunner{j: journal, st: st, release: make(chan struct{}), started: make(chan int64, 16), written: map[int64]int{}}
	q := queue.New(queue.Options{Store: st, Runner: runner, PollInterval: 20 * time.Millisecond})
	qctx, stopQueue := context.WithCancel(ctx)
	queueDone := make(chan error, 1)
	go func() { queueDone <- q.Run(qctx) }()

	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler})
	New(Deps{Auth: accounts, Accounts: accounts, Audit: st.Audit(), Executions: executions.New(st, q, journal)}).Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	t.Cleanup(func() {
		app.ShutdownWithTimeout(5 * time.Second)
		select {
		case <-runner.release:
		default:
			close(runner.release)
		}
		stopQueue()
		<-queueDone
		journal.Close()
		st.Close()
	})

	e := &execEnv{t: t, app: app, base: "http://" + ln.Addr().String() + Prefix, st: st, journal: journal, runner: runner}
	e.must(nil, 201, "POST", "/auth/setup", map[string]string{"username": "admin", "password": testPassword}, nil)
	e.session = e.login()
	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := st.Destinations().Create(ctx, store.ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []*int64{&e.jobA, &e.jobB} {
		job, err := st.Jobs().Create(ctx, store.JobInput{Name: fmt.Sprintf("job %d", i), SourceID: src.ID, AllDatabases: true,
			Compression: "zstd", Enabled: i == 0, // job B is disabled: it still runs on request
			Destinations: []store.JobDestination{{DestinationID: dst.ID, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
		if err != nil {
			t.Fatal(err)
		}
		*p = job.ID
	}
	return e
}

func (e *execEnv) do(c *testCreds, method, path string, body any, header http.Header) *http.Response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c != nil {
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		if c.cookie != nil {
			req.AddCookie(c.cookie)
			req.Header.Set(auth.CSRFHeader, c.csrf)
		}
	}
	resp, err := testClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

type testEnvelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *Error          `json:"error"`
}

func (e *execEnv) must(c *testCreds, want int, method, path string, body, out any) testEnvelope {
	e.t.Helper()
	resp := e.do(c, method, path, body, nil)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	var env testEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			e.t.Fatalf("%s %s data: %v: %s", method, path, err, raw)
		}
	}
	return env
}

func (e *execEnv) login() *testCreds {
	e.t.Helper()
	resp := e.do(nil, "POST", "/auth/login", map[string]string{"username": "admin", "password": testPassword}, nil)
	defer resp.Body.Close()
	var env struct {
		Data struct {
			CSRFToken string `json:"csrfToken"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.SessionCookie {
			return &testCreds{cookie: ck, csrf: env.Data.CSRFToken}
		}
	}
	e.t.Fatal("no session cookie")
	return nil
}

// apiKey creates a key holding perms and returns its id and credentials.
func (e *execEnv) apiKey(perms ...auth.Permission) (int64, *testCreds) {
	e.t.Helper()
	var k struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	e.must(e.session, 201, "POST", "/api-keys", map[string]any{"name": "script", "permissions": perms}, &k)
	return k.ID, &testCreds{key: k.Token}
}

// waitStatus polls run id until its status is want.
func (e *execEnv) waitStatus(id int64, want store.ExecutionStatus) executions.Execution {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ex executions.Execution
		e.must(e.session, 200, "GET", fmt.Sprintf("/executions/%d", id), nil, &ex)
		if ex.Status == want {
			return ex
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("execution %d is %s, want %s", id, ex.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunJobAndAlreadyQueued(t *testing.T) {
	e := newExecEnv(t)
	var first executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &first)
	if first.Trigger != store.TriggerManual || first.UserID == nil || first.APIKeyID != nil || first.JobName != "job 0" || first.Type != store.TypeBackup {
		t.Fatalf("run by a session: %+v", first)
	}
	<-e.runner.started

	// A second trigger names the run already queued, and carries it.
	env := e.must(e.session, 409, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, nil)
	var queued executions.Execution
	if err := json.Unmarshal(env.Data, &queued); err != nil || queued.ID != first.ID {
		t.Fatalf("409 data %s (%v), want execution %d", env.Data, err, first.ID)
	}
	if env.Error.Code != CodeAlreadyQueued || !strings.Contains(env.Error.Message, fmt.Sprintf("execution %d", first.ID)) {
		t.Fatalf("409 error %+v", env.Error)
	}

	// An API key's run of the disabled job: trigger api, queued behind.
	keyID, key := e.apiKey(auth.JobsExecute, auth.JobsRead)
	var second executions.Execution
	e.must(key, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobB), nil, &second)
	if second.Trigger != store.TriggerAPI || second.APIKeyID == nil || *second.APIKeyID != keyID || second.Status != store.StatusPending {
		t.Fatalf("run by an API key: %+v", second)
	}
	e.must(e.session, 404, "POST", "/jobs/999/run", nil, nil)
	if env := e.must(e.session, 400, "POST", "/jobs/x/run", nil, nil); env.Error.Fields[0].Field != "id" {
		t.Fatalf("bad id: %+v", env.Error)
	}

	close(e.runner.release)
	done := e.waitStatus(first.ID, store.StatusSuccess)
	if done.DurationMs == nil || done.StartedAt == nil || done.FinishedAt == nil || done.Progress == nil ||
		done.Progress.Stage != "upload" || len(done.Progress.Destinations) != 1 || done.BytesDone != done.Progress.BytesRead {
		t.Fatalf("finished run %+v, progress %+v", done, done.Progress)
	}
	e.waitStatus(second.ID, store.StatusSuccess)

	entries, _, err := e.st.Audit().List(context.Background(), store.AuditFilter{Action: "jobs.run"}, store.Page{})
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit jobs.run: %d entries, %v", len(entries), err)
	}
}

func TestListExecutionsFilters(t *testing.T) {
	e := newExecEnv(t)
	var a, b executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobB), nil, &b)
	<-e.runner.started // a runs, b waits (one run at a time by default)

	list := func(query string) []int64 {
		t.Helper()
		var page Paged[executions.Execution]
		e.must(e.session, 200, "GET", "/executions"+query, nil, &page)
		var ids []int64
		for _, ex := range page.Items {
			ids = append(ids, ex.ID)
		}
		if page.Total != len(ids) {
			t.Fatalf("%s: total %d for %d items", query, page.Total, len(ids))
		}
		return ids
	}
	same := func(query string, want ...int64) {
		t.Helper()
		got := list(query)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %v, want %v", query, got, want)
		}
	}
	same("", b.ID, a.ID)
	same(fmt.Sprintf("?jobId=%d", e.jobA), a.ID)
	same("?status=running", a.ID)
	same("?status=pending,running", b.ID, a.ID)
	same("?type=restore")
	same("?since="+a.QueuedAt.Format(time.RFC3339Nano), b.ID, a.ID)
	same("?until=" + a.QueuedAt.Add(-time.Second).Format(time.RFC3339))

	env := e.must(e.session, 400, "GET", "/executions?status=running,done&type=copy&since=yesterday&jobId=0&limit=0", nil, nil)
	var fields []string
	for _, f := range env.Error.Fields {
		fields = append(fields, f.Field)
	}
	if strings.Join(fields, ",") != "limit,jobId,status,type,since" {
		t.Fatalf("fields %v: %+v", fields, env.Error)
	}
	env = e.must(e.session, 400, "GET", "/executions?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", nil, nil)
	if env.Error.Fields[0].Field != "until" {
		t.Fatalf("until before since: %+v", env.Error)
	}
	e.must(e.session, 404, "GET", "/executions/999", nil, nil)
}

func TestCancelAndLogs(t *testing.T) {
	e := newExecEnv(t)
	var a, b executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobB), nil, &b)
	<-e.runner.started

	// The pending one is cancelled at once, the running one when its runner
	// has stopped.
	var got executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/executions/%d/cancel", b.ID), nil, &got)
	if got.Status != store.StatusCancelled {
		t.Fatalf("cancelled pending run: %+v", got)
	}
	time.Sleep(50 * time.Millisecond) // a few lines logged
	e.must(e.session, 202, "POST", fmt.Sprintf("/executions/%d/cancel", a.ID), nil, &got)
	if !got.CancelRequested {
		t.Fatalf("cancel of a running run: %+v", got)
	}
	done := e.waitStatus(a.ID, store.StatusCancelled)
	if done.Error != queue.ErrCancelled.Error() {
		t.Fatalf("cancelled run's error %q", done.Error)
	}
	env := e.must(e.session, 409, "POST", fmt.Sprintf("/executions/%d/cancel", a.ID), nil, nil)
	if env.Error.Code != CodeConflict || !strings.Contains(env.Error.Message, "cancelled") {
		t.Fatalf("cancel of a finished run: %+v", env.Error)
	}
	entries, _, _ := e.st.Audit().List(context.Background(), store.AuditFilter{Action: "executions.cancel"}, store.Page{})
	if len(entries) != 2 {
		t.Fatalf("%d executions.cancel audit entries", len(entries))
	}

	// The whole log, read by pages of 3, is what the runner wrote.
	e.runner.mu.Lock()
	written := e.runner.written[a.ID]
	e.runner.mu.Unlock()
	var all []executions.LogLine
	after := int64(0)
	for {
		var page executions.LogPage
		e.must(e.session, 200, "GET", fmt.Sprintf("/executions/%d/logs?after=%d&limit=3", a.ID, after), nil, &page)
		if len(page.Items) == 0 {
			if page.NextAfter != after {
				t.Fatalf("empty page moved the cursor to %d", page.NextAfter)
			}
			break
		}
		all = append(all, page.Items...)
		after = page.NextAfter
	}
	if len(all) != written || all[len(all)-1].Message != "finished cancelled" || all[0].Message != "line 0" {
		t.Fatalf("read %d lines, runner wrote %d; last %+v", len(all), written, all[len(all)-1])
	}
	e.must(e.session, 400, "GET", fmt.Sprintf("/executions/%d/logs?limit=0", a.ID), nil, nil)
	e.must(e.session, 400, "GET", fmt.Sprintf("/executions/%d/logs?after=-1", a.ID), nil, nil)
	e.must(e.session, 404, "GET", "/executions/999/logs", nil, nil)
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id    string
	event string
	data  string
}

// readSSE parses an event stream until it ends or stop says so.
func readSSE(r io.Reader, each func(sseEvent) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" || ev.data != "" {
				if !each(ev) {
					return nil
				}
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
	return sc.Err()
}

func TestEventsReplayThenFollowToTheEnd(t *testing.T) {
	e := newExecEnv(t)
	var a executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	<-e.runner.started
	time.Sleep(100 * time.Millisecond) // lines stored before the client comes: they are replayed

	resp := e.do(e.session, "GET", fmt.Sprintf("/executions/%d/events", a.ID), nil, nil)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var messages []string
	var lastID int64
	var progress, statuses int
	var final executions.Execution
	released := false
	err := readSSE(resp.Body, func(ev sseEvent) bool {
		switch ev.event {
		case "log":
			var l executions.LogLine
			if err := json.Unmarshal([]byte(ev.data), &l); err != nil {
				t.Fatalf("log data %q: %v", ev.data, err)
			}
			if strconv.FormatInt(l.ID, 10) != ev.id || l.ID <= lastID {
				t.Fatalf("log event id %q after %d for line %+v", ev.id, lastID, l)
			}
			lastID = l.ID
			messages = append(messages, l.Message)
			// Released while the stream is live: lines keep arriving
			// across the replay/live boundary until the end.
			if len(messages) == 200 && !released {
				released = true
				close(e.runner.release)
			}
		case "progress":
			progress++
		case "status":
			statuses++
			if err := json.Unmarshal([]byte(ev.data), &final); err != nil {
				t.Fatal(err)
			}
		case "error":
			t.Fatalf("error event %s", ev.data)
		}
		return true
	})
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if final.Status != store.StatusSuccess || statuses < 2 || progress == 0 {
		t.Fatalf("stream ended with status %s after %d status and %d progress events", final.Status, statuses, progress)
	}
	e.runner.mu.Lock()
	written := e.runner.written[a.ID]
	e.runner.mu.Unlock()
	if len(messages) != written {
		t.Fatalf("stream sent %d lines, runner wrote %d", len(messages), written)
	}
	for i, m := range messages[:written-1] {
		if m != fmt.Sprintf("line %d", i) {
			t.Fatalf("line %d is %q", i, m)
		}
	}

	// Reconnecting with Last-Event-ID replays only what follows, then the
	// final status, and ends at once.
	stored, _ := e.st.Executions().Logs(context.Background(), a.ID, 0, 0)
	from := stored[len(stored)-3].ID
	resp2 := e.do(e.session, "GET", fmt.Sprintf("/executions/%d/events", a.ID), nil, http.Header{"Last-Event-Id": {strconv.FormatInt(from, 10)}})
	defer resp2.Body.Close()
	var again []string
	var kinds []string
	readSSE(resp2.Body, func(ev sseEvent) bool {
		kinds = append(kinds, ev.event)
		if ev.event == "log" {
			var l executions.LogLine
			json.Unmarshal([]byte(ev.data), &l)
			again = append(again, l.Message)
		}
		return true
	})
	if fmt.Sprint(again) != fmt.Sprint(messages[written-2:]) || kinds[len(kinds)-1] != "status" {
		t.Fatalf("after Last-Event-ID %d: lines %v, events %v", from, again, kinds)
	}
	if j := e.journal.Subscribers(a.ID); j != 0 {
		t.Fatalf("%d subscribers left after the streams ended", j)
	}
	e.must(e.session, 404, "GET", "/executions/999/events", nil, nil)
	e.must(e.session, 400, "GET", fmt.Sprintf("/executions/%d/events?after=x", a.ID), nil, nil)
}

func TestEventsStopWhenTheClientLeaves(t *testing.T) {
	oldBeat := sseHeartbeat
	sseHeartbeat = 20 * time.Millisecond // a gone client is noticed at the next write
	t.Cleanup(func() { sseHeartbeat = oldBeat })
	e := newExecEnv(t)
	var a executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	<-e.runner.started

	for range 3 {
		resp := e.do(e.session, "GET", fmt.Sprintf("/executions/%d/events", a.ID), nil, nil)
		seen := 0
		readSSE(resp.Body, func(ev sseEvent) bool {
			seen++
			return seen < 5
		})
		resp.Body.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.journal.Subscribers(a.ID) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams still subscribed after their clients left", e.journal.Subscribers(a.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventsEndAtShutdown(t *testing.T) {
	e := newExecEnv(t)
	var a executions.Execution
	e.must(e.session, 202, "POST", fmt.Sprintf("/jobs/%d/run", e.jobA), nil, &a)
	<-e.runner.started
	resp := e.do(e.session, "GET", fmt.Sprintf("/executions/%d/events", a.ID), nil, nil)
	defer resp.Body.Close()
	ended := make(chan error, 1)
	go func() {
		ended <- readSSE(resp.Body, func(sseEvent) bool { return true })
	}()
	// The stream is open and the run goes on; shutting the server down
	// ends the stream instead of waiting for the run.
	if err := e.app.ShutdownWithTimeout(20 * time.Second); err != nil {
		t.Fatalf("shutdown with a stream open: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the stream outlived the server")
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.journal.Subscribers(a.ID) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream's subscription outlived the server")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
