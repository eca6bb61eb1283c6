package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Restore creates the target database when it is missing and replays the
// dump into it with the client tool. The mapping to another name is done by
// connecting the client to the target: the dump names no database, so its
// bytes are passed on untouched, and data that merely contains the source's
// name stays as it was.
//
// The last bytes of the dump are held back until the stream ends: a dump
// without the tool's closing line is truncated, and the client is killed
// before it sees the end, so that the statement cut in the middle never runs.
// A failed restore into a database this call created drops that database; a
// database that existed before is left as the failure left it.
func (e *engine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	c, err := parseConfig(withPrivileged(cfg, req.Privileged))
	if err != nil {
		return database.RestoreResult{}, err
	}
	db, err := open(ctx, c, "")
	if err != nil {
		return database.RestoreResult{}, err
	}
	defer db.Close()
	srv, err := serverInfo(ctx, c, db)
	if err != nil {
		return database.RestoreResult{}, err
	}
	chk, err := checkRestore(ctx, c, db, srv, req)
	if err != nil {
		return database.RestoreResult{}, err
	}
	if len(chk.problems) > 0 {
		return database.RestoreResult{}, fmt.Errorf("restore into %q: %s: %w", chk.target, strings.Join(chk.problems, "; "), spec.ErrInvalidArgument)
	}
	for _, w := range chk.warnings {
		rep.Log(spec.LevelWarn, w)
	}
	t, err := findTool(ctx, clientTools[srv.Engine])
	if err != nil {
		return database.RestoreResult{}, err
	}
	if !chk.exists {
		if err := createDatabase(ctx, c, db, chk.target, req.Source.Metadata, rep); err != nil {
			return database.RestoreResult{}, err
		}
	}
	res, err := replay(ctx, c, t, chk.target, r, rep)
	if err != nil && !chk.exists {
		// A half-restored database nobody had before is only in the way.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		if _, derr := db.ExecContext(dctx, "DROP DATABASE "+quoteIdent(chk.target)); derr != nil {
			rep.Log(spec.LevelError, fmt.Sprintf("could not drop the partly restored database %q: %v", chk.target, derr))
		} else {
			rep.Log(spec.LevelInfo, fmt.Sprintf("dropped the partly restored database %q", chk.target))
		}
	}
	return res, err
}

// charsetName is what a character set or collation name looks like; the
// header's values are checked against it before they reach SQL.
var charsetName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// createDatabase creates target with the source's default character set and
// collation, which the dump does not carry (it has no CREATE DATABASE).
func createDatabase(ctx context.Context, c conn, db *sql.DB, target string, meta map[string]string, rep spec.Reporter) error {
	q := "CREATE DATABASE " + quoteIdent(target)
	if cs := meta[metaCharset]; charsetName.MatchString(cs) {
		q += " CHARACTER SET " + cs
		if co := meta[metaCollation]; charsetName.MatchString(co) {
			q += " COLLATE " + co
		}
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create database %q: %w", target, classify(c, err))
	}
	rep.Log(spec.LevelInfo, fmt.Sprintf("created database %q", target))
	return nil
}

// replay streams r into the client tool connected to target.
func replay(ctx context.Context, c conn, t tool, target string, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	res := database.RestoreResult{TargetDatabase: target}
	opts, err := writeOptionFile(c, t)
	if err != nil {
		return res, err
	}
	defer opts.remove()
	// --binary-mode: the dump's bytes are SQL with binary data in it, not
	// text for the client's interpretation ("\" commands, NUL handling).
	args := []string{opts.arg(), "--binary-mode", "--default-character-set=utf8mb4", "--", target}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stdin io.WriteCloser
	p, err := start(ctx, t, args, rep, c.password, func(cmd *exec.Cmd) (err error) {
		stdin, err = cmd.StdinPipe()
		return err
	})
	if err != nil {
		return res, err
	}
	n, feedErr := feed(ctx, stdin, r, rep)
	res.BytesRead = n
	var clientGone *clientError
	if feedErr != nil && !errors.As(feedErr, &clientGone) {
		cancel() // kill the client before it runs a cut statement
	}
	waitErr := p.wait(ctx)
	switch {
	case clientGone != nil && waitErr != nil: // the client's own message says why
		return res, fmt.Errorf("restore into %q: %w", target, waitErr)
	case feedErr != nil:
		return res, fmt.Errorf("restore into %q: %w", target, feedErr)
	case waitErr != nil:
		return res, fmt.Errorf("restore into %q: %w", target, waitErr)
	}
	rep.Progress(spec.Progress{DoneBytes: n, TotalBytes: n, Stage: "restore"})
	rep.Log(spec.LevelInfo, fmt.Sprintf("restored %d bytes into %q", n, target))
	return res, nil
}

// clientError is a failed write to the client: it exited, and its exit
// status and stderr tell why better than the broken pipe does.
type clientError struct{ err error }

func (e *clientError) Error() string { return "the client stopped reading: " + e.err.Error() }
func (e *clientError) Unwrap() error { return e.err }

// errTruncated says the dump ended without the dump tool's closing line.
var errTruncated = errors.New(`the dump ends without the dump tool's closing "-- Dump completed" line: it is truncated`)

// feed copies r to the client's stdin, holding the last tailSize bytes back
// until r ends, and sends them (closing stdin) only when the dump ends with
// the completed line. It returns the bytes read from r.
func feed(ctx context.Context, stdin io.WriteCloser, r io.Reader, rep spec.Reporter) (int64, error) {
	defer stdin.Close()
	buf := make([]byte, spec.ChunkSize+tailSize)
	held := 0 // bytes at buf[:held] not yet sent
	var total int64
	lastReport := time.Now()
	for {
		n, err := r.Read(buf[held:])
		total += int64(n)
		held += n
		if held > tailSize {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			send := held - tailSize
			if _, werr := stdin.Write(buf[:send]); werr != nil {
				return total, &clientError{werr}
			}
			held = copy(buf, buf[send:held])
		}
		if time.Since(lastReport) > time.Second {
			rep.Progress(spec.Progress{DoneBytes: total, Stage: "restore"})
			lastReport = time.Now()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return total, fmt.Errorf("reading the dump: %w", err)
		}
	}
	if !completed.Match(buf[:held]) {
		return total, errTruncated
	}
	if _, err := stdin.Write(buf[:held]); err != nil {
		return total, &clientError{err}
	}
	return total, stdin.Close()
}

func isNotFound(err error) bool { return errors.Is(err, spec.ErrNotFound) }
