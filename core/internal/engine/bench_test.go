package engine_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// BenchmarkBackup backs up a generated SQLite database (256 MiB, or
// DBKEEP_BENCH_ENGINE_MIB) of incompressible rows through the whole
// pipeline — the real sqlite plugin, zstd, two local destinations — and
// reports the throughput (MB/s of dump), the bytes the core allocated per
// run, and the core's peak live heap sampled during the run: that last
// figure must not grow with the database's size.
func BenchmarkBackup(b *testing.B) {
	mib := 256
	if s := os.Getenv("DBKEEP_BENCH_ENGINE_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("DBKEEP_BENCH_ENGINE_MIB=%q: want a positive number of MiB", s)
		}
		mib = n
	}
	f := newFixture(b)
	const payload = 64 << 10
	srcPath, src := f.sqliteSource("bench", mib*(1<<20)/payload, payload)
	st, err := os.Stat(srcPath)
	if err != nil {
		b.Fatal(err)
	}
	_, d1 := f.localDestination("bench-a")
	_, d2 := f.localDestination("bench-b")
	for _, compression := range []string{"none", "zstd"} {
		job := f.job("bench "+compression, src, compression, nil, d1, d2)
		b.Run(compression, func(b *testing.B) { benchRuns(b, f, job, st.Size()) })
	}
}

func benchRuns(b *testing.B, f *fixture, job store.Job, size int64) {
	b.SetBytes(size)
	b.ReportAllocs()
	// What making the source left behind is not the pipeline's.
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		ex := f.claim(job.ID)
		f.eng.Run(context.Background(), ex)
		got, err := f.st.Executions().Get(context.Background(), ex.ID)
		if err != nil || got.Status != store.StatusSuccess {
			b.Fatalf("run: %s %s %v", got.Status, got.Error, err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "db-MiB")
}
