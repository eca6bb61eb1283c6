package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// userTablesQuery lists the tables whose rows a restore drill compares:
// ordinary tables and partitions (relkind r) outside the system schemas. A
// partitioned parent (relkind p) holds no rows of its own, its partitions are
// counted instead; foreign tables are left out, as counting them would read
// another server.
const userTablesQuery = `
	SELECT n.nspname, c.relname, c.reltuples::bigint
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = 'r'
	  AND n.nspname <> 'information_schema'
	  AND n.nspname NOT LIKE 'pg\_%'
	ORDER BY n.nspname, c.relname`

// CountRows counts the rows of every user table of one database: exactly
// (SELECT count(*) FROM ONLY each table, so that a table with inheritance
// children counts its own rows once), or with req.Estimate from the planner's
// statistics (pg_class.reltuples) where the table has been analysed.
func (e *engine) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	if req.Database == globalsName {
		return nil, fmt.Errorf("%q is the server's globals, which hold no tables: %w", globalsName, spec.ErrInvalidArgument)
	}
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	// Connecting to a missing database fails with 3D000: spec.ErrNotFound.
	conn, err := s.connect(ctx, req.Database)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// One snapshot for every count, so that the tables are counted at one
	// moment even while the database is written to.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("begin counting in %q", req.Database), err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, userTablesQuery)
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("list the tables of %q", req.Database), err)
	}
	type table struct {
		database.TableRows
		estimate int64
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		return t, r.Scan(&t.Schema, &t.Table, &t.estimate)
	})
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("list the tables of %q", req.Database), err)
	}
	out := make([]database.TableRows, len(tables))
	for i, t := range tables {
		// reltuples is -1 (PostgreSQL 14+) or 0 for a table never analysed,
		// which may well hold rows: count those exactly.
		if req.Estimate && t.estimate > 0 {
			t.Rows, t.Exact = t.estimate, false
		} else {
			t.Rows, t.Exact, err = countTable(ctx, tx, t.Schema, t.Table)
			if err != nil {
				return nil, err
			}
		}
		out[i] = t.TableRows
	}
	return out, nil
}

// countTable counts one table's own rows. Both names are quoted as
// identifiers, so a table called `x"; DROP TABLE y; --` is only that table.
func countTable(ctx context.Context, tx pgx.Tx, schema, table string) (int64, bool, error) {
	var n int64
	q := "SELECT count(*) FROM ONLY " + pgx.Identifier{schema, table}.Sanitize()
	if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, false, classify(ctx, fmt.Sprintf("count the rows of %s", pgx.Identifier{schema, table}.Sanitize()), err)
	}
	return n, true, nil
}
