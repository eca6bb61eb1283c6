package databasetest

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// recorder is the kit's DumpWriter: it keeps the dump in a file (a dump may be
// larger than memory should hold) and records how it arrived, so the kit can
// check the order of calls and replay the dump into Restore.
type recorder struct {
	mu      sync.Mutex
	file    *os.File
	path    string
	header  database.DumpHeader
	begins  int
	writes  int // one per chunk the core received
	size    int64
	logs    []string
	misuse  []string // contract violations seen, reported by the caller
	onWrite func(n int) error
}

var _ database.DumpWriter = (*recorder)(nil)

func newRecorder(t testing.TB, name string) *recorder {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".dump")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create dump file: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return &recorder{file: f, path: path}
}

func (r *recorder) Begin(h database.DumpHeader) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begins++
	if r.begins > 1 {
		r.misuse = append(r.misuse, "Begin called twice")
		return errors.New("databasetest: Begin called twice")
	}
	r.header = h
	return nil
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	if r.begins == 0 {
		r.misuse = append(r.misuse, "Write before Begin")
	}
	r.writes++
	hook := r.onWrite
	n := r.writes
	r.mu.Unlock()
	// The hook may block or cancel; it runs without the lock so that Log and
	// Progress from the same dump still get through.
	if hook != nil {
		if err := hook(n); err != nil {
			return 0, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	w, err := r.file.Write(p)
	r.size += int64(w)
	return w, err
}

func (r *recorder) Log(level spec.Level, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, string(level)+": "+message)
}

func (r *recorder) Progress(spec.Progress) {}

// open returns the recorded dump for reading from its start.
func (r *recorder) open(t testing.TB) *os.File {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.file.Sync(); err != nil {
		t.Fatalf("sync dump file: %v", err)
	}
	f, err := os.Open(r.path)
	if err != nil {
		t.Fatalf("open dump file: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// logReporter collects a restore's log lines for failure messages.
type logReporter struct {
	mu   sync.Mutex
	logs []string
}

func (l *logReporter) Log(level spec.Level, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logs = append(l.logs, string(level)+": "+message)
}

func (l *logReporter) Progress(spec.Progress) {}

func (l *logReporter) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.logs...)
}
