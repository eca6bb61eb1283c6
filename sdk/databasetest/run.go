package databasetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Run checks a database plugin against the whole database contract, one
// subtest per promise, through the real plugin boundary. See Options for what
// it needs. Subtests run one after another: several of them watch the test
// process's children, which parallel subtests would disturb.
func Run(t *testing.T, opts Options) {
	t.Helper()
	o, err := opts.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	conn := o.Conn
	if conn == nil {
		conn = sdktest.Start(t, o.Plugin)
	}
	k := &kit{o: o, conn: conn, db: conn.Database()}

	ctx, cancel := k.ctx(t)
	desc, err := conn.Describe(ctx)
	cancel()
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	k.desc = desc
	k.restores = desc.Has(spec.CapRestore)
	if k.restores && (o.RestoreTarget == nil || o.Compare == nil) {
		t.Fatalf("databasetest: the plugin restores (capability %q): set Options.RestoreTarget and Options.Compare", spec.CapRestore)
	}
	if !k.restores && o.RestoreTarget != nil {
		t.Fatalf("databasetest: Options.RestoreTarget is set but the plugin does not describe capability %q", spec.CapRestore)
	}

	k.countsRows = desc.Has(spec.CapRowCount)
	if k.countsRows && len(o.SeededRows) == 0 {
		t.Fatalf("databasetest: the plugin counts rows (capability %q): set Options.SeededRows", spec.CapRowCount)
	}
	if !k.countsRows && len(o.SeededRows) > 0 {
		t.Fatalf("databasetest: Options.SeededRows is set but the plugin does not describe capability %q", spec.CapRowCount)
	}

	t.Run("Describe", k.describe)
	t.Run("ValidateConfig", k.validateConfig)
	t.Run("Test", k.test)
	t.Run("Unreachable", k.unreachable)
	t.Run("ListDatabases", k.listDatabases)
	t.Run("Dump", k.dump)
	t.Run("DumpMissingDatabase", k.dumpMissing)
	t.Run("CancelMidStream", k.cancelMidStream)
	t.Run("WriterErrorAbortsDump", k.writerError)
	t.Run("ConcurrentDumps", k.concurrentDumps)
	t.Run("RowCounts", k.rowCounts)
	if !k.restores {
		t.Logf("plugin %s does not restore: restore checks not applicable", desc.ID)
		return
	}
	t.Run("RoundTrip", k.roundTrip)
	t.Run("RoundTripLarge", k.roundTripLarge)
	t.Run("RestoreTruncatedDump", k.restoreTruncated)
	t.Run("RestoreReaderFails", k.restoreReaderFails)
}

// kit holds what every subtest shares.
type kit struct {
	o          Options
	conn       *host.Conn
	db         host.DatabaseClient
	desc       spec.Description
	restores   bool
	countsRows bool
}

func (k *kit) ctx(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.o.Timeout)
}

func (k *kit) describe(t *testing.T) {
	d := k.desc
	if d.Kind != spec.KindDatabase {
		t.Errorf("Describe: kind %q, want %q", d.Kind, spec.KindDatabase)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Describe: invalid description: %v", err)
	}
	if d.ProtocolMajor != spec.ProtocolMajor {
		t.Errorf("Describe: protocol major %d, want %d", d.ProtocolMajor, spec.ProtocolMajor)
	}
	if d.SDKVersion == "" {
		t.Error("Describe: empty SDK version")
	}
	// The capability must match behaviour: a plugin that claims restore
	// answers PrepareRestore, one that does not answers "unsupported".
	ctx, cancel := k.ctx(t)
	defer cancel()
	_, err := k.db.PrepareRestore(ctx, k.o.Config, database.RestoreRequest{
		Source: database.DumpHeader{Database: k.o.Database}, TargetDatabase: k.o.Database,
	})
	switch unsupported := errors.Is(err, spec.ErrUnsupported); {
	case k.restores && unsupported:
		t.Errorf("Describe lists %q but PrepareRestore answers unsupported: %v", spec.CapRestore, err)
	case !k.restores && !unsupported:
		t.Errorf("Describe does not list %q but PrepareRestore does not answer spec.ErrUnsupported (err %v)", spec.CapRestore, err)
	}
	_, err = k.db.CountRows(ctx, k.o.Config, database.CountRowsRequest{Database: k.o.Database})
	switch unsupported := errors.Is(err, spec.ErrUnsupported); {
	case k.countsRows && unsupported:
		t.Errorf("Describe lists %q but CountRows answers unsupported: %v", spec.CapRowCount, err)
	case !k.countsRows && !unsupported:
		t.Errorf("Describe does not list %q but CountRows does not answer spec.ErrUnsupported (err %v)", spec.CapRowCount, err)
	}
}

func (k *kit) validateConfig(t *testing.T) {
	ctx, cancel := k.ctx(t)
	defer cancel()
	if err := k.conn.ValidateConfig(ctx, k.o.Config); err != nil {
		t.Errorf("ValidateConfig(Options.Config) = %v, want nil", err)
	}
	if err := k.conn.ValidateConfig(ctx, k.o.Unreachable); err != nil {
		t.Errorf("ValidateConfig(Options.Unreachable) = %v, want nil: it must be well-formed", err)
	}
	for i, ic := range k.o.InvalidConfigs {
		name := ic.Name
		if name == "" {
			name = fmt.Sprint(i)
		}
		t.Run(name, func(t *testing.T) {
			err := k.conn.ValidateConfig(ctx, ic.Config)
			checkFields(t, "ValidateConfig", err, ic.Fields)
			// The SDK checks the configuration before every call as well.
			_, err = k.db.Test(ctx, ic.Config)
			checkFields(t, "Test", err, ic.Fields)
		})
	}
}

// checkFields fails t unless err is a validation error naming every field.
func checkFields(t *testing.T, call string, err error, fields []string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s accepted an invalid configuration", call)
		return
	}
	fe := spec.FieldErrors(err)
	if fe == nil {
		t.Errorf("%s: %v: not a validation error (spec.FieldErrors is empty)", call, err)
		return
	}
	named := map[string]bool{}
	for _, f := range fe {
		named[f.Field] = true
	}
	for _, f := range fields {
		if !named[f] {
			t.Errorf("%s: field %q not named in %v", call, f, err)
		}
	}
}

func (k *kit) test(t *testing.T) {
	ctx, cancel := k.ctx(t)
	defer cancel()
	info, err := k.db.Test(ctx, k.o.Config)
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	if info.Engine == "" || info.Engine != strings.ToLower(info.Engine) || strings.ContainsAny(info.Engine, " \t") {
		t.Errorf("Test: engine %q, want a stable lower-case name", info.Engine)
	}
	if info.Version == "" {
		t.Error("Test: empty server version")
	}
}

func (k *kit) unreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := k.db.Test(ctx, k.o.Unreachable)
	if err == nil {
		t.Fatalf("Test(Options.Unreachable) succeeded: %+v", info)
	}
	if !errors.Is(err, spec.ErrUnavailable) {
		t.Errorf("Test(Options.Unreachable) = %v, want an error matching spec.ErrUnavailable", err)
	}
}

func (k *kit) listDatabases(t *testing.T) {
	ctx, cancel := k.ctx(t)
	defer cancel()
	dbs, err := k.db.ListDatabases(ctx, k.o.Config)
	if err != nil {
		t.Fatalf("ListDatabases: %v", err)
	}
	seen := map[string]database.DatabaseInfo{}
	for _, d := range dbs {
		if d.Name == "" {
			t.Errorf("ListDatabases: an entry without a name: %+v", d)
		}
		if _, dup := seen[d.Name]; dup {
			t.Errorf("ListDatabases: %q listed twice", d.Name)
		}
		if d.SizeBytes < -1 {
			t.Errorf("ListDatabases: %q has size %d (want bytes, or -1 for unknown)", d.Name, d.SizeBytes)
		}
		seen[d.Name] = d
	}
	for _, want := range []string{k.o.Database, k.o.Large} {
		d, ok := seen[want]
		if !ok {
			t.Errorf("ListDatabases: %q missing from %v", want, names(dbs))
		} else if d.SizeBytes == 0 {
			t.Errorf("ListDatabases: seeded %q has size 0", want)
		}
	}
	if _, ok := seen[k.o.MissingDatabase]; ok {
		t.Errorf("ListDatabases lists %q, which Options.MissingDatabase says does not exist", k.o.MissingDatabase)
	}
}

func names(dbs []database.DatabaseInfo) []string {
	out := make([]string, len(dbs))
	for i, d := range dbs {
		out[i] = d.Name
	}
	sort.Strings(out)
	return out
}

// dumpOf dumps name and checks everything a successful dump promises.
func (k *kit) dumpOf(t testing.TB, name string) *recorder {
	t.Helper()
	ctx, cancel := k.ctx(t)
	defer cancel()
	rec := newRecorder(t, "dump")
	if err := k.db.Dump(ctx, k.o.Config, database.DumpRequest{Database: name}, rec); err != nil {
		t.Fatalf("Dump(%q): %v (log: %q)", name, err, rec.logs)
	}
	k.checkDump(t, name, rec)
	return rec
}

func (k *kit) checkDump(t testing.TB, name string, rec *recorder) {
	t.Helper()
	if len(rec.misuse) > 0 {
		t.Errorf("Dump(%q): DumpWriter misused: %v", name, rec.misuse)
	}
	if rec.begins != 1 {
		t.Fatalf("Dump(%q): Begin called %d times, want once", name, rec.begins)
	}
	h := rec.header
	if h.Database != name {
		t.Errorf("Dump(%q): header names database %q", name, h.Database)
	}
	if h.Format == "" {
		t.Errorf("Dump(%q): header without a format", name)
	}
	if h.Extension == "" || strings.ContainsAny(h.Extension, "./\\ ") {
		t.Errorf("Dump(%q): header extension %q, want a bare extension without a dot", name, h.Extension)
	}
	if h.Server.Engine == "" || h.Server.Version == "" {
		t.Errorf("Dump(%q): header server %+v, want engine and version", name, h.Server)
	}
	if rec.size == 0 {
		t.Errorf("Dump(%q): no data", name)
	}
}

func (k *kit) dump(t *testing.T) {
	ctx, cancel := k.ctx(t)
	info, err := k.db.Test(ctx, k.o.Config)
	cancel()
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	rec := k.dumpOf(t, k.o.Database)
	if rec.header.Server.Engine != info.Engine {
		t.Errorf("dump header engine %q, Test says %q", rec.header.Server.Engine, info.Engine)
	}
	t.Logf("dump of %q: %d bytes in %d chunks, format %q, %d log lines", k.o.Database, rec.size, rec.writes, rec.header.Format, len(rec.logs))
}

func (k *kit) dumpMissing(t *testing.T) {
	ctx, cancel := k.ctx(t)
	defer cancel()
	rec := newRecorder(t, "missing")
	err := k.db.Dump(ctx, k.o.Config, database.DumpRequest{Database: k.o.MissingDatabase}, rec)
	if err == nil {
		t.Fatalf("Dump of missing database %q succeeded (%d bytes): a failed dump must never look like success", k.o.MissingDatabase, rec.size)
	}
	if !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("Dump of missing database %q = %v, want an error matching spec.ErrNotFound", k.o.MissingDatabase, err)
	}
}

// waitNoNewProcesses fails t unless, within the bound, no process below the
// test remains that was not there before the dump.
func (k *kit) waitNoNewProcesses(t *testing.T, before map[int]string) {
	t.Helper()
	if before == nil {
		return
	}
	deadline := time.Now().Add(k.o.CancelWithin)
	for {
		now, _ := descendants()
		var left []string
		for pid, name := range now {
			if _, old := before[pid]; !old {
				left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(left)
			t.Errorf("dump tool processes still alive %v after the dump ended: %v", k.o.CancelWithin, left)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// abortedDump runs a dump of Large whose first chunk triggers abort, and
// checks that it ends within the bound, with an error, leaving no process.
func (k *kit) abortedDump(t *testing.T, abort func(ctx context.Context, cancel context.CancelFunc) error) error {
	t.Helper()
	before, _ := descendants()
	ctx, cancel := k.ctx(t)
	defer cancel()
	rec := newRecorder(t, "aborted")
	var during map[int]string
	rec.onWrite = func(n int) error {
		if n != 1 {
			return nil
		}
		during, _ = descendants()
		return abort(ctx, cancel)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- k.db.Dump(ctx, k.o.Config, database.DumpRequest{Database: k.o.Large}, rec) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(k.o.CancelWithin + k.o.Timeout):
		t.Fatalf("aborted dump of %q did not return", k.o.Large)
	}
	took := time.Since(start)
	if rec.writes == 0 {
		t.Fatalf("dump of %q ended before its first chunk (err %v)", k.o.Large, err)
	}
	if err == nil {
		t.Fatalf("aborted dump of %q returned nil: an interrupted dump must never look like success", k.o.Large)
	}
	t.Logf("aborted dump returned after %v: %v", took.Round(time.Millisecond), err)
	var tools []string
	for pid, name := range during {
		if _, old := before[pid]; !old {
			tools = append(tools, name)
		}
	}
	t.Logf("processes started by the dump, seen mid-stream: %v", tools)
	k.waitNoNewProcesses(t, before)
	return err
}

func (k *kit) cancelMidStream(t *testing.T) {
	var cancelledAt time.Time
	k.abortedDump(t, func(_ context.Context, cancel context.CancelFunc) error {
		cancelledAt = time.Now()
		cancel()
		return nil
	})
	if !cancelledAt.IsZero() {
		if took := time.Since(cancelledAt); took > k.o.CancelWithin {
			t.Errorf("cancelled dump took %v to return and clean up, more than %v", took, k.o.CancelWithin)
		}
	}
}

func (k *kit) writerError(t *testing.T) {
	boom := errors.New("databasetest: storage failed")
	err := k.abortedDump(t, func(context.Context, context.CancelFunc) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("dump whose writer failed returned %v, want the writer's error", err)
	}
}

func (k *kit) concurrentDumps(t *testing.T) {
	n := k.o.Concurrency
	recs := make([]*recorder, n)
	errs := make(chan error, n)
	ctx, cancel := k.ctx(t)
	defer cancel()
	for i := range recs {
		recs[i] = newRecorder(t, fmt.Sprintf("concurrent-%d", i))
		go func(rec *recorder) {
			errs <- k.db.Dump(ctx, k.o.Config, database.DumpRequest{Database: k.o.Database}, rec)
		}(recs[i])
	}
	for range recs {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Dump(%q): %v", k.o.Database, err)
		}
	}
	if t.Failed() {
		return
	}
	for i, rec := range recs {
		k.checkDump(t, k.o.Database, rec)
		if k.restores {
			target := k.restore(t, rec, fmt.Sprintf("concurrent dump %d", i))
			k.o.Compare(t, k.o.Database, target)
		}
	}
}

// restore replays a recorded dump into a fresh target and returns the target.
func (k *kit) restore(t testing.TB, rec *recorder, what string) string {
	t.Helper()
	target := k.o.RestoreTarget(t)
	ctx, cancel := k.ctx(t)
	defer cancel()
	req := database.RestoreRequest{Source: rec.header, TargetDatabase: target}
	plan, err := k.db.PrepareRestore(ctx, k.o.Config, req)
	if err != nil {
		t.Fatalf("PrepareRestore of %s into %q: %v", what, target, err)
	}
	if len(plan.Problems) > 0 {
		t.Fatalf("PrepareRestore of %s into %q reports problems for a dump of its own engine: %q", what, target, plan.Problems)
	}
	if plan.TargetServer.Engine != rec.header.Server.Engine || plan.TargetServer.Version == "" {
		t.Errorf("PrepareRestore: target server %+v, want engine %q and a version", plan.TargetServer, rec.header.Server.Engine)
	}
	rep := &logReporter{}
	res, err := k.db.Restore(ctx, k.o.Config, req, rec.open(t), rep)
	if err != nil {
		t.Fatalf("Restore of %s into %q: %v (log: %q)", what, target, err, rep.lines())
	}
	if res.BytesRead != rec.size {
		t.Errorf("Restore of %s: read %d bytes of a %d-byte dump", what, res.BytesRead, rec.size)
	}
	plan, err = k.db.PrepareRestore(ctx, k.o.Config, req)
	if err != nil {
		t.Errorf("PrepareRestore after restoring into %q: %v", target, err)
	} else if !plan.TargetExists {
		t.Errorf("PrepareRestore after restoring into %q says the target does not exist", target)
	}
	return target
}

func (k *kit) roundTrip(t *testing.T) {
	rec := k.dumpOf(t, k.o.Database)
	target := k.restore(t, rec, "dump of "+k.o.Database)
	k.o.Compare(t, k.o.Database, target)
}

func (k *kit) roundTripLarge(t *testing.T) {
	rec := k.dumpOf(t, k.o.Large)
	if rec.writes < 3 {
		t.Fatalf("dump of Large %q arrived in %d chunk(s) (%d bytes); seed it so that its dump spans at least 3 chunks of %d bytes",
			k.o.Large, rec.writes, rec.size, spec.ChunkSize)
	}
	target := k.restore(t, rec, "dump of "+k.o.Large)
	k.o.Compare(t, k.o.Large, target)
}

// restoreFrom restores body into a fresh target and returns the call's error.
func (k *kit) restoreFrom(t testing.TB, header database.DumpHeader, body io.Reader) (database.RestoreResult, error) {
	target := k.o.RestoreTarget(t)
	ctx, cancel := k.ctx(t)
	defer cancel()
	return k.db.Restore(ctx, k.o.Config, database.RestoreRequest{Source: header, TargetDatabase: target}, body, &logReporter{})
}

func (k *kit) restoreTruncated(t *testing.T) {
	rec := k.dumpOf(t, k.o.Large)
	for _, cut := range []int64{rec.size / 2, rec.size - 1} {
		f := rec.open(t)
		res, err := k.restoreFrom(t, rec.header, io.LimitReader(f, cut))
		if err == nil {
			t.Errorf("Restore from a dump cut at %d of %d bytes succeeded (%+v): a truncated dump must fail", cut, rec.size, res)
		}
	}
}

func (k *kit) restoreReaderFails(t *testing.T) {
	rec := k.dumpOf(t, k.o.Large)
	boom := errors.New("databasetest: download failed")
	body := io.MultiReader(io.LimitReader(rec.open(t), rec.size/2), errReader{boom})
	_, err := k.restoreFrom(t, rec.header, body)
	if !errors.Is(err, boom) {
		t.Errorf("Restore whose dump reader failed returned %v, want the reader's error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
