package auth

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(LimitParams{Window: 10 * time.Minute, PerIP: 5, PerAccount: 3}, func() time.Time { return now })
	fail := func(ip, account string) {
		t.Helper()
		a, err := l.begin(ip, account)
		if err != nil {
			t.Fatalf("attempt %s/%s refused: %v", ip, account, err)
		}
		a.failed()
	}

	// Per account, from any address.
	for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		fail(ip, "Ann")
		now = now.Add(time.Minute)
	}
	_, err := l.begin("10.0.0.9", "ann")
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("4th attempt on the account: %v, want a RateLimitError", err)
	}
	// The first failure was at 0:00, now is 0:03: 7 minutes to wait.
	if rl.RetryAfter != 7*time.Minute {
		t.Fatalf("RetryAfter %s, want 7m", rl.RetryAfter)
	}
	fail("10.0.0.9", "bob") // another account is not limited
	now = now.Add(7 * time.Minute)
	a, err := l.begin("10.0.0.9", "ann")
	if err != nil {
		t.Fatalf("after the oldest failure left the window: %v", err)
	}
	// Success clears the account's failures.
	a.succeeded()
	for range 3 {
		fail("10.0.0.1", "ann")
	}

	// Per address, across accounts.
	for _, acct := range []string{"a", "b", "c", "d", "e"} {
		fail("192.0.2.1", acct)
	}
	if _, err := l.begin("192.0.2.1", "f"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("6th account from one address: %v, want limited", err)
	}
	// An abandoned attempt does not count.
	for range 10 {
		a, err := l.begin("198.51.100.1", "carol")
		if err != nil {
			t.Fatalf("abandoned attempts counted: %v", err)
		}
		a.abandoned()
	}
}

// Attempts sent at once are counted as they are admitted: no burst gets
// more than the limit through before the first failure is recorded.
func TestLimiterBurst(t *testing.T) {
	l := newLimiter(LimitParams{Window: time.Minute, PerIP: 100, PerAccount: 5}, time.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for range 50 {
		wg.Go(func() {
			if a, err := l.begin("10.0.0.1", "admin"); err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // the password check
				a.failed()
			}
		})
	}
	wg.Wait()
	if admitted != 5 {
		t.Fatalf("%d of 50 concurrent attempts admitted, want 5", admitted)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	now := time.Now()
	l := newLimiter(DefaultLimitParams, func() time.Time { return now })
	for i := range 3 * maxTracked {
		a, err := l.begin(string(rune(i)), "")
		if err == nil {
			a.failed()
		}
	}
	if len(l.ip) > maxTracked {
		t.Fatalf("%d addresses tracked, want at most %d", len(l.ip), maxTracked)
	}
}
