package wire_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// discard is a storage that reads uploads to the end and keeps nothing, and
// serves downloads of zeros: the benchmarks below measure the SDK's edge, not
// a backend.
type discard struct{}

func (discard) Test(context.Context, spec.Config) (string, error) { return "", nil }
func (discard) Upload(_ context.Context, _ spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	n, err := io.Copy(io.Discard, r)
	return storage.ObjectInfo{Name: req.Name, Size: n}, err
}
func (discard) Download(_ context.Context, _ spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	return io.NopCloser(io.LimitReader(zeros{}, req.Length)), nil
}
func (discard) List(context.Context, spec.Config, string, func(storage.ObjectInfo) error) error {
	return nil
}
func (discard) Stat(context.Context, spec.Config, string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, spec.ErrNotFound
}
func (discard) Delete(context.Context, spec.Config, string) error { return spec.ErrNotFound }

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkUpload and BenchmarkDownload move bytes across one in-process
// plugin boundary (gRPC over a Unix socket, no TLS): the SDK's own overhead
// per byte, chunking and codec included.
func BenchmarkUpload(b *testing.B) {
	const size = 256 << 20
	st := sdktest.Start(b, sdk.Plugin{Name: "discard", Version: "0.0.0", Storage: discard{}}).Storage()
	b.SetBytes(size)
	for range b.N {
		info, err := st.Upload(context.Background(), spec.Config{}, storage.UploadRequest{Name: "x", SizeHint: -1}, io.LimitReader(zeros{}, size))
		if err != nil || info.Size != size {
			b.Fatal(info, err)
		}
	}
}

func BenchmarkDownload(b *testing.B) {
	const size = 256 << 20
	st := sdktest.Start(b, sdk.Plugin{Name: "discard", Version: "0.0.0", Storage: discard{}}).Storage()
	b.SetBytes(size)
	for range b.N {
		rc, err := st.Download(context.Background(), spec.Config{}, storage.DownloadRequest{Name: "x", Length: size})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != size {
			b.Fatal(fmt.Sprint(n), err)
		}
	}
}
