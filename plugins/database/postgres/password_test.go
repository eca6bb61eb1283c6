package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestPasswordAuthentication runs against a server that checks passwords:
// the right password (with characters a password file must escape) lets
// pgx, pg_dump and pg_restore in; a wrong one is spec.ErrUnauthenticated;
// privileged restore credentials replace the configured ones; and no log
// line shows the password.
func TestPasswordAuthentication(t *testing.T) {
	dsn := resolveScramServer(t)
	adminDSN := withPassword(t, dsn, scramPassword)
	cfg := with(configFrom(t, dsn), fieldPassword, scramPassword)
	db := client(t)

	if _, err := db.Test(callCtx(t), cfg); err != nil {
		t.Fatalf("Test with the right password: %v", err)
	}
	_, err := db.Test(callCtx(t), with(cfg, fieldPassword, "wrong"))
	if !errors.Is(err, spec.ErrUnauthenticated) {
		t.Fatalf("Test with a wrong password = %v, want spec.ErrUnauthenticated", err)
	}
	t.Logf("wrong password: %v", err)
	_, err = db.Test(callCtx(t), with(cfg, fieldPassword, ""))
	if !errors.Is(err, spec.ErrUnauthenticated) {
		t.Errorf("Test without a password = %v, want spec.ErrUnauthenticated", err)
	}
	err = db.Dump(callCtx(t), with(cfg, fieldPassword, "wrong"), database.DumpRequest{Database: "postgres"}, &memDump{})
	if !errors.Is(err, spec.ErrUnauthenticated) {
		t.Errorf("Dump with a wrong password = %v, want spec.ErrUnauthenticated", err)
	}

	source := uniqueName("scram")
	createDB(t, adminDSN, source)
	mustExec(t, admin(t, adminDSN, source), `CREATE TABLE t (v text); INSERT INTO t VALUES ('behind a password ✓')`)

	// The tools themselves authenticate from the password file.
	target := uniqueName("scram_copy")
	dropLater(t, adminDSN, target)
	d := dumpAndRestore(t, db, cfg, source, target)
	if got := rows(t, admin(t, adminDSN, target), `SELECT v FROM t`); len(got) != 1 || got[0] != "behind a password ✓" {
		t.Errorf("restored rows %q", got)
	}
	for _, l := range d.lines() {
		if strings.Contains(l, scramPassword) {
			t.Errorf("log line shows the password: %q", l)
		}
	}

	// A role that may not create databases restores with privileged
	// credentials, which replace user and password.
	plain := uniqueName("plain")
	mustExec(t, admin(t, adminDSN, ""), "CREATE ROLE "+pgx.Identifier{plain}.Sanitize()+" LOGIN PASSWORD 'plain-pw'")
	t.Cleanup(func() { mustExec(t, admin(t, adminDSN, ""), "DROP ROLE "+pgx.Identifier{plain}.Sanitize()) })
	plainCfg := with(with(cfg, fieldUser, plain), fieldPassword, "plain-pw")
	priv := spec.Config{fieldUser: "postgres", fieldPassword: scramPassword}
	second := uniqueName("scram_priv")
	dropLater(t, adminDSN, second)
	req := database.RestoreRequest{Source: *d.header, TargetDatabase: second}
	plan, err := db.PrepareRestore(callCtx(t), plainCfg, req)
	if err != nil || len(plan.Problems) == 0 {
		t.Errorf("PrepareRestore as a role without CREATEDB: %+v, %v; want a problem", plan, err)
	}
	req.Privileged = priv
	plan, err = db.PrepareRestore(callCtx(t), plainCfg, req)
	if err != nil || len(plan.Problems) != 0 {
		t.Fatalf("PrepareRestore with privileged credentials: %+v, %v", plan, err)
	}
	if _, err := db.Restore(callCtx(t), plainCfg, req, strings.NewReader(d.buf.String()), &memDump{}); err != nil {
		t.Fatalf("Restore with privileged credentials: %v", err)
	}
}
