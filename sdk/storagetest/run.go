package storagetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// callTimeout bounds every call the kit makes, so that a plugin that hangs
// fails its subtest instead of the whole test binary's timeout.
const callTimeout = time.Minute

// grace is how long the kit waits, for a plugin it cannot watch (Options.Conn),
// where it would have waited for the plugin to receive data or to return.
const grace = 250 * time.Millisecond

// Run checks the storage plugin described by opts against the storage
// contract, in subtests named after the promise each one checks. It stores
// objects only under the location of opts.Config and removes them at the end.
func Run(t *testing.T, opts Options) {
	t.Helper()
	if err := opts.check(); err != nil {
		t.Fatal(err)
	}
	k := &kit{opts: opts, cfg: opts.Config, live: map[string]int64{}, seed: rand.Uint64()}
	// Payloads are random but reproducible: the seed in the log regenerates them.
	t.Logf("storagetest: payload seed %d", k.seed)
	if opts.Conn != nil {
		k.conn = opts.Conn
	} else {
		k.obs = newObserver()
		p := opts.Plugin
		p.Storage = k.obs.wrap(p.Storage)
		k.conn = sdktest.Start(t, p)
	}
	k.st = k.conn.Storage()

	ctx := k.ctx(t)
	desc, err := k.conn.Describe(ctx)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	k.desc = desc
	// The listing checks compare with exactly what the kit stored.
	if names := k.names(t, ""); len(names) > 0 {
		t.Fatalf("the location of Options.Config is not empty; it holds %q", names)
	}
	t.Cleanup(func() { k.empty(t) })

	t.Run("Describe", k.testDescribe)
	t.Run("ValidateConfig", k.testValidateConfig)
	t.Run("Test", k.testTest)
	t.Run("RoundTrip", k.testRoundTrip)
	t.Run("RangedDownload", k.testRangedDownload)
	t.Run("Overwrite", k.testOverwrite)
	t.Run("Stat", k.testStat)
	t.Run("List", k.testList)
	t.Run("Delete", k.testDelete)
	t.Run("Missing", k.testMissing)
	t.Run("InvalidNames", k.testInvalidNames)
	t.Run("UploadInProgressInvisible", k.testUploadInProgress)
	t.Run("CancelUpload", k.testCancelUpload)
	t.Run("FailingSource", k.testFailingSource)
	t.Run("CancelDownload", k.testCancelDownload)
	t.Run("Concurrent", k.testConcurrent)
	t.Run("Usage", k.testUsage)
}

// kit is one run of the suite against one plugin and location.
type kit struct {
	opts Options
	cfg  spec.Config
	conn *host.Conn
	st   host.StorageClient
	desc spec.Description
	obs  *observer // nil for a plugin the kit did not serve itself

	seed    uint64
	payload atomic.Uint64 // payloads drawn so far

	mu   sync.Mutex
	live map[string]int64 // objects the kit stored and did not delete, with sizes
}

// ctx is the context of one call: the test's, bounded by callTimeout.
func (k *kit) ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// random returns a fresh payload of size bytes.
func (k *kit) random(size int64) payload {
	return payload{seed: k.seed + k.payload.Add(1), size: size}
}

func (k *kit) stored(name string, size int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.live[name] = size
}

func (k *kit) deleted(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.live, name)
}

// upload stores p under name and checks what Upload reports against the
// bytes sent: name, size and SHA-256.
func (k *kit) upload(ctx context.Context, name string, p payload, hint int64) error {
	h := sha256.New()
	info, err := k.st.Upload(ctx, k.cfg, storage.UploadRequest{Name: name, SizeHint: hint}, io.TeeReader(p.reader(), h))
	if err != nil {
		return fmt.Errorf("upload %q (%d bytes): %w", name, p.size, err)
	}
	k.stored(name, p.size)
	sum := hex.EncodeToString(h.Sum(nil))
	switch {
	case info.Name != name:
		return fmt.Errorf("upload %q reports name %q", name, info.Name)
	case info.Size != p.size:
		return fmt.Errorf("upload %q reports %d bytes, sent %d", name, info.Size, p.size)
	case info.SHA256 != sum:
		return fmt.Errorf("upload %q reports SHA-256 %s, sent %s", name, info.SHA256, sum)
	}
	return nil
}

// put is upload for a test's own goroutine; the size is announced.
func (k *kit) put(t testing.TB, name string, p payload) {
	t.Helper()
	if err := k.upload(k.ctx(t), name, p, p.size); err != nil {
		t.Fatal(err)
	}
}

// verify downloads name whole and compares it with p as it streams.
func (k *kit) verify(ctx context.Context, name string, p payload) error {
	rc, err := k.st.Download(ctx, k.cfg, storage.DownloadRequest{Name: name})
	if err != nil {
		return fmt.Errorf("download %q: %w", name, err)
	}
	defer rc.Close()
	if err := compareStreams(p.reader(), rc); err != nil {
		return fmt.Errorf("download %q (%d bytes stored): %w", name, p.size, err)
	}
	return nil
}

// get is verify for a test's own goroutine.
func (k *kit) get(t testing.TB, name string, p payload) {
	t.Helper()
	if err := k.verify(k.ctx(t), name, p); err != nil {
		t.Fatal(err)
	}
}

// del deletes name, which must exist.
func (k *kit) del(t testing.TB, name string) {
	t.Helper()
	if err := k.st.Delete(k.ctx(t), k.cfg, name); err != nil {
		t.Fatalf("delete %q: %v", name, err)
	}
	k.deleted(name)
}

// list returns what List reports under prefix, failing on a name reported twice.
func (k *kit) list(t testing.TB, prefix string) map[string]storage.ObjectInfo {
	t.Helper()
	got := map[string]storage.ObjectInfo{}
	err := k.st.List(k.ctx(t), k.cfg, prefix, func(o storage.ObjectInfo) error {
		if _, dup := got[o.Name]; dup {
			return fmt.Errorf("object %q listed twice", o.Name)
		}
		got[o.Name] = o
		return nil
	})
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return got
}

// names is list reduced to sorted names.
func (k *kit) names(t testing.TB, prefix string) []string {
	t.Helper()
	var out []string
	for n := range k.list(t, prefix) {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// checkListing fails unless List("") reports exactly the objects the kit
// stored, with their sizes: no temporary object, nothing half-written, nothing
// left by an aborted upload.
func (k *kit) checkListing(t testing.TB) {
	t.Helper()
	got := k.list(t, "")
	k.mu.Lock()
	defer k.mu.Unlock()
	var extra, missing []string
	for name, o := range got {
		size, ok := k.live[name]
		switch {
		case !ok:
			extra = append(extra, name)
		case o.Size != size:
			t.Errorf("list: %q has %d bytes, %d were stored", name, o.Size, size)
		}
	}
	for name := range k.live {
		if _, ok := got[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 {
		t.Errorf("list: objects the kit never stored (temporary or aborted uploads?): %q", extra)
	}
	if len(missing) > 0 {
		t.Errorf("list: stored objects missing: %q", missing)
	}
}

// absent fails unless name does not exist: Stat answers spec.ErrNotFound.
func (k *kit) absent(t testing.TB, name string) {
	t.Helper()
	info, err := k.st.Stat(k.ctx(t), k.cfg, name)
	if !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("stat %q: got %+v, %v; want an error matching spec.ErrNotFound", name, info, err)
	}
}

// settle waits until the plugin has returned from every call the kit made,
// so that what is checked next is the plugin's final word.
func (k *kit) settle(t testing.TB) {
	t.Helper()
	if k.obs == nil {
		time.Sleep(grace)
		return
	}
	if !k.obs.waitFor(callTimeout, func() bool { return k.obs.running == 0 }) {
		t.Fatalf("the plugin is still in a call %s after the caller gave up", callTimeout)
	}
}

// received waits until the plugin's Upload of name has read at least n bytes.
func (k *kit) received(t testing.TB, name string, n int64) {
	t.Helper()
	if k.obs == nil {
		time.Sleep(grace)
		return
	}
	if !k.obs.waitFor(callTimeout, func() bool { return k.obs.received[name] >= n }) {
		t.Fatalf("upload %q: the plugin did not read %d bytes within %s", name, n, callTimeout)
	}
}

// uploadFailed checks, for a plugin the kit watches, that the plugin's own
// Upload of name answered an error: an implementation must not report
// success for bytes it never fully received.
func (k *kit) uploadFailed(t testing.TB, name string) {
	t.Helper()
	if k.obs == nil {
		return
	}
	k.obs.mu.Lock()
	err, seen := k.obs.uploaded[name]
	k.obs.mu.Unlock()
	if seen && err == nil {
		t.Errorf("upload %q: the plugin's Upload returned success for an aborted stream", name)
	}
}

// empty removes everything listed, so the location ends as it started.
func (k *kit) empty(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var names []string
	err := k.st.List(ctx, k.cfg, "", func(o storage.ObjectInfo) error {
		names = append(names, o.Name)
		return nil
	})
	if err != nil {
		t.Errorf("cleanup: list: %v", err)
		return
	}
	for _, n := range names {
		if err := k.st.Delete(ctx, k.cfg, n); err != nil {
			t.Errorf("cleanup: delete %q: %v", n, err)
		}
	}
}

// wantErr fails unless err matches sentinel.
func wantErr(t testing.TB, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got error %v, want one matching %q", what, err, sentinel)
	}
}

// oneLine reports whether s is a single non-empty line.
func oneLine(s string) bool { return strings.TrimSpace(s) != "" && !strings.ContainsAny(s, "\r\n") }
