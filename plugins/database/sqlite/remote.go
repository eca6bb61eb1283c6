package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// The remote mode runs the remote host's sqlite3 over SSH. Why a snapshot
// file and not `.dump` or streaming `.backup`: VACUUM INTO (SQLite 3.27+)
// writes one consistent snapshot in a single read transaction, byte for byte
// the format the local mode dumps, so both modes share one dump format and
// one restore check; `.dump` SQL text would restore differently (and slower),
// and the backup API cannot write to a pipe. The snapshot is a 0600 file
// beside the database (or in /tmp when that folder is not writable), streamed
// with cat and removed by a shell trap when the command ends in any way.
//
// Every path and SQL text goes into the remote command line through
// shellQuote (and sqlQuote inside SQL); nothing else is interpolated.

// openRemote validates the configuration and connects.
func openRemote(ctx context.Context, cfg spec.Config) (*sshConn, string, error) {
	var errs spec.ValidationError
	r := parseRemote(cfg, &errs)
	p := cfg.String(fieldPath)
	if !path.IsAbs(p) {
		errs.Add(fieldPath, "must be an absolute path")
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	c, err := dialRemote(ctx, r)
	if err != nil {
		return nil, "", err
	}
	return c, path.Clean(p), nil
}

// remoteFile is what probe learns about a remote database file.
type remoteFile struct {
	state   string // ok, missing, notfile
	version string // of the remote sqlite3
	journal string
	size    int64 // file plus WAL
}

// probe asks the remote host about the file at p in one command.
func probe(ctx context.Context, c *sshConn, p string) (remoteFile, error) {
	s, f := shellQuote(c.r.sqlite3), shellQuote(p)
	script := strings.Join([]string{
		"command -v " + s + " >/dev/null 2>&1 || { echo state nosqlite; exit 0; }",
		"echo version $(" + s + " -version)",
		"[ -e " + f + " ] || { echo state missing; exit 0; }",
		"[ -f " + f + " ] || { echo state notfile; exit 0; }",
		"j=$(" + s + " -readonly -bail " + f + " 'PRAGMA journal_mode;') || exit 3",
		"echo journal $j",
		"echo size $(wc -c < " + f + ")",
		"[ -f " + shellQuote(p+"-wal") + " ] && echo wal $(wc -c < " + shellQuote(p+"-wal") + ")",
		"echo state ok",
	}, "\n")
	out, err := c.output(ctx, script)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.status == 3 {
			return remoteFile{}, fmt.Errorf("%s on %s is not a readable SQLite database: %s", p, c.r.addr, ee.stderr)
		}
		return remoteFile{}, fmt.Errorf("inspect %s on %s: %w", p, c.r.addr, err)
	}
	var rf remoteFile
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		switch k {
		case "state":
			rf.state = v
		case "version":
			rf.version, _, _ = strings.Cut(v, " ")
		case "journal":
			rf.journal = strings.ToLower(strings.TrimSpace(v))
		case "size", "wal":
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			rf.size += n
		}
	}
	if rf.state == "nosqlite" {
		return rf, fmt.Errorf("%s is not installed on %s (or not in the SSH user's PATH): set the remote sqlite3 command: %w", c.r.sqlite3, c.r.addr, spec.ErrUnavailable)
	}
	return rf, nil
}

// remoteServer is the ServerInfo of a remote sqlite3.
func remoteServer(c *sshConn, version string) database.ServerInfo {
	return database.ServerInfo{Engine: engineName, Version: version, Edition: "sqlite3 over SSH on " + c.r.addr}
}

func (e *engine) remoteTest(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	c, p, err := openRemote(ctx, cfg)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer c.Close()
	f, err := probe(ctx, c, p)
	if err != nil {
		return database.ServerInfo{}, err
	}
	switch f.state {
	case "missing":
		return database.ServerInfo{}, fmt.Errorf("database file %s does not exist on %s: %w", p, c.r.addr, spec.ErrUnavailable)
	case "notfile":
		return database.ServerInfo{}, fmt.Errorf("%s on %s is not a regular file", p, c.r.addr)
	}
	srv := remoteServer(c, f.version)
	srv.Edition += "; " + c.trustNote()
	return srv, nil
}

func (e *engine) remoteList(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	c, p, err := openRemote(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	f, err := probe(ctx, c, p)
	if err != nil {
		return nil, err
	}
	if f.state != "ok" {
		return nil, fmt.Errorf("database file %s on %s: %s: %w", p, c.r.addr, f.state, spec.ErrNotFound)
	}
	return []database.DatabaseInfo{{Name: dbName(p), SizeBytes: f.size}}, nil
}

// randomSuffix names temporary files.
func randomSuffix() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *engine) remoteDump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	c, p, err := openRemote(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if name := dbName(p); req.Database != name {
		return fmt.Errorf("database %q: this configuration holds only %q: %w", req.Database, name, spec.ErrNotFound)
	}
	f, err := probe(ctx, c, p)
	if err != nil {
		return err
	}
	if f.state != "ok" {
		return fmt.Errorf("database file %s on %s: %s: %w", p, c.r.addr, f.state, spec.ErrNotFound)
	}
	w.Log(spec.LevelInfo, fmt.Sprintf("connected to %s; %s", c.r.addr, c.trustNote()))
	if err := w.Begin(database.DumpHeader{
		Database: req.Database, Format: formatSQLite3, Extension: extension, Server: remoteServer(c, f.version),
		Metadata: map[string]string{metaJournalMode: f.journal},
	}); err != nil {
		return err
	}
	suffix := randomSuffix()
	beside := path.Join(path.Dir(p), "."+path.Base(p)+".dbkeep-dump-"+suffix)
	inTmp := "/tmp/.dbkeep-dump-" + suffix
	script := strings.Join([]string{
		"umask 077",
		"if [ -w " + shellQuote(path.Dir(p)) + " ]; then t=" + shellQuote(beside) + "; q=" + shellQuote("VACUUM INTO "+sqlQuote(beside)) + "; " +
			"else t=" + shellQuote(inTmp) + "; q=" + shellQuote("VACUUM INTO "+sqlQuote(inTmp)) + "; echo \"cannot write beside the database: snapshot in $t\" >&2; fi",
		`pid=`,
		`trap 'rm -f "$t"' EXIT`,
		`trap '[ -n "$pid" ] && kill $pid 2>/dev/null; exit 143' HUP INT TERM PIPE`,
		// Children run in the background and are waited for, so that a
		// signal runs the trap at once instead of after them.
		shellQuote(c.r.sqlite3) + " -readonly -bail " + shellQuote(p) + ` "$q" >&2 & pid=$!`,
		`wait $pid || exit 3`,
		`cat "$t" & pid=$!`,
		`wait $pid`,
	}, "\n")
	sw := &shapeWriter{w: &progressWriter{w: w, rep: w, stage: "dump"}}
	if err := c.run(ctx, script, nil, sw, w); err != nil {
		if sw.err != nil {
			return sw.err // the writer failed: its error, not the remote's
		}
		return fmt.Errorf("dump %s on %s: %w", p, c.r.addr, err)
	}
	if err := sw.shape.check(); err != nil {
		return fmt.Errorf("dump %s on %s: the snapshot received is not whole: %w", p, c.r.addr, err)
	}
	return nil
}

// shapeWriter passes bytes on and records their shape; it keeps the
// writer's own error, which the SSH session would otherwise hide.
type shapeWriter struct {
	w     io.Writer
	shape shapeCheck
	err   error
}

func (s *shapeWriter) Write(p []byte) (int, error) {
	s.shape.see(p)
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// progressWriter reports progress as bytes pass.
type progressWriter struct {
	w          io.Writer
	rep        spec.Reporter
	stage      string
	done, next int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.done >= p.next {
		p.rep.Progress(spec.Progress{DoneBytes: p.done, Stage: p.stage})
		p.next = p.done + 4*spec.ChunkSize
	}
	return n, err
}

// remoteTarget is what the restore pre-flight learns about the target.
type remoteTarget struct {
	dirOK, dirWritable, exists, regular, wal bool
}

func probeTarget(ctx context.Context, c *sshConn, target string) (remoteTarget, error) {
	d, t := shellQuote(path.Dir(target)), shellQuote(target)
	out, err := c.output(ctx, strings.Join([]string{
		"[ -d " + d + " ] && echo dir",
		"[ -w " + d + " ] && [ -x " + d + " ] && echo writable",
		"[ -e " + t + " ] && echo exists",
		"[ -f " + t + " ] && echo regular",
		"[ -e " + shellQuote(target+"-wal") + " ] && echo wal",
		"exit 0",
	}, "\n"))
	if err != nil {
		return remoteTarget{}, fmt.Errorf("inspect %s on %s: %w", target, c.r.addr, err)
	}
	var rt remoteTarget
	for _, w := range strings.Fields(out) {
		switch w {
		case "dir":
			rt.dirOK = true
		case "writable":
			rt.dirWritable = true
		case "exists":
			rt.exists = true
		case "regular":
			rt.regular = true
		case "wal":
			rt.wal = true
		}
	}
	return rt, nil
}

// remoteCheck is checkRestore for a remote target.
func remoteCheck(src database.DumpHeader, target string, rt remoteTarget) restoreCheck {
	var c restoreCheck
	if src.Format != "" && src.Format != formatSQLite3 {
		c.problems = append(c.problems, fmt.Sprintf("the dump's format is %q, not a SQLite file (%q)", src.Format, formatSQLite3))
	}
	if src.Server.Engine != "" && src.Server.Engine != engineName {
		c.problems = append(c.problems, fmt.Sprintf("the dump comes from engine %q, not %q", src.Server.Engine, engineName))
	}
	switch {
	case !rt.dirOK:
		c.problems = append(c.problems, fmt.Sprintf("the target's directory %s does not exist", path.Dir(target)))
	case !rt.dirWritable:
		c.problems = append(c.problems, fmt.Sprintf("the SSH user cannot write in %s", path.Dir(target)))
	}
	c.exists = rt.exists
	switch {
	case rt.exists && !rt.regular:
		c.problems = append(c.problems, fmt.Sprintf("%s exists and is not a regular file", target))
	case rt.exists:
		c.warnings = append(c.warnings, fmt.Sprintf("%s exists: it will be kept as %s.bak-<UTC timestamp> and replaced", target, target))
		if rt.wal {
			c.warnings = append(c.warnings, fmt.Sprintf("%s has a WAL file, so it may be in use: stop the applications using it before restoring", target))
		}
	}
	return c
}

func (e *engine) remotePrepare(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	c, _, err := openRemote(ctx, cfg)
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer c.Close()
	f, err := probe(ctx, c, "/")
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan := database.RestorePlan{TargetServer: remoteServer(c, f.version)}
	target, err := resolveTarget(cfg, req.TargetDatabase)
	if err != nil {
		plan.Problems = append(plan.Problems, err.Error())
		return plan, nil
	}
	rt, err := probeTarget(ctx, c, target)
	if err != nil {
		return plan, err
	}
	chk := remoteCheck(req.Source, target, rt)
	plan.TargetExists, plan.Problems, plan.Warnings = chk.exists, chk.problems, chk.warnings
	return plan, nil
}

// remoteRestore uploads the dump to a 0600 temporary file beside the target,
// checks it there (shape as it passes, then PRAGMA integrity_check), and
// installs it as the local mode does: the WAL of the current file folded in,
// the current file kept as <target>.bak-<UTC timestamp>, sidecars removed,
// the new file renamed into place.
func (e *engine) remoteRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	c, _, err := openRemote(ctx, cfg)
	if err != nil {
		return database.RestoreResult{}, err
	}
	defer c.Close()
	target, err := resolveTarget(cfg, req.TargetDatabase)
	if err != nil {
		return database.RestoreResult{}, err
	}
	res := database.RestoreResult{TargetDatabase: target}
	rt, err := probeTarget(ctx, c, target)
	if err != nil {
		return res, err
	}
	if chk := remoteCheck(req.Source, target, rt); len(chk.problems) > 0 {
		return res, fmt.Errorf("restore into %s on %s: %s: %w", target, c.r.addr, strings.Join(chk.problems, "; "), spec.ErrInvalidArgument)
	}
	unlock := e.restoring.lock(c.r.addr + ":" + target)
	defer unlock()
	rep.Log(spec.LevelInfo, fmt.Sprintf("connected to %s; %s", c.r.addr, c.trustNote()))

	tmp := path.Join(path.Dir(target), "."+path.Base(target)+".dbkeep-restore-"+randomSuffix())
	T := shellQuote(tmp)
	cleanup := func() {
		// The call's context may be gone: clean up on a short one of its own.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		conn := c
		if ctx.Err() != nil {
			// Cancelling closed this call's connection, and a remote cat
			// that saw its input end exits normally, without the trap: open
			// another connection to remove the partial file.
			fresh, _, err := openRemote(cctx, cfg)
			if err != nil {
				rep.Log(spec.LevelWarn, fmt.Sprintf("could not remove the partial upload %s on %s: %v", tmp, c.r.addr, err))
				return
			}
			defer fresh.Close()
			conn = fresh
		}
		if _, err := conn.output(cctx, "rm -f "+T+" "+shellQuote(tmp+"-wal")+" "+shellQuote(tmp+"-shm")+" "+shellQuote(tmp+"-journal")); err != nil {
			rep.Log(spec.LevelWarn, fmt.Sprintf("could not remove the partial upload %s on %s: %v", tmp, c.r.addr, err))
		}
	}
	in := &readRecorder{r: r, rep: rep}
	upload := strings.Join([]string{
		"umask 077", "set -C",
		"trap " + shellQuote("rm -f "+T+"; exit 143") + " HUP INT TERM PIPE",
		"cat > " + T,
	}, "\n")
	err = c.run(ctx, upload, in, io.Discard, rep)
	res.BytesRead = in.shape.size
	switch {
	case in.err != nil:
		cleanup()
		return res, fmt.Errorf("restore into %s: receiving dump: %w", target, in.err)
	case err != nil:
		cleanup()
		return res, fmt.Errorf("restore into %s on %s: upload: %w", target, c.r.addr, err)
	}
	if err := in.shape.check(); err != nil {
		cleanup()
		return res, fmt.Errorf("restore into %s: the dump is not a sound SQLite database, target left untouched: %w", target, err)
	}

	s := shellQuote(c.r.sqlite3)
	P := shellQuote(target)
	bakBase := target + ".bak-" + time.Now().UTC().Format("20060102T150405Z")
	lines := []string{
		"set -e",
		"trap " + shellQuote("rm -f "+T) + " EXIT",
		"ok=$(" + s + " -readonly -bail " + T + " 'PRAGMA integrity_check;')",
		`[ "$ok" = ok ] || { echo "the dump is not a sound SQLite database: integrity check: $ok" >&2; exit 3; }`,
	}
	if req.Source.Metadata[metaJournalMode] == "wal" {
		lines = append(lines, s+" -bail "+T+" 'PRAGMA journal_mode=WAL;' >/dev/null")
	}
	lines = append(lines,
		"if [ -e "+shellQuote(target+"-wal")+" ] || [ -e "+shellQuote(target+"-journal")+" ]; then",
		"  r=$("+s+" -bail "+P+" 'PRAGMA wal_checkpoint(TRUNCATE);')",
		`  case "$r" in 0\|*) ;; *) echo "`+strings.ReplaceAll(target, `"`, `'`)+` is in use: its WAL cannot be checkpointed ($r); stop the applications using it" >&2; exit 4;; esac`,
		"fi",
		"bak=",
		"if [ -e "+P+" ]; then",
		"  bak="+shellQuote(bakBase)+"; i=1",
		`  while [ -e "$bak" ]; do i=$((i+1)); bak=`+shellQuote(bakBase)+`-$i; done`,
		`  ln `+P+` "$bak"`,
		"  chmod --reference="+P+" "+T+" 2>/dev/null || true",
		"  chown --reference="+P+" "+T+" 2>/dev/null || true",
		"fi",
		"rm -f "+shellQuote(target+"-wal")+" "+shellQuote(target+"-shm")+" "+shellQuote(target+"-journal"),
		"mv -f "+T+" "+P,
		`echo "bak $bak"`,
	)
	out, err := c.output(ctx, strings.Join(lines, "\n"))
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.status == 3 {
			return res, fmt.Errorf("restore into %s: target left untouched: %s", target, ee.stderr)
		}
		if errors.As(err, &ee) && ee.status == 4 {
			return res, fmt.Errorf("restore into %s: %s: %w", target, ee.stderr, spec.ErrUnavailable)
		}
		return res, fmt.Errorf("restore into %s on %s: %w", target, c.r.addr, err)
	}
	if bak := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "bak")); bak != "" {
		rep.Log(spec.LevelInfo, "previous file kept as "+bak)
	}
	rep.Log(spec.LevelInfo, "restored "+target+" on "+c.r.addr)
	return res, nil
}

// readRecorder reads the dump, records its shape and keeps the reader's own
// error (the SSH session reports only that stdin failed).
type readRecorder struct {
	r     io.Reader
	rep   spec.Reporter
	shape shapeCheck
	err   error
	next  int64
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.shape.see(p[:n])
	if rr.shape.size >= rr.next {
		rr.rep.Progress(spec.Progress{DoneBytes: rr.shape.size, Stage: "restore"})
		rr.next = rr.shape.size + 4*spec.ChunkSize
	}
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return n, err
}
