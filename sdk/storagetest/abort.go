package storagetest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// promptly is how soon an aborted transfer must end for the caller.
const promptly = 5 * time.Second

// testUploadInProgress: while an upload waits for more data, neither its
// final name nor any temporary object is visible; once it ends, the object is.
func (k *kit) testUploadInProgress(t *testing.T) {
	const name = "inprogress/object.bin"
	p := k.random(3*spec.ChunkSize + 5)
	release := make(chan struct{})
	done := k.uploadAsync(t, name, &gatedReader{r: p.reader(), before: 2*spec.ChunkSize + 1, release: release, ctx: t.Context()})
	k.received(t, name, spec.ChunkSize)
	k.absent(t, name)
	k.checkListing(t)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("upload after the pause: %v", err)
	}
	k.stored(name, p.size)
	k.get(t, name, p)
	k.del(t, name)
}

// testCancelUpload: cancelling the context mid-stream fails the upload, and
// afterwards nothing exists under the name, nothing new is listed, and the
// name can be uploaded again.
func (k *kit) testCancelUpload(t *testing.T) {
	t.Run("WhileSending", func(t *testing.T) {
		// An endless source: the upload is cut while chunks are in flight.
		k.cancelUpload(t, "cancel/sending.bin", func(ctx context.Context) io.Reader {
			return k.random(1 << 40).reader()
		})
	})
	t.Run("WhileWaiting", func(t *testing.T) {
		// A source that stalls, as a dump tool does between tables.
		k.cancelUpload(t, "cancel/waiting.bin", func(ctx context.Context) io.Reader {
			return &gatedReader{r: k.random(1 << 40).reader(), before: 2*spec.ChunkSize + 1, release: nil, ctx: ctx}
		})
	})
}

func (k *kit) cancelUpload(t *testing.T, name string, source func(context.Context) io.Reader) {
	ctx, cancel := context.WithCancel(k.ctx(t))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := k.st.Upload(ctx, k.cfg, storage.UploadRequest{Name: name, SizeHint: -1}, source(ctx))
		done <- err
	}()
	k.received(t, name, spec.ChunkSize)
	cancel()
	select {
	case err := <-done:
		wantErr(t, "cancelled upload", err, context.Canceled)
	case <-time.After(promptly):
		t.Fatalf("upload still running %s after its context was cancelled", promptly)
	}
	k.settle(t)
	k.uploadFailed(t, name)
	k.absent(t, name)
	k.checkListing(t)
	p := k.random(10)
	k.put(t, name, p)
	k.get(t, name, p)
	k.del(t, name)
}

// testFailingSource: when the source fails the upload fails with the
// source's error, and nothing remains.
func (k *kit) testFailingSource(t *testing.T) {
	broken := errors.New("storagetest: the source broke")
	t.Run("MidStream", func(t *testing.T) {
		const name = "failing/midstream.bin"
		src := &failingReader{r: k.random(1 << 40).reader(), before: 2*spec.ChunkSize + spec.ChunkSize/2, err: broken,
			// Fail only once the plugin holds data, so that it has something to undo.
			atFailure: func() { k.received(t, name, spec.ChunkSize) }}
		_, err := k.st.Upload(k.ctx(t), k.cfg, storage.UploadRequest{Name: name, SizeHint: -1}, src)
		wantErr(t, "upload from a failing source", err, broken)
		k.settle(t)
		k.uploadFailed(t, name)
		k.absent(t, name)
		k.checkListing(t)
	})
	t.Run("AtStart", func(t *testing.T) {
		const name = "failing/atstart.bin"
		_, err := k.st.Upload(k.ctx(t), k.cfg, storage.UploadRequest{Name: name, SizeHint: -1}, &failingReader{err: broken})
		wantErr(t, "upload from a source failing at once", err, broken)
		k.settle(t)
		k.uploadFailed(t, name)
		k.absent(t, name)
		k.checkListing(t)
	})
}

// testCancelDownload: cancelling the context mid-download ends the reader
// promptly with an error, never a clean but short end, and the plugin closes
// its own reader. The object downloads whole afterwards.
func (k *kit) testCancelDownload(t *testing.T) {
	const name = "cancel/download.bin"
	size := int64(4 * spec.ChunkSize)
	if k.obs != nil {
		// The plugin's reader is held after two chunks, so the cancellation
		// surely arrives mid-stream.
		k.obs.update(func() { k.obs.stall[name] = 2 * spec.ChunkSize })
	} else {
		// Unwatched, the object must outgrow what gRPC may buffer (16 MiB).
		size = 40 << 20
	}
	p := k.random(size)
	k.put(t, name, p)
	ctx, cancel := context.WithCancel(k.ctx(t))
	defer cancel()
	rc, err := k.st.Download(ctx, k.cfg, storage.DownloadRequest{Name: name})
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer rc.Close()
	head := make([]byte, spec.ChunkSize)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatalf("download: reading the first chunk: %v", err)
	}
	cancel()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := io.Copy(io.Discard, rc)
		done <- result{n, err}
	}()
	var rest int64
	select {
	case r := <-done:
		rest, err = r.n, r.err
	case <-time.After(promptly):
		t.Fatalf("download still reading %s after its context was cancelled", promptly)
	}
	if err == nil {
		t.Errorf("cancelled download ended cleanly after %d more bytes; want an error", rest)
	}
	if spec.ChunkSize+rest >= size {
		t.Errorf("cancelled download delivered all %d bytes", size)
	}
	if k.obs != nil && !k.obs.waitFor(promptly, func() bool { return k.obs.closed[name] }) {
		t.Errorf("the plugin's download reader was not closed %s after the cancellation", promptly)
	}
	if k.obs != nil {
		k.obs.update(func() { delete(k.obs.stall, name) })
	}
	k.get(t, name, p)
	k.del(t, name)
}

// uploadAsync starts an upload of r and returns where its error arrives.
func (k *kit) uploadAsync(t *testing.T, name string, r io.Reader) <-chan error {
	done := make(chan error, 1)
	ctx := k.ctx(t)
	go func() {
		_, err := k.st.Upload(ctx, k.cfg, storage.UploadRequest{Name: name, SizeHint: -1}, r)
		done <- err
	}()
	return done
}

// gatedReader yields `before` bytes of r, then waits for release (nil:
// forever) and goes on, or for ctx and fails with its error.
type gatedReader struct {
	r       io.Reader
	before  int64
	n       int64
	release <-chan struct{}
	ctx     context.Context
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.n == g.before {
		select {
		case <-g.release:
			g.before = -1
		case <-g.ctx.Done():
			return 0, g.ctx.Err()
		}
	}
	if g.before >= 0 {
		p = p[:min(int64(len(p)), g.before-g.n)]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// failingReader yields `before` bytes of r, then calls atFailure and fails
// with err.
type failingReader struct {
	r         io.Reader
	before    int64
	n         int64
	err       error
	atFailure func()
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= f.before {
		if f.atFailure != nil {
			f.atFailure()
			f.atFailure = nil
		}
		return 0, f.err
	}
	n, err := f.r.Read(p[:min(int64(len(p)), f.before-f.n)])
	f.n += int64(n)
	return n, err
}
