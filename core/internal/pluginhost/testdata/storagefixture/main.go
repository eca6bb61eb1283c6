// Command storagefixture is a storage plugin for the plugin host's tests. It
// records every start in a marker file beside its binary — before anything
// else, even for `describe` — so a test can prove a binary never ran. Its
// Download streams slowly and without end, so a test can kill it mid-stream;
// Test answers with its pid, so a test can tell a restarted process.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// logger is made before Serve, which redirects os.Stderr into go-plugin's
// stdio stream: lines written through it reach the core as structured logs.
var logger = sdk.Logger()

func main() {
	mark()
	sdk.Serve(sdk.Plugin{
		Logger:      logger,
		Name:        "fixture",
		DisplayName: "Fixture storage",
		Summary:     "A storage plugin for tests.",
		Version:     "1.2.3",
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "path", Label: "Path", Type: spec.String, Required: true, Help: "Where objects go.", Group: "Location"},
			{Name: "token", Label: "Token", Type: spec.Secret},
		}},
		Storage: store{},
	})
}

// mark appends a line to <binary>.ran. The binary is found by os.Args[0],
// not os.Executable: the host runs `describe` from an in-memory copy of the
// checked bytes, whose executable path is not the file's.
func mark() {
	f, err := os.OpenFile(os.Args[0]+".ran", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), strings.Join(os.Args[1:], " "))
	f.Close()
}

type store struct{}

func (store) Test(context.Context, spec.Config) (string, error) {
	// Plain stderr, not the logger: the host must route this too.
	fmt.Fprintln(os.Stderr, "fixture test called")
	return fmt.Sprintf("fixture pid %d", os.Getpid()), nil
}

func (store) Upload(_ context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	n, err := io.Copy(io.Discard, r)
	return storage.ObjectInfo{Name: req.Name, Size: n}, err
}

func (store) Download(ctx context.Context, _ spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	logger.Info("download started", "name", req.Name)
	return io.NopCloser(&slowReader{ctx: ctx}), nil
}

func (store) List(context.Context, spec.Config, string, func(storage.ObjectInfo) error) error {
	return nil
}

func (store) Stat(_ context.Context, _ spec.Config, name string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("object %s: %w", name, spec.ErrNotFound)
}

func (store) Delete(_ context.Context, _ spec.Config, name string) error {
	return fmt.Errorf("object %s: %w", name, spec.ErrNotFound)
}

// slowReader yields 64 KiB every 5 ms until its context ends: a large object
// on a slow link.
type slowReader struct{ ctx context.Context }

func (r *slowReader) Read(p []byte) (int, error) {
	select {
	case <-r.ctx.Done():
		return 0, r.ctx.Err()
	case <-time.After(5 * time.Millisecond):
	}
	n := min(len(p), 64<<10)
	for i := range p[:n] {
		p[i] = byte(i)
	}
	return n, nil
}
