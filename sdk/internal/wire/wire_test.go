package wire_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

func TestStorageRoundTripAcrossBoundary(t *testing.T) {
	conn := sdktest.Start(t, sdk.Plugin{Name: "mem", Version: "0.0.1", Storage: &memstore.Store{},
		Schema: spec.Schema{Fields: []spec.Field{{Name: "n", Label: "N", Type: spec.Int}}}})
	ctx := context.Background()
	st := conn.Storage()
	data := make([]byte, 3*spec.ChunkSize+17)
	rand.Read(data)
	info, err := st.Upload(ctx, spec.Config{}, storage.UploadRequest{Name: "a/b", SizeHint: -1}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || len(info.SHA256) != 64 {
		t.Fatalf("upload info %+v", info)
	}
	rc, err := st.Download(ctx, spec.Config{}, storage.DownloadRequest{Name: "a/b"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download: %v, equal=%v", err, bytes.Equal(got, data))
	}
	if _, err := st.Stat(ctx, spec.Config{}, "missing"); !errors.Is(err, spec.ErrNotFound) {
		t.Fatalf("stat missing: %v", err)
	}
	err = st.Delete(ctx, spec.Config{"n": "x", "bogus": "1"}, "a/b")
	if fe := spec.FieldErrors(err); len(fe) != 2 {
		t.Fatalf("invalid config: %v", err)
	}
	if _, err := st.Usage(ctx, spec.Config{}); !errors.Is(err, spec.ErrUnsupported) {
		t.Fatalf("usage: %v", err)
	}
	d, err := conn.Describe(ctx)
	if err != nil || d.ID != "storage-mem" {
		t.Fatalf("describe: %+v %v", d, err)
	}
}

// blockedReader yields one chunk, then blocks until the test ends, as a
// stalled network source would.
type blockedReader struct {
	sent bool
	stop <-chan struct{}
}

func (b *blockedReader) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return len(p), nil
	}
	<-b.stop
	return 0, io.ErrUnexpectedEOF
}

func TestUploadReturnsOnCancelWhileTheSourceIsBlocked(t *testing.T) {
	st := sdktest.Start(t, sdk.Plugin{Name: "mem", Version: "0.0.1", Storage: &memstore.Store{}}).Storage()
	stop := make(chan struct{})
	defer close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := st.Upload(ctx, spec.Config{}, storage.UploadRequest{Name: "stalled", SizeHint: -1}, &blockedReader{stop: stop})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("upload with a stalled source: %v, want the deadline", err)
	}
	if _, err := st.Stat(context.Background(), spec.Config{}, "stalled"); !errors.Is(err, spec.ErrNotFound) {
		t.Fatalf("a cancelled upload left an object: %v", err)
	}
}
