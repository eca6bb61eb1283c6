package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// backupsEnv is the API over a real store, signed in as the first admin.
type backupsEnv struct {
	t      *testing.T
	st     *store.Store
	base   string
	cookie *http.Cookie
	csrf   string
	client *http.Client
}

func newBackupsEnv(t *testing.T) *backupsEnv {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	accounts, err := auth.New(ctx, auth.Options{Store: st, PasswordParams: &auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler})
	New(Deps{Auth: accounts, Accounts: accounts, Audit: st.Audit(), Backups: st.BackupSets()}).Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	t.Cleanup(func() {
		app.ShutdownWithTimeout(5 * time.Second)
		st.Close()
	})
	e := &backupsEnv{t: t, st: st, base: "http://" + ln.Addr().String() + Prefix, client: &http.Client{Timeout: time.Minute}}
	creds := map[string]string{"username": "admin", "password": "a long enough password"}
	if resp := e.do("POST", "/auth/setup", creds); resp.StatusCode != http.StatusCreated {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	resp := e.do("POST", "/auth/login", creds)
	var env struct {
		Data struct {
			CSRFToken string `json:"csrfToken"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.SessionCookie {
			e.cookie, e.csrf = ck, env.Data.CSRFToken
		}
	}
	if e.cookie == nil {
		t.Fatal("no session cookie")
	}
	return e
}

func (e *backupsEnv) do(method, path string, body any) *http.Response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.cookie != nil {
		req.AddCookie(e.cookie)
		req.Header.Set(auth.CSRFHeader, e.csrf)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// get answers path's data into out and returns the status.
func (e *backupsEnv) get(path string, out any) int {
	e.t.Helper()
	resp := e.do("GET", path, nil)
	defer resp.Body.Close()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(env.Data, out); err != nil {
			e.t.Fatalf("GET %s data: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestBackupsListOnlyCompleteSets(t *testing.T) {
	ctx := context.Background()
	e := newBackupsEnv(t)
	src, err := e.st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	var dests []int64
	for _, name := range []string{"a", "b"} {
		d, err := e.st.Destinations().Create(ctx, store.ConnectionInput{Name: name, PluginID: "storage-local", Config: spec.Config{}})
		if err != nil {
			t.Fatal(err)
		}
		dests = append(dests, d.ID)
	}
	job, err := e.st.Jobs().Create(ctx, store.JobInput{Name: "nightly", SourceID: src.ID, AllDatabases: true, Compression: "zstd",
		Destinations: []store.JobDestination{{DestinationID: dests[0], Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := e.st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &job.ID})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	prefix := backupset.Prefix(job.Slug, created, ex.ID)
	var ids []int64
	for _, d := range dests {
		set, err := e.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: d, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, set.ID)
	}
	// Only the set on "a" gets its manifest.
	var buf bytes.Buffer
	m := backupset.Manifest{FormatVersion: backupset.FormatVersion, Job: backupset.JobRef{ID: job.ID, Name: job.Name, Slug: job.Slug},
		ExecutionID: ex.ID, Created: created, Objects: []backupset.Object{{Database: "shop", Name: "shop.sqlite.zst", Size: 42, SHA256: "ab",
			Dump: backupset.Dump{Format: "sqlite3", Extension: "sqlite"}, Compression: backupset.Compression{Algorithm: "zstd"}}}}
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := e.st.BackupSets().Complete(ctx, ids[0], 42+int64(buf.Len()), buf.Bytes()); err != nil {
		t.Fatal(err)
	}

	var list Paged[Backup]
	if code := e.get("/backups", &list); code != http.StatusOK || list.Total != 1 || len(list.Items) != 1 {
		t.Fatalf("GET /backups: %d %+v", code, list)
	}
	if b := list.Items[0]; b.ID != ids[0] || b.Prefix != prefix || !b.CreatedAt.Equal(created) || b.Manifest != nil || b.JobName != "nightly" {
		t.Errorf("listed %+v", b)
	}
	for path, want := range map[string]int{
		fmt.Sprintf("/backups?job=%d", job.ID):                                  1,
		fmt.Sprintf("/backups?job=%d", job.ID+1):                                0,
		fmt.Sprintf("/backups?destination=%d", dests[1]):                        0,
		fmt.Sprintf("/backups?destination=%d&job=%d&limit=1", dests[0], job.ID): 1,
		fmt.Sprintf("/backups?execution=%d", ex.ID):                             1,
		fmt.Sprintf("/backups?execution=%d", ex.ID+1):                           0,
	} {
		var l Paged[Backup]
		if code := e.get(path, &l); code != http.StatusOK || l.Total != want {
			t.Errorf("GET %s: %d, total %d, want %d", path, code, l.Total, want)
		}
	}
	if code := e.get("/backups?job=x", nil); code != http.StatusBadRequest {
		t.Errorf("GET /backups?job=x: %d, want 400", code)
	}

	var one Backup
	if code := e.get(fmt.Sprintf("/backups/%d", ids[0]), &one); code != http.StatusOK || one.Manifest == nil ||
		len(one.Manifest.Objects) != 1 || one.Manifest.Objects[0].Name != "shop.sqlite.zst" {
		t.Fatalf("GET /backups/%d: %d %+v", ids[0], code, one)
	}
	if code := e.get(fmt.Sprintf("/backups/%d", ids[1]), nil); code != http.StatusNotFound {
		t.Errorf("GET an incomplete set: %d, want 404", code)
	}

	// Lock and unlock: the set says so, an incomplete one is no backup.
	lockPath := fmt.Sprintf("/backups/%d/lock", ids[0])
	for _, step := range []struct {
		method string
		want   bool
	}{{http.MethodPut, true}, {http.MethodPut, true}, {http.MethodDelete, false}} {
		resp := e.do(step.method, lockPath, nil)
		var b struct {
			Data Backup `json:"data"`
		}
		json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || b.Data.ID != ids[0] || b.Data.Locked != step.want {
			t.Errorf("%s %s: %d %+v, want locked %v", step.method, lockPath, resp.StatusCode, b.Data, step.want)
		}
		var one Backup
		if e.get(fmt.Sprintf("/backups/%d", ids[0]), &one); one.Locked != step.want {
			t.Errorf("after %s %s the set says locked %v", step.method, lockPath, one.Locked)
		}
	}
	if resp := e.do(http.MethodPut, fmt.Sprintf("/backups/%d/lock", ids[1]), nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("locking an incomplete set: %d, want 404", resp.StatusCode)
	}

	e.cookie = nil
	if resp := e.do(http.MethodPut, lockPath, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("locking signed out: %d, want 401", resp.StatusCode)
	}
	if code := e.get("/backups", nil); code != http.StatusUnauthorized {
		t.Errorf("GET /backups signed out: %d, want 401", code)
	}
}
