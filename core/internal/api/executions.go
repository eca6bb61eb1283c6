package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/executions"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// ExecutionService runs and reports executions (*executions.Service).
type ExecutionService interface {
	// Run queues a backup of a job; a job already queued is an
	// *executions.AlreadyQueuedError.
	Run(ctx context.Context, jobID int64, by executions.By) (executions.Execution, error)
	List(ctx context.Context, f executions.Filter, p store.Page) ([]executions.Execution, int, error)
	// Get returns one run with its progress; Status the same without.
	Get(ctx context.Context, id int64) (executions.Execution, error)
	Status(ctx context.Context, id int64) (executions.Execution, error)
	Logs(ctx context.Context, id, after int64, limit int) ([]executions.LogLine, error)
	// Cancel stops a pending or running run; a finished one is
	// store.ErrConflict.
	Cancel(ctx context.Context, id int64) (executions.Execution, error)
	// Subscribe and Recording are the journal's, for the event stream.
	Subscribe(id int64) (<-chan execlog.Event, func())
	Recording(id int64) bool
}

// CodeAlreadyQueued is the error code of POST /jobs/{id}/run for a job that
// already has a backup pending or running; the answer's data is that
// execution.
const CodeAlreadyQueued = "already_queued"

func (a *API) executionRoutes() []route {
	return []route{
		post("/jobs/:id/run", Requires(auth.JobsExecute), a.runJob).
			describe("Run a backup job now: queue it (even if disabled) and answer the pending execution", noBody{}, executions.Execution{}).
			accepted().
			errorData(fiber.StatusConflict, CodeAlreadyQueued, "the job already has a backup pending or running; data is that execution", executions.Execution{}),
		get("/executions", Requires(auth.JobsRead), a.listExecutions).
			describe("List executions, newest first", nil, Paged[executions.Execution]{}).
			withIDQuery("jobId", "only this job's executions").
			withQuery("status", "comma-separated statuses: pending, running, success, partial, failed, cancelled, interrupted").
			withQuery("type", "backup, restore or verify").
			withQuery("since", "queued at or after this RFC 3339 time").
			withQuery("until", "queued before this RFC 3339 time"),
		get("/executions/:id", Requires(auth.JobsRead), a.getExecution).
			describe("Get an execution with its progress", nil, executions.Execution{}),
		get("/executions/:id/logs", Requires(auth.JobsRead), a.executionLogs).
			describe("Read an execution's log, oldest first", nil, executions.LogPage{}).
			withQuery("after", "only lines after this line id (default 0)").
			withQuery("limit", fmt.Sprintf("most lines to return, 1 to %d (default %d)", executions.MaxLogPage, defaultLogPage)),
		post("/executions/:id/cancel", Requires(auth.JobsExecute), a.cancelExecution).
			describe("Cancel a pending or running execution (409 when it has finished)", noBody{}, executions.Execution{}).
			accepted(),
		get("/executions/:id/events", Requires(auth.JobsRead), a.executionEvents).
			describe("Follow an execution live: its stored log, then log, progress and status events until it finishes", nil, nil).
			eventStream(
				event("log", "one log line, sent once, oldest first; its id: is the line id, which Last-Event-ID resumes after", executions.LogLine{}),
				event("progress", "the run's progress as the engine reports it", execlog.Progress{}),
				event("status", "the execution (sent first, on each change of status or cancel request, and last when it has finished, after which the stream ends)", executions.Execution{}),
				event("error", "reading the state database failed; the stream ends", map[string]string{"message": ""})).
			withQuery("after", "replay log lines after this id (the Last-Event-ID header wins)"),
	}
}

const defaultLogPage = 500

func (a *API) executions() (ExecutionService, error) {
	if a.d.Executions == nil {
		return nil, errors.New("api: no execution service configured")
	}
	return a.d.Executions, nil
}

// accepted answers 202 with data: the request is queued or under way.
func accepted(c fiber.Ctx, data any) error {
	return c.Status(fiber.StatusAccepted).JSON(Envelope{Success: true, Data: data})
}

func (a *API) runJob(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	var by executions.By
	if p := principal(c); p != nil {
		by = executions.By{UserID: p.UserID, APIKeyID: p.APIKeyID}
	}
	ex, err := svc.Run(c.Context(), id, by)
	var queued *executions.AlreadyQueuedError
	if errors.As(err, &queued) {
		return c.Status(fiber.StatusConflict).JSON(Envelope{Success: false, Data: queued.Execution,
			Error: &Error{Code: CodeAlreadyQueued, Message: queued.Error()}})
	}
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "jobs.run", "job", id, map[string]any{"executionId": ex.ID, "trigger": ex.Trigger, "jobName": ex.JobName})
	return accepted(c, ex)
}

var (
	executionStatuses = []store.ExecutionStatus{store.StatusPending, store.StatusRunning, store.StatusSuccess,
		store.StatusPartial, store.StatusFailed, store.StatusCancelled, store.StatusInterrupted}
	executionTypes = []store.ExecutionType{store.TypeBackup, store.TypeRestore, store.TypeVerify}
)

func (a *API) listExecutions(c fiber.Ctx) error {
	var fields []spec.FieldError
	collect := func(err error) {
		var e *Error
		if errors.As(err, &e) {
			fields = append(fields, e.Fields...)
		}
	}
	pg, err := page(c)
	collect(err)
	var f executions.Filter
	if c.Query("jobId") != "" {
		job, err := int64Query(c, "jobId")
		collect(err)
		f.JobID = &job
	}
	if s := c.Query("status"); s != "" {
		for _, part := range strings.Split(s, ",") {
			st := store.ExecutionStatus(strings.TrimSpace(part))
			if !contains(executionStatuses, st) {
				fields = append(fields, spec.FieldError{Field: "status",
					Message: fmt.Sprintf("%q is not a status; use %s", st, joinAny(executionStatuses))})
				break
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if s := c.Query("type"); s != "" {
		f.Type = store.ExecutionType(s)
		if !contains(executionTypes, f.Type) {
			fields = append(fields, spec.FieldError{Field: "type", Message: fmt.Sprintf("%q is not a type; use %s", s, joinAny(executionTypes))})
		}
	}
	f.Since, err = timeQuery(c, "since")
	collect(err)
	f.Until, err = timeQuery(c, "until")
	collect(err)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		fields = append(fields, spec.FieldError{Field: "until", Message: "must be after since"})
	}
	if len(fields) > 0 {
		return fail(c, invalid(fields...))
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	items, total, err := svc.List(c.Context(), f, pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(items, total, pg))
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinAny[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

func (a *API) getExecution(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	ex, err := svc.Get(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, ex)
}

// afterQuery reads an optional line id (0 or more) from the query.
func afterQuery(c fiber.Ctx, name, value string) (int64, error) {
	if value == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldError(name, "must be a log line id (an integer of 0 or more)")
	}
	return n, nil
}

func (a *API) executionLogs(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	after, err := afterQuery(c, "after", c.Query("after"))
	if err != nil {
		return fail(c, err)
	}
	limit := defaultLogPage
	if s := c.Query("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 || limit > executions.MaxLogPage {
			return fail(c, fieldError("limit", fmt.Sprintf("must be an integer from 1 to %d", executions.MaxLogPage)))
		}
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	lines, err := svc.Logs(c.Context(), id, after, limit)
	if err != nil {
		return fail(c, err)
	}
	next := after
	if len(lines) > 0 {
		next = lines[len(lines)-1].ID
	}
	return ok(c, executions.LogPage{Items: lines, NextAfter: next})
}

func (a *API) cancelExecution(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.executions()
	if err != nil {
		return fail(c, err)
	}
	ex, err := svc.Cancel(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "executions.cancel", "execution", id, map[string]any{"jobName": ex.JobName, "status": ex.Status})
	return accepted(c, ex)
}
