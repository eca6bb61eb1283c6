package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	want := channelsFor(r.job.Notifications, r.status)
	if len(want) == 0 {
		return
	}
	r.stage("notify")
	timeout := r.e.o.NotifyTimeout
	if _, cause := r.cancelled(); errors.Is(cause, queue.ErrShutdown) {
		// The core is stopping: say it quickly or not at all.
		timeout = min(timeout, shutdownBudget/2)
	}
	r.e.deliver(context.WithoutCancel(r.ctx), want, r.event(), timeout, r.rec)
}

// channelsFor returns the job's channels that are told about a run ending
// in status.
func channelsFor(notifications []store.JobNotification, status store.ExecutionStatus) []store.JobNotification {
	var want []store.JobNotification
	for _, n := range notifications {
		if wants(n, status) {
			want = append(want, n)
		}
	}
	return want
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

// deliver sends ev through each channel of want in turn, each within
// timeout, and logs every outcome on the execution's recorder rec. A
// channel that cannot be reached is logged and changes nothing else.
func (e *Engine) deliver(ctx context.Context, want []store.JobNotification, ev notification.Event, timeout time.Duration, rec execlog.Recorder) {
	for _, n := range want {
		sendCtx, cancel := context.WithTimeout(ctx, timeout)
		name, err := e.send(sendCtx, n.ChannelID, ev)
		cancel()
		if err != nil {
			rec.Log(execlog.Warn, execlog.OriginCore, fmt.Sprintf("notification channel %s: not notified: %v", name, err))
			continue
		}
		rec.Log(execlog.Info, execlog.OriginCore, fmt.Sprintf("notification channel %s: sent %s", name, ev.Type))
	}
}

// send delivers ev through channel id and returns the channel's name.
func (e *Engine) send(ctx context.Context, id int64, ev notification.Event) (string, error) {
	name := strconv.FormatInt(id, 10)
	conn, err := e.o.Store.NotificationChannels().Get(ctx, id)
	if err != nil {
		return name, err
	}
	name = strconv.Quote(conn.Name)
	if _, err := e.o.Plugins.Start(ctx, conn.PluginID); err != nil {
		return name, fmt.Errorf("start plugin %s: %w", conn.PluginID, err)
	}
	n, err := e.o.Plugins.Notifier(conn.PluginID)
	if err != nil {
		return name, err
	}
	return name, n.Send(ctx, conn.Config, ev)
}

// outcome is what a notification says about a finished backup execution:
// the run fills one when it ends (run.event), the start-up recovery for an
// execution a crash interrupted (NotifyInterrupted).
type outcome struct {
	ex      store.Execution
	job     string
	source  string
	status  store.ExecutionStatus
	errText string
	// summary is the text's first line; details follow it, the error last.
	summary string
	details []string
	// fields are added to job, source, status and error.
	fields map[string]string
}

// event describes an outcome for people and for machines: the type and
// severity of its status, a title and a text, fields, and a reference to
// the execution with a link to it when the core knows its address.
func (e *Engine) event(o outcome) notification.Event {
	ev := notification.Event{
		Time:      e.o.Now().UTC(),
		Fields:    map[string]string{"job": o.job, "source": o.source, "status": string(o.status)},
		Execution: &notification.ExecutionRef{ID: strconv.FormatInt(o.ex.ID, 10), JobName: o.job},
	}
	maps.Copy(ev.Fields, o.fields)
	if o.ex.JobID != nil {
		ev.Execution.JobID = strconv.FormatInt(*o.ex.JobID, 10)
	}
	if base := strings.TrimRight(e.o.BaseURL, "/"); base != "" {
		ev.Execution.URL = fmt.Sprintf("%s/executions/%d", base, o.ex.ID)
	}
	switch o.status {
	case store.StatusSuccess:
		ev.Type, ev.Severity, ev.Title = "backup.success", notification.SeverityInfo, fmt.Sprintf("Backup of %q succeeded", o.job)
	case store.StatusPartial:
		ev.Type, ev.Severity, ev.Title = "backup.partial", notification.SeverityWarning, fmt.Sprintf("Backup of %q partly failed", o.job)
	case store.StatusCancelled, store.StatusInterrupted:
		ev.Type, ev.Severity, ev.Title = "backup.failure", notification.SeverityWarning, fmt.Sprintf("Backup of %q was %s", o.job, o.status)
	default:
		ev.Type, ev.Severity, ev.Title = "backup.failure", notification.SeverityError, fmt.Sprintf("Backup of %q failed", o.job)
	}
	lines := append([]string{o.summary}, o.details...)
	if o.errText != "" {
		ev.Fields["error"] = o.errText
		lines = append(lines, "Error: "+o.errText)
	}
	ev.Text = strings.Join(lines, "\n")
	return ev
}

// event describes the run's outcome.
func (r *run) event() notification.Event {
	job := r.job.Name
	if job == "" {
		job = r.ex.JobName
	}
	duration := r.e.o.Now().Sub(r.started).Round(time.Second)
	o := outcome{
		ex: r.ex, job: job, source: r.source.Name, status: r.status, errText: r.errText,
		summary: fmt.Sprintf("Execution %d of job %q (%s trigger) ended %s after %s.", r.ex.ID, job, r.ex.Trigger, r.status, duration),
		fields:  map[string]string{"duration": duration.String()},
	}
	for _, d := range r.dests {
		key := "destination " + d.conn.Name
		switch {
		case d.complete:
			o.fields[key] = fmt.Sprintf("%d bytes in %d object(s)", d.set.SizeBytes, len(d.objects))
			o.details = append(o.details, fmt.Sprintf("Destination %q: set %s, %d bytes.", d.conn.Name, r.prefix, d.set.SizeBytes))
		case d.failed != nil:
			o.fields[key] = "failed: " + d.failed.Error()
			o.details = append(o.details, fmt.Sprintf("Destination %q failed: %v.", d.conn.Name, d.failed))
		default:
			o.fields[key] = "no backup stored"
		}
	}
	return r.e.event(o)
}
