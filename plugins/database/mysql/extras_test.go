package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestErrors checks that the failures a person meets first come back as
// the SDK's sentinels, promptly, with a message that names the cause.
func TestErrors(t *testing.T) {
	cfg := testServer(t)
	c := client(t)
	ctx := testCtx(t)
	user := uniqueName("dbk_user")
	root := admin(t, cfg, "")
	mustExec(t, root, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'right-password'")
	t.Cleanup(func() { root.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })

	start := time.Now()
	_, err := c.Test(ctx, withField(cfg, fieldUser, user, fieldPassword, "wrong-password"))
	if !errors.Is(err, spec.ErrUnauthenticated) || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("Test with a wrong password = %v, want spec.ErrUnauthenticated saying access denied", err)
	}
	_, err = c.Test(ctx, withField(cfg, fieldHost, "127.0.0.1", fieldPort, closedPort(t), fieldConnectTimeout, "2"))
	if !errors.Is(err, spec.ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Test against a closed port = %v, want spec.ErrUnavailable saying refused", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("two failing Tests took %v", took)
	}

	missing := uniqueName("dbk_absent")
	err = c.Dump(ctx, cfg, database.DumpRequest{Database: missing}, newFileWriter(t))
	if !errors.Is(err, spec.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Dump of a missing database = %v, want spec.ErrNotFound naming it", err)
	}
	// A user who may not see the database meets the same answer: MySQL
	// does not tell who lacks privileges whether a database exists.
	err = c.Dump(ctx, withField(cfg, fieldUser, user, fieldPassword, "right-password"), database.DumpRequest{Database: "mysql"}, newFileWriter(t))
	if !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("Dump of a database the user cannot see = %v, want spec.ErrNotFound", err)
	}
	// A user who owns the database but may not read its routines' bodies
	// (SELECT on mysql.proc) fails in the dump tool itself, with its message
	// and spec.ErrPermission. (Without EXECUTE or ALTER ROUTINE the routines
	// are invisible to the account, and the tools leave them out silently:
	// the package documentation says which privileges a backup account needs.)
	seeded := uniqueName("dbk_priv")
	createDB(t, cfg, seeded)
	seedAwkward(t, cfg, seeded)
	mustExec(t, root, "GRANT ALL ON "+quoteIdent(seeded)+".* TO '"+user+"'@'%'")
	w := newFileWriter(t)
	err = c.Dump(ctx, withField(cfg, fieldUser, user, fieldPassword, "right-password"), database.DumpRequest{Database: seeded}, w)
	if !errors.Is(err, spec.ErrPermission) || !strings.Contains(err.Error(), "insufficient privileges") {
		t.Errorf("Dump without the routines' privilege = %v, want spec.ErrPermission with the tool's message", err)
	}
	// PrepareRestore tells that this user cannot create the target.
	plan, err := c.PrepareRestore(ctx, withField(cfg, fieldUser, user, fieldPassword, "right-password"),
		database.RestoreRequest{Source: database.DumpHeader{Database: "x", Format: formatSQL}, TargetDatabase: uniqueName("dbk_nope")})
	if err != nil || len(plan.Problems) != 1 || !strings.Contains(plan.Problems[0], "CREATE privilege") {
		t.Errorf("PrepareRestore by an unprivileged user: %+v, %v", plan, err)
	}
	// ... and that privileged credentials lift the problem.
	plan, err = c.PrepareRestore(ctx, withField(cfg, fieldUser, user, fieldPassword, "right-password"),
		database.RestoreRequest{Source: database.DumpHeader{Database: "x", Format: formatSQL}, TargetDatabase: uniqueName("dbk_yes"),
			Privileged: spec.Config{fieldUser: cfg[fieldUser], fieldPassword: cfg[fieldPassword]}})
	if err != nil || len(plan.Problems) != 0 {
		t.Errorf("PrepareRestore with privileged credentials: %+v, %v", plan, err)
	}
}

// TestFailedRestore replays a dump whose statements fail in the client: the
// client's error comes back, its stderr reaches the reporter, and the
// database the restore created is dropped. A truncated dump is refused the
// same way, before its last statement runs.
func TestFailedRestore(t *testing.T) {
	cfg := testServer(t)
	c := client(t)
	ctx := testCtx(t)
	hdr := database.DumpHeader{Database: "src", Format: formatSQL, Extension: extension,
		Server: database.ServerInfo{Engine: engineMariaDB}, Metadata: map[string]string{metaCharset: "utf8mb4", metaCollation: "utf8mb4_bin"}}
	for name, tc := range map[string]struct {
		body, want string
	}{
		"failing statement": {"CREATE TABLE t (a INT);\nINSERT INTO nope VALUES (1);\n-- Dump completed\n", "1146"},
		"truncated":         {"CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n-- Dump comple", "truncated"},
	} {
		t.Run(name, func(t *testing.T) {
			target := uniqueName("dbk_failed")
			dropLater(t, cfg, target)
			rep := &logReporter{}
			_, err := c.Restore(ctx, cfg, database.RestoreRequest{Source: hdr, TargetDatabase: target}, strings.NewReader(tc.body), rep)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Restore = %v, want an error saying %q", err, tc.want)
			}
			if name == "failing statement" && !strings.Contains(strings.Join(rep.lines, "\n"), "1146") {
				t.Errorf("the client's stderr did not reach the reporter: %q", rep.lines)
			}
			var n int
			admin(t, cfg, "").QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", target).Scan(&n)
			if n != 0 {
				t.Errorf("the database created by the failed restore is still there")
			}
		})
	}
}

type logReporter struct {
	mu    sync.Mutex
	lines []string
}

func (r *logReporter) Log(_ spec.Level, m string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, m)
}
func (r *logReporter) Progress(spec.Progress) {}

// TestWeirdNames dumps and restores databases whose names are shell
// syntax and start with "-": they must reach the tools as names.
func TestWeirdNames(t *testing.T) {
	cfg := testServer(t)
	dir := t.TempDir()
	source := "-weird; $(touch " + filepath.Join(dir, "x") + ") `" + uniqueName("") + "`"
	target := "--help' \"$(touch " + filepath.Join(dir, "y") + ")\" " + uniqueName("")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	dropLater(t, cfg, target)
	dumpAndRestore(t, client(t), cfg, source, target)
	compare(t, cfg, source, target)
	for _, f := range []string{"x", "y"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a shell ran the name: %s was created", f)
		}
	}
	// Names MySQL refuses are refused before any tool runs.
	err := client(t).Dump(testCtx(t), cfg, database.DumpRequest{Database: "a\nb"}, newFileWriter(t))
	if !errors.Is(err, spec.ErrInvalidArgument) {
		t.Errorf("Dump of a name with a line break = %v, want spec.ErrInvalidArgument", err)
	}
}

// TestPasswordNeverInArgv dumps and restores as a user whose password is
// full of option-file syntax, and looks at every process's command line and
// environment while the dump tool runs.
func TestPasswordNeverInArgv(t *testing.T) {
	// The plugin runs in this process: a private TMPDIR makes "left
	// behind" mean left by this test, not by another run sharing /tmp.
	t.Setenv("TMPDIR", t.TempDir())
	cfg := testServer(t)
	source, target := uniqueName("dbk_pw"), uniqueName("dbk_pw_copy")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	seedBlobs(t, cfg, source, 16) // more than the pipes and gRPC windows hold: the tool is still running at the first write
	dropLater(t, cfg, target)
	user, password := uniqueName("dbk_pw"), `Pa"ss\word #1; $x 'q' `+uniqueName("s")
	root := admin(t, cfg, "")
	mustExec(t, root,
		"CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password)+"'",
		"GRANT ALL ON "+quoteIdent(source)+".* TO '"+user+"'@'%'",
		"GRANT ALL ON "+quoteIdent(target)+".* TO '"+user+"'@'%'",
		// What a non-root backup account needs beyond its databases on
		// MariaDB 10.11: reading routine bodies, and recreating objects
		// whose definer is another account.
		"GRANT SELECT ON mysql.proc TO '"+user+"'@'%'",
		"GRANT SET USER ON *.* TO '"+user+"'@'%'",
	)
	t.Cleanup(func() { root.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	ucfg := withField(cfg, fieldUser, user, fieldPassword, password)

	before := tempDirs(t)
	w := newFileWriter(t)
	var sawTool bool
	w.onWrite = func(n int) {
		if n != 1 {
			return
		}
		// This write holds the stream back, so the tool, blocked on its
		// pipe, stays alive while we look.
		for deadline := time.Now().Add(3 * time.Second); !sawTool && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, p := range procs(t) {
				sawTool = sawTool || bytes.Contains(p.cmdline, []byte("--defaults-extra-file="))
			}
		}
		for _, p := range procs(t) {
			if bytes.Contains(p.cmdline, []byte(password)) || bytes.Contains(p.environ, []byte(password)) {
				t.Errorf("process %d shows the password: %q", p.pid, p.cmdline)
			}
		}
	}
	ctx := testCtx(t)
	if err := client(t).Dump(ctx, ucfg, database.DumpRequest{Database: source}, w); err != nil {
		t.Fatalf("Dump as %s: %v", user, err)
	}
	if !sawTool || w.writes < 2 {
		t.Fatalf("the dump tool was not seen running (%d writes): the check above proved nothing", w.writes)
	}
	res, err := client(t).Restore(ctx, ucfg, database.RestoreRequest{Source: w.header, TargetDatabase: target}, w.open(t), spec.Discard)
	if err != nil || res.BytesRead != w.size {
		t.Fatalf("Restore as %s: %+v, %v", user, res, err)
	}
	compare(t, cfg, source, target)
	if left := newEntries(before, tempDirs(t)); len(left) > 0 {
		t.Errorf("option files left behind: %v", left)
	}
}

type proc struct {
	pid              int
	cmdline, environ []byte
}

// procs reads every process's command line and, where allowed, environment.
func procs(t testing.TB) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		if testserver.CI() {
			t.Fatalf("CI=true: this check needs /proc: %v", err)
		}
		t.Skipf("no /proc here: %v", err)
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		out = append(out, proc{pid: pid, cmdline: cmd, environ: env})
	}
	return out
}

func tempDirs(t testing.TB) map[string]bool {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "dbkeep-mysql-*"))
	out := map[string]bool{}
	for _, p := range m {
		out[p] = true
	}
	return out
}

func newEntries(before, after map[string]bool) []string {
	var out []string
	for p := range after {
		if !before[p] {
			out = append(out, p)
		}
	}
	return out
}
