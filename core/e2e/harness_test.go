// Package e2e drives the real dbkeep binary and real plugins as a user
// does: `dbkeep serve` in a subprocess, everything through the HTTP API and
// the CLI, real databases and real files. Nothing in-process is shared with
// the code under test.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pluginPackages are the plugins the tests load, by binary name.
var pluginPackages = map[string]string{
	"dbkeep-database-sqlite":      "plugins/database/sqlite",
	"dbkeep-database-postgres":    "plugins/database/postgres",
	"dbkeep-storage-local":        "plugins/storage/local",
	"dbkeep-storage-s3":           "plugins/storage/s3",
	"dbkeep-notification-webhook": "plugins/notification/webhook",
}

// binaries builds dbkeep and the plugins once per test binary, into a
// directory the test process removes at exit (TestMain).
var binaries = sync.OnceValues(func() (string, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the source directory")
	}
	root := filepath.Join(filepath.Dir(self), "..", "..")
	dir, err := os.MkdirTemp("", "dbkeep-e2e-bin-")
	if err != nil {
		return "", err
	}
	builds := map[string]string{filepath.Join(dir, "dbkeep"): "./core/cmd/dbkeep"}
	for name, pkg := range pluginPackages {
		builds[filepath.Join(dir, "plugins", name)] = "./" + pkg
	}
	for out, pkg := range builds {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return dir, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := binaries(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// core is one dbkeep installation: a data directory, a plugins.hcl with
// pinned plugins, and (while started) a `dbkeep serve` process.
type core struct {
	t      testing.TB
	bin    string
	root   string
	config string
	data   string
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
	token  string
}

// newCore makes an installation in a temporary directory and pins the
// plugins with `dbkeep plugins lock`.
func newCore(t testing.TB) *core {
	t.Helper()
	dir, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	c := &core{t: t, bin: filepath.Join(dir, "dbkeep"), root: root,
		config: filepath.Join(root, "plugins.hcl"), data: filepath.Join(root, "data")}
	hcl := fmt.Sprintf("plugin_dir = %q\ntrust {\n  policy = \"pinned\"\n}\n", filepath.Join(dir, "plugins"))
	if err := os.WriteFile(c.config, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.cli("plugins", "lock"); err != nil {
		t.Fatalf("dbkeep plugins lock: %v\n%s", err, out)
	}
	t.Cleanup(c.kill)
	return c
}

// cli runs a dbkeep command of this installation and returns its combined
// output.
func (c *core) cli(args ...string) (string, error) {
	cmd := exec.Command(c.bin, append([]string{"--config", c.config}, args...)...)
	cmd.Env = append(os.Environ(), "DBKEEP_DATA="+c.data)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs `dbkeep serve` and waits until /healthz answers.
func (c *core) start() {
	c.t.Helper()
	c.startUnder()
}

// startUnder is start with serve run by a wrapper command (wrapper... then
// dbkeep's own arguments), which must exec it so that the pid started is
// the core's.
func (c *core) startUnder(wrapper ...string) {
	c.t.Helper()
	if c.addr == "" {
		c.addr = freeAddr(c.t)
	}
	c.log = &syncBuffer{}
	args := append(append([]string(nil), wrapper...), c.bin, "--config", c.config, "--log-level", "debug", "serve", "--data", c.data, "--listen", c.addr)
	c.cmd = exec.Command(args[0], args[1:]...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	// Its own process group: kill reaches the plugins too when asked.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.exited = make(chan struct{})
	go func() { c.cmd.Wait(); close(c.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + c.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-c.exited:
			c.t.Fatalf("dbkeep serve exited at start:\n%s", c.log.String())
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("dbkeep serve did not answer /healthz within a minute:\n%s", c.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends serve with SIGTERM and waits for it.
func (c *core) stop() {
	c.t.Helper()
	if c.cmd == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.t.Errorf("dbkeep serve did not stop within 30 s of SIGTERM")
		c.kill()
	}
	c.cmd = nil
}

// crash kills serve with SIGKILL, alone (its plugins are orphaned, as in a
// real crash of the core; they exit when their parent's pipe closes).
func (c *core) crash() {
	c.t.Helper()
	pgid := c.cmd.Process.Pid
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
	c.cmd = nil
	// The orphaned plugins are killed when the test ends, whatever it found.
	c.t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
}

// kill ends serve and its whole process group, for cleanup.
func (c *core) kill() {
	if c.cmd == nil {
		return
	}
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.exited
	c.cmd = nil
	if c.t.Failed() {
		c.t.Logf("dbkeep serve log:\n%s", c.log.String())
	}
}

// setup creates the first admin and an API key holding every permission,
// which every later call uses.
func (c *core) setup() {
	c.t.Helper()
	c.mustCall("POST", "/api/v1/auth/setup", map[string]any{"username": "admin", "password": "a long passphrase"}, nil)
	jar := &cookieClient{}
	var login struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := jar.call(c.addr, "POST", "/api/v1/auth/login", "", map[string]any{"username": "admin", "password": "a long passphrase"}, &login); err != nil {
		c.t.Fatal(err)
	}
	var me struct {
		Permissions []string `json:"permissions"`
	}
	if err := jar.call(c.addr, "GET", "/api/v1/auth/me", "", nil, &me); err != nil {
		c.t.Fatal(err)
	}
	var key struct {
		Token string `json:"token"`
	}
	if err := jar.call(c.addr, "POST", "/api/v1/api-keys", login.CSRFToken, map[string]any{"name": "e2e", "permissions": me.Permissions}, &key); err != nil {
		c.t.Fatal(err)
	}
	c.token = key.Token
}

// apiError is an answer outside 2xx.
type apiError struct {
	Status int
	Code   string
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Body) }

// call sends a JSON request with the API key and decodes data into out.
func (c *core) call(method, path string, in, out any) error {
	return doCall(http.DefaultClient, c.addr, method, path, c.token, "", in, out)
}

func (c *core) mustCall(method, path string, in, out any) {
	c.t.Helper()
	if err := c.call(method, path, in, out); err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// download GETs path with the API key and returns the body.
func (c *core) download(path string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+c.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: HTTP %d: %s", path, resp.StatusCode, b)
	}
	return b
}

func doCall(client *http.Client, addr, method, path, token, csrf string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+addr+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("HTTP %d, not the API's envelope: %s", resp.StatusCode, raw)
	}
	if resp.StatusCode/100 != 2 || !env.Success {
		e := &apiError{Status: resp.StatusCode, Body: string(raw)}
		if env.Error != nil {
			e.Code = env.Error.Code
		}
		return e
	}
	if out != nil && len(env.Data) > 0 {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}

// cookieClient is a browser-like client: it keeps the session cookie.
type cookieClient struct {
	once sync.Once
	c    *http.Client
}

func (cc *cookieClient) call(addr, method, path, csrf string, in, out any) error {
	cc.once.Do(func() { cc.c = &http.Client{Jar: newJar()} })
	return doCall(cc.c, addr, method, path, "", csrf, in, out)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
