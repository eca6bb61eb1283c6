package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// breaking is real storage (memstore) whose downloads break off after
// cut bytes, with err, for the first breaks opens.
type breaking struct {
	storage.Storage
	cut    int64
	breaks int
	err    error

	mu     sync.Mutex
	opened []storage.DownloadRequest
}

func (b *breaking) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	rc, err := b.Storage.Download(ctx, cfg, req)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opened = append(b.opened, req)
	if len(b.opened) > b.breaks {
		return rc, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, b.cut), &failing{b.err}), rc}, nil
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

func object(t *testing.T, s storage.Storage, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	if _, err := s.Upload(t.Context(), nil, storage.UploadRequest{Name: "obj", SizeHint: int64(size)}, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRetryResumesABrokenDownload: a download cut off twice reads on from
// where it broke, and the caller gets every byte once, in order.
func TestRetryResumesABrokenDownload(t *testing.T) {
	for _, c := range []struct {
		label          string
		offset, length int64
		wantOffsets    []int64
		wantLengths    []int64
	}{
		{"whole", 0, 0, []int64{0, 100_000, 200_000}, []int64{0, 0, 0}},
		{"range", 10, 300_000, []int64{10, 100_010, 200_010}, []int64{300_000, 200_000, 100_000}},
	} {
		t.Run(c.label, func(t *testing.T) {
			b := &breaking{Storage: &memstore.Store{}, cut: 100_000, breaks: 2, err: spec.ErrUnavailable}
			data := object(t, b.Storage, 1<<20)
			var rec recorder
			var heard int
			p := policy(&rec, 4)
			p.OnRetry = func(op string, _ int, err error, _ time.Duration) {
				if op == "download" && errors.Is(err, spec.ErrUnavailable) {
					heard++
				}
			}
			rc, err := storage.WithRetry(b, p).Download(t.Context(), nil, storage.DownloadRequest{Name: "obj", Offset: c.offset, Length: c.length})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			want := data[c.offset:]
			if c.length > 0 {
				want = want[:c.length]
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, %v; want the %d bytes asked for", len(got), err, len(want))
			}
			for i, req := range b.opened {
				if i >= len(c.wantOffsets) || req.Offset != c.wantOffsets[i] || req.Length != c.wantLengths[i] {
					t.Errorf("open %d asked offset %d length %d; want the opens %v / %v", i, req.Offset, req.Length, c.wantOffsets, c.wantLengths)
				}
			}
			if heard != 2 {
				t.Errorf("OnRetry heard %d resumes, want 2", heard)
			}
		})
	}
}

// TestRetryGivesUpOnADownloadThatAlwaysBreaks: breaking off at the same
// byte again and again ends after the attempts, with the error for good:
// never a clean end of a truncated object.
func TestRetryGivesUpOnADownloadThatAlwaysBreaks(t *testing.T) {
	b := &breaking{Storage: &memstore.Store{}, cut: 0, breaks: 100, err: spec.ErrUnavailable}
	object(t, b.Storage, 1000)
	var rec recorder
	rc, err := storage.WithRetry(b, policy(&rec, 3)).Download(t.Context(), nil, storage.DownloadRequest{Name: "obj"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	if !errors.Is(err, spec.ErrUnavailable) || !strings.Contains(err.Error(), "broke off 3 times") {
		t.Errorf("download that always breaks: %v", err)
	}
	if _, again := rc.Read(make([]byte, 1)); again == nil || again == io.EOF {
		t.Errorf("read after giving up: %v, want the error again", again)
	}
	if len(b.opened) != 3 {
		t.Errorf("%d opens, want 3", len(b.opened))
	}
}

// TestRetryDoesNotResumeLastingErrors: an error another attempt cannot
// mend reaches the caller as it is.
func TestRetryDoesNotResumeLastingErrors(t *testing.T) {
	corrupt := errors.New("checksum mismatch in transit")
	b := &breaking{Storage: &memstore.Store{}, cut: 10, breaks: 100, err: corrupt}
	object(t, b.Storage, 1000)
	var rec recorder
	rc, err := storage.WithRetry(b, policy(&rec, 4)).Download(t.Context(), nil, storage.DownloadRequest{Name: "obj"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err != corrupt || len(b.opened) != 1 {
		t.Errorf("download with a lasting error: %v after %d opens", err, len(b.opened))
	}
}
