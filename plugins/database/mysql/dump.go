package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// The dump is the tool's SQL text, as the client replays it.
const (
	formatSQL = "sql"
	extension = "sql"
)

// Metadata keys of the dump header.
const (
	metaServerVersion = "server_version" // VERSION() as the server spells it
	metaTool          = "dump_tool"      // the dump tool's --version line
	metaCharset       = "charset"        // the database's default character set
	metaCollation     = "collation"      // and collation, given to the restored database
)

// dumpArgs are the options every dump gets, after the option file:
//   - --single-transaction: a consistent InnoDB snapshot without locking
//     writers (it also turns --lock-tables off; MyISAM tables are not
//     consistent, as with any online mysqldump);
//   - --quick: rows stream from the server instead of being buffered;
//   - --routines --events --triggers: every object of the database;
//   - --hex-blob: binary values as hex literals, safe through any charset;
//   - --default-character-set=utf8mb4: all of Unicode, emoji included;
//   - --no-create-db, one database and no --databases: the dump has no
//     CREATE DATABASE or USE, so it restores under any name unchanged.
var dumpArgs = []string{
	"--single-transaction", "--quick", "--routines", "--events", "--triggers", "--hex-blob",
	"--default-character-set=utf8mb4", "--no-create-db",
}

// completed is the line the tools write last (they omit it when they fail);
// a dump without it at its end is truncated.
var completed = regexp.MustCompile(`\n-- Dump completed[^\n]*\n$`)

// tailSize keeps enough of a stream's end to find the completed line.
const tailSize = 256

// Dump runs the flavour's dump tool on one database and streams its output.
func (e *engine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	c, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	if err := checkName("database", req.Database); err != nil {
		return err
	}
	srv, full, schema, tables, err := inspectSource(ctx, c, req.Database)
	if err != nil {
		return err
	}
	t, err := findTool(ctx, dumpTools[srv.Engine])
	if err != nil {
		return err
	}
	opts, err := writeOptionFile(c, t)
	if err != nil {
		return err
	}
	defer opts.remove()

	args := append([]string{opts.arg()}, dumpArgs...)
	if !t.mariadb {
		// A MySQL dump of a GTID server would otherwise set GTID_PURGED,
		// which fails on any target that has executed transactions.
		args = append(args, "--set-gtid-purged=OFF")
		if srv.Engine == engineMariaDB {
			args = append(args, "--column-statistics=0") // MariaDB has no such table
		}
	}
	for _, tbl := range c.exclude {
		args = append(args, "--ignore-table="+req.Database+"."+tbl)
	}
	// "--" ends the options: a database named "-x" stays a name.
	args = append(append(args, "--", req.Database), tables...)

	if err := w.Begin(database.DumpHeader{
		Database: req.Database, Format: formatSQL, Extension: extension, Server: srv,
		Metadata: map[string]string{
			metaServerVersion: full, metaTool: t.version, metaCharset: schema.charset, metaCollation: schema.collation,
		},
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stdout io.ReadCloser
	p, err := start(ctx, t, args, w, c.password, func(cmd *exec.Cmd) (err error) {
		stdout, err = cmd.StdoutPipe()
		return err
	})
	if err != nil {
		return err
	}
	tail, copyErr := copyDump(ctx, w, stdout)
	if copyErr != nil {
		cancel() // the tool must not outlive a dump nobody receives
	}
	waitErr := p.wait(ctx)
	switch {
	case copyErr != nil:
		return fmt.Errorf("dump %s: %w", req.Database, copyErr)
	case waitErr != nil:
		return fmt.Errorf("dump %s: %w", req.Database, waitErr)
	case !completed.Match(tail):
		return fmt.Errorf("dump %s: %s exited without writing its closing \"-- Dump completed\" line: the dump is incomplete", req.Database, p.name)
	}
	return nil
}

// inspectSource reads what the dump needs to know before it starts: the
// server, VERSION(), the database's defaults (spec.ErrNotFound when it does
// not exist) and, with include-tables set, the tables to dump.
func inspectSource(ctx context.Context, c conn, name string) (database.ServerInfo, string, schemaInfo, []string, error) {
	db, err := open(ctx, c, "")
	if err != nil {
		return database.ServerInfo{}, "", schemaInfo{}, nil, err
	}
	defer db.Close()
	var full, comment string
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@version_comment").Scan(&full, &comment); err != nil {
		return database.ServerInfo{}, "", schemaInfo{}, nil, classify(c, err)
	}
	srv := parseServer(full, comment)
	s, err := lookupSchema(ctx, c, db, name)
	if err != nil {
		return srv, full, s, nil, err
	}
	tables, err := includedTables(ctx, c, db, name)
	return srv, full, s, tables, err
}

// includedTables returns the include-tables this database has, nil when the
// list is empty (everything), and an error when it has none of them: dumping
// the whole database instead would not be what was asked.
func includedTables(ctx context.Context, c conn, db *sql.DB, name string) ([]string, error) {
	if len(c.include) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", name)
	if err != nil {
		return nil, classify(c, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		have[t] = true
	}
	if err := rows.Err(); err != nil {
		return nil, classify(c, err)
	}
	var out []string
	for _, t := range c.include {
		if have[t] {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("database %q has none of the tables in %q: %w", name, fieldIncludeTables, spec.ErrNotFound)
	}
	return out, nil
}

// copyDump copies the tool's output to w in chunks and returns the last
// tailSize bytes. It stops at the first write error or at cancellation.
func copyDump(ctx context.Context, w io.Writer, r io.Reader) ([]byte, error) {
	buf := make([]byte, spec.ChunkSize)
	tail := make([]byte, 0, 2*tailSize)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if ctx.Err() != nil {
				return tail, ctx.Err()
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return tail, werr
			}
			tail = keepTail(tail, buf[:n])
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return tail, nil
		}
		if err != nil {
			return tail, err
		}
	}
}

// keepTail appends p to tail and keeps at most its last tailSize bytes.
func keepTail(tail, p []byte) []byte {
	if len(p) >= tailSize {
		return append(tail[:0], p[len(p)-tailSize:]...)
	}
	tail = append(tail, p...)
	if len(tail) > tailSize {
		tail = append(tail[:0], tail[len(tail)-tailSize:]...)
	}
	return tail
}
