package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Dump formats and metadata keys.
const (
	formatRDB   = "redis-rdb"
	metaRDB     = "rdb-version"
	metaFlavour = "flavour"
	metaDBs     = "databases"
)

// rdbMagic is how every RDB file begins: "REDIS" and a four-digit version.
const rdbMagicLen = 9

// Dump streams the instance's RDB snapshot from `redis-cli --rdb -`.
func (e *engine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	c, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	if req.Database != instanceName {
		return fmt.Errorf("database %q: a Redis snapshot holds the whole instance, named %q: %w", req.Database, instanceName, spec.ErrNotFound)
	}
	server, dbs, err := inspect(ctx, c)
	if err != nil {
		return err
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return fmt.Errorf("redis-cli is not installed on the plugin's host (Debian: redis-tools): %w", err)
	}
	dir, err := os.MkdirTemp("", "dbkeep-redis-dump-")
	if err != nil {
		return fmt.Errorf("private directory: %w", err)
	}
	defer os.RemoveAll(dir)
	args, err := cliArgs(c, dir)
	if err != nil {
		return err
	}
	args = append(args, "--rdb", "-")

	// The tool is cancelled when Dump returns early (a failed write), not
	// only when the caller cancels.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := command(ctx, cli, cliEnv(c), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-cli: %w", err)
	}
	log := forwardLines(stderr, w, c.password)
	fail := func(err error) error {
		cancel()
		io.Copy(io.Discard, stdout)
		tail := log.lastLines()
		cmd.Wait()
		if tail != "" {
			return fmt.Errorf("%w (redis-cli: %s)", err, tail)
		}
		return err
	}

	magic := make([]byte, rdbMagicLen)
	if _, err := io.ReadFull(stdout, magic); err != nil {
		return fail(fmt.Errorf("redis-cli sent no snapshot: %w", err))
	}
	rdbVersion, err := parseMagic(magic)
	if err != nil {
		return fail(err)
	}
	header := database.DumpHeader{
		Database: instanceName, Format: formatRDB, Extension: "rdb", Server: server,
		Metadata: map[string]string{metaRDB: strconv.Itoa(rdbVersion), metaFlavour: flavourOf(server), metaDBs: strconv.Itoa(dbs)},
	}
	if err := w.Begin(header); err != nil {
		return fail(err)
	}
	pw := &progressWriter{w: w, rep: w, stage: "dump"}
	rdb := &rdbTail{w: pw}
	rdb.Write(magic)
	// Buffers of the SDK's chunk size: one gRPC message per write.
	if _, err := io.CopyBuffer(rdb, onlyReader{stdout}, make([]byte, spec.ChunkSize)); err != nil {
		return fail(fmt.Errorf("stream the snapshot: %w", err))
	}
	if err := rdb.Close(); err != nil {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		return fail(err)
	}
	tail := log.lastLines()
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("redis-cli --rdb failed after %d bytes: %w (%s)", pw.n, err, tail)
	}
	w.Progress(spec.Progress{DoneBytes: pw.n, TotalBytes: pw.n, Stage: "dump"})
	return nil
}

// inspect reads the server's identity and its number of logical databases
// (for the restore's staging server), checking the credentials on the way.
func inspect(ctx context.Context, c conn) (database.ServerInfo, int, error) {
	ictx, cancel := context.WithTimeout(ctx, c.connectTimeout+5*time.Second)
	defer cancel()
	client, err := open(ictx, c, 0)
	if err != nil {
		return database.ServerInfo{}, 0, err
	}
	defer client.Close()
	in, err := readInfo(ictx, client, "server")
	if err != nil {
		return database.ServerInfo{}, 0, err
	}
	dbs := 16
	// CONFIG may be forbidden to the backup user: the keyspace then tells
	// the least the staging server needs.
	if kv, err := client.ConfigGet(ictx, "databases").Result(); err == nil {
		if n, err := strconv.Atoi(kv["databases"]); err == nil && n > 0 {
			dbs = n
		}
	} else if ks, err := readInfo(ictx, client, "keyspace"); err == nil {
		for db := range keyspace(ks) {
			dbs = max(dbs, db+1)
		}
	}
	return serverInfo(in), dbs, nil
}

// flavourOf is "valkey" or "redis", from the Edition serverInfo wrote.
func flavourOf(s database.ServerInfo) string {
	if strings.HasPrefix(s.Edition, "Valkey") {
		return "valkey"
	}
	return "redis"
}

// parseMagic checks "REDIS0010" and returns the RDB version.
func parseMagic(b []byte) (int, error) {
	if len(b) != rdbMagicLen || string(b[:5]) != "REDIS" {
		return 0, fmt.Errorf("not an RDB snapshot (it begins %q)", b)
	}
	v, err := strconv.Atoi(string(b[5:]))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("not an RDB snapshot (version %q)", b[5:])
	}
	return v, nil
}

// cliArgs are redis-cli's connection options. The CA certificate, when set,
// is written to a 0600 file in dir.
func cliArgs(c conn, dir string) ([]string, error) {
	args := []string{"-h", c.host, "-p", c.port, "--no-auth-warning"}
	if c.username != "" {
		args = append(args, "--user", c.username)
	}
	if c.tls {
		args = append(args, "--tls")
		if c.tlsCA != "" {
			ca := filepath.Join(dir, "ca.pem")
			if err := os.WriteFile(ca, []byte(c.tlsCA), 0o600); err != nil {
				return nil, fmt.Errorf("write CA certificate: %w", err)
			}
			args = append(args, "--cacert", ca)
		}
		if c.tlsServerName != "" {
			args = append(args, "--sni", c.tlsServerName)
		}
		if c.tlsInsecure {
			args = append(args, "--insecure")
		}
	}
	return args, nil
}

// cliEnv hands redis-cli the password (REDISCLI_AUTH: never on argv, where
// ps would show it).
func cliEnv(c conn) []string {
	if c.password == "" {
		return nil
	}
	return []string{"REDISCLI_AUTH=" + c.password}
}

// progressWriter counts bytes and reports progress every progressEvery.
type progressWriter struct {
	w     io.Writer
	rep   spec.Reporter
	stage string
	n     int64
	last  int64
}

const progressEvery = 16 << 20

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.n-p.last >= progressEvery {
		p.last = p.n
		p.rep.Progress(spec.Progress{DoneBytes: p.n, Stage: p.stage})
	}
	return n, err
}

// onlyReader hides any WriterTo, so that CopyBuffer uses its buffer.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(b []byte) (int, error) { return o.r.Read(b) }
