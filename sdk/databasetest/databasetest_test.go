package databasetest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// fileEngine is a small but real database engine for testing the kit: each
// database is a file <dir>/<name>.db, a dump is the file read by a `cat`
// subprocess (so cancellation has a real tool to kill) framed by a magic line
// and a trailer holding its length and SHA-256, and a restore verifies that
// trailer before it renames the file into place. bug, when set, breaks one
// promise so the tests can show that the kit notices.
type fileEngine struct {
	bug string
}

const (
	dumpMagic   = "FILEDUMP1\n"
	fileEngName = "fileengine"
)

func (e *fileEngine) dir(cfg spec.Config) string { return cfg.String("dir") }

func (e *fileEngine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	var errs spec.ValidationError
	if !filepath.IsAbs(cfg.String("dir")) {
		errs.Add("dir", "must be an absolute path")
	}
	return errs.Err()
}

func (e *fileEngine) Test(_ context.Context, cfg spec.Config) (database.ServerInfo, error) {
	if _, err := os.Stat(e.dir(cfg)); err != nil {
		if e.bug == "plain-unavailable" {
			return database.ServerInfo{}, err
		}
		return database.ServerInfo{}, fmt.Errorf("database directory: %v: %w", err, spec.ErrUnavailable)
	}
	return database.ServerInfo{Engine: fileEngName, Version: "1.0"}, nil
}

func (e *fileEngine) ListDatabases(_ context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	paths, err := filepath.Glob(filepath.Join(e.dir(cfg), "*.db"))
	if err != nil {
		return nil, err
	}
	var out []database.DatabaseInfo
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		out = append(out, database.DatabaseInfo{Name: strings.TrimSuffix(filepath.Base(p), ".db"), SizeBytes: st.Size()})
	}
	return out, nil
}

func (e *fileEngine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	path := filepath.Join(e.dir(cfg), req.Database+".db")
	if _, err := os.Stat(path); err != nil {
		if e.bug == "plain-notfound" {
			return errors.New("no such database")
		}
		return fmt.Errorf("database %q: %w", req.Database, spec.ErrNotFound)
	}
	cmd := exec.CommandContext(ctx, "cat", path)
	database.KillGroupOnCancel(cmd)
	if e.bug == "leak" {
		cmd = exec.Command("cat", path) // ignores cancellation, never waited for on error
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if e.bug == "leak" {
		// Keep the pipe's read end referenced: were it collected, its
		// finalizer would close it and the blocked cat would die of SIGPIPE
		// whenever the GC happens to run, and the leak would go unseen.
		leakedMu.Lock()
		leakedPipes = append(leakedPipes, out)
		leakedMu.Unlock()
	}
	if err := w.Begin(database.DumpHeader{
		Database: req.Database, Format: "filedump", Extension: "fdump",
		Server: database.ServerInfo{Engine: fileEngName, Version: "1.0"},
	}); err != nil {
		return e.abort(cmd, err)
	}
	w.Log(spec.LevelInfo, "dumping "+req.Database)
	if _, err := io.WriteString(w, dumpMagic); err != nil {
		return e.abort(cmd, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), out)
	if err != nil {
		return e.abort(cmd, err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("cat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\nEND %d %s\n", n, hex.EncodeToString(h.Sum(nil)))
	return err
}

// recordSize is the fileEngine's fixed record: a database of n bytes holds
// n/recordSize rows in its one table, "records".
const recordSize = 1024

func (e *fileEngine) CountRows(_ context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	st, err := os.Stat(filepath.Join(e.dir(cfg), req.Database+".db"))
	if err != nil {
		return nil, fmt.Errorf("database %q: %w", req.Database, spec.ErrNotFound)
	}
	r := database.TableRows{Table: "records", Rows: st.Size() / recordSize, Exact: e.bug != "count-inexact"}
	if e.bug == "count-restored-off" && strings.HasPrefix(req.Database, "restored-") {
		r.Rows++
	}
	return []database.TableRows{r}, nil
}

// leakedPipes holds the pipes of the "leak" engine's abandoned tools.
var (
	leakedMu    sync.Mutex
	leakedPipes []io.ReadCloser
)

func (e *fileEngine) abort(cmd *exec.Cmd, err error) error {
	if e.bug != "leak" {
		cmd.Process.Kill()
		cmd.Wait()
	}
	return err
}

func (e *fileEngine) target(cfg spec.Config, name string) string {
	return filepath.Join(e.dir(cfg), name+".db")
}

func (e *fileEngine) PrepareRestore(_ context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	plan := database.RestorePlan{TargetServer: database.ServerInfo{Engine: fileEngName, Version: "1.0"}}
	if req.Source.Format != "" && req.Source.Format != "filedump" {
		plan.Problems = append(plan.Problems, "not a filedump")
	}
	_, err := os.Stat(e.target(cfg, req.TargetDatabase))
	plan.TargetExists = err == nil
	return plan, nil
}

func (e *fileEngine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, _ spec.Reporter) (database.RestoreResult, error) {
	tmp, err := os.CreateTemp(e.dir(cfg), ".restore-*")
	if err != nil {
		return database.RestoreResult{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r); err != nil {
		return database.RestoreResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return database.RestoreResult{}, err
	}
	body, err := os.ReadFile(tmp.Name())
	if err != nil {
		return database.RestoreResult{}, err
	}
	data, err := unframe(body)
	if err != nil && e.bug != "accept-truncated" {
		return database.RestoreResult{}, err
	}
	if err := os.WriteFile(tmp.Name(), data, 0o600); err != nil {
		return database.RestoreResult{}, err
	}
	if err := os.Rename(tmp.Name(), e.target(cfg, req.TargetDatabase)); err != nil {
		return database.RestoreResult{}, err
	}
	return database.RestoreResult{TargetDatabase: req.TargetDatabase}, nil
}

// unframe checks a dump's magic line and trailer and returns its data.
func unframe(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte(dumpMagic)) {
		return nil, errors.New("not a filedump")
	}
	b = b[len(dumpMagic):]
	i := bytes.LastIndex(b, []byte("\nEND "))
	if i < 0 {
		return b, errors.New("dump truncated: no trailer")
	}
	data := b[:i]
	sum := sha256.Sum256(data)
	if want := fmt.Sprintf("\nEND %d %s\n", len(data), hex.EncodeToString(sum[:])); string(b[i:]) != want {
		return data, errors.New("dump truncated or corrupt: trailer does not match")
	}
	return data, nil
}

// options seeds a directory with a small and a large database and returns
// the kit's options for a fileEngine with the given bug.
func options(t *testing.T, bug string) databasetest.Options {
	dir := t.TempDir()
	seed := func(name string, size int) {
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name+".db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	seed("small", 100<<10)
	seed("big", 24*spec.ChunkSize+123) // more than the ~8 MiB the transport holds in flight
	var n atomic.Int64
	return databasetest.Options{
		Plugin: sdk.Plugin{
			Name: fileEngName, Version: "0.0.1", Database: &fileEngine{bug: bug},
			Schema: spec.Schema{Fields: []spec.Field{{Name: "dir", Label: "Directory", Type: spec.String, Required: true}}},
		},
		Config:   spec.Config{"dir": dir},
		Database: "small",
		Large:    "big",
		RestoreTarget: func(t testing.TB) string {
			name := fmt.Sprintf("restored-%d", n.Add(1))
			t.Cleanup(func() { os.Remove(filepath.Join(dir, name+".db")) })
			return name
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			a, errA := os.ReadFile(filepath.Join(dir, source+".db"))
			b, errB := os.ReadFile(filepath.Join(dir, target+".db"))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("restored %q differs from %q (%v, %v)", target, source, errA, errB)
			}
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "missing", Config: spec.Config{}, Fields: []string{"dir"}},
			{Name: "relative", Config: spec.Config{"dir": "rel"}, Fields: []string{"dir"}},
			{Name: "unknown", Config: spec.Config{"dir": dir, "colour": "red"}, Fields: []string{"colour"}},
		},
		SeededRows:   []database.TableRows{{Table: "records", Rows: 100}},
		Unreachable:  spec.Config{"dir": filepath.Join(dir, "absent")},
		CancelWithin: 3 * 1e9,
	}
}

func TestRunPassesACorrectEngine(t *testing.T) {
	databasetest.Run(t, options(t, ""))
}

// bugEnv carries the bug a re-executed test binary runs the kit against.
const bugEnv = "DATABASETEST_FILEENGINE_BUG"

// TestBrokenEngine is the body of the re-executed test binary of
// TestRunCatchesBrokenEngines; run normally, it has nothing to do.
func TestBrokenEngine(t *testing.T) {
	bug := os.Getenv(bugEnv)
	if bug == "" {
		return
	}
	databasetest.Run(t, options(t, bug))
}

// TestRunCatchesBrokenEngines runs the kit, in a child test process, against
// engines that each break one promise, and checks that the kit fails them in
// the subtest that owns the promise. A kit that passes everything would pass
// TestRunPassesACorrectEngine too; this is what gives it teeth.
func TestRunCatchesBrokenEngines(t *testing.T) {
	for bug, subtest := range map[string]string{
		"leak":              "CancelMidStream",
		"plain-notfound":    "DumpMissingDatabase",
		"plain-unavailable": "Unreachable",
		"accept-truncated":  "RestoreTruncatedDump",
		// A count that is an estimate, and one that differs after a restore.
		"count-inexact":      "RowCounts",
		"count-restored-off": "RowCounts",
	} {
		t.Run(bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenEngine$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+bug)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("kit against bug %q: %v, want a failing test run\n%s", bug, err, out)
			}
			if want := "--- FAIL: TestBrokenEngine/" + subtest; !strings.Contains(string(out), want) {
				t.Errorf("kit against bug %q: output lacks %q\n%s", bug, want, out)
			}
		})
	}
}
