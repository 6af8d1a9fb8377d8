package workflows

import (
	"context"
	"time"
)

// EndSessions ends every web session opened with the token whose hash is tokenHash up to
// at, in every process on the store: a sign-out, so that a copy of the session's cookie
// no longer signs anyone in. The token itself stays valid.
func (s *Service) EndSessions(ctx context.Context, tokenHash string, at time.Time) error {
	if err := s.store.EndSessions(ctx, tokenHash, at); err != nil {
		return s.storeError(err)
	}
	return nil
}

// SessionsEnded returns when the web sessions of the token whose hash is tokenHash were
// last ended (EndSessions); the zero time when they never were.
func (s *Service) SessionsEnded(ctx context.Context, tokenHash string) (time.Time, error) {
	t, err := s.store.SessionsEnded(ctx, tokenHash)
	if err != nil {
		return time.Time{}, s.storeError(err)
	}
	return t, nil
}
