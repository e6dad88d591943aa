package accounts

import (
	"context"
	"time"
)

// FailureLimit bounds the failures counted under one key of the shared
// throttle table (the one failed logins use): at Max failures within
// Window the key is refused for Lock. Other endpoints that must turn
// away repeated failures (the WeCom callback URL) count theirs here
// under their own key prefix, so every instance sees the same counts.
type FailureLimit struct {
	Max    int
	Window time.Duration
	Lock   time.Duration
}

// Throttled reports whether key is refused now.
func (s *Service) Throttled(ctx context.Context, key string) (bool, error) {
	return s.locked(system(ctx), []throttleKey{{key: trunc(key, 300)}})
}

// CountFailure counts one failure under key, locking it once l.Max
// failures fall within l.Window.
func (s *Service) CountFailure(ctx context.Context, key string, l FailureLimit) error {
	return s.countFailures(system(ctx), []throttleKey{{key: key, limit: l.Max}}, l.Window, l.Lock)
}
