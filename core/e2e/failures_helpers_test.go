package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// What the failure tests read of the API and of the machine: the log of an
// execution, the backups listed, the running executions, the plugin
// processes of the core, and the S3 server's buckets.

// logLine is one line of GET /executions/{id}/logs.
type logLine struct {
	ID      int64  `json:"id"`
	Level   string `json:"level"`
	Origin  string `json:"origin"`
	Message string `json:"message"`
}

// execLogs returns the whole log of execution id, page by page.
func (c *core) execLogs(id int64) []logLine {
	c.t.Helper()
	var all []logLine
	after := int64(0)
	for range 100 {
		var page struct {
			Items     []logLine `json:"items"`
			NextAfter int64     `json:"nextAfter"`
		}
		c.mustCall("GET", fmt.Sprintf("/api/v1/executions/%d/logs?after=%d&limit=1000", id, after), nil, &page)
		all = append(all, page.Items...)
		if len(page.Items) == 0 || page.NextAfter == after {
			break
		}
		after = page.NextAfter
	}
	return all
}

// logText is the log of execution id as one text, a line per entry, for
// searching and for the test's own output.
func (c *core) logText(id int64) string {
	c.t.Helper()
	var b strings.Builder
	for _, l := range c.execLogs(id) {
		fmt.Fprintf(&b, "%s %s: %s\n", l.Level, l.Origin, l.Message)
	}
	return b.String()
}

// backupsOf returns the prefixes of the backups GET /backups lists for
// job, each with its destination id.
func (c *core) backupsOf(job int64) []string {
	c.t.Helper()
	var page struct {
		Items []struct {
			DestinationID int64  `json:"destinationId"`
			ExecutionID   int64  `json:"executionId"`
			Prefix        string `json:"prefix"`
		} `json:"items"`
		Total int `json:"total"`
	}
	c.mustCall("GET", fmt.Sprintf("/api/v1/backups?job=%d&limit=100", job), nil, &page)
	var out []string
	for _, b := range page.Items {
		out = append(out, fmt.Sprintf("destination %d: %s (execution %d)", b.DestinationID, b.Prefix, b.ExecutionID))
	}
	return out
}

// noneRunning fails the test when an execution is still running or
// pending: a failure must end its run.
func (c *core) noneRunning() {
	c.t.Helper()
	var page struct {
		Items []execution `json:"items"`
	}
	c.mustCall("GET", "/api/v1/executions?status=running,pending", nil, &page)
	if len(page.Items) > 0 {
		c.t.Errorf("executions still running or pending after the failure: %+v", page.Items)
	}
}

// runJob queues job and waits for the end of its execution.
func (c *core) runJob(job int64, limit time.Duration) execution {
	c.t.Helper()
	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	return c.waitFinished(ex.ID, limit)
}

// pluginPID returns the pid of the core's child process running plugin
// binary exe (as in /proc/<pid>/exe), or 0 when there is none.
func (c *core) pluginPID(exe string) int {
	c.t.Helper()
	parent := c.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		rest := string(stat)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		var state string
		var ppid int
		if _, err := fmt.Sscanf(rest, " %s %d", &state, &ppid); err != nil || ppid != parent || state == "Z" {
			continue
		}
		if link, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && filepath.Base(link) == exe {
			return pid
		}
	}
	return 0
}

// killPlugin SIGKILLs the core's plugin process exe and waits until it is
// gone; it fails the test when there is none.
func (c *core) killPlugin(exe string) int {
	c.t.Helper()
	pid := c.pluginPID(exe)
	if pid == 0 {
		c.t.Fatalf("no %s process under the core (pid %d)", exe, c.cmd.Process.Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill %s (pid %d): %v", exe, pid, err)
	}
	waitFor(c.t, exe+" to exit", 10*time.Second, func() bool { return c.pluginPID(exe) != pid })
	return pid
}

// startWithDisk runs `dbkeep serve` as start does, but in a mount namespace
// of its own in which dir is a tmpfs mounted with options ("size=2m" for a
// small disk, "size=1m,ro" for a read-only one) that only the core and its
// plugins see, and the host never does. The test reads it through
// /proc/<pid>/root (see inCore).
func (c *core) startWithDisk(dir, options string) {
	c.t.Helper()
	if err := tinyDiskPossible(); err != nil {
		// Not a skip: the scenario is part of what the brief asks to check.
		c.t.Fatalf("a private tmpfs cannot be mounted here (root and unshare(1) are needed): %v", err)
	}
	// unshare and sh exec in turn: the pid started is the core's own.
	script := `mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"`
	c.startUnder("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", options, dir)
}

// tinyDiskPossible checks that a tmpfs can be mounted in a private mount
// namespace, as startWithDisk does.
func tinyDiskPossible() error {
	dir, err := os.MkdirTemp("", "dbkeep-e2e-probe-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs -o size=1m tmpfs "$1"`, "sh", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// inCore is path as the running core sees it (its mount namespace).
func (c *core) inCore(path string) string {
	return filepath.Join("/proc", fmt.Sprint(c.cmd.Process.Pid), "root", path)
}

// s3Server is the S3 service of DBKEEP_TEST_S3_URL
// (http://KEY:SECRET@HOST:PORT).
type s3Server struct {
	endpoint, access, secret string
	admin                    *minio.Client
}

func s3(t *testing.T) s3Server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "S3", Env: "DBKEEP_TEST_S3_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("DBKEEP_TEST_S3_URL %q: want http://KEY:SECRET@HOST:PORT", raw)
	}
	secret, _ := u.User.Password()
	srv := s3Server{endpoint: u.Scheme + "://" + u.Host, access: u.User.Username(), secret: secret}
	srv.admin, err = minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(srv.access, srv.secret, ""), Secure: u.Scheme == "https",
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// bucket makes a bucket for the test, removed with its content at the end.
func (srv s3Server) bucket(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "dbkeep-e2e-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.admin.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for o := range srv.admin.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				srv.admin.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
			}
		}
		srv.admin.RemoveBucket(ctx, name)
	})
	return name
}

// objects lists every object in bucket.
func (srv s3Server) objects(t *testing.T, bucket string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for o := range srv.admin.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list bucket %s: %v", bucket, o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// config is a storage-s3 destination's config for bucket.
func (srv s3Server) config(bucket string) map[string]any {
	return map[string]any{
		"provider": "other", "endpoint": srv.endpoint, "path-style": true,
		"bucket": bucket, "prefix": "e2e",
		"access-key": srv.access, "secret-key": srv.secret,
	}
}

// killPID SIGKILLs process pid, which the test found running.
func killPID(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		t.Fatalf("kill %d: %v", pid, err)
	}
}

// readManifest decodes a stored manifest.json.
func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// pluginCrashes is the crash count GET /plugins reports for plugin id.
func (c *core) pluginCrashes(id string) int {
	c.t.Helper()
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Health struct {
				Crashes int `json:"crashes"`
			} `json:"health"`
		} `json:"items"`
	}
	c.mustCall("GET", "/api/v1/plugins?limit=500", nil, &page)
	for _, p := range page.Items {
		if p.ID == id {
			return p.Health.Crashes
		}
	}
	return 0
}
