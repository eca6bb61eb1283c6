package main

import (
	"os"
	"runtime/debug"
	"sync"
)

// Go collects garbage once the heap has grown by as much as was live after
// the last collection (GOGC=100). An upload holds a 16 MiB part while the
// SDK hands it a fresh 1 MiB chunk after another, so the heap swings up to
// twice its live size: about 80 MiB resident for one upload (measured,
// docs/benchmarks.md). A soft memory limit sized to the part buffers held
// right now makes the collector run before that, at no measurable cost in
// throughput (part buffers hold no pointers, so a collection is cheap),
// and it grows with each upload in flight, so concurrent uploads never make
// the collector run without pause.
const (
	// runtimeReserve is the limit with no part held: the runtime, gRPC's
	// stream windows and buffers, a download or a listing in flight.
	runtimeReserve = 24 << 20
)

// partMemory is the part buffers held by the uploads in flight.
var partMemory = memoryBudget{off: os.Getenv("GOMEMLIMIT") != ""}

type memoryBudget struct {
	mu   sync.Mutex
	held int64
	// off when the user set GOMEMLIMIT: their limit stands.
	off bool
}

// add changes what is held by delta bytes and moves the limit with it.
func (m *memoryBudget) add(delta int64) {
	if delta == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held += delta
	if !m.off {
		debug.SetMemoryLimit(runtimeReserve + m.held)
	}
}
