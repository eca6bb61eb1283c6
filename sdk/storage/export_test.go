package storage

import (
	"context"
	"time"
)

// Test hooks for the external tests, which need memstore (and memstore
// imports this package).

// WithRetrySleep replaces the waits between attempts of p.
func WithRetrySleep(p RetryPolicy, sleep func(ctx context.Context, d time.Duration) error) RetryPolicy {
	p.sleep = sleep
	return p
}

// WithThrottleWaiters is WithThrottle with the given pacers in place of
// rate limiters (nil: no bandwidth limit in that direction).
func WithThrottleWaiters(s Storage, l Limits, up, down interface {
	WaitN(ctx context.Context, n int) error
	Burst() int
}) Location {
	loc, err := WithThrottle(s, l)
	if err != nil {
		panic(err)
	}
	t := loc.(*throttled)
	t.up, t.down = nil, nil
	if up != nil {
		t.up = up
	}
	if down != nil {
		t.down = down
	}
	return t
}
