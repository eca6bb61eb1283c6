package store

import (
	"context"
	"encoding/json"
)

// SaveProgress records how far run id is: the summary columns lists show
// (bytes done and total, stage) and the whole progress document (JSON, as
// the journal defines it). It writes whatever the run's status, so the last
// progress of a run is kept even when its runner finished it first; a
// missing run is ErrNotFound. Negative byte counts are stored as 0.
func (e *Executions) SaveProgress(ctx context.Context, id, done, total int64, stage string, progress json.RawMessage) error {
	doc := string(progress)
	if doc == "" {
		doc = "{}"
	}
	res, err := e.s.w.ExecContext(ctx, `UPDATE executions SET bytes_done = ?, bytes_total = ?, stage = ?, progress = ?
		WHERE id = ?`, max(done, 0), max(total, 0), stage, doc, id)
	if err != nil {
		return classify(err, "progress of execution %d", id)
	}
	return requireOne(res, "execution %d", id)
}

// ProgressOf returns the progress document last saved for run id ("{}" when
// none was).
func (e *Executions) ProgressOf(ctx context.Context, id int64) (json.RawMessage, error) {
	var doc string
	if err := e.s.r.GetContext(ctx, &doc, "SELECT progress FROM executions WHERE id = ?", id); err != nil {
		return nil, classify(err, "progress of execution %d", id)
	}
	return json.RawMessage(doc), nil
}
