package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Dump header values and metadata keys.
const (
	formatCustom = "pg_dump-custom"
	extension    = "pgdump"

	metaPgDumpVersion = "pg_dump_version"
	metaServerNum     = "server_version_num"
	metaEncoding      = "encoding"
	metaCollate       = "lc_collate"
	metaCtype         = "lc_ctype"
)

// Dump runs pg_dump -Fc on one database and streams its stdout into w.
func (e *engine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	if len(req.Options) > 0 {
		keys := make([]string, 0, len(req.Options))
		for k := range req.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Errorf("dump options %q: this plugin takes none (table patterns and pg_dump options are configuration fields): %w", keys, spec.ErrInvalidArgument)
	}
	if req.Database == globalsName {
		return dumpGlobals(ctx, cfg, w)
	}
	args, err := dumpArgs(cfg)
	if err != nil {
		return err
	}
	s, err := newSession(cfg)
	if err != nil {
		return err
	}
	defer s.Close()

	srv, db, err := preflightDump(ctx, s, req.Database)
	if err != nil {
		return err
	}
	toolVer, toolMajor, err := toolVersion(ctx, "pg_dump")
	if err != nil {
		return err
	}
	// pg_dump refuses a newer server itself, but only after connecting and
	// with a message that does not say what to install.
	if toolMajor < srv.major() {
		return fmt.Errorf("the local pg_dump is version %s, older than the server (PostgreSQL %s): install the PostgreSQL %d client tools (or newer) beside the plugin", toolVer, srv.Version, srv.major())
	}
	if err := w.Begin(database.DumpHeader{
		Database: req.Database, Format: formatCustom, Extension: extension, Server: srv.ServerInfo,
		Metadata: map[string]string{
			metaPgDumpVersion: toolVer, metaServerNum: strconv.Itoa(srv.num),
			metaEncoding: db.encoding, metaCollate: db.collate, metaCtype: db.ctype,
		},
	}); err != nil {
		return err
	}
	args = append(args, "--dbname="+s.conninfo(req.Database))
	return runDump(ctx, s, "pg_dump", args, w)
}

// dumpArgs are pg_dump's arguments but the connection.
func dumpArgs(cfg spec.Config) ([]string, error) {
	extra, err := parseDumpOptions(cfg.String(fieldDumpOptions))
	if err != nil {
		return nil, &spec.ValidationError{Fields: []spec.FieldError{{Field: fieldDumpOptions, Message: err.Error()}}}
	}
	// --no-password: fail rather than wait for a prompt nobody sees.
	args := []string{"--format=custom", "--no-password"}
	// The core compresses the stream (zstd by default) better and faster
	// than pg_dump's zlib; compressing twice only burns CPU. The user may
	// still ask for --compress=N.
	if !hasCompress(extra) {
		args = append(args, "--compress=0")
	}
	args = append(args, extra...)
	for _, p := range []struct{ field, option string }{{fieldIncludeTables, "--table="}, {fieldExcludeTables, "--exclude-table="}} {
		pats, err := patterns(cfg.String(p.field))
		if err != nil {
			return nil, &spec.ValidationError{Fields: []spec.FieldError{{Field: p.field, Message: err.Error()}}}
		}
		for _, pat := range pats {
			args = append(args, p.option+pat)
		}
	}
	return args, nil
}

// preflightDump reads the server's version and the database's settings over
// a short-lived connection, so that a missing database is spec.ErrNotFound
// and refused credentials spec.ErrUnauthenticated before any tool runs.
func preflightDump(ctx context.Context, s *session, name string) (serverInfo, dbInfo, error) {
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return serverInfo{}, dbInfo{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	srv, err := queryServer(ctx, conn)
	if err != nil {
		return srv, dbInfo{}, err
	}
	db, err := lookupDatabase(ctx, conn, name)
	return srv, db, err
}

// runDump runs a dump tool (pg_dump, pg_dumpall) and copies its stdout into
// w. A writer that fails, a cancelled ctx or a non-zero exit all end in an
// error: the dump is never reported complete unless the tool said so and
// every byte was written.
func runDump(ctx context.Context, s *session, tool string, args []string, w database.DumpWriter) error {
	toolCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := command(toolCtx, s, tool, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	stderr := forwardStderr(pr, w, tool, s.password)
	if err := cmd.Start(); err != nil {
		pw.Close()
		stderr.wait()
		return fmt.Errorf("start %s: %w", tool, err)
	}
	_, copyErr := io.Copy(w, &progress{r: stdout, rep: w, stage: "dump"})
	if copyErr != nil {
		stop() // kills pg_dump's process group: nobody reads its output any more
	}
	waitErr := cmd.Wait()
	pw.Close()
	tail := stderr.wait()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("dump cancelled: %w", ctx.Err())
	case copyErr != nil:
		return fmt.Errorf("dump: %w", copyErr)
	case waitErr != nil:
		return classifyTool(toolError(tool, waitErr, tail), tail)
	}
	return nil
}

// progress reports bytes as they pass.
type progress struct {
	r     io.Reader
	rep   spec.Reporter
	stage string
	done  int64
	next  int64
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next || errors.Is(err, io.EOF) {
		p.rep.Progress(spec.Progress{DoneBytes: p.done, Stage: p.stage})
		p.next = p.done + 8*spec.ChunkSize
	}
	return n, err
}
