package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookEvent is the part of a webhook delivery the tests read.
type hookEvent struct {
	Type      string            `json:"type"`
	Severity  string            `json:"severity"`
	Fields    map[string]string `json:"fields"`
	Execution struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"execution"`
}

// hook is a webhook receiver that keeps every delivery. While holding, it
// answers none: each request waits until release (or until its sender is
// gone).
type hook struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []hookEvent
	holding bool
	release chan struct{}
}

func newHook(t *testing.T) *hook {
	h := &hook{release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev hookEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook delivery: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, ev)
		holding := h.holding
		h.mu.Unlock()
		if holding {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(func() { h.stopHolding(); h.srv.Close() })
	return h
}

func (h *hook) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding = true
}

// stopHolding answers the held requests and lets the next ones through.
func (h *hook) stopHolding() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holding {
		h.holding = false
		close(h.release)
	}
}

func (h *hook) deliveries() []hookEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookEvent(nil), h.got...)
}

// notifiedPgJob makes a PostgreSQL source for database, a local
// destination, a webhook channel to h and a job backing the database up
// that tells the channel about failures only; it returns the job's id.
func notifiedPgJob(t *testing.T, c *core, pg pgServer, h *hook, name, database string) int64 {
	t.Helper()
	var src, dst, channel, job struct{ ID int64 }
	c.mustCall("POST", "/api/v1/sources", map[string]any{"name": name, "pluginId": "database-postgres", "config": pg.config}, &src)
	c.mustCall("POST", "/api/v1/destinations", map[string]any{"name": name, "pluginId": "storage-local",
		"config": map[string]any{"path": filepath.Join(t.TempDir(), name), "create": true}}, &dst)
	c.mustCall("POST", "/api/v1/notification-channels", map[string]any{"name": "hook", "pluginId": "notification-webhook",
		"config": map[string]any{"url": h.srv.URL}}, &channel)
	c.mustCall("POST", "/api/v1/jobs", map[string]any{
		"name": name, "sourceId": src.ID, "databases": []string{database},
		"destinations":  []map[string]any{{"destinationId": dst.ID, "retention": map[string]any{"policy": "keep-all"}}},
		"notifications": []map[string]any{{"channelId": channel.ID, "events": []string{"failure"}}},
	}, &job)
	return job.ID
}

// crashMidBackup starts a backup of job, whose database's table is
// locked, and kills -9 the core while pg_dump waits for the lock; it
// returns the execution.
func crashMidBackup(t *testing.T, c *core, job int64, database string) execution {
	t.Helper()
	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	waitFor(t, "pg_dump of "+database+" to start", time.Minute, func() bool { return len(pgDumps(t, database)) > 0 })
	c.crash()
	return ex
}

// checkInterruptedEvent asserts that ev reports execution id as
// interrupted, with the error and the link.
func checkInterruptedEvent(t *testing.T, ev hookEvent, id int64) {
	t.Helper()
	want := strconv.FormatInt(id, 10)
	if ev.Type != "backup.failure" || ev.Severity != "warning" || ev.Fields["status"] != "interrupted" ||
		ev.Fields["error"] != "dbkeep stopped while this ran" || ev.Execution.ID != want ||
		ev.Execution.URL != "https://dbkeep.example/executions/"+want {
		t.Errorf("event %+v; want backup.failure, warning, status interrupted with its error, execution %s and its link", ev, want)
	}
}

// backupAfterRestart runs job to success on a restarted core. The queue
// dispatches nothing before its start-up recovery is over, notifications
// included, so once this run has ended a notification of that recovery
// would have arrived.
func backupAfterRestart(t *testing.T, c *core, job int64) {
	t.Helper()
	c.stop()
	c.start()
	if ex := c.runJob(job, 2*time.Minute); ex.Status != "success" {
		t.Fatalf("the backup after the restart ended %s (%s), want success", ex.Status, ex.Error)
	}
}

// Kill -9 the core mid-backup, start it again: the job's failure channel
// gets the interrupted event once, before the execution shows interrupted,
// and the delivery is logged on the execution. A further restart sends
// nothing more.
func TestCrashMidBackupNotifiesOnce(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_crash_notify", 1000)
	release := pg.lockTable(t, "e2e_crash_notify")
	h := newHook(t)
	t.Setenv("DBKEEP_BASE_URL", "https://dbkeep.example")

	c := newCore(t)
	c.start()
	c.setup()
	job := notifiedPgJob(t, c, pg, h, "crash-notify", "e2e_crash_notify")
	crashed := crashMidBackup(t, c, job, "e2e_crash_notify")
	release()
	c.start()

	if got := c.waitFinished(crashed.ID, time.Minute); got.Status != "interrupted" {
		t.Fatalf("the execution running at the crash is %s, want interrupted", got.Status)
	}
	// Told before it is recorded interrupted: the event is already here.
	got := h.deliveries()
	if len(got) != 1 {
		t.Fatalf("the webhook got %d deliveries by the time the execution showed interrupted, want 1: %+v", len(got), got)
	}
	checkInterruptedEvent(t, got[0], crashed.ID)
	if log := c.logText(crashed.ID); strings.Count(log, `notification channel "hook": sent backup.failure`) != 1 {
		t.Errorf("the execution's log does not say once that the channel was told:\n%s", log)
	}

	backupAfterRestart(t, c, job)
	if got := h.deliveries(); len(got) != 1 {
		t.Errorf("after another restart the webhook has %d deliveries, want still 1: %+v", len(got), got)
	}
}

// Kill -9 the core again while its start-up recovery is telling the
// webhook about the first crash: the next start tells it again (repeated,
// never lost), and then marks the execution interrupted. Meanwhile the
// server answers: a slow receiver does not hold up the core's start.
func TestCrashWhileNotifyingNotifiesAgain(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_crash_renotify", 1000)
	release := pg.lockTable(t, "e2e_crash_renotify")
	h := newHook(t)
	t.Setenv("DBKEEP_BASE_URL", "https://dbkeep.example")

	c := newCore(t)
	c.start()
	c.setup()
	job := notifiedPgJob(t, c, pg, h, "crash-renotify", "e2e_crash_renotify")
	crashed := crashMidBackup(t, c, job, "e2e_crash_renotify")
	release()

	h.hold()
	c.start()
	waitFor(t, "the webhook to get the interrupted event", time.Minute, func() bool { return len(h.deliveries()) == 1 })
	var ex execution
	c.mustCall("GET", fmt.Sprintf("/api/v1/executions/%d", crashed.ID), nil, &ex)
	if ex.Status != "running" {
		t.Fatalf("while its notification is held the execution is %s, want running: it is recorded interrupted after", ex.Status)
	}
	c.crash()
	h.stopHolding()

	c.start()
	if got := c.waitFinished(crashed.ID, time.Minute); got.Status != "interrupted" {
		t.Fatalf("the execution is %s after the second start, want interrupted", got.Status)
	}
	got := h.deliveries()
	if len(got) != 2 {
		t.Fatalf("the webhook got %d deliveries, want 2 (the held one, then the repeat): %+v", len(got), got)
	}
	for _, ev := range got {
		checkInterruptedEvent(t, ev, crashed.ID)
	}
	backupAfterRestart(t, c, job)
	if got := h.deliveries(); len(got) != 2 {
		t.Errorf("after another restart the webhook has %d deliveries, want still 2: %+v", len(got), got)
	}
}
