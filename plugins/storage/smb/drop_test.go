package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/netcut"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// TestConnectionDroppedMidUpload: the network fails while an upload is
// going: the upload fails as unavailable, nothing is under the final name,
// and the temporary file is removed over a new connection.
func TestConnectionDroppedMidUpload(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	link := netcut.NewRelay(t, net.JoinHostPort(srv.host, srv.port))
	cfg := srv.config(dir)
	cfg["port"] = link.Port()
	src := &netcut.Zeros{N: 64 << 20, Mark: 8 << 20, At: link.Cut}
	_, err := start(t).Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: -1}, src)
	wantIs(t, "upload with the connection cut", err, spec.ErrUnavailable)
	wantText(t, "upload with the connection cut", err, "set/db.sql", "connection was lost")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var left []string
		for _, f := range srv.files(t, dir) {
			if !strings.HasSuffix(f, "/") {
				left = append(left, f)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files left by the cut upload: %q", left)
		}
	}
}

// TestConnectionDroppedMidDownload: a download whose connection is cut
// fails as unavailable; wrapped in the SDK's retry decorator, as the core
// does, it resumes where it broke off and delivers the object whole.
func TestConnectionDroppedMidDownload(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	link := netcut.NewRelay(t, net.JoinHostPort(srv.host, srv.port))
	cfg := srv.config(dir)
	cfg["port"] = link.Port()
	data := make([]byte, 24<<20)
	rand.Read(data)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: int64(len(data))}, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	read := func(s storage.Storage) ([]byte, error) {
		rc, err := s.Download(t.Context(), cfg, storage.DownloadRequest{Name: "db.sql"})
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		var got bytes.Buffer
		if _, err := io.CopyN(&got, rc, 4<<20); err != nil {
			return got.Bytes(), err
		}
		link.Cut()
		_, err = io.Copy(&got, rc)
		return got.Bytes(), err
	}
	_, err := read(st)
	wantIs(t, "download with the connection cut", err, spec.ErrUnavailable)

	var resumed int
	retrying := storage.WithRetry(st, storage.RetryPolicy{
		InitialDelay: 10 * time.Millisecond,
		OnRetry:      func(string, int, error, time.Duration) { resumed++ },
	})
	got, err := read(retrying)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download through WithRetry with the connection cut: %d of %d bytes, %v", len(got), len(data), err)
	}
	if resumed == 0 {
		t.Error("the download was not resumed, yet its connection was cut")
	}
}
