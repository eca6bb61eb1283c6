package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// The server's globals (roles, tablespaces) are what pg_dumpall
// --globals-only writes: objects of the whole server that no pg_dump of one
// database holds. With include-globals, ListDatabases reports them as one
// more entry named globalsName, which Dump and Restore recognise.
//
// globalsName is 67 bytes long. PostgreSQL database names are at most 63
// bytes (NAMEDATALEN - 1), so no real database can bear it, whatever
// characters it uses; it is plain ASCII so that it serves unchanged as the
// object name of the backup. ListDatabases still refuses to list it beside a
// database of the same name, for servers built with a larger NAMEDATALEN.
const (
	globalsName = "postgres-globals.roles-and-tablespaces.of-the-server.not-a-database"

	formatGlobals        = "pg_dumpall-globals-sql"
	extensionSQL         = "sql"
	metaPgDumpallVersion = "pg_dumpall_version"
	metaRolePasswords    = "role_passwords"

	// optRestoreGlobals "true" is required to restore the globals entry:
	// changing the roles of a server is never a side effect of restoring a
	// backup set.
	optRestoreGlobals = "restore-globals"

	// globalsTrailer ends every complete pg_dumpall output.
	globalsTrailer = "-- PostgreSQL database cluster dump complete"
	// globalsHold is how many of the dump's last bytes are held back from
	// psql until the trailer is seen: a truncated dump is refused before its
	// last statements run, and a dump smaller than this (the usual case)
	// before any statement runs.
	globalsHold = 256 << 10
	// maxGlobalsWarnings bounds RestoreResult.Warnings; the log has them all.
	maxGlobalsWarnings = 50
)

// isGlobals reports whether a restore concerns the globals entry: by the
// dump's format or by the target's name.
func isGlobals(req database.RestoreRequest) bool {
	return req.Source.Format == formatGlobals || req.TargetDatabase == globalsName ||
		(req.TargetDatabase == "" && req.Source.Database == globalsName)
}

// includeGlobals reads the include-globals field (validated by the SDK).
func includeGlobals(cfg spec.Config) bool {
	b, _ := cfg.Bool(fieldIncludeGlobals)
	return b
}

// globalsEntry is the ListDatabases entry of the globals; their size is not
// known without dumping them.
func globalsEntry(dbs []database.DatabaseInfo) ([]database.DatabaseInfo, error) {
	for _, d := range dbs {
		if d.Name == globalsName {
			return nil, fmt.Errorf("the server has a database named %q, the name this plugin reserves for the globals: turn %s off", globalsName, fieldIncludeGlobals)
		}
	}
	return append(dbs, database.DatabaseInfo{Name: globalsName, SizeBytes: -1}), nil
}

// dumpGlobals streams pg_dumpall --globals-only. A role that is not a
// superuser cannot read pg_authid: the dump then leaves the passwords out
// (--no-role-passwords), and says so in the log and the header.
func dumpGlobals(ctx context.Context, cfg spec.Config, w database.DumpWriter) error {
	if !includeGlobals(cfg) {
		return fmt.Errorf("%q is the server's globals, dumped only with %s on: %w", globalsName, fieldIncludeGlobals, spec.ErrNotFound)
	}
	s, err := newSession(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return err
	}
	srv, err := queryServer(ctx, conn)
	var super bool
	if err == nil {
		err = conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super)
		if err != nil {
			err = classify(ctx, "read the role's privileges", err)
		}
	}
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	toolVer, toolMajor, err := toolVersion(ctx, "pg_dumpall")
	if err != nil {
		return err
	}
	if toolMajor < srv.major() {
		return fmt.Errorf("the local pg_dumpall is version %s, older than the server (PostgreSQL %s): install the PostgreSQL %d client tools (or newer) beside the plugin", toolVer, srv.Version, srv.major())
	}
	args := []string{"--globals-only", "--no-password"}
	if !super {
		args = append(args, "--no-role-passwords")
	}
	if err := w.Begin(database.DumpHeader{
		Database: globalsName, Format: formatGlobals, Extension: extensionSQL, Server: srv.ServerInfo,
		Metadata: map[string]string{
			metaPgDumpallVersion: toolVer, metaServerNum: strconv.Itoa(srv.num),
			metaRolePasswords: strconv.FormatBool(super),
		},
	}); err != nil {
		return err
	}
	if !super {
		w.Log(spec.LevelWarn, fmt.Sprintf("%q is not a superuser and may not read role passwords: the globals are dumped without them (--no-role-passwords)", s.user))
	}
	args = append(args, "--dbname="+s.conninfo(s.maintenance))
	return runDump(ctx, s, "pg_dumpall", args, w)
}

// prepareGlobals is PrepareRestore of the globals entry.
func prepareGlobals(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	s, err := newSession(withPrivileged(cfg, req.Privileged))
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
	var super, createrole bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createrole); err != nil {
		return database.RestorePlan{}, classify(ctx, "read the role's privileges", err)
	}
	// The server's globals always exist: a restore merges into them.
	plan := database.RestorePlan{TargetServer: srv.ServerInfo, TargetExists: true}
	plan.Problems = append(plan.Problems, globalsProblems(ctx, req, srv)...)
	if !super && !createrole {
		plan.Problems = append(plan.Problems, fmt.Sprintf("%q may not create roles (needs CREATEROLE or superuser)", s.user))
	} else if !super {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("%q is not a superuser: tablespaces and superuser roles in the dump will fail and be reported", s.user))
	}
	plan.Warnings = append(plan.Warnings,
		"the dump's roles and tablespaces are created on the server; those that exist already are reported as errors and kept, and ALTER ROLE sets the attributes and passwords of every role in the dump to the dump's")
	return plan, nil
}

// globalsProblems lists what forbids restoring the globals dump of req.
func globalsProblems(ctx context.Context, req database.RestoreRequest, srv serverInfo) []string {
	h := req.Source
	var problems []string
	if h.Server.Engine != engineName {
		return append(problems, fmt.Sprintf("the dump comes from engine %q, not %q", h.Server.Engine, engineName))
	}
	if h.Format != formatGlobals {
		problems = append(problems, fmt.Sprintf("the dump's format is %q; only a %q dump restores into %q", h.Format, formatGlobals, globalsName))
	}
	if req.TargetDatabase != "" && req.TargetDatabase != globalsName {
		problems = append(problems, fmt.Sprintf("a dump of the server's globals restores into the server (target %q), not into database %q", globalsName, req.TargetDatabase))
	}
	if v, _ := strconv.ParseBool(req.Options[optRestoreGlobals]); !v {
		problems = append(problems, fmt.Sprintf("the server's globals (roles, tablespaces) are restored only on request: set the restore option %s=true", optRestoreGlobals))
	}
	if m, ok := versionMajor(h.Server.Version); ok && m > srv.major() {
		problems = append(problems, fmt.Sprintf("the dump comes from PostgreSQL %s, newer than the target server (PostgreSQL %s)", h.Server.Version, srv.Version))
	}
	if dv := h.Metadata[metaPgDumpallVersion]; dv != "" {
		pv, pm, err := toolVersion(ctx, "psql")
		if err != nil {
			problems = append(problems, err.Error())
		} else if dm, ok := versionMajor(dv); ok && dm > pm {
			problems = append(problems, fmt.Sprintf("the dump was written by pg_dumpall %s; the local psql %s may not read it: install the PostgreSQL %d client tools beside the plugin", dv, pv, dm))
		}
	}
	return problems
}

// restoreGlobals runs the globals dump with psql on the maintenance
// database, without stopping at errors: a role that exists already fails its
// CREATE ROLE and the rest goes on. Each error line goes to the log as a
// warning and into the result's Warnings. A dump without pg_dumpall's
// closing line is refused before its last bytes reach psql.
func restoreGlobals(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	res := database.RestoreResult{TargetDatabase: globalsName}
	s, err := newSession(withPrivileged(cfg, req.Privileged))
	if err != nil {
		return res, err
	}
	defer s.Close()
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return res, err
	}
	srv, err := queryServer(ctx, conn)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return res, err
	}
	if problems := globalsProblems(ctx, req, srv); len(problems) > 0 {
		return res, fmt.Errorf("restore the server's globals: %s: %w", strings.Join(problems, "; "), spec.ErrInvalidArgument)
	}
	warn := &warningCollector{rep: rep}
	n, err := runPsql(ctx, s, r, warn)
	res.BytesRead, res.Warnings = n, warn.list()
	if err != nil {
		return res, fmt.Errorf("restore the server's globals: %w", err)
	}
	if len(res.Warnings) > 0 {
		rep.Log(spec.LevelWarn, fmt.Sprintf("restored the server's globals with %d error(s) skipped (see above)", warn.count()))
	} else {
		rep.Log(spec.LevelInfo, "restored the server's globals")
	}
	return res, nil
}

// runPsql feeds r to psql connected to the maintenance database, holding the
// last globalsHold bytes back until the dump's trailer is seen.
func runPsql(ctx context.Context, s *session, r io.Reader, rep spec.Reporter) (int64, error) {
	toolCtx, stop := context.WithCancel(ctx)
	defer stop()
	args := []string{"--no-psqlrc", "--no-password", "--quiet", "--set=ON_ERROR_STOP=0",
		"--dbname=" + s.conninfo(s.maintenance), "--file=-"}
	cmd := command(toolCtx, s, "psql", args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	cmd.Stdout = io.Discard // command tags; errors go to stderr
	cmd.Stderr = pw
	stderr := forwardStderr(pr, rep, "psql", s.password)
	if err := cmd.Start(); err != nil {
		pw.Close()
		stderr.wait()
		return 0, fmt.Errorf("start psql: %w", err)
	}
	in := &countingReader{r: &progress{r: r, rep: rep, stage: "restore"}}
	var wg sync.WaitGroup
	var feedErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		feedErr = feedVerified(stdin, in)
		if feedErr != nil {
			stop() // never let psql run the statements of a cut dump
		}
		stdin.Close()
	}()
	wg.Wait()
	waitErr := cmd.Wait()
	pw.Close()
	tail := stderr.wait()
	var short *shortDumpError
	switch {
	case ctx.Err() != nil:
		return in.n, fmt.Errorf("restore cancelled: %w", ctx.Err())
	case in.err != nil:
		return in.n, fmt.Errorf("reading the dump: %w", in.err)
	case errors.As(feedErr, &short):
		return in.n, feedErr
	case waitErr != nil:
		return in.n, classifyTool(toolError("psql", waitErr, tail), tail)
	case feedErr != nil && !errors.Is(feedErr, syscall.EPIPE):
		return in.n, fmt.Errorf("feeding psql: %w", feedErr)
	}
	return in.n, nil
}

// shortDumpError is a globals dump that does not end as pg_dumpall ends it.
type shortDumpError struct{ n int64 }

func (e *shortDumpError) Error() string {
	return fmt.Sprintf("the globals dump ends after %d bytes without pg_dumpall's closing line: it is truncated or not a pg_dumpall dump; its last part was not run", e.n)
}

// feedVerified copies r to w but its last globalsHold bytes, which it writes
// only once r ended with the trailer of a complete pg_dumpall output.
func feedVerified(w io.Writer, r io.Reader) error {
	held := make([]byte, 0, 2*globalsHold)
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := r.Read(buf)
		total += int64(n)
		held = append(held, buf[:n]...)
		if over := len(held) - globalsHold; over > 0 {
			if _, werr := w.Write(held[:over]); werr != nil {
				return werr
			}
			held = append(held[:0], held[over:]...)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if !completeGlobals(held) {
		return &shortDumpError{n: total}
	}
	_, err := w.Write(held)
	return err
}

// completeGlobals reports whether a dump's tail ends with pg_dumpall's
// closing comment, followed by nothing but comment dashes and blank lines.
func completeGlobals(tail []byte) bool {
	i := bytes.LastIndex(tail, []byte(globalsTrailer))
	if i < 0 {
		return false
	}
	rest := bytes.TrimSpace(tail[i+len(globalsTrailer):])
	return len(bytes.Trim(rest, "-\n\r\t ")) == 0
}

// warningCollector logs psql's error lines as warnings and keeps the first
// maxGlobalsWarnings of them for the restore's result.
type warningCollector struct {
	rep spec.Reporter

	mu    sync.Mutex
	lines []string
	n     int
}

func (c *warningCollector) Log(level spec.Level, msg string) {
	if strings.Contains(msg, "ERROR:") || strings.Contains(msg, "FATAL:") {
		level = spec.LevelWarn
		c.mu.Lock()
		c.n++
		if len(c.lines) < maxGlobalsWarnings {
			c.lines = append(c.lines, msg)
		}
		c.mu.Unlock()
	}
	c.rep.Log(level, msg)
}

func (c *warningCollector) Progress(p spec.Progress) { c.rep.Progress(p) }

func (c *warningCollector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *warningCollector) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.lines...)
	if c.n > len(c.lines) {
		out = append(out, fmt.Sprintf("… and %d more errors (see the restore log)", c.n-len(c.lines)))
	}
	return out
}
