package main

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestCountRows counts what a drill compares and nothing else: partitions
// but not their parent, a parent with inheritance children only for its own
// rows, not views, materialized views or system catalogues; a name that is
// SQL counts; Estimate uses the statistics of analysed tables.
func TestCountRows(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	name := uniqueName("rows")
	createDB(t, dsn, name)
	conn := admin(t, dsn, name)
	for _, q := range []string{
		`CREATE SCHEMA "s""; DROP TABLE x; --"`,
		`CREATE TABLE "s""; DROP TABLE x; --"."t ✓" AS SELECT g FROM generate_series(1, 5) g`,
		`CREATE TABLE public.parted (k int, v text) PARTITION BY RANGE (k)`,
		`CREATE TABLE public.parted_low PARTITION OF public.parted FOR VALUES FROM (0) TO (10)`,
		`CREATE TABLE public.parted_high PARTITION OF public.parted FOR VALUES FROM (10) TO (100)`,
		`INSERT INTO public.parted SELECT g, 'v' FROM generate_series(1, 50) g`,
		`CREATE TABLE public.base (v int)`,
		`CREATE TABLE public.child () INHERITS (public.base)`,
		`INSERT INTO public.base VALUES (1)`,
		`INSERT INTO public.child VALUES (2), (3)`,
		`CREATE TABLE public.empty (v int)`,
		`CREATE VIEW public.a_view AS SELECT 1`,
		`CREATE MATERIALIZED VIEW public.a_matview AS SELECT 1`,
		`ANALYZE`,
	} {
		mustExec(t, conn, q)
	}
	db := client(t)
	want := []database.TableRows{
		{Schema: "public", Table: "base", Rows: 1, Exact: true},
		{Schema: "public", Table: "child", Rows: 2, Exact: true},
		{Schema: "public", Table: "empty", Rows: 0, Exact: true},
		{Schema: "public", Table: "parted_high", Rows: 41, Exact: true},
		{Schema: "public", Table: "parted_low", Rows: 9, Exact: true},
		{Schema: `s"; DROP TABLE x; --`, Table: "t ✓", Rows: 5, Exact: true},
	}
	got, err := db.CountRows(callCtx(t), cfg, database.CountRowsRequest{Database: name})
	if err != nil {
		t.Fatal(err)
	}
	sortRows(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exact counts (-want +got):\n%s", diff)
	}
	est, err := db.CountRows(callCtx(t), cfg, database.CountRowsRequest{Database: name, Estimate: true})
	if err != nil {
		t.Fatal(err)
	}
	sortRows(est)
	for i, r := range est {
		if i < len(want) && r.Table == "parted_high" && (r.Exact || r.Rows != 41) {
			t.Errorf("estimate of an analysed table: %+v, want 41 rows marked inexact", r)
		}
		if r.Table == "empty" && !r.Exact {
			t.Errorf("an empty table has no statistics to estimate from and must be counted: %+v", r)
		}
	}
	for _, missing := range []string{uniqueName("missing"), globalsName} {
		if _, err := db.CountRows(callCtx(t), cfg, database.CountRowsRequest{Database: missing}); err == nil {
			t.Errorf("CountRows(%q) succeeded", missing)
		} else if missing != globalsName && !errors.Is(err, spec.ErrNotFound) {
			t.Errorf("CountRows of a missing database = %v, want spec.ErrNotFound", err)
		}
	}
}

func sortRows(rows []database.TableRows) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Schema != rows[j].Schema {
			return rows[i].Schema < rows[j].Schema
		}
		return rows[i].Table < rows[j].Table
	})
}

// TestCountRowsStopsWithItsContext blocks the count behind a lock another
// session holds: the call must return when its deadline passes, not when the
// lock goes.
func TestCountRowsStopsWithItsContext(t *testing.T) {
	dsn := resolveServer(t)
	name := uniqueName("rowsctx")
	createDB(t, dsn, name)
	conn := admin(t, dsn, name)
	mustExec(t, conn, `CREATE TABLE public.locked (v int)`)
	tx, err := conn.Begin(callCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(callCtx(t), `LOCK TABLE public.locked IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = client(t).CountRows(ctx, configFrom(t, dsn), database.CountRowsRequest{Database: name})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CountRows behind a lock = %v, want context.DeadlineExceeded", err)
	}
	if took > 5*time.Second {
		t.Errorf("CountRows returned %v after its deadline of 1s", took)
	}
}
