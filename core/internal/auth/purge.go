package auth

import (
	"context"
	"time"
)

// SessionPurgeInterval is how often PurgeExpiredSessions runs by default:
// sign-in also purges, but a server nobody signs in to would keep every
// expired session (and its IP and user agent) forever.
const SessionPurgeInterval = 5 * time.Minute

// PurgeExpiredSessions deletes expired sessions every interval until ctx
// ends, logging how many it removed. It blocks; run it in a goroutine.
func (s *Service) PurgeExpiredSessions(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.purgeExpiredSessions(ctx)
		}
	}
}

func (s *Service) purgeExpiredSessions(ctx context.Context) {
	n, err := s.st.Sessions().DeleteExpired(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("purging expired sessions failed", "error", err)
	case n > 0:
		s.log.Info("expired sessions purged", "count", n)
	}
}
