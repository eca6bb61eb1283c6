package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// fileDump is a DumpWriter into a file.
type fileDump struct {
	mu     sync.Mutex
	header database.DumpHeader
	f      *os.File
	logs   []string
}

func (d *fileDump) Begin(h database.DumpHeader) error { d.header = h; return nil }
func (d *fileDump) Write(p []byte) (int, error)       { return d.f.Write(p) }
func (d *fileDump) Progress(spec.Progress)            {}
func (d *fileDump) Log(_ spec.Level, m string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logs = append(d.logs, m)
}

// dumpToFile dumps the instance of cfg into a file of the test's.
func dumpToFile(t testing.TB, cfg spec.Config) (database.DumpHeader, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dump.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &fileDump{f: f}
	if err := (&engine{}).Dump(context.Background(), cfg, database.DumpRequest{Database: instanceName}, d); err != nil {
		t.Fatalf("Dump: %v (log %q)", err, d.logs)
	}
	return d.header, path
}

func restoreFile(t testing.TB, cfg spec.Config, h database.DumpHeader, path, target string, opts map[string]string) error {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = (&engine{}).Restore(context.Background(), cfg, database.RestoreRequest{Source: h, TargetDatabase: target, Options: opts}, f, spec.Discard)
	return err
}

// TestRoundTripToAnotherInstance dumps an instance with keys in several
// logical databases, every value type, expiries and a function library,
// restores it into a second, empty redis-server and compares everything.
func TestRoundTripToAnotherInstance(t *testing.T) {
	srcCfg := configFrom(t, resolveServer(t))
	ctx := context.Background()
	src0 := clientFor(t, srcCfg, 0)
	if err := src0.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src0.FlushAll(context.Background()); src0.FunctionFlush(context.Background()) })
	seedAwkward(t, src0, bulkKeys)
	src3 := clientFor(t, srcCfg, 3)
	seedAwkward(t, src3, 1000)
	if err := src0.FunctionLoadReplace(ctx, "#!lua name=dbkeeplib\nredis.register_function('dbkeep_echo', function(keys, args) return args[1] end)").Err(); err != nil {
		t.Fatal(err)
	}

	h, path := dumpToFile(t, srcCfg)
	if h.Metadata[metaRDB] == "" || h.Server.Engine != engineName {
		t.Errorf("dump header %+v lacks the RDB version or engine", h)
	}
	dstCfg := startScratchServer(t)
	plan, err := (&engine{}).PrepareRestore(ctx, dstCfg, database.RestoreRequest{Source: h, TargetDatabase: instanceName})
	if err != nil || len(plan.Problems) > 0 || plan.TargetExists {
		t.Fatalf("PrepareRestore into an empty instance: %+v, %v", plan, err)
	}
	start := time.Now()
	if err := restoreFile(t, dstCfg, h, path, instanceName, nil); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Logf("restored %d keys in %v", bulkKeys+2000, time.Since(start).Round(time.Millisecond))
	for _, db := range []int{0, 3} {
		compareDatabases(t, clientFor(t, srcCfg, db), clientFor(t, dstCfg, db))
	}
	dst0 := clientFor(t, dstCfg, 0)
	if got, err := dst0.FCall(ctx, "dbkeep_echo", nil, "hé 😀").Text(); err != nil || got != "hé 😀" {
		t.Errorf("the restored function answers %q, %v", got, err)
	}
	if n, _ := clientFor(t, dstCfg, 1).DBSize(ctx).Result(); n != 0 {
		t.Errorf("db1 holds %d keys after the restore, want 0", n)
	}

	// The comparison sees a one-field difference in every kind of value.
	for _, k := range []string{"hash:large", "stream:events", "zset:small", "set:ints", "list:large", "ttl:hash"} {
		before := describeKeys(t, dst0, []string{k})[0]
		switch k {
		case "hash:large":
			dst0.HSet(ctx, k, "field-0007", "changed")
		case "stream:events":
			dst0.XAck(ctx, k, "workers", "1700000000005-2")
		case "zset:small":
			dst0.ZIncrBy(ctx, k, 1e-9, "tenth")
		case "set:ints":
			dst0.SAdd(ctx, k, 4)
		case "list:large":
			dst0.LSet(ctx, k, 500, "changed")
		case "ttl:hash":
			dst0.PExpire(ctx, k, 36*time.Hour)
		}
		if after := describeKeys(t, dst0, []string{k})[0]; after == before || len(before) < 20 {
			t.Errorf("the comparison does not see a change of %s: %.200q", k, before)
		}
	}

	// The target now holds keys: refused without an option, changed by none.
	plan, err = (&engine{}).PrepareRestore(ctx, dstCfg, database.RestoreRequest{Source: h, TargetDatabase: instanceName})
	if err != nil || !plan.TargetExists || len(plan.Problems) == 0 {
		t.Errorf("PrepareRestore into a non-empty instance: %+v, %v; want a problem", plan, err)
	}
	dst0.Set(ctx, "extra", "kept?", 0)
	if err := restoreFile(t, dstCfg, h, path, instanceName, nil); !errors.Is(err, spec.ErrInvalidArgument) || !strings.Contains(err.Error(), optFlush) {
		t.Errorf("Restore into a non-empty instance = %v, want a refusal naming %s", err, optFlush)
	}
	// replace overwrites the dump's keys and keeps the others.
	dst0.Set(ctx, "str:unicode", "changed", 0)
	if err := restoreFile(t, dstCfg, h, path, instanceName, map[string]string{optReplace: "true"}); err != nil {
		t.Fatalf("Restore with replace: %v", err)
	}
	if v := dst0.Get(ctx, "str:unicode").Val(); v != "Grüße, 世界, مرحبا, 🚀" {
		t.Errorf("replace left %q", v)
	}
	if v := dst0.Get(ctx, "extra").Val(); v != "kept?" {
		t.Errorf("replace removed a key not in the dump (%q)", v)
	}
	// flush empties the instance first: an exact copy again.
	if err := restoreFile(t, dstCfg, h, path, instanceName, map[string]string{optFlush: "true"}); err != nil {
		t.Fatalf("Restore with flush: %v", err)
	}
	for _, db := range []int{0, 3} {
		compareDatabases(t, clientFor(t, srcCfg, db), clientFor(t, dstCfg, db))
	}
	// A dump with keys in two databases cannot go into one.
	if err := restoreFile(t, dstCfg, h, path, "db5", nil); !errors.Is(err, spec.ErrInvalidArgument) {
		t.Errorf("Restore of a two-database dump into db5 = %v, want a refusal", err)
	}
}

// TestPasswordStaysOffCommandLines dumps as an ACL user with a password and
// watches every process's command line meanwhile; a wrong password is
// ErrUnauthenticated.
func TestPasswordStaysOffCommandLines(t *testing.T) {
	cfg := configFrom(t, resolveServer(t))
	ctx := context.Background()
	admin := clientFor(t, cfg, 0)
	password := fmt.Sprintf("pw-%d-secret", time.Now().UnixNano())
	user := "dbkeep_backup_test"
	if err := admin.Do(ctx, "ACL", "SETUSER", user, "reset", "on", ">"+password, "~*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	if err := admin.Set(ctx, "pw-test", strings.Repeat("x", 1<<20), 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Del(context.Background(), "pw-test") })

	withUser := spec.Config{}
	for k, v := range cfg {
		withUser[k] = v
	}
	withUser[fieldUsername], withUser[fieldPassword] = user, password
	if _, err := (&engine{}).Test(ctx, withUser); err != nil {
		t.Fatalf("Test as %s: %v", user, err)
	}

	stop := make(chan struct{})
	leaked := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				close(leaked)
				return
			default:
			}
			if cmdline := findInCmdlines(password); cmdline != "" {
				leaked <- cmdline
				close(leaked)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	d := &fileDump{f: mustCreate(t)}
	err := (&engine{}).Dump(ctx, withUser, database.DumpRequest{Database: instanceName}, d)
	close(stop)
	if err != nil {
		t.Fatalf("Dump as %s: %v (log %q)", user, err, d.logs)
	}
	if cmdline, ok := <-leaked; ok && cmdline != "" {
		t.Errorf("the password appeared on a command line: %q", cmdline)
	}
	for _, l := range d.logs {
		if strings.Contains(l, password) {
			t.Errorf("the password appeared in the log: %q", l)
		}
	}

	withUser[fieldPassword] = "wrong"
	if _, err := (&engine{}).Test(ctx, withUser); !errors.Is(err, spec.ErrUnauthenticated) {
		t.Errorf("Test with a wrong password = %v, want ErrUnauthenticated", err)
	}
	if err := (&engine{}).Dump(ctx, withUser, database.DumpRequest{Database: instanceName}, &fileDump{f: mustCreate(t)}); !errors.Is(err, spec.ErrUnauthenticated) {
		t.Errorf("Dump with a wrong password = %v, want ErrUnauthenticated", err)
	}
}

func mustCreate(t testing.TB) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "dump"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// findInCmdlines returns the command line of a process that holds s.
func findInCmdlines(s string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), s) {
			return strings.ReplaceAll(string(b), "\x00", " ")
		}
	}
	return ""
}

// TestTestReportsServer checks Test's report against INFO.
func TestTestReportsServer(t *testing.T) {
	cfg := configFrom(t, resolveServer(t))
	got, err := (&engine{}).Test(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := readInfo(context.Background(), clientFor(t, cfg, 0), "server")
	if got.Engine != engineName || got.Version == "" || (got.Version != in["redis_version"] && got.Version != in["valkey_version"]) {
		t.Errorf("Test = %+v; INFO says redis_version %q valkey_version %q", got, in["redis_version"], in["valkey_version"])
	}
	dbs, err := (&engine{}).ListDatabases(context.Background(), cfg)
	if err != nil || len(dbs) != 1 || dbs[0].Name != instanceName || dbs[0].SizeBytes <= 0 {
		t.Errorf("ListDatabases = %+v, %v; want the instance with its memory", dbs, err)
	}
}

func TestServerInfoFlavours(t *testing.T) {
	valkey := parseInfo("# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nredis_mode:standalone\r\n")
	if got := serverInfo(valkey); got != (database.ServerInfo{Engine: "redis", Version: "8.0.1", Edition: "Valkey (standalone)"}) {
		t.Errorf("Valkey: %+v", got)
	}
	redisInfo := parseInfo("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n")
	if got := serverInfo(redisInfo); got != (database.ServerInfo{Engine: "redis", Version: "7.0.15", Edition: "Redis (standalone)"}) {
		t.Errorf("Redis: %+v", got)
	}
	if got := keyspace(parseInfo("# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=5\r\ndb12:keys=1,expires=0,avg_ttl=0\r\n")); len(got) != 2 || got[0] != 3 || got[12] != 1 {
		t.Errorf("keyspace: %v", got)
	}
}

func TestParseTarget(t *testing.T) {
	for _, ok := range []string{"", "instance", "db0", "db15", "db200"} {
		if _, err := parseTarget(ok, nil); err != nil {
			t.Errorf("parseTarget(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"db", "db-1", "db01", "shop", "-rf", "db1; FLUSHALL", "../x"} {
		if _, err := parseTarget(bad, nil); !errors.Is(err, spec.ErrInvalidArgument) {
			t.Errorf("parseTarget(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if _, err := parseTarget("db1", map[string]string{"drop": "true"}); err == nil {
		t.Error("an unknown option was accepted")
	}
	if _, err := parseTarget("db1", map[string]string{optFlush: "maybe"}); err == nil {
		t.Error("a non-boolean flush was accepted")
	}
}

func TestRDBVersions(t *testing.T) {
	for _, c := range []struct {
		flavour, version string
		want             int
	}{{"redis", "6.2.14", 9}, {"redis", "7.0.15", 10}, {"redis", "7.2.4", 11}, {"redis", "7.4.1", 12}, {"redis", "8.0.0", 12}, {"valkey", "8.0.1", 11}} {
		if got := rdbVersionOf(c.flavour, c.version); got != c.want {
			t.Errorf("rdbVersionOf(%s %s) = %d, want %d", c.flavour, c.version, got, c.want)
		}
	}
}

// TestTLS dumps and restores over TLS with the certificate's CA pinned, and
// checks that another CA is refused and tls-insecure is not.
func TestTLS(t *testing.T) {
	cfg := startRedis(t, true)
	ctx := context.Background()
	src := clientFor(t, cfg, 0)
	seedAwkward(t, src, 2000)
	info, err := (&engine{}).Test(ctx, cfg)
	if err != nil {
		t.Fatalf("Test over TLS: %v", err)
	}
	t.Logf("over TLS: %+v", info)
	h, path := dumpToFile(t, cfg)
	if err := restoreFile(t, cfg, h, path, "db2", nil); err != nil {
		t.Fatalf("Restore over TLS: %v", err)
	}
	compareDatabases(t, src, clientFor(t, cfg, 2))

	other := spec.Config{}
	for k, v := range cfg {
		other[k] = v
	}
	other[fieldTLSCA] = selfSigned(t, t.TempDir())
	if _, err := (&engine{}).Test(ctx, other); err == nil {
		t.Error("Test trusted a server whose certificate another CA signed")
	}
	if err := (&engine{}).Dump(ctx, other, database.DumpRequest{Database: instanceName}, &fileDump{f: mustCreate(t)}); err == nil {
		t.Error("Dump trusted a server whose certificate another CA signed")
	}
	other[fieldTLSCA], other[fieldTLSInsecure] = "", "true"
	if _, err := (&engine{}).Test(ctx, other); err != nil {
		t.Errorf("Test with tls-insecure: %v", err)
	}
}
