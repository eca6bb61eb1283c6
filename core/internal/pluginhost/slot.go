package pluginhost

import (
	"context"
	"sync"
	"time"
)

// slot holds the process serving one plugin id, across restarts.
type slot struct {
	id string

	// startMu serialises starts: callers racing to use a stopped plugin get
	// the one process the first of them starts.
	startMu sync.Mutex

	mu        sync.Mutex // guards the fields below
	inst      *instance
	starts    int
	crashes   int
	lastCrash time.Time
	lastErr   string
	stopped   bool
}

func (h *Host) slot(id string) (*slot, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s, ok := h.slots[id]
	if !ok {
		s = &slot{id: id}
		h.slots[id] = s
	}
	return s, nil
}

// acquire returns the live process of plugin id, starting it when it is not
// running: the first use, or the next use after a crash.
func (h *Host) acquire(ctx context.Context, id string) (*instance, error) {
	s, err := h.slot(id)
	if err != nil {
		return nil, err
	}
	if inst := s.live(); inst != nil {
		return inst, nil
	}
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if inst := s.live(); inst != nil {
		return inst, nil
	}
	inst, err := h.launch(ctx, id, s.crashed)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		// Close ran while this start was under way.
		if inst != nil {
			inst.stop()
		}
		return nil, ErrClosed
	}
	if err != nil {
		s.lastErr = err.Error()
		return nil, err
	}
	s.inst, s.lastErr = inst, ""
	s.starts++
	return inst, nil
}

// live returns the running process, or nil. It asks go-plugin too, which
// learns of an exit as soon as the process is reaped: the monitor notices
// only on its next poll, and a call made in between would fail on a dead
// connection instead of starting the plugin again.
func (s *slot) live() *instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst != nil && !s.inst.exited() && !s.inst.client.Exited() {
		return s.inst
	}
	return nil
}

// crashed records an unexpected exit; the monitor of the instance calls it.
func (s *slot) crashed(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashes++
	s.lastCrash = at
}

func (s *slot) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{ID: s.id, Crashes: s.crashes, LastError: s.lastErr}
	if s.starts > 1 {
		st.Restarts = s.starts - 1
	}
	if s.inst != nil && !s.inst.exited() {
		st.Running, st.PID = true, s.inst.pid
	}
	if !s.lastCrash.IsZero() {
		t := s.lastCrash.UTC()
		st.LastCrash = &t
	}
	return st
}

func (s *slot) stop() {
	s.mu.Lock()
	s.stopped = true
	inst := s.inst
	s.mu.Unlock()
	if inst != nil {
		inst.stop()
	}
}
