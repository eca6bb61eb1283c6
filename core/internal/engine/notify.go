package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/notification"
)

// notify sends the run's outcome to every notification channel of the job
// that asked for it: on_success for success, on_partial for partial, and
// on_failure for failed, cancelled and interrupted (each of these means no
// new backup exists, which whoever watches failures must hear of). A
// channel that cannot be reached is logged on the execution; notifying
// never changes the run's status. It runs on a context of its own, so a
// cancelled run is still reported.
func (r *run) notify() {
	if len(r.job.Notifications) == 0 {
		return
	}
	var want []store.JobNotification
	for _, n := range r.job.Notifications {
		if wants(n, r.status) {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return
	}
	r.stage("notify")
	ev := r.event()
	base := context.WithoutCancel(r.ctx)
	timeout := r.e.o.NotifyTimeout
	if _, cause := r.cancelled(); errors.Is(cause, queue.ErrShutdown) {
		// The core is stopping: say it quickly or not at all.
		timeout = min(timeout, shutdownBudget/2)
	}
	for _, n := range want {
		ctx, cancel := context.WithTimeout(base, timeout)
		name, err := r.send(ctx, n.ChannelID, ev)
		cancel()
		if err != nil {
			r.log(execlog.Warn, "notification channel %s: not notified: %v", name, err)
			continue
		}
		r.log(execlog.Info, "notification channel %s: sent %s", name, ev.Type)
	}
}

// wants reports whether channel n is told about a run ending in status.
func wants(n store.JobNotification, status store.ExecutionStatus) bool {
	switch status {
	case store.StatusSuccess:
		return n.OnSuccess
	case store.StatusPartial:
		return n.OnPartial
	default:
		return n.OnFailure
	}
}

// send delivers ev through channel id and returns the channel's name.
func (r *run) send(ctx context.Context, id int64, ev notification.Event) (string, error) {
	name := strconv.FormatInt(id, 10)
	conn, err := r.e.o.Store.NotificationChannels().Get(ctx, id)
	if err != nil {
		return name, err
	}
	name = strconv.Quote(conn.Name)
	if _, err := r.e.o.Plugins.Start(ctx, conn.PluginID); err != nil {
		return name, fmt.Errorf("start plugin %s: %w", conn.PluginID, err)
	}
	n, err := r.e.o.Plugins.Notifier(conn.PluginID)
	if err != nil {
		return name, err
	}
	return name, n.Send(ctx, conn.Config, ev)
}

// event describes the run for people and for machines.
func (r *run) event() notification.Event {
	job := r.job.Name
	if job == "" {
		job = r.ex.JobName
	}
	duration := r.e.o.Now().Sub(r.started).Round(time.Second)
	ev := notification.Event{
		Time: r.e.o.Now().UTC(),
		Fields: map[string]string{
			"job": job, "source": r.source.Name, "status": string(r.status), "duration": duration.String(),
		},
		Execution: &notification.ExecutionRef{ID: strconv.FormatInt(r.ex.ID, 10), JobName: job},
	}
	if r.ex.JobID != nil {
		ev.Execution.JobID = strconv.FormatInt(*r.ex.JobID, 10)
	}
	if base := strings.TrimRight(r.e.o.BaseURL, "/"); base != "" {
		ev.Execution.URL = fmt.Sprintf("%s/executions/%d", base, r.ex.ID)
	}
	switch r.status {
	case store.StatusSuccess:
		ev.Type, ev.Severity, ev.Title = "backup.success", notification.SeverityInfo, fmt.Sprintf("Backup of %q succeeded", job)
	case store.StatusPartial:
		ev.Type, ev.Severity, ev.Title = "backup.partial", notification.SeverityWarning, fmt.Sprintf("Backup of %q partly failed", job)
	case store.StatusCancelled, store.StatusInterrupted:
		ev.Type, ev.Severity, ev.Title = "backup.failure", notification.SeverityWarning, fmt.Sprintf("Backup of %q was %s", job, r.status)
	default:
		ev.Type, ev.Severity, ev.Title = "backup.failure", notification.SeverityError, fmt.Sprintf("Backup of %q failed", job)
	}
	lines := []string{fmt.Sprintf("Execution %d of job %q (%s trigger) ended %s after %s.", r.ex.ID, job, r.ex.Trigger, r.status, duration)}
	for _, d := range r.dests {
		key := "destination " + d.conn.Name
		switch {
		case d.complete:
			ev.Fields[key] = fmt.Sprintf("%d bytes in %d object(s)", d.set.SizeBytes, len(d.objects))
			lines = append(lines, fmt.Sprintf("Destination %q: set %s, %d bytes.", d.conn.Name, r.prefix, d.set.SizeBytes))
		case d.failed != nil:
			ev.Fields[key] = "failed: " + d.failed.Error()
			lines = append(lines, fmt.Sprintf("Destination %q failed: %v.", d.conn.Name, d.failed))
		default:
			ev.Fields[key] = "no backup stored"
		}
	}
	if r.errText != "" {
		ev.Fields["error"] = r.errText
		lines = append(lines, "Error: "+r.errText)
	}
	ev.Text = strings.Join(lines, "\n")
	return ev
}
