package store

import "context"

// ExecutionCount is how many executions of one type are in one status.
type ExecutionCount struct {
	Type   ExecutionType   `db:"type"`
	Status ExecutionStatus `db:"status"`
	Count  int64           `db:"n"`
}

// Counts returns how many executions the state holds per type and status,
// sorted by type then status; pairs with none are left out. Metrics read it
// on every scrape, so it is one grouped query.
func (e *Executions) Counts(ctx context.Context) ([]ExecutionCount, error) {
	var out []ExecutionCount
	if err := e.s.r.SelectContext(ctx, &out,
		"SELECT type, status, COUNT(*) AS n FROM executions GROUP BY type, status ORDER BY type, status"); err != nil {
		return nil, classify(err, "count executions")
	}
	return out, nil
}
