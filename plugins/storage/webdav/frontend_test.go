package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// frontend puts a reverse proxy of the test's own in front of the real
// server, to refuse methods some servers refuse and to watch request bodies
// arrive. It returns the configuration pointing at it.
func (srv server) frontend(t *testing.T, dir string, refuse []string, put *atomic.Int64) spec.Config {
	t.Helper()
	target, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range refuse {
			if r.Method == m {
				http.Error(w, m+" is not allowed here", http.StatusMethodNotAllowed)
				return
			}
		}
		if r.Method == http.MethodPut && put != nil {
			r.Body = &countingBody{ReadCloser: r.Body, n: put}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	cfg := srv.config(dir)
	cfg["url"] = ts.URL + target.Path
	return cfg
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestMoveRefused: a server refusing MOVE still gets complete objects, by
// COPY and DELETE; one refusing COPY too fails the upload saying why, with
// nothing under the name.
func TestMoveRefused(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	st := start(t)

	cfg := srv.frontend(t, dir, []string{"MOVE"}, nil)
	for _, body := range []string{"first", "second, longer"} {
		if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: -1}, strings.NewReader(body)); err != nil {
			t.Fatalf("upload without MOVE: %v", err)
		}
		b, err := srv.admin.Read(dir + "/set/db.sql")
		if err != nil || string(b) != body {
			t.Errorf("stored without MOVE: %q, %v; want %q", b, err, body)
		}
	}
	if got := srv.files(t, dir); len(got) != 1 {
		t.Errorf("files after uploads without MOVE: %q", got)
	}

	cfg = srv.frontend(t, dir, []string{"MOVE", "COPY"}, nil)
	_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/other.sql", SizeHint: -1}, strings.NewReader("x"))
	wantText(t, "upload without MOVE and COPY", err, "refuses both MOVE and COPY")
	_, err = st.Stat(t.Context(), cfg, "set/other.sql")
	wantIs(t, "stat after the refused upload", err, spec.ErrNotFound)
	srv.waitFiles(t, dir, 1)
}

// waitFiles waits until dir holds n files.
func (srv server) waitFiles(t *testing.T, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := srv.files(t, dir)
		if len(got) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("files: %q; want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// heldSource yields zeros; after `before` bytes it waits until release
// says go on, or fails after a while.
type heldSource struct {
	n, before, size int64
	release         func() bool
}

func (h *heldSource) Read(p []byte) (int, error) {
	if h.n == h.size {
		return 0, io.EOF
	}
	if h.n >= h.before {
		deadline := time.Now().Add(20 * time.Second)
		for !h.release() {
			if time.Now().After(deadline) {
				return 0, errors.New("the server never received the bytes already read: the upload is buffered, not streamed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		h.before = h.size
	}
	p = p[:min(int64(len(p)), h.before-h.n, h.size-h.n)]
	clear(p)
	h.n += int64(len(p))
	return len(p), nil
}

// TestUploadStreams: the server receives an upload's bytes while the source
// is still producing them, so no whole-object copy is made in memory.
func TestUploadStreams(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	var received atomic.Int64
	cfg := srv.frontend(t, dir, nil, &received)
	const held, size = 8 << 20, 12 << 20
	src := &heldSource{before: held, size: size, release: func() bool { return received.Load() >= held/2 }}
	info, err := start(t).Upload(t.Context(), cfg, storage.UploadRequest{Name: "big.bin", SizeHint: -1}, src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != size {
		t.Errorf("upload reports %d bytes, want %d", info.Size, size)
	}
}
