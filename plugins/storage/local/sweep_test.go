//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// childDirEnv, set, makes TestUploadChild the body of a child process that
// uploads set/db.sql to that directory and never finishes.
const childDirEnv = "DBKEEP_LOCAL_TEST_UPLOAD_DIR"

// TestUploadChild is not a test of its own: it is the process killed by
// killedUpload.
func TestUploadChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("only run as the child of killedUpload")
	}
	src := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("partial dump "), 100_000)), stall{})
	_, err := (&local{}).Upload(context.Background(), spec.Config{"path": dir}, storage.UploadRequest{Name: "set/db.sql", SizeHint: -1}, src)
	t.Fatalf("the upload ended (%v); it should have been killed", err)
}

// stall is a source that never yields: the upload waits for it forever.
type stall struct{}

func (stall) Read([]byte) (int, error) { select {} }

// killedUpload runs an upload of set/db.sql into dir in a child process,
// SIGKILLs it once its temporary file holds data, and returns that file's
// path relative to dir.
func killedUpload(t *testing.T, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestUploadChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var tmp string
	eventually(t, "the child's upload to write its temporary file", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the child exited before it was killed (%v):\n%s", err, out.String())
		default:
		}
		for _, f := range files(t, dir) {
			if storage.IsTemp(f) {
				if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Size() > 0 {
					tmp = f
					return true
				}
			}
		}
		return false
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child ended %v, want killed:\n%s", err, out.String())
	}
	return tmp
}

func list(t *testing.T, st host.StorageClient, cfg spec.Config, prefix string) []string {
	t.Helper()
	var names []string
	if err := st.List(t.Context(), cfg, prefix, func(o storage.ObjectInfo) error { names = append(names, o.Name); return nil }); err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return names
}

// A plugin killed while it uploads leaves its partial file; listing the
// set's prefix (what abandoning the set does first) removes it, and its
// folder, without ever listing it.
func TestListRemovesAKilledUploadsFile(t *testing.T) {
	st, cfg, dir := start(t)
	tmp := killedUpload(t, dir)
	if diff := cmp.Diff([]string{"set/", tmp}, files(t, dir)); diff != "" {
		t.Fatalf("what the killed upload left (-want +got):\n%s", diff)
	}
	if got := list(t, st, cfg, "set/"); len(got) > 0 {
		t.Errorf("list shows %q", got)
	}
	if got := files(t, dir); len(got) > 0 {
		t.Errorf("left after listing the set: %q", got)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the storage directory itself went: %v", err)
	}
}

// Beside complete objects the leftover goes and the objects stay; deleting
// them, as abandoning the set does, then leaves no folder.
func TestAbandoningASetWithAKilledUploadLeavesNothing(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	for _, name := range []string{"job/set/other.sql", "job/keep/db.sql"} {
		if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	// The child uploads set/db.sql; move its leftover into job/set as if it
	// had been uploading there.
	scratch := t.TempDir()
	tmp := killedUpload(t, scratch)
	if err := os.Rename(filepath.Join(scratch, tmp), filepath.Join(dir, "job/set", filepath.Base(tmp))); err != nil {
		t.Fatal(err)
	}
	names := list(t, st, cfg, "job/set/")
	if diff := cmp.Diff([]string{"job/set/other.sql"}, names); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	for _, name := range names {
		if err := st.Delete(ctx, cfg, name); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"job/", "job/keep/", "job/keep/db.sql"}, files(t, dir)); diff != "" {
		t.Errorf("after abandoning job/set (-want +got):\n%s", diff)
	}
}

// Delete clears dead temporary files from the object's own folder, so the
// last object of a set takes the folder with it even when no List ran.
func TestDeleteRemovesAKilledUploadsFileBesideTheObject(t *testing.T) {
	st, cfg, dir := start(t)
	tmp := killedUpload(t, dir)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/manifest.json", SizeHint: 2}, strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(t.Context(), cfg, "set/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); len(got) > 0 {
		t.Errorf("left after deleting the set's only object (%s was the leftover): %q", tmp, got)
	}
}

// heldUpload starts an upload of name whose source gives some bytes and
// then waits; it returns once the temporary file exists, and a function
// that completes the upload and returns its result.
func heldUpload(t *testing.T, st host.StorageClient, cfg spec.Config, dir, name string) (finish func() error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := st.Upload(context.WithoutCancel(t.Context()), cfg, storage.UploadRequest{Name: name, SizeHint: -1}, pr)
		done <- err
	}()
	if _, err := pw.Write([]byte("first half ")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the upload's temporary file", func() bool {
		for _, f := range files(t, dir) {
			if storage.IsTemp(f) && strings.HasPrefix(f, filepath.Dir(name)+"/") {
				return true
			}
		}
		return false
	})
	return func() error {
		pw.Write([]byte("second half"))
		pw.Close()
		return <-done
	}
}

// An upload in progress is never taken for a leftover: neither List nor
// Delete nor Test removes its temporary file, even within one process.
func TestSweepsLeaveUploadsInProgress(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: "set/done.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	finish := heldUpload(t, st, cfg, dir, "set/db.sql")
	before := files(t, dir)
	if got := list(t, st, cfg, "set/"); !cmp.Equal(got, []string{"set/done.sql"}) {
		t.Errorf("list during an upload: %q, want only set/done.sql", got)
	}
	if err := st.Delete(ctx, cfg, "set/done.sql"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Test(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range before {
		if f != "set/done.sql" {
			want = append(want, f)
		}
	}
	if diff := cmp.Diff(want, files(t, dir)); diff != "" {
		t.Errorf("the sweeps touched the upload in progress (-want +got):\n%s", diff)
	}
	if err := finish(); err != nil {
		t.Fatalf("the upload, completed after the sweeps: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "set/db.sql")); err != nil || string(b) != "first half second half" {
		t.Errorf("the object holds %q, %v", b, err)
	}
}

// Test sweeps the top level, where its own probe goes, and nothing deeper:
// a walk of the whole tree would make every test as slow as a listing.
func TestTestSweepsTheTopLevel(t *testing.T) {
	st, cfg, dir := start(t)
	scratch := t.TempDir()
	tmp := killedUpload(t, scratch)
	top := storage.TempPrefix + "top"
	if err := os.Rename(filepath.Join(scratch, tmp), filepath.Join(dir, top)); err != nil {
		t.Fatal(err)
	}
	deep := "set/" + storage.TempPrefix + "deep"
	if err := os.Mkdir(filepath.Join(dir, "set"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, deep), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Test(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/", deep}, files(t, dir)); diff != "" {
		t.Errorf("after Test (-want +got):\n%s", diff)
	}
}

// Delete removes the folders the object leaves empty, up to the storage
// directory: not the directory, not a folder holding anything else, not a
// symbolic link standing for a folder.
func TestDeleteRemovesOnlyEmptyFolders(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	for _, name := range []string{"a/b/c/x", "a/y", "real/z", "top"} {
		if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("real", filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a/b/c/x", "alias/z", "top"} {
		if err := st.Delete(ctx, cfg, name); err != nil {
			t.Fatal(err)
		}
	}
	// The link stays, and so does the folder it leads to: the delete went
	// through the link, which is not a folder of ours to remove.
	if diff := cmp.Diff([]string{"a/", "a/y", "alias", "real/"}, files(t, dir)); diff != "" {
		t.Errorf("after the deletes (-want +got):\n%s", diff)
	}
}

// Uploads racing with sweeps that remove their folder and examine their
// fresh, not yet locked, temporary files all succeed, whole.
func TestUploadsRacingWithSweeps(t *testing.T) {
	dir := t.TempDir()
	cfg := spec.Config{"path": dir}
	l := &local{}
	ctx := t.Context()
	stop := make(chan struct{})
	var sweeps sync.WaitGroup
	for range 2 {
		sweeps.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A dead leftover in every folder gives the sweeps work
				// and the removal of emptied folders a chance to race.
				os.WriteFile(filepath.Join(dir, "s", storage.TempPrefix+"dead"), nil, 0o600)
				if err := l.List(ctx, cfg, "s/", func(storage.ObjectInfo) error { return nil }); err != nil {
					t.Errorf("list: %v", err)
					return
				}
			}
		})
	}
	var uploads sync.WaitGroup
	for w := range 4 {
		uploads.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("s/%d-%d", w, i)
				body := strings.Repeat(name, 100)
				if _, err := l.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: -1}, strings.NewReader(body)); err != nil {
					t.Errorf("upload %s: %v", name, err)
					return
				}
				if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != body {
					t.Errorf("%s holds %d bytes, %v", name, len(b), err)
				}
				if err := l.Delete(ctx, cfg, name); err != nil && !errors.Is(err, spec.ErrNotFound) {
					t.Errorf("delete %s: %v", name, err)
				}
			}
		})
	}
	uploads.Wait()
	close(stop)
	sweeps.Wait()
}

// A temporary file without permissions is one an upload created and has not
// locked yet: a sweep leaves it, unless it is too old for that, when its
// writer died between the two.
func TestUnclaimedTemporaryFiles(t *testing.T) {
	st, cfg, dir := start(t)
	if err := os.Mkdir(filepath.Join(dir, "set"), 0o700); err != nil {
		t.Fatal(err)
	}
	fresh, stale := "set/"+storage.TempPrefix+"fresh", "set/"+storage.TempPrefix+"stale"
	for _, p := range []string{fresh, stale} {
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-unclaimedAge - time.Minute)
	if err := os.Chtimes(filepath.Join(dir, stale), old, old); err != nil {
		t.Fatal(err)
	}
	if got := list(t, st, cfg, "set/"); len(got) > 0 {
		t.Errorf("list shows %q", got)
	}
	if diff := cmp.Diff([]string{"set/", fresh}, files(t, dir)); diff != "" {
		t.Errorf("after the sweep (-want +got):\n%s", diff)
	}
}
