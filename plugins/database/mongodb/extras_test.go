package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/dbkeep/dbkeep/plugins/database/mongodb/stream"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// memDump is a DumpWriter keeping the dump in memory, for the small dumps of
// these tests.
type memDump struct {
	mu     sync.Mutex
	header database.DumpHeader
	buf    bytes.Buffer
	logs   []string
}

func (m *memDump) Begin(h database.DumpHeader) error { m.header = h; return nil }
func (m *memDump) Write(p []byte) (int, error)       { return m.buf.Write(p) }
func (m *memDump) Progress(spec.Progress)            {}
func (m *memDump) Log(_ spec.Level, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logs = append(m.logs, msg)
}

func dumpOf(t testing.TB, cfg spec.Config, name string) *memDump {
	t.Helper()
	d := &memDump{}
	if err := (&engine{}).Dump(ctxFor(t), cfg, database.DumpRequest{Database: name}, d); err != nil {
		t.Fatalf("Dump(%q): %v", name, err)
	}
	return d
}

func restoreInto(t testing.TB, cfg spec.Config, d *memDump, target string, opts map[string]string) error {
	t.Helper()
	_, err := (&engine{}).Restore(ctxFor(t), cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target, Options: opts},
		bytes.NewReader(d.buf.Bytes()), &memDump{})
	return err
}

// TestRestoreTargetMustBeEmpty: a restore into a database that holds
// collections is refused, naming them, unless drop=true, which replaces the
// dump's collections and keeps the others.
func TestRestoreTargetMustBeEmpty(t *testing.T) {
	cfg := testConfig(t)
	client := admin(t, cfg)
	source, target := uniqueName("src"), uniqueName("dst")
	dropLater(t, client, source)
	dropLater(t, client, target)
	seedAwkward(t, client, source, 500)
	d := dumpOf(t, cfg, source)

	if err := restoreInto(t, cfg, d, target, nil); err != nil {
		t.Fatalf("restore into an empty database: %v", err)
	}
	compare(t, client, source, target)

	// The source changes; a second restore must bring back the dumped state.
	ctx := ctxFor(t)
	if _, err := client.Database(target).Collection(collBulk).DeleteMany(ctx, bson.D{{Key: "n", Value: bson.D{{Key: "$lt", Value: 100}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Database(target).Collection("extra").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}

	err := restoreInto(t, cfg, d, target, nil)
	if !errors.Is(err, spec.ErrAlreadyExists) || !strings.Contains(err.Error(), `"extra"`) || !strings.Contains(err.Error(), "drop=true") {
		t.Fatalf("restore into a non-empty database: err %v, want spec.ErrAlreadyExists naming the collections and the drop option", err)
	}
	plan, err := (&engine{}).PrepareRestore(ctx, cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.TargetExists || len(plan.Problems) != 1 || !strings.Contains(plan.Problems[0], "not empty") {
		t.Errorf("PrepareRestore into a non-empty database without drop: %+v", plan)
	}
	plan, err = (&engine{}).PrepareRestore(ctx, cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target, Options: map[string]string{optionDrop: "true"}})
	if err != nil || len(plan.Problems) != 0 || len(plan.Warnings) != 1 {
		t.Errorf("PrepareRestore with drop=true: %+v, %v; want one warning and no problem", plan, err)
	}

	if err := restoreInto(t, cfg, d, target, map[string]string{optionDrop: "true"}); err != nil {
		t.Fatalf("restore with drop=true: %v", err)
	}
	if err := client.Database(target).Collection("extra").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	compare(t, client, source, target)
}

// TestNamesThatLookLikeOptions: database names with a leading dash or shell
// metacharacters are plain values to the driver (and to mongodump, as one
// --db=NAME argument). Names the server itself refuses are logged.
func TestNamesThatLookLikeOptions(t *testing.T) {
	cfg := testConfig(t)
	client := admin(t, cfg)
	for _, prefix := range []string{"-", "--", "-x;`id`&|'"} {
		source, target := prefix+uniqueName("src"), prefix+uniqueName("dst")
		dropLater(t, client, source)
		dropLater(t, client, target)
		if _, err := client.Database(source).Collection("c").InsertOne(ctxFor(t), bson.D{{Key: "_id", Value: "$(touch /tmp/pwned)"}}); err != nil {
			t.Logf("the server refuses database name %q: %v", source, firstLine(err))
			continue
		}
		d := dumpOf(t, cfg, source)
		if err := restoreInto(t, cfg, d, target, nil); err != nil {
			t.Fatal(err)
		}
		compare(t, client, source, target)
	}
	for _, bad := range []string{"a/b", "a.b", "a b", "a$b", strings.Repeat("x", 64), ""} {
		err := (&engine{}).Dump(ctxFor(t), cfg, database.DumpRequest{Database: bad}, &memDump{})
		if !errors.Is(err, spec.ErrInvalidArgument) {
			t.Errorf("Dump(%q) = %v, want spec.ErrInvalidArgument", bad, err)
		}
	}
}

// TestStreamDescribesTheDatabase reads a dump with the stream package: the
// header names the source, the collections come with their counts, the
// capped collection keeps its options.
func TestStreamDescribesTheDatabase(t *testing.T) {
	cfg := testConfig(t)
	client := admin(t, cfg)
	source := uniqueName("stream")
	dropLater(t, client, source)
	seedAwkward(t, client, source, 1234)
	d := dumpOf(t, cfg, source)
	if d.header.Format != formatNative || d.header.Server.Version == "" {
		t.Errorf("header %+v", d.header)
	}
	r, err := stream.NewReader(bytes.NewReader(d.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Header().Database != source {
		t.Errorf("stream header names %q", r.Header().Database)
	}
	counts := map[string]int64{}
	var capped bson.Raw
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch rec.Kind {
		case stream.KindCollection:
			var c stream.Collection
			bson.Unmarshal(rec.Doc, &c)
			if c.Name == collCapped {
				capped = c.Options
			}
		case stream.KindCollectionEnd:
			var e stream.CollectionEnd
			bson.Unmarshal(rec.Doc, &e)
			counts[e.Name] = e.Documents
		}
	}
	want := map[string]int64{collBulk: 1234, collCapped: 300, collEmpty: 0, collIndex: 200, collPeople: 4}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("collection %q: %d documents in the stream, want %d", name, counts[name], n)
		}
	}
	if !isCapped(capped) || capped.Lookup("size").AsInt64() < 1<<20 {
		t.Errorf("capped collection options in the stream: %s", extJSON(capped))
	}
}

// TestRestoreCancelled: a cancelled restore returns at once and leaves no
// half-restored database behind.
func TestRestoreCancelled(t *testing.T) {
	cfg := testConfig(t)
	client := admin(t, cfg)
	source, target := uniqueName("cancel"), uniqueName("cancelled")
	dropLater(t, client, source)
	dropLater(t, client, target)
	seedBulk(t, client.Database(source).Collection(collBulk), 30000)
	d := dumpOf(t, cfg, source)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once a third of the dump has been read.
	third := int64(d.buf.Len() / 3)
	body := &cancelAfter{r: bytes.NewReader(d.buf.Bytes()), at: third, cancel: cancel}
	var cancelledAt time.Time
	body.onCancel = func() { cancelledAt = time.Now() }
	_, err := (&engine{}).Restore(ctx, cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target}, body, &memDump{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled restore: err %v, want context.Canceled", err)
	}
	if took := time.Since(cancelledAt); took > 10*time.Second {
		t.Errorf("cancelled restore took %v to return", took)
	}
	names, err := client.ListDatabaseNames(ctxFor(t), bson.D{{Key: "name", Value: target}})
	if err != nil || len(names) != 0 {
		t.Errorf("after a cancelled restore, database %q: %v (err %v), want it dropped", target, names, err)
	}
}

type cancelAfter struct {
	r        io.Reader
	at, n    int64
	cancel   func()
	onCancel func()
	done     bool
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.at && !c.done {
		c.done = true
		c.onCancel()
		c.cancel()
	}
	return n, err
}

// TestHostFields connects with host, port and the other fields instead of
// a connection string, and reports the server.
func TestHostFields(t *testing.T) {
	u, err := url.Parse(resolveServer(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := spec.Config{fieldHost: u.Hostname(), fieldPort: u.Port()}
	if cfg[fieldPort] == "" {
		cfg[fieldPort] = "27017"
	}
	if user := u.User.Username(); user != "" {
		cfg[fieldUser] = user
		cfg[fieldPassword], _ = u.User.Password()
	}
	if err := plugin().Schema.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	info, err := (&engine{}).Test(ctxFor(t), plugin().Schema.WithDefaults(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if info.Engine != engineName || info.Version == "" || info.Edition == "" {
		t.Errorf("Test = %+v", info)
	}
	t.Logf("server: %+v", info)
}

// TestMongodumpMode runs the archive mode where mongodump and mongorestore
// are installed; elsewhere it checks that the mode says what is missing.
func TestMongodumpMode(t *testing.T) {
	cfg := withField(testConfig(t), fieldDumpTool, toolMongodump)
	client := admin(t, cfg)
	source := uniqueName("archive")
	dropLater(t, client, source)
	seedAwkward(t, client, source, 100)
	if _, err := exec.LookPath("mongodump"); err != nil {
		err := (&engine{}).Dump(ctxFor(t), cfg, database.DumpRequest{Database: source}, &memDump{})
		if !errors.Is(err, spec.ErrUnsupported) || !strings.Contains(err.Error(), "mongodump is not installed") {
			t.Fatalf("mongodump mode without mongodump: err %v", err)
		}
		t.Log("mongodump is not installed here: only the refusal was checked")
		return
	}
	d := dumpOf(t, cfg, source)
	if d.header.Format != formatArchive {
		t.Fatalf("format %q", d.header.Format)
	}
	target := uniqueName("unarchived")
	dropLater(t, client, target)
	if err := restoreInto(t, cfg, d, target, nil); err != nil {
		t.Fatal(err)
	}
	compare(t, client, source, target)
}
