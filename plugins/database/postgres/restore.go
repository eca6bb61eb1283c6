package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Restore options (RestoreRequest.Options).
const (
	// optNoPrivileges "true" skips GRANT/REVOKE: needed when the dump grants
	// to roles that do not exist on the target server.
	optNoPrivileges = "no-privileges"
	// optSingleTransaction "false" restores statement by statement, for
	// schemas too large for one transaction's lock table.
	optSingleTransaction = "single-transaction"
)

// Restore creates the target database when it is missing, then feeds the
// dump to pg_restore on stdin. See the package documentation for the flags.
// A database the restore created is dropped again when the restore fails.
func (e *engine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	if _, err := restoreOptions(req.Options); err != nil {
		return database.RestoreResult{}, err
	}
	if isGlobals(req) {
		return restoreGlobals(ctx, cfg, req, r, rep)
	}
	target := targetName(req)
	if target == "" {
		return database.RestoreResult{}, fmt.Errorf("restore: no target database: %w", spec.ErrInvalidArgument)
	}
	opts, err := restoreOptions(req.Options)
	if err != nil {
		return database.RestoreResult{}, err
	}
	cfg = withPrivileged(cfg, req.Privileged)
	s, err := newSession(cfg)
	if err != nil {
		return database.RestoreResult{}, err
	}
	defer s.Close()

	existed, srv, err := ensureTarget(ctx, s, req.Source, target, rep)
	if err != nil {
		return database.RestoreResult{}, err
	}
	args := []string{"--format=custom", "--no-password", "--no-owner", "--exit-on-error"}
	if existed {
		args = append(args, "--clean", "--if-exists")
	}
	if opts.singleTransaction {
		args = append(args, "--single-transaction")
	}
	if opts.noPrivileges {
		args = append(args, "--no-privileges")
	}
	args = append(args, "--dbname="+s.conninfo(target))
	n, err := runRestore(ctx, s, args, r, rep)
	if err != nil {
		if !existed {
			dropCreated(s, target, srv, rep)
		}
		return database.RestoreResult{TargetDatabase: target, BytesRead: n}, fmt.Errorf("restore into %q: %w", target, err)
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("restored %d bytes into database %q", n, target))
	return database.RestoreResult{TargetDatabase: target, BytesRead: n}, nil
}

type restoreOpts struct{ noPrivileges, singleTransaction bool }

func restoreOptions(o map[string]string) (restoreOpts, error) {
	out := restoreOpts{singleTransaction: true}
	for k, v := range o {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return out, fmt.Errorf("restore option %s=%q: must be true or false: %w", k, v, spec.ErrInvalidArgument)
		}
		switch k {
		case optNoPrivileges:
			out.noPrivileges = b
		case optSingleTransaction:
			out.singleTransaction = b
		case optRestoreGlobals:
			// read by the globals restore; a database restore ignores it,
			// so that one set of options serves a whole backup set
		default:
			return out, fmt.Errorf("restore option %q is unknown (known: %s, %s, %s): %w", k, optNoPrivileges, optSingleTransaction, optRestoreGlobals, spec.ErrInvalidArgument)
		}
	}
	return out, nil
}

// ensureTarget checks the dump against the server and creates the target
// when it does not exist. It reports whether the target existed.
func ensureTarget(ctx context.Context, s *session, src database.DumpHeader, target string, rep spec.Reporter) (bool, serverInfo, error) {
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return false, serverInfo{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	srv, err := queryServer(ctx, conn)
	if err != nil {
		return false, srv, err
	}
	if problems := sourceProblems(ctx, src, srv); len(problems) > 0 {
		return false, srv, fmt.Errorf("restore into %q: %s: %w", target, strings.Join(problems, "; "), spec.ErrInvalidArgument)
	}
	t, err := inspectTarget(ctx, conn, target)
	if err != nil || t.exists {
		return t.exists, srv, err
	}
	return false, srv, createDatabase(ctx, conn, src, target, rep)
}

// createDatabase creates target from template0 (template1 may hold objects
// that would collide with the dump's), with the source's encoding and locale
// when the dump recorded them. A locale the target server lacks falls back
// to the server's default, with a warning.
func createDatabase(ctx context.Context, conn *pgx.Conn, src database.DumpHeader, target string, rep spec.Reporter) error {
	base := "CREATE DATABASE " + pgx.Identifier{target}.Sanitize() + " TEMPLATE template0"
	md := src.Metadata
	q := base
	if md[metaEncoding] != "" {
		q += " ENCODING " + quoteLiteral(md[metaEncoding])
		if md[metaCollate] != "" && md[metaCtype] != "" {
			q += " LC_COLLATE " + quoteLiteral(md[metaCollate]) + " LC_CTYPE " + quoteLiteral(md[metaCtype])
		}
	}
	_, err := conn.Exec(ctx, q)
	var pgErr *pgconn.PgError
	if err != nil && q != base && errors.As(err, &pgErr) && (pgErr.Code == "22023" || pgErr.Code == "42809") {
		rep.Log(spec.LevelWarn, fmt.Sprintf("cannot create %q with the source's encoding and locale (%s); using the server's defaults", target, pgErr.Message))
		_, err = conn.Exec(ctx, base)
	}
	if err != nil {
		return classify(ctx, fmt.Sprintf("create database %q", target), err)
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("created database %q", target))
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dropCreated drops a database this restore created, after a failure, so
// that a failed restore leaves nothing behind. It runs even when ctx was
// cancelled, within its own short deadline.
func dropCreated(s *session, target string, srv serverInfo, rep spec.Reporter) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := s.connect(ctx, s.maintenance)
	if err == nil {
		defer conn.Close(ctx)
		q := "DROP DATABASE IF EXISTS " + pgx.Identifier{target}.Sanitize()
		if srv.major() >= 13 { // a killed pg_restore's backend may linger for a moment
			q += " WITH (FORCE)"
		}
		_, err = conn.Exec(ctx, q)
	}
	if err != nil {
		rep.Log(spec.LevelWarn, fmt.Sprintf("the failed restore created database %q and could not drop it: %v", target, err))
		return
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("dropped database %q, which the failed restore had created", target))
}

// runRestore runs pg_restore with the dump on its stdin and returns the bytes
// read from r. A failing r kills pg_restore and its error is returned (not
// pg_restore's complaint about a short archive), so the caller sees why.
func runRestore(ctx context.Context, s *session, args []string, r io.Reader, rep spec.Reporter) (int64, error) {
	toolCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := command(toolCtx, s, "pg_restore", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	stderr := forwardStderr(pr, rep, "pg_restore", s.password)
	if err := cmd.Start(); err != nil {
		pw.Close()
		stderr.wait()
		return 0, fmt.Errorf("start pg_restore: %w", err)
	}
	in := &countingReader{r: &progress{r: r, rep: rep, stage: "restore"}}
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, writeErr = io.Copy(stdin, in)
		stdin.Close()
		if in.err != nil {
			stop() // the dump cannot be completed: do not let pg_restore commit a part
		}
	}()
	waitErr := cmd.Wait()
	wg.Wait()
	pw.Close()
	tail := stderr.wait()
	switch {
	case ctx.Err() != nil:
		return in.n, fmt.Errorf("restore cancelled: %w", ctx.Err())
	case in.err != nil:
		return in.n, fmt.Errorf("reading the dump: %w", in.err)
	case waitErr != nil:
		return in.n, classifyTool(toolError("pg_restore", waitErr, tail), tail)
	case writeErr != nil && !errors.Is(writeErr, syscall.EPIPE):
		return in.n, fmt.Errorf("feeding pg_restore: %w", writeErr)
	}
	// pg_restore stops reading once it has the last entry; what follows would
	// be bytes it never looked at, which a dump of ours does not have.
	rest, err := io.Copy(io.Discard, in)
	if err != nil {
		return in.n, fmt.Errorf("reading the dump: %w", err)
	}
	if rest > 0 {
		return in.n, fmt.Errorf("pg_restore finished but %d bytes of the dump were left unread: not a dump this plugin wrote", rest)
	}
	return in.n, nil
}

// countingReader counts bytes and remembers the first read error other than
// io.EOF, so that a failing source is told apart from a failing tool.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}
