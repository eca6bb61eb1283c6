package benchmarks

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// start builds the plugin package pkg into dir and launches it as the core
// does: a separate process over gRPC with automatic mTLS.
func start(b *testing.B, dir, pkg string, mtls bool) (*host.Conn, int) {
	b.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("build %s: %v", pkg, err)
	}
	cfg := host.ClientConfig(exec.Command(bin), nil, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn}))
	cfg.AutoMTLS = mtls
	client := goplugin.NewClient(cfg)
	b.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		b.Fatal(err)
	}
	conn, err := host.Dispense(rpc)
	if err != nil {
		b.Fatal(err)
	}
	return conn, client.ReattachConfig().Pid
}

// pipeWriter is the core's side of a dump: it forwards the bytes into the
// upload stream of the storage plugin.
type pipeWriter struct {
	*io.PipeWriter
}

func (pipeWriter) Begin(database.DumpHeader) error { return nil }
func (pipeWriter) Log(spec.Level, string)          {}
func (pipeWriter) Progress(spec.Progress)          {}

// heapSampler records the peak of live heap objects while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak.Load()
}

// BenchmarkTwoHops pushes a dump from a database plugin through this process
// (the core's place) into a storage plugin's upload: two plugin boundaries,
// each a separate process behind gRPC with mTLS, as in a real backup.
func BenchmarkTwoHops(b *testing.B) {
	b.Run("mtls", func(b *testing.B) { benchTwoHops(b, true) })
	// Without TLS only to show what the encryption of the local hops costs;
	// the core always starts plugins with mTLS.
	b.Run("plaintext", func(b *testing.B) { benchTwoHops(b, false) })
}

func benchTwoHops(b *testing.B, mtls bool) {
	const size = 1 << 30
	dir := b.TempDir()
	dbConn, dbPid := start(b, dir, "github.com/dbkeep/dbkeep/internal/testplugins/synthdb", mtls)
	stConn, stPid := start(b, dir, "github.com/dbkeep/dbkeep/internal/testplugins/nullstore", mtls)
	db, st := dbConn.Database(), stConn.Storage()
	ctx := context.Background()
	dbCfg := spec.Config{"size": fmt.Sprint(size)}

	b.SetBytes(size)
	cpu0 := [3]time.Duration{selfCPU(b), procCPU(b, dbPid), procCPU(b, stPid)}
	b.ResetTimer()
	heap := sampleHeap()
	for range b.N {
		pr, pw := io.Pipe()
		uploaded := make(chan error, 1)
		var info storage.ObjectInfo
		go func() {
			var err error
			info, err = st.Upload(ctx, spec.Config{}, storage.UploadRequest{Name: "bench/synthetic.bin", SizeHint: -1}, pr)
			pr.CloseWithError(err)
			uploaded <- err
		}()
		err := db.Dump(ctx, dbCfg, database.DumpRequest{Database: "synthetic"}, pipeWriter{pw})
		pw.CloseWithError(err)
		if uerr := <-uploaded; err != nil || uerr != nil {
			b.Fatalf("dump: %v, upload: %v", err, uerr)
		}
		if info.Size != size {
			b.Fatalf("uploaded %d bytes, want %d", info.Size, size)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(heap.Stop())/(1<<20), "peak-heap-MiB")
	// CPU seconds per GiB moved, per process: with two cores shared by three
	// processes, these sums bound the throughput.
	gib := float64(b.N) * size / (1 << 30)
	b.ReportMetric((selfCPU(b)-cpu0[0]).Seconds()/gib, "core-cpu-s/GiB")
	b.ReportMetric((procCPU(b, dbPid)-cpu0[1]).Seconds()/gib, "dbplugin-cpu-s/GiB")
	b.ReportMetric((procCPU(b, stPid)-cpu0[2]).Seconds()/gib, "storeplugin-cpu-s/GiB")
}

// selfCPU is the CPU time this process has used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time process pid has used, from /proc (Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the line, in clock ticks (100 per second).
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
