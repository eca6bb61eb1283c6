package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestCountRowsEstimate asks for estimates: MyISAM's TABLE_ROWS is its exact
// count and says so, InnoDB's are marked estimates; views and the sequence
// are never counted. Names are quoted: a table called with backticks counts.
func TestCountRowsEstimate(t *testing.T) {
	cfg := testServer(t)
	name := uniqueName("dbk_rows")
	createDB(t, cfg, name)
	seedAwkward(t, cfg, name)
	mustExec(t, admin(t, cfg, name), "CREATE TABLE `a``b; DROP TABLE audit; --` (v INT)", "INSERT INTO `a``b; DROP TABLE audit; --` VALUES (1), (2), (3)")
	c := client(t)
	for _, estimate := range []bool{false, true} {
		got, err := c.CountRows(testCtx(t), cfg, database.CountRowsRequest{Database: name, Estimate: estimate})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]database.TableRows{}
		for _, r := range got {
			if r.Schema != "" {
				t.Errorf("table %q has schema %q; MySQL tables have none (the database is the schema)", r.Table, r.Schema)
			}
			byName[r.Table] = r
		}
		if len(byName) != 5 {
			t.Errorf("estimate=%v: %d tables %+v, want the 4 seeded and the quoted one (no view, no sequence)", estimate, len(byName), got)
		}
		if r := byName["latin"]; r.Rows != 2 || !r.Exact {
			t.Errorf("estimate=%v: MyISAM table latin %+v, want 2 rows, exact", estimate, r)
		}
		if r := byName["a`b; DROP TABLE audit; --"]; !estimate && (r.Rows != 3 || !r.Exact) {
			t.Errorf("quoted table %+v, want 3 rows, exact", r)
		}
		if r := byName["audit"]; estimate && r.Exact {
			t.Errorf("InnoDB table audit reported exact under Estimate: %+v", r)
		}
	}
	_, err := c.CountRows(testCtx(t), cfg, database.CountRowsRequest{Database: uniqueName("dbk_missing")})
	if !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("CountRows of a missing database = %v, want spec.ErrNotFound", err)
	}
}

// TestCountRowsStopsWithItsContext blocks the count behind a table lock
// another session holds: the call must return when its deadline passes.
func TestCountRowsStopsWithItsContext(t *testing.T) {
	cfg := testServer(t)
	name := uniqueName("dbk_rowsctx")
	createDB(t, cfg, name)
	locker := admin(t, cfg, name)
	mustExec(t, locker, "CREATE TABLE locked (v INT) ENGINE=InnoDB", "LOCK TABLES locked WRITE")
	t.Cleanup(func() { locker.Exec("UNLOCK TABLES") })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := client(t).CountRows(ctx, cfg, database.CountRowsRequest{Database: name})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CountRows behind a lock = %v, want context.DeadlineExceeded", err)
	}
	if took > 5*time.Second {
		t.Errorf("CountRows returned %v after its deadline of 1s", took)
	}
}
