// Command nullstore is a storage plugin that reads every upload to its end
// and keeps nothing, for transport benchmarks. The SDK still hashes and counts
// what crosses the boundary, as it does for every storage plugin.
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

type null struct{}

func (null) Test(context.Context, spec.Config) (string, error) { return "discards everything", nil }

func (null) Upload(_ context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	n, err := io.Copy(io.Discard, r)
	return storage.ObjectInfo{Name: req.Name, Size: n}, err
}

func (null) Download(context.Context, spec.Config, storage.DownloadRequest) (io.ReadCloser, error) {
	return nil, fmt.Errorf("nullstore keeps nothing: %w", spec.ErrNotFound)
}

func (null) List(context.Context, spec.Config, string, func(storage.ObjectInfo) error) error {
	return nil
}

func (null) Stat(_ context.Context, _ spec.Config, name string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("nullstore keeps nothing (%s): %w", name, spec.ErrNotFound)
}

func (null) Delete(_ context.Context, _ spec.Config, name string) error {
	return fmt.Errorf("nullstore keeps nothing (%s): %w", name, spec.ErrNotFound)
}

func main() {
	sdk.Serve(sdk.Plugin{
		Name:    "null",
		Version: "0.0.0",
		Summary: "Benchmark fixture: discards uploads.",
		Storage: null{},
	})
}
