package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchDatabase is the PostgreSQL database the backup benchmark dumps. It
// takes a minute or two to generate, so it is kept between runs and made
// again only when missing or too small.
const (
	benchDatabase = "dbkeep_bench_1gib"
	benchMinBytes = 1 << 30
)

// ensureBenchDatabase makes benchDatabase hold at least benchMinBytes of
// table data: text that compresses like real rows (neither random nor
// constant), a timestamp and numbers.
func ensureBenchDatabase(b *testing.B, pg pgServer) {
	b.Helper()
	admin := pg.connect(b, "")
	ctx := context.Background()
	var size int64
	err := admin.QueryRow(ctx, "SELECT pg_database_size($1)", benchDatabase).Scan(&size)
	if err == nil && size >= benchMinBytes {
		return
	}
	b.Logf("generating %s (≥ 1 GiB): this takes a minute or two, once", benchDatabase)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{benchDatabase}.Sanitize()+" WITH (FORCE)"); err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{benchDatabase}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	db := pg.connect(b, benchDatabase)
	if _, err := db.Exec(ctx, `CREATE TABLE events (
		id bigint PRIMARY KEY, at timestamptz NOT NULL, account text NOT NULL,
		amount numeric(12,2) NOT NULL, note text NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	// 8 batches of 1M rows of about 130 bytes each.
	for i := range 8 {
		if _, err := db.Exec(ctx, `INSERT INTO events
			SELECT g, timestamptz '2020-01-01' + g * interval '17 seconds',
			       'acct-' || (g % 50000), (g % 100000) / 100.0,
			       md5(g::text) || ' ' || repeat(chr((97 + g % 26)::int), (10 + g % 40)::int) || ' ' || md5((g * 31)::text)
			FROM generate_series($1::bigint, $2::bigint) g`, i*1_000_000+1, (i+1)*1_000_000); err != nil {
			b.Fatal(err)
		}
	}
	if err := admin.QueryRow(ctx, "SELECT pg_database_size($1)", benchDatabase).Scan(&size); err != nil {
		b.Fatal(err)
	}
	if size < benchMinBytes {
		b.Fatalf("%s is %d bytes after generation, want ≥ %d", benchDatabase, size, benchMinBytes)
	}
}

// bareBackup is the baseline: the same pg_dump the plugin runs piped into
// the zstd tool at the same level, into a file. It returns the time, the
// CPU time of the two tools and the size written.
func bareBackup(b *testing.B, pg pgServer, out string) (took, cpu time.Duration, size int64) {
	b.Helper()
	conn := fmt.Sprintf("host=%v port=%v user=%v dbname=%s sslmode=disable", pg.config["host"], portOf(pg), pg.config["user"], benchDatabase)
	dump := exec.Command("pg_dump", "--format=custom", "--no-password", "--compress=0", "--dbname="+conn)
	if pw, ok := pg.config["password"].(string); ok {
		dump.Env = append(os.Environ(), "PGPASSWORD="+pw)
	}
	zstd := exec.Command("zstd", "-3", "-T0", "-q", "-f", "-o", out)
	pipe, err := dump.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	zstd.Stdin = pipe
	start := time.Now()
	if err := zstd.Start(); err != nil {
		b.Fatal(err)
	}
	if err := dump.Run(); err != nil {
		b.Fatalf("pg_dump: %v", err)
	}
	if err := zstd.Wait(); err != nil {
		b.Fatalf("zstd: %v", err)
	}
	took = time.Since(start)
	for _, p := range []*os.ProcessState{dump.ProcessState, zstd.ProcessState} {
		cpu += p.UserTime() + p.SystemTime()
	}
	fi, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	return took, cpu, fi.Size()
}

// cpuTime is the CPU time (user + system) a process has used so far, and
// that of its live children: the core's plugins, with the dump tools they
// ran and reaped (pg_dump, as in the bare tools' figure). The PostgreSQL
// server's own work is in neither.
func cpuTime(b *testing.B, pid int) (self, children time.Duration) {
	b.Helper()
	self = procCPU(b, pid)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if parentOf(child) == pid {
			children += procCPU(b, child)
		}
	}
	return self, children
}

// procStat returns the fields of /proc/PID/stat after the command name
// (which may hold spaces), or nil when the process is gone.
func procStat(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(raw[i+1:]))
}

func parentOf(pid int) int {
	f := procStat(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

func procCPU(b *testing.B, pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 15 {
		return 0 // ended between the listing and the read
	}
	// utime, stime, cutime and cstime (reaped children) are fields 14 to
	// 17 of the line, 12 to 15 here.
	var ticks int64
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

func portOf(pg pgServer) string {
	if p, ok := pg.config["port"].(string); ok {
		return p
	}
	return "5432"
}

// peakRSSMiB reads a process's peak resident set (VmHWM) from /proc.
func peakRSSMiB(b *testing.B, pid int) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// BenchmarkBackup1GiB backs up a PostgreSQL database of at least 1 GiB
// through the real core and plugins (pg_dump → database plugin → core:
// zstd level 3 [→ DBK1] → storage plugin → file) and, beside it, through the
// bare tools (pg_dump | zstd -3 -T0 > file). It reports both wall times,
// their ratio and the core's peak RSS over a process that started, then
// ran only the backups (see the restart below). Goals (issue #4): ratio ≤ 1.10,
// core peak RSS ≤ 100 MiB. Figures go to docs/benchmarks.md.
func BenchmarkBackup1GiB(b *testing.B) {
	pg := postgres(b)
	ensureBenchDatabase(b, pg)
	for _, encrypted := range []bool{false, true} {
		b.Run(fmt.Sprintf("encrypted=%v", encrypted), func(b *testing.B) {
			c := newCore(b)
			c.start()
			c.setup()
			dest := filepath.Join(b.TempDir(), "dest")
			var src, dst, job struct{ ID int64 }
			c.mustCall("POST", "/api/v1/sources", map[string]any{"name": "bench", "pluginId": "database-postgres", "config": pg.config}, &src)
			c.mustCall("POST", "/api/v1/destinations", map[string]any{"name": "bench", "pluginId": "storage-local",
				"config": map[string]any{"path": dest, "create": true}}, &dst)
			in := map[string]any{
				"name": "bench", "sourceId": src.ID, "databases": []string{benchDatabase}, "compression": "zstd", "compressionLevel": 3,
				"destinations": []map[string]any{{"destinationId": dst.ID, "retention": map[string]any{"policy": "keep-all"}}},
			}
			if encrypted {
				var profile struct{ ID int64 }
				c.mustCall("POST", "/api/v1/encryption-profiles", map[string]any{"name": "bench"}, &profile)
				in["encryptionProfileId"] = profile.ID
			}
			c.mustCall("POST", "/api/v1/jobs", in, &job)
			// The peak RSS must be the backup's: setting up the first admin
			// and logging in hash a password with argon2id (46 MiB each,
			// by design), which leaves the process's high-water mark near
			// 125 MiB before any backup. A restarted core authenticates
			// with the API key only, so its peak is start-up plus backups.
			c.stop()
			c.start()
			var bare, bareCPU, core, coreCPU, pluginsCPU time.Duration
			var bareSize int64
			for b.Loop() {
				d, cpu, size := bareBackup(b, pg, filepath.Join(b.TempDir(), "bare.dump.zst"))
				bare += d
				bareCPU += cpu
				bareSize = size
				self0, children0 := cpuTime(b, c.cmd.Process.Pid)
				start := time.Now()
				var ex execution
				c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job.ID), nil, &ex)
				ex = c.waitFinished(ex.ID, 30*time.Minute)
				core += time.Since(start)
				if ex.Status != "success" {
					b.Fatalf("backup ended %s: %s", ex.Status, ex.Error)
				}
				// The plugins stay up between runs, so their counters
				// cover this backup once the first run has started them.
				self1, children1 := cpuTime(b, c.cmd.Process.Pid)
				coreCPU += self1 - self0
				pluginsCPU += children1 - children0
			}
			n := float64(b.N)
			b.ReportMetric(bare.Seconds()/n, "bare-s")
			b.ReportMetric(core.Seconds()/n, "dbkeep-s")
			b.ReportMetric(core.Seconds()/bare.Seconds(), "ratio")
			b.ReportMetric(bareCPU.Seconds()/n, "bare-tools-cpu-s")
			b.ReportMetric(coreCPU.Seconds()/n, "core-cpu-s")
			b.ReportMetric(pluginsCPU.Seconds()/n, "plugins-cpu-s")
			b.ReportMetric(float64(bareSize)/(1<<20), "stored-MiB")
			b.ReportMetric(peakRSSMiB(b, c.cmd.Process.Pid), "core-peak-RSS-MiB")
		})
	}
}
