package execlog

import (
	"testing"
)

// BenchmarkRecorderLog is the cost of one Log call on the engine's path,
// with the journal storing into a real state database behind it. Logging
// without pause soon fills the buffer, so this measures the sustained rate
// the database stores lines at, Log waiting its bounded moment for room.
func BenchmarkRecorderLog(b *testing.B) {
	st, id := newExecution(b)
	j := New(st.Executions(), nil)
	rec := j.For(id)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rec.Log(Info, "database-sqlite", "copying table orders: 1048576 rows")
	}
	b.StopTimer()
	if err := j.Finish(id); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRecorderProgress is the cost of one Progress call with a live
// subscriber that reads.
func BenchmarkRecorderProgress(b *testing.B) {
	st, id := newExecution(b)
	j := New(st.Executions(), nil)
	events, cancel := j.Subscribe(id)
	defer cancel()
	go func() {
		for range events {
		}
	}()
	rec := j.For(id)
	p := Progress{Stage: "upload", Destinations: []DestinationProgress{{DestinationID: 1, State: "uploading"}, {DestinationID: 2, State: "uploading"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := int64(0); b.Loop(); i++ {
		p.BytesRead = i
		rec.Progress(p)
	}
	b.StopTimer()
	if err := j.Finish(id); err != nil {
		b.Fatal(err)
	}
}
