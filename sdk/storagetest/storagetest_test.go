package storagetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

// schema has one field so that the kit's invalid configurations have
// something to name.
var schema = spec.Schema{Fields: []spec.Field{
	{Name: "bucket", Label: "Bucket", Type: spec.String, Required: true},
	{Name: "copies", Label: "Copies", Type: spec.Int},
}}

var invalid = []storagetest.InvalidConfig{
	{Name: "missing", Config: spec.Config{}, Fields: []string{"bucket"}},
	{Name: "not-a-number", Config: spec.Config{"bucket": "b", "copies": "two"}, Fields: []string{"copies"}},
	{Name: "unknown", Config: spec.Config{"bucket": "b", "colour": "red"}, Fields: []string{"colour"}},
}

func plugin(st storage.Storage) sdk.Plugin {
	return sdk.Plugin{Name: "mem", Version: "0.0.1", Schema: schema, Storage: st}
}

// TestRunPassesMemstore runs the whole kit, with the default large object
// unless the race detector would make it slow.
func TestRunPassesMemstore(t *testing.T) {
	var large int64 // DefaultLargeSize
	if raceEnabled {
		large = 8 * spec.ChunkSize
	}
	storagetest.Run(t, storagetest.Options{
		Plugin:         plugin(&memstore.Store{}),
		Config:         spec.Config{"bucket": "b"},
		InvalidConfigs: invalid,
		LargeSize:      large,
	})
}

// TestRunPassesUsageReporter runs the kit down its spec.CapUsage path.
func TestRunPassesUsageReporter(t *testing.T) {
	storagetest.Run(t, storagetest.Options{
		Plugin:    plugin(&buggy{Store: &memstore.Store{}}),
		Config:    spec.Config{"bucket": "b"},
		LargeSize: 4 * spec.ChunkSize,
	})
}

// TestRunPassesConn runs the kit down its path for a plugin it did not
// serve itself and so cannot watch.
func TestRunPassesConn(t *testing.T) {
	storagetest.Run(t, storagetest.Options{
		Conn:      sdktest.Start(t, plugin(&memstore.Store{})),
		Config:    spec.Config{"bucket": "b"},
		LargeSize: 4 * spec.ChunkSize,
	})
}

// buggy is memstore with usage reporting and, when bug is set, one broken
// promise, so that the tests can show that the kit notices.
type buggy struct {
	*memstore.Store
	bug string
}

func (b *buggy) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	switch b.bug {
	case "keeps-partial", "succeeds-on-abort":
		var got bytes.Buffer
		_, err := io.Copy(&got, r)
		if _, serr := b.Store.Upload(context.WithoutCancel(ctx), cfg, req, &got); serr != nil {
			return storage.ObjectInfo{}, serr
		}
		if b.bug == "succeeds-on-abort" {
			return storage.ObjectInfo{Name: req.Name}, nil
		}
		return storage.ObjectInfo{}, err
	case "lists-temp":
		tmp := ".tmp/" + req.Name
		if _, err := b.Store.Upload(ctx, cfg, storage.UploadRequest{Name: tmp}, strings.NewReader("")); err != nil {
			return storage.ObjectInfo{}, err
		}
		defer b.Store.Delete(context.WithoutCancel(ctx), cfg, tmp)
	case "escapes":
		if req.Name == "" || strings.HasPrefix(req.Name, "/") || strings.Contains(req.Name, "..") {
			_, err := io.Copy(io.Discard, r)
			return storage.ObjectInfo{Name: req.Name}, err
		}
	}
	return b.Store.Upload(ctx, cfg, req, r)
}

func (b *buggy) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	if b.bug == "ignores-offset" {
		req.Offset = 0
	}
	return b.Store.Download(ctx, cfg, req)
}

func (b *buggy) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	info, err := b.Store.Stat(ctx, cfg, name)
	if b.bug == "plain-notfound" && errors.Is(err, spec.ErrNotFound) {
		return info, fmt.Errorf("no object %s", name)
	}
	return info, err
}

func (b *buggy) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	var used int64
	err := b.Store.List(ctx, cfg, "", func(o storage.ObjectInfo) error {
		used += o.Size
		return nil
	})
	if b.bug == "free-beyond-total" {
		return storage.Usage{UsedBytes: used, FreeBytes: 2 << 30, TotalBytes: 1 << 30}, err
	}
	return storage.Usage{UsedBytes: used, FreeBytes: 1<<30 - used, TotalBytes: 1 << 30}, err
}

// bugEnv carries the bug a re-executed test binary runs the kit against.
const bugEnv = "STORAGETEST_MEMSTORE_BUG"

// TestBrokenStore is the body of the re-executed test binary of
// TestRunCatchesBrokenStores; run normally, it has nothing to do.
func TestBrokenStore(t *testing.T) {
	bug := os.Getenv(bugEnv)
	if bug == "" {
		return
	}
	storagetest.Run(t, storagetest.Options{
		Plugin:    plugin(&buggy{Store: &memstore.Store{}, bug: bug}),
		Config:    spec.Config{"bucket": "b"},
		LargeSize: 4 * spec.ChunkSize,
	})
}

// TestRunCatchesBrokenStores runs the kit, in a child test process, against
// stores that each break one promise, and checks that the kit fails them in
// the subtest that owns the promise. This is what gives the kit teeth.
func TestRunCatchesBrokenStores(t *testing.T) {
	for bug, subtest := range map[string]string{
		"keeps-partial":     "FailingSource/MidStream",
		"succeeds-on-abort": "CancelUpload/WhileSending",
		"lists-temp":        "UploadInProgressInvisible",
		"escapes":           "InvalidNames/DotDot",
		"ignores-offset":    "RangedDownload/AcrossChunks",
		"plain-notfound":    "Missing",
		"free-beyond-total": "Usage",
	} {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			// Only the subtest that owns the promise runs in the child.
			run := "^TestBrokenStore$"
			for _, elem := range strings.Split(subtest, "/") {
				run += "/^" + elem + "$"
			}
			cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+bug)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("kit against bug %q: %v, want a failing test run\n%s", bug, err, out)
			}
			if want := "--- FAIL: TestBrokenStore/" + subtest + " "; !strings.Contains(string(out), want) {
				t.Errorf("kit against bug %q: output lacks %q\n%s", bug, want, out)
			}
		})
	}
}
