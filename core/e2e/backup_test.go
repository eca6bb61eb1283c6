package e2e

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

// execution is the part of GET /executions/{id} the tests read.
type execution struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// manifest is the part of manifest.json the tests read.
type manifest struct {
	Objects []struct {
		Database string `json:"database"`
		Name     string `json:"name"`
		Size     int64  `json:"size"`
		SHA256   string `json:"sha256"`
	} `json:"objects"`
}

// makeSQLite creates a SQLite database with rows enough to span several
// compression and encryption chunks.
func makeSQLite(t *testing.T, path string, rows int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload BLOB)",
		"CREATE INDEX items_name ON items (name)",
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if _, err := tx.Exec("INSERT INTO items (name, payload) VALUES (?, randomblob(200))", fmt.Sprintf("item %d ünïcødé", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// dumpSQL returns the content of a SQLite file as the sqlite3 tool prints
// it, so two files compare by content, not by page layout.
func dumpSQL(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", path, ".dump").Output()
	if err != nil {
		t.Fatalf("sqlite3 %s .dump: %v", path, err)
	}
	return string(out)
}

// waitFinished polls an execution until it leaves pending/running.
func (c *core) waitFinished(id int64, limit time.Duration) execution {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var ex execution
		c.mustCall("GET", fmt.Sprintf("/api/v1/executions/%d", id), nil, &ex)
		if ex.Status != "pending" && ex.Status != "running" {
			return ex
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("execution %d still %s after %s", id, ex.Status, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// The first check, through the API only: a job with a SQLite source
// and two local destinations, zstd and encryption; the set appears in both
// with a manifest whose SHA-256s match the stored files; `dbkeep recover`
// with the recovery kit gives back a file that opens in sqlite3 with the
// same content.
func TestBackupTwoDestinationsAndRecover(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Fatal("the sqlite3 tool is needed (apt-get install sqlite3)")
	}
	c := newCore(t)
	c.start()
	c.setup()

	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 20000)
	destA, destB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")

	var src, dA, dB, profile struct{ ID int64 }
	c.mustCall("POST", "/api/v1/sources", map[string]any{"name": "shop", "pluginId": "database-sqlite",
		"config": map[string]any{"path": srcPath}}, &src)
	c.mustCall("POST", "/api/v1/destinations", map[string]any{"name": "disk a", "pluginId": "storage-local",
		"config": map[string]any{"path": destA, "create": true}}, &dA)
	c.mustCall("POST", "/api/v1/destinations", map[string]any{"name": "disk b", "pluginId": "storage-local",
		"config": map[string]any{"path": destB, "create": true}}, &dB)
	c.mustCall("POST", "/api/v1/encryption-profiles", map[string]any{"name": "main"}, &profile)
	var job struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	}
	c.mustCall("POST", "/api/v1/jobs", map[string]any{
		"name": "Shop nightly", "sourceId": src.ID, "databases": "all",
		"compression": "zstd", "encryptionProfileId": profile.ID,
		"destinations": []map[string]any{
			{"destinationId": dA.ID, "retention": map[string]any{"policy": "keep-all"}},
			{"destinationId": dB.ID, "retention": map[string]any{"policy": "keep-all"}},
		},
	}, &job)

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job.ID), nil, &ex)
	ex = c.waitFinished(ex.ID, 2*time.Minute)
	if ex.Status != "success" {
		t.Fatalf("backup ended %s: %s", ex.Status, ex.Error)
	}

	// The same set, with its manifest, on both destinations.
	var setDirs []string
	for _, dest := range []string{destA, destB} {
		sets, err := filepath.Glob(filepath.Join(dest, job.Slug, "*_"+fmt.Sprint(ex.ID)))
		if err != nil || len(sets) != 1 {
			t.Fatalf("%s: want one set of execution %d, found %v (%v)", dest, ex.ID, sets, err)
		}
		setDirs = append(setDirs, sets[0])
		raw, err := os.ReadFile(filepath.Join(sets[0], "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Objects) != 1 {
			t.Fatalf("%s: manifest lists %d objects, want 1", sets[0], len(m.Objects))
		}
		for _, o := range m.Objects {
			if !strings.HasSuffix(o.Name, ".zst.dbk") {
				t.Errorf("object %q is not named as compressed and encrypted", o.Name)
			}
			if got := sha256File(t, filepath.Join(sets[0], o.Name)); got != o.SHA256 {
				t.Errorf("%s: sha256sum %s, manifest says %s", o.Name, got, o.SHA256)
			}
		}
	}
	if filepath.Base(setDirs[0]) != filepath.Base(setDirs[1]) {
		t.Errorf("the destinations hold differently named sets: %s and %s", setDirs[0], setDirs[1])
	}

	// The backups API lists the complete set once per destination.
	var backups struct {
		Total int `json:"total"`
	}
	c.mustCall("GET", fmt.Sprintf("/api/v1/backups?job=%d", job.ID), nil, &backups)
	if backups.Total != 2 {
		t.Errorf("GET /backups?job=%d: total %d, want 2 (one set per destination)", job.ID, backups.Total)
	}

	// Offline recovery from the kit alone, the server stopped.
	kit := filepath.Join(t.TempDir(), "kit.zip")
	if err := os.WriteFile(kit, c.download(fmt.Sprintf("/api/v1/encryption-profiles/%d/recovery-kit", profile.ID)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.stop()
	out := filepath.Join(t.TempDir(), "recovered")
	cmd := exec.Command(c.bin, "recover", "--kit", kit, "--out", out, setDirs[1])
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dbkeep recover: %v\n%s", err, b)
	}
	files, err := os.ReadDir(out)
	if err != nil || len(files) != 1 {
		t.Fatalf("recover wrote %v (%v), want one file", files, err)
	}
	if diff := cmp.Diff(dumpSQL(t, srcPath), dumpSQL(t, filepath.Join(out, files[0].Name()))); diff != "" {
		t.Errorf("recovered database differs from the source (-source +recovered):\n%s", diff)
	}
}
