package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// hookDelivery is the part of a webhook delivery the tests read.
type hookDelivery struct {
	Type      string            `json:"type"`
	Severity  string            `json:"severity"`
	Title     string            `json:"title"`
	Text      string            `json:"text"`
	Fields    map[string]string `json:"fields"`
	Execution struct {
		ID      string `json:"id"`
		JobID   string `json:"jobId"`
		JobName string `json:"jobName"`
		URL     string `json:"url"`
	} `json:"execution"`
}

// An execution found running at start-up is reported to the job's
// on_failure channels as interrupted (the event of an interrupted run, the
// sets it completed before the crash included, no duration), and the
// outcome of each channel is logged on the execution; channels that want
// successes only hear nothing.
func TestNotifyInterrupted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	got := make(chan hookDelivery, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		var dv hookDelivery
		if err := json.NewDecoder(r.Body).Decode(&dv); err != nil {
			t.Errorf("delivery: %v", err)
		}
		got <- dv
	}))
	defer srv.Close()
	channel := func(name, path string) int64 {
		conn, err := f.st.NotificationChannels().Create(ctx, store.ConnectionInput{Name: name, PluginID: "notification-webhook",
			Schema: schemaOf(t, "notification-webhook"), Config: spec.Config{"url": srv.URL + path, "timeout": "5"}})
		if err != nil {
			t.Fatal(err)
		}
		return conn.ID
	}
	failures, successes, broken := channel("ops hook", "/failures"), channel("successes", "/successes"), channel("broken hook", "/broken")

	_, src := f.sqliteSource("crm", 10, 10)
	_, left := f.localDestination("left")
	_, done := f.localDestination("done")
	job := f.job("crm", src, "zstd", nil, left, done)
	job.Notifications = []store.JobNotification{
		{ChannelID: failures, OnFailure: true}, {ChannelID: successes, OnSuccess: true}, {ChannelID: broken, OnFailure: true},
	}
	if _, err := f.st.Jobs().Update(ctx, job.ID, job.JobInput); err != nil {
		t.Fatal(err)
	}
	// The dead process had completed the set on "done" and not the one on
	// "left".
	ex := f.claim(job.ID)
	created := time.Now().UTC().Truncate(time.Second)
	prefix := backupset.Prefix(job.Slug, created, ex.ID)
	for _, d := range []int64{left, done} {
		set, err := f.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: d, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		if d == done {
			if err := f.st.BackupSets().Complete(ctx, set.ID, 1234, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
	}

	found := ex
	found.Status, found.Error = store.StatusInterrupted, "dbkeep stopped while this ran"
	f.eng.NotifyInterrupted(ctx, found)

	var dv hookDelivery
	select {
	case dv = <-got:
	default:
		t.Fatal("NotifyInterrupted returned and the channel that wants failures got nothing")
	}
	id := strconv.FormatInt(ex.ID, 10)
	wantFields := map[string]string{
		"job": "crm", "source": "crm", "status": "interrupted", "error": "dbkeep stopped while this ran",
		"started": ex.StartedAt.UTC().Format(time.RFC3339), "destination left": "no backup stored", "destination done": "1234 bytes",
	}
	if diff := cmp.Diff(wantFields, dv.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if dv.Type != "backup.failure" || dv.Severity != "warning" || dv.Title != `Backup of "crm" was interrupted` {
		t.Errorf("type %q, severity %q, title %q; want backup.failure, warning, the interruption", dv.Type, dv.Severity, dv.Title)
	}
	if dv.Execution.ID != id || dv.Execution.JobID != strconv.FormatInt(job.ID, 10) || dv.Execution.JobName != "crm" ||
		dv.Execution.URL != "https://dbkeep.example/executions/"+id {
		t.Errorf("execution reference %+v", dv.Execution)
	}
	for _, want := range []string{"killed or crashed", prefix, "Error: dbkeep stopped while this ran"} {
		if !strings.Contains(dv.Text, want) {
			t.Errorf("text does not say %q:\n%s", want, dv.Text)
		}
	}
	select {
	case extra := <-got:
		t.Errorf("a second delivery %+v; the success channel wants successes only", extra)
	default:
	}
	log := f.journal.log(ex.ID)
	for _, want := range []string{`notification channel "ops hook": sent backup.failure`, `notification channel "broken hook": not notified`} {
		if !strings.Contains(log, want) {
			t.Errorf("the execution's log does not say %q:\n%s", want, log)
		}
	}
	f.journal.mu.Lock()
	finished := f.journal.finished[ex.ID]
	f.journal.mu.Unlock()
	if finished != 1 {
		t.Errorf("the journal finished the execution %d times, want once (its log stored)", finished)
	}
}
