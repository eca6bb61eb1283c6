package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// CountRows counts the rows of every base table of one database (views are
// not tables; information_schema lists them as VIEW, system versioned tables
// as SYSTEM VERSIONED and sequences as SEQUENCE on MariaDB, none of which a
// drill compares). Exact counts are SELECT COUNT(*) per table, all inside one
// read-only REPEATABLE READ transaction, so InnoDB tables are counted at one
// moment. With req.Estimate, information_schema.TABLES.TABLE_ROWS is used:
// exact for MyISAM and Aria, an estimate for InnoDB.
//
// Schema is left empty: in MySQL the database is the schema, and a copy
// restored under another name must count alike.
func (e *engine) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	if err := checkName("database", req.Database); err != nil {
		return nil, err
	}
	c, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, c, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := lookupSchema(ctx, c, db, req.Database); err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, classify(c, err)
	}
	defer tx.Rollback()
	tables, err := baseTables(ctx, c, tx, req.Database)
	if err != nil {
		return nil, err
	}
	out := make([]database.TableRows, len(tables))
	for i, t := range tables {
		out[i] = database.TableRows{Table: t.name}
		if req.Estimate && t.estimate.Valid {
			out[i].Rows = t.estimate.Int64
			out[i].Exact = t.engine == "MyISAM" || t.engine == "Aria"
			continue
		}
		q := "SELECT COUNT(*) FROM " + quoteIdent(req.Database) + "." + quoteIdent(t.name)
		if err := tx.QueryRowContext(ctx, q).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("count the rows of %s.%s: %w", quoteIdent(req.Database), quoteIdent(t.name), classify(c, err))
		}
		out[i].Exact = true
	}
	return out, nil
}

// table is one base table as information_schema describes it.
type table struct {
	name, engine string
	estimate     sql.NullInt64
}

func baseTables(ctx context.Context, c conn, tx *sql.Tx, name string) ([]table, error) {
	rows, err := tx.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(ENGINE, ''), TABLE_ROWS
		FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'
		ORDER BY TABLE_NAME`, name)
	if err != nil {
		return nil, classify(c, err)
	}
	defer rows.Close()
	var out []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.engine, &t.estimate); err != nil {
			return nil, fmt.Errorf("list the tables of %q: %w", name, err)
		}
		t.engine = strings.TrimSpace(t.engine)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(c, err)
	}
	return out, nil
}
