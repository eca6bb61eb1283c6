package auth

import (
	"errors"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(LimitParams{Window: 10 * time.Minute, PerIP: 5, PerAccount: 3}, func() time.Time { return now })

	// Per account, from any address.
	for i := range 3 {
		if err := l.check("10.0.0.1", "Ann"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		l.fail("10.0.0."+string(rune('1'+i)), "Ann")
		now = now.Add(time.Minute)
	}
	err := l.check("10.0.0.9", "ann")
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("4th attempt on the account: %v, want a RateLimitError", err)
	}
	// The first failure was at 0:00, now is 0:03: 7 minutes to wait.
	if rl.RetryAfter != 7*time.Minute {
		t.Fatalf("RetryAfter %s, want 7m", rl.RetryAfter)
	}
	if err := l.check("10.0.0.9", "bob"); err != nil {
		t.Fatalf("another account is not limited: %v", err)
	}
	now = now.Add(7 * time.Minute)
	if err := l.check("10.0.0.9", "ann"); err != nil {
		t.Fatalf("after the oldest failure left the window: %v", err)
	}

	// Per address, across accounts.
	for _, acct := range []string{"a", "b", "c", "d", "e"} {
		l.fail("192.0.2.1", acct)
	}
	if err := l.check("192.0.2.1", "f"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("6th account from one address: %v, want limited", err)
	}
	// Success clears the account, not the address.
	l.succeed("ann")
	if err := l.check("10.0.0.1", "ann"); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	now := time.Now()
	l := newLimiter(DefaultLimitParams, func() time.Time { return now })
	for i := range 3 * maxTracked {
		l.fail(string(rune(i)), "")
	}
	if len(l.ip) > maxTracked {
		t.Fatalf("%d addresses tracked, want at most %d", len(l.ip), maxTracked)
	}
}
