package execlog

import (
	"sync"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// subscriber is one live reader. Publishing never blocks the writer: events
// go into a bounded queue that a forwarding goroutine hands to the reader's
// channel. When the queue is full, log lines are replaced by one EventGap
// (the reader re-reads them from the database) and progress is kept only as
// the latest value, so a slow reader costs bounded memory and loses nothing
// it cannot recover.
type subscriber struct {
	limit int

	mu       sync.Mutex
	queue    []Event // EventLog and EventGap, in order; at most limit+1
	progress *Progress
	ended    bool

	signal chan struct{} // capacity 1: "the queue changed"
	out    chan Event
	done   chan struct{} // closed by cancel
}

func newSubscriber(limit int) *subscriber {
	s := &subscriber{limit: limit, signal: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	go s.forward()
	return s
}

func (s *subscriber) wake() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *subscriber) pushLines(lines []store.LogLine) {
	s.mu.Lock()
	switch {
	case len(s.queue) < s.limit:
		s.queue = append(s.queue, Event{Kind: EventLog, Lines: lines})
	case s.queue[len(s.queue)-1].Kind != EventGap:
		s.queue = append(s.queue, Event{Kind: EventGap})
	}
	s.mu.Unlock()
	s.wake()
}

func (s *subscriber) pushProgress(p *Progress) {
	s.mu.Lock()
	s.progress = p
	s.mu.Unlock()
	s.wake()
}

func (s *subscriber) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.wake()
}

// next takes the next event to hand over: lines first, then the latest
// progress, then the end. ok is false when there is nothing yet.
func (s *subscriber) next() (ev Event, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(s.queue) > 0:
		ev = s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
		return ev, true
	case s.progress != nil:
		ev = Event{Kind: EventProgress, Progress: s.progress}
		s.progress = nil
		return ev, true
	case s.ended:
		return Event{Kind: EventEnd}, true
	}
	return Event{}, false
}

// forward runs until the reader cancels or has been handed EventEnd.
func (s *subscriber) forward() {
	for {
		select {
		case <-s.signal:
		case <-s.done:
			return
		}
		for {
			ev, ok := s.next()
			if !ok {
				break
			}
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
			if ev.Kind == EventEnd {
				close(s.out)
				return
			}
		}
	}
}
