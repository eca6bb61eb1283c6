package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// PrepareRestore checks, without changing anything, that the dump can be
// restored into the target: engine and format, versions (server and local
// pg_restore), and the privileges to create or overwrite the target.
func (e *engine) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	if isGlobals(req) {
		return prepareGlobals(ctx, cfg, req)
	}
	cfg = withPrivileged(cfg, req.Privileged)
	s, err := newSession(cfg)
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer s.Close()
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	srv, err := queryServer(ctx, conn)
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan := database.RestorePlan{TargetServer: srv.ServerInfo}
	plan.Problems = append(plan.Problems, sourceProblems(ctx, req.Source, srv)...)

	target := targetName(req)
	t, err := inspectTarget(ctx, conn, target)
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan.TargetExists = t.exists
	switch {
	case t.exists && !t.superuser && !t.owner:
		plan.Problems = append(plan.Problems, fmt.Sprintf("database %q exists and %q neither owns it nor is a superuser: it cannot be overwritten", target, s.user))
	case t.exists:
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("database %q exists: the objects of the dump are dropped and recreated in it (objects not in the dump are kept)", target))
	case !t.superuser && !t.createdb:
		plan.Problems = append(plan.Problems, fmt.Sprintf("database %q does not exist and %q may not create databases (needs CREATEDB or superuser)", target, s.user))
	}
	return plan, nil
}

// targetName is the database to restore into; empty means the source's name.
func targetName(req database.RestoreRequest) string {
	if req.TargetDatabase != "" {
		return req.TargetDatabase
	}
	return req.Source.Database
}

// sourceProblems lists what forbids restoring a dump with header h into srv.
func sourceProblems(ctx context.Context, h database.DumpHeader, srv serverInfo) []string {
	var problems []string
	if h.Server.Engine != engineName {
		problems = append(problems, fmt.Sprintf("the dump comes from engine %q, not %q", h.Server.Engine, engineName))
		return problems
	}
	if h.Format != formatCustom {
		problems = append(problems, fmt.Sprintf("the dump's format is %q; this plugin restores %q", h.Format, formatCustom))
	}
	if m, ok := versionMajor(h.Server.Version); !ok {
		problems = append(problems, fmt.Sprintf("the dump names no readable server version (%q)", h.Server.Version))
	} else if m > srv.major() {
		problems = append(problems, fmt.Sprintf("the dump comes from PostgreSQL %s, newer than the target server (PostgreSQL %s): restore into PostgreSQL %d or newer", h.Server.Version, srv.Version, m))
	}
	// pg_restore cannot read an archive written by a newer pg_dump.
	if dv := h.Metadata[metaPgDumpVersion]; dv != "" {
		rv, rm, err := toolVersion(ctx, "pg_restore")
		if err != nil {
			problems = append(problems, err.Error())
		} else if dm, ok := versionMajor(dv); ok && dm > rm {
			problems = append(problems, fmt.Sprintf("the dump was written by pg_dump %s; the local pg_restore %s cannot read it: install the PostgreSQL %d client tools beside the plugin", dv, rv, dm))
		}
	}
	return problems
}

// targetState is what the connected role may do with the target database.
type targetState struct {
	exists, owner, superuser, createdb bool
}

func inspectTarget(ctx context.Context, conn *pgx.Conn, name string) (targetState, error) {
	var t targetState
	err := conn.QueryRow(ctx, `SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user`).Scan(&t.superuser, &t.createdb)
	if err != nil {
		return t, classify(ctx, "read the role's privileges", err)
	}
	err = conn.QueryRow(ctx, `SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database WHERE datname = $1`, name).Scan(&t.owner)
	switch {
	case err == pgx.ErrNoRows:
		return t, nil
	case err != nil:
		return t, classify(ctx, fmt.Sprintf("database %q", name), err)
	}
	t.exists = true
	return t, nil
}
