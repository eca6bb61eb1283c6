package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// writerEnv holds the database path when this test binary runs as the
// writing process of TestDumpIsConsistentUnderConcurrentWrites.
const writerEnv = "DBKEEP_SQLITE_TEST_WRITER"

const (
	accounts       = 10
	initialBalance = 1000
)

// runWriter commits transactions to path until its standard input closes
// (or two minutes pass), each keeping two invariants: counter.n equals the
// number of log rows, and the balances sum to accounts*initialBalance. It
// prints "ready" after its first commit and exits non-zero on any error.
func runWriter(path string) int {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(30000)&_txlock=immediate")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	deadline := time.After(2 * time.Minute)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return 0
		case <-deadline:
			return 0
		default:
		}
		if err := writeOnce(db, i); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 1
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

func writeOnce(db *sql.DB, i int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	from, to, amount := i%accounts+1, (i*7+3)%accounts+1, i%50+1
	for _, s := range []struct {
		q    string
		args []any
	}{
		{"INSERT INTO log(payload) VALUES (randomblob(2000))", nil},
		{"UPDATE counter SET n = n + 1", nil},
		{"UPDATE account SET balance = balance - ? WHERE id = ?", []any{amount, from}},
		{"UPDATE account SET balance = balance + ? WHERE id = ?", []any{amount, to}},
	} {
		if _, err := tx.Exec(s.q, s.args...); err != nil {
			return fmt.Errorf("%s: %w", s.q, err)
		}
	}
	return tx.Commit()
}

// TestDumpIsConsistentUnderConcurrentWrites dumps a database while another
// process commits to it, and checks that every restored dump satisfies the
// writer's invariants and SQLite's integrity check: each dump is one
// transaction-consistent snapshot, in WAL and in rollback-journal mode.
func TestDumpIsConsistentUnderConcurrentWrites(t *testing.T) {
	for _, mode := range []string{"wal", "delete"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.db")
			seedLedger(t, path, mode)

			writer := exec.Command(os.Args[0], "-test.run=^$")
			writer.Env = append(os.Environ(), writerEnv+"="+path)
			stdin, err := writer.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := writer.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			writer.Stderr = &stderr
			if err := writer.Start(); err != nil {
				t.Fatal(err)
			}
			stopped := false
			stopWriter := func() error {
				if stopped {
					return nil
				}
				stopped = true
				stdin.Close()
				return writer.Wait()
			}
			t.Cleanup(func() { stopWriter() })
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("writer did not start: %q %v; stderr: %s", line, err, stderr.String())
			}

			conn := sdktest.Start(t, plugin())
			db := conn.Database()
			cfg := spec.Config{fieldPath: path}
			seen := map[int64]bool{}
			for i := range 8 {
				rec := &fileDump{}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if err := db.Dump(ctx, cfg, database.DumpRequest{Database: "ledger"}, rec); err != nil {
					cancel()
					t.Fatalf("dump %d: %v", i, err)
				}
				target := filepath.Join(t.TempDir(), "restored.db")
				_, err := db.Restore(ctx, cfg, database.RestoreRequest{Source: rec.header, TargetDatabase: target}, strings.NewReader(rec.data.String()), spec.Discard)
				cancel()
				if err != nil {
					t.Fatalf("restore %d: %v", i, err)
				}
				n := checkLedger(t, target)
				seen[n] = true
				time.Sleep(20 * time.Millisecond)
			}
			if err := stopWriter(); err != nil {
				t.Fatalf("writer failed: %v; stderr: %s", err, stderr.String())
			}
			if len(seen) < 4 {
				t.Errorf("dumps saw only %d distinct states %v: the writer was not writing during them", len(seen), seen)
			}
			t.Logf("%d dumps, %d distinct committed states", 8, len(seen))
		})
	}
}

func seedLedger(t *testing.T, path, mode string) {
	t.Helper()
	db, err := open(path, "rwc", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"PRAGMA journal_mode=" + mode,
		"CREATE TABLE counter(n INTEGER NOT NULL)",
		"INSERT INTO counter VALUES (0)",
		"CREATE TABLE log(id INTEGER PRIMARY KEY, payload BLOB)",
		"CREATE TABLE account(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
		fmt.Sprintf("WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM i WHERE x < %d) INSERT INTO account SELECT x, %d FROM i", accounts, initialBalance),
		// Some bulk, so that a snapshot takes long enough to overlap commits.
		"WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM i WHERE x < 2000) INSERT INTO log(payload) SELECT randomblob(2000) FROM i",
		"UPDATE counter SET n = 2000",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// checkLedger checks the invariants and the integrity of a restored ledger
// and returns its counter.
func checkLedger(t *testing.T, path string) int64 {
	t.Helper()
	db, err := open(path, "ro", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	var n, logs, sum int64
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("restored %s: integrity %q %v", path, integrity, err)
	}
	if err := db.QueryRow("SELECT (SELECT n FROM counter), (SELECT count(*) FROM log), (SELECT sum(balance) FROM account)").Scan(&n, &logs, &sum); err != nil {
		t.Fatal(err)
	}
	if n != logs || sum != accounts*initialBalance {
		t.Errorf("restored %s is not a consistent snapshot: counter %d, log rows %d, balance sum %d (want %d)", path, n, logs, sum, accounts*initialBalance)
	}
	return n
}

// fileDump keeps a small dump in memory for the extra tests.
type fileDump struct {
	header database.DumpHeader
	data   strings.Builder
}

func (d *fileDump) Begin(h database.DumpHeader) error { d.header = h; return nil }
func (d *fileDump) Write(p []byte) (int, error)       { return d.data.Write(p) }
func (d *fileDump) Log(spec.Level, string)            {}
func (d *fileDump) Progress(spec.Progress)            {}
