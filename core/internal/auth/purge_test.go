package auth

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// syncBuffer is a log sink safe for the purge goroutine and the test.
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

// The periodic purge removes expired sessions without anyone signing in,
// keeps live ones, logs the count, and stops when its context ends.
func TestPurgeExpiredSessions(t *testing.T) {
	svc, st := newService(t)
	var logs syncBuffer
	svc.log = hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info})
	ctx := context.Background()
	u, err := st.Users().Create(ctx, store.NewUser{Username: "ann", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	for i, exp := range []time.Time{time.Now().Add(-time.Minute), time.Now().Add(-time.Hour), time.Now().Add(time.Hour)} {
		if _, err := st.Sessions().Create(ctx, store.NewSession{UserID: u.ID, TokenHash: hash(byte(2 * i)), CSRFHash: hash(byte(2*i + 1)), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}

	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.PurgeExpiredSessions(pctx, 10*time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "count=2") {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no purge of 2 sessions logged within 5s; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("PurgeExpiredSessions did not return after its context ended")
	}
	for _, h := range []byte{0, 2} {
		if _, err := st.Sessions().ByTokenHash(ctx, hash(h)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session %d still stored: %v", h, err)
		}
	}
	if _, err := st.Sessions().ByTokenHash(ctx, hash(4)); err != nil {
		t.Errorf("live session purged: %v", err)
	}
	if n := strings.Count(logs.String(), "expired sessions purged"); n != 1 {
		t.Errorf("logged %d purges, want 1 (nothing left to purge after the first):\n%s", n, logs.String())
	}
}
