package auth

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// RateLimitError is a refused sign-in attempt: too many failures recently
// from the same address or for the same account.
type RateLimitError struct {
	// RetryAfter is how long until an attempt is admitted again.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s; try again in %s", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// LimitParams bound failed sign-ins within a sliding Window.
type LimitParams struct {
	Window time.Duration
	// PerIP failures from one address, whatever the account: stops one
	// machine guessing across many accounts.
	PerIP int
	// PerAccount failures for one username, from any address: stops a
	// distributed guess at one password. It also lets anyone lock an
	// account out for one Window; the admin's recovery is
	// `dbkeep admin reset-password`, which does not go through sign-in.
	PerAccount int
}

// DefaultLimitParams: 20 failures per address and 10 per account per 15
// minutes.
var DefaultLimitParams = LimitParams{Window: 15 * time.Minute, PerIP: 20, PerAccount: 10}

// maxTracked bounds the limiter's memory: beyond it, keys whose failures
// all left the window are dropped; if that is not enough the oldest half
// goes (an attacker rotating addresses gains little, the account limit
// still holds).
const maxTracked = 10000

// limiter counts failed sign-ins in memory. It is per process: a restart
// forgets, which is acceptable for a limiter whose job is to make online
// guessing slow.
type limiter struct {
	p   LimitParams
	now func() time.Time

	mu      sync.Mutex
	ip      map[string][]time.Time
	account map[string][]time.Time
}

func newLimiter(p LimitParams, now func() time.Time) *limiter {
	return &limiter{p: p, now: now, ip: map[string][]time.Time{}, account: map[string][]time.Time{}}
}

// attempt is a sign-in attempt admitted by begin. It counts as a failure
// from the moment it is admitted, so that many attempts sent at once cannot
// all pass the check before the first has failed; its outcome may then take
// it back.
type attempt struct {
	l           *limiter
	ip, account string
	at          time.Time
}

// begin admits an attempt, or refuses it with a *RateLimitError when ip or
// account is at its limit.
func (l *limiter) begin(ip, account string) (*attempt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	account = accountKey(account)
	wait := max(l.waitLocked(l.ip, ip, l.p.PerIP, now), l.waitLocked(l.account, account, l.p.PerAccount, now))
	if wait > 0 {
		return nil, &RateLimitError{RetryAfter: wait}
	}
	l.addLocked(l.ip, ip, l.p.PerIP, now)
	l.addLocked(l.account, account, l.p.PerAccount, now)
	return &attempt{l: l, ip: ip, account: account, at: now}, nil
}

// failed: the credentials were wrong; the attempt stays counted.
func (a *attempt) failed() {}

// succeeded: the owner got in. The account's failures are forgotten; the
// address keeps its earlier ones.
func (a *attempt) succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	removeTime(a.l.ip, a.ip, a.at)
	delete(a.l.account, a.account)
}

// abandoned: the attempt could not be judged (the database failed, the
// client went away); it does not count.
func (a *attempt) abandoned() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	removeTime(a.l.ip, a.ip, a.at)
	removeTime(a.l.account, a.account, a.at)
}

func removeTime(m map[string][]time.Time, key string, at time.Time) {
	times := m[key]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(at) {
			m[key] = append(times[:i:i], times[i+1:]...)
			break
		}
	}
	if len(m[key]) == 0 {
		delete(m, key)
	}
}

// waitLocked is how long until key has fewer than limit failures in the
// window; 0 when it already has.
func (l *limiter) waitLocked(m map[string][]time.Time, key string, limit int, now time.Time) time.Duration {
	times := recent(m[key], now.Add(-l.p.Window))
	if len(times) < limit {
		return 0
	}
	// The (len-limit+1)th oldest failure must leave the window.
	return times[len(times)-limit].Add(l.p.Window).Sub(now)
}

func (l *limiter) addLocked(m map[string][]time.Time, key string, limit int, now time.Time) {
	if key == "" {
		return
	}
	times := append(recent(m[key], now.Add(-l.p.Window)), now)
	// Only the newest limit failures decide anything.
	if len(times) > limit {
		times = times[len(times)-limit:]
	}
	m[key] = times
	if len(m) > maxTracked {
		l.pruneLocked(m, now)
	}
}

func (l *limiter) pruneLocked(m map[string][]time.Time, now time.Time) {
	cutoff := now.Add(-l.p.Window)
	for k, times := range m {
		if len(recent(times, cutoff)) == 0 {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) <= maxTracked/2 {
			break
		}
		delete(m, k)
	}
}

// recent returns the times after cutoff (times are in order).
func recent(times []time.Time, cutoff time.Time) []time.Time {
	for i, t := range times {
		if t.After(cutoff) {
			return times[i:]
		}
	}
	return nil
}

// accountKey: usernames are case-insensitive, so are their counters.
func accountKey(username string) string { return strings.ToLower(username) }
