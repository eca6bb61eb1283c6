package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/executions"
)

// The event stream's timings; tests shorten them.
var (
	// sseHeartbeat is how often an idle stream sends a comment, so proxies
	// keep it open and a gone client is noticed.
	sseHeartbeat = 15 * time.Second
	// ssePoll is how often the stream reads the run's status.
	ssePoll = time.Second
	// sseEndWait bounds the wait, once the status is final, for the
	// recorder to store its last lines (the engine finishes the journal
	// before it records the status; this covers the other order).
	sseEndWait = 2 * time.Second
	// sseDBTimeout bounds one read of the state database.
	sseDBTimeout = 10 * time.Second
)

// executionEvents answers GET /executions/{id}/events with Server-Sent
// Events: the stored log lines after Last-Event-ID (or ?after=), then live
// "log" (id: the line id), "progress" and "status" events, a final "status"
// when the run has finished, and the end of the stream. Every log line is
// sent exactly once: the stream subscribes to the journal before it reads
// the store, and skips lines whose id it has sent.
func (a *API) executionEvents(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	name, value := "after", c.Query("after")
	if h := c.Get("Last-Event-ID"); h != "" {
		name, value = "Last-Event-ID", h
	}
	after, err := afterQuery(c, name, value)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	events, cancel := svc.Subscribe(id)
	ex, err := svc.Get(c.Context(), id)
	if err != nil {
		cancel()
		return fail(c, err)
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no") // a buffering proxy would hold events back
	s := &eventStream{svc: svc, id: id, last: after, events: events, status: ex,
		shutdown: c.RequestCtx().Done()}
	// The writer runs after the handler returns, on a goroutine of its own;
	// it must not touch c.
	return c.SendStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		s.w = w
		if err := s.run(); err != nil && s.err == nil {
			a.d.Logger.Debug("execution event stream ended", "execution", id, "error", err)
		}
	})
}

// eventStream is one client's stream.
type eventStream struct {
	svc      ExecutionService
	id       int64
	last     int64 // the last log line id sent
	events   <-chan execlog.Event
	status   executions.Execution
	shutdown <-chan struct{}
	w        *bufio.Writer
	err      error // the first write error: the client is gone
}

func (s *eventStream) run() error {
	if err := s.replay(); err != nil {
		return err
	}
	s.send("status", 0, s.status)
	if err := s.flush(); err != nil {
		return err
	}
	if s.status.Status.Final() {
		return s.finish()
	}
	poll := time.NewTicker(ssePoll)
	defer poll.Stop()
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				s.events = nil // the recorder finished; the poll sees the status
				continue
			}
			if err := s.event(ev); err != nil {
				return err
			}
		case <-poll.C:
			ex, err := s.read(func(ctx context.Context) (executions.Execution, error) { return s.svc.Status(ctx, s.id) })
			if err != nil {
				return err
			}
			if ex.Status != s.status.Status || ex.CancelRequested != s.status.CancelRequested {
				s.status = ex
				if ex.Status.Final() {
					return s.finish()
				}
				s.send("status", 0, ex)
			}
		case <-beat.C:
			s.comment("heartbeat")
		case <-s.shutdown:
			return nil
		}
		if err := s.flush(); err != nil {
			return err
		}
	}
}

// event writes one journal event.
func (s *eventStream) event(ev execlog.Event) error {
	switch ev.Kind {
	case execlog.EventLog:
		s.lines(executions.Lines(ev.Lines))
	case execlog.EventGap, execlog.EventEnd:
		return s.replay()
	case execlog.EventProgress:
		s.send("progress", 0, ev.Progress)
	}
	return nil
}

// finish sends what is left once the run is over: the last lines (after
// the recorder has stored them), the final status, and ends the stream.
func (s *eventStream) finish() error {
	if s.events != nil && s.svc.Recording(s.id) {
		wait := time.NewTimer(sseEndWait)
		defer wait.Stop()
	drain:
		for {
			select {
			case ev, open := <-s.events:
				if !open || ev.Kind == execlog.EventEnd {
					break drain
				}
				if err := s.event(ev); err != nil {
					return err
				}
			case <-wait.C:
				break drain
			case <-s.shutdown:
				return nil
			}
		}
	}
	if err := s.replay(); err != nil {
		return err
	}
	final, err := s.read(func(ctx context.Context) (executions.Execution, error) { return s.svc.Get(ctx, s.id) })
	if err != nil {
		return err
	}
	if final.Progress != nil {
		s.send("progress", 0, final.Progress)
	}
	s.send("status", 0, final)
	return s.flush()
}

// replay sends the stored lines after the last one sent.
func (s *eventStream) replay() error {
	for {
		var lines []executions.LogLine
		_, err := s.read(func(ctx context.Context) (executions.Execution, error) {
			var err error
			lines, err = s.svc.Logs(ctx, s.id, s.last, executions.MaxLogPage)
			return executions.Execution{}, err
		})
		if err != nil {
			return err
		}
		s.lines(lines)
		if err := s.flush(); err != nil {
			return err
		}
		if len(lines) < executions.MaxLogPage {
			return nil
		}
	}
}

func (s *eventStream) read(fn func(ctx context.Context) (executions.Execution, error)) (executions.Execution, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sseDBTimeout)
	defer cancel()
	ex, err := fn(ctx)
	if err != nil {
		// Said to the client before the stream ends, so it knows why.
		s.send("error", 0, map[string]string{"message": err.Error()})
		s.flush()
	}
	return ex, err
}

func (s *eventStream) lines(lines []executions.LogLine) {
	for _, l := range lines {
		if l.ID > s.last {
			s.send("log", l.ID, l)
			s.last = l.ID
		}
	}
}

// send writes one event; id 0 writes no id (only log lines move the
// client's Last-Event-ID). JSON has no raw newlines, so data is one line.
func (s *eventStream) send(event string, id int64, data any) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(data)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"message": err.Error()})
		event = "error"
	}
	if id > 0 {
		_, s.err = fmt.Fprintf(s.w, "id: %d\nevent: %s\ndata: %s\n\n", id, event, b)
	} else {
		_, s.err = fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b)
	}
}

func (s *eventStream) comment(text string) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, ": %s\n\n", text)
	}
}

// flush pushes what was written to the client; its error means the client
// has gone, and the stream stops.
func (s *eventStream) flush() error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
