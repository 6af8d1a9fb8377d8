package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SignOutSuffix names the key-value bucket that holds the web UI's sign-outs: the
// document bucket's name (WithDocumentBucket) followed by it. For a token's hash, the
// bucket holds when its sessions were last ended. It is no part of the audit record: an
// entry lives a day (SignOutKeep), longer than any session.
const SignOutSuffix = "-signouts"

// SignOutKeep is how long a sign-out is kept.
const SignOutKeep = 24 * time.Hour

// signOuts is the sign-out bucket, created by the first sign-out of any process on the
// store. Until then there is nothing to read, and a read looks for it again at most every
// signOutLook (a store that cannot take the bucket, being full, still serves its readers).
type signOuts struct {
	mu     sync.Mutex
	kv     jetstream.KeyValue
	looked time.Time // when a read last found no bucket
}

// signOutLook is how long a read that found no sign-out bucket trusts that finding.
const signOutLook = 2 * time.Second

// existingSignOutBucket returns the bucket, or nil when no process has created it yet.
func (s *Store) existingSignOutBucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.signOuts.mu.Lock()
	defer s.signOuts.mu.Unlock()
	if s.signOuts.kv != nil {
		return s.signOuts.kv, nil
	}
	if time.Since(s.signOuts.looked) < signOutLook {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.clientTimeout)
	defer cancel()
	kv, err := s.js.KeyValue(ctx, s.opts.bucket+SignOutSuffix)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		s.signOuts.looked = time.Now()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sign-out bucket: %w", err)
	}
	s.signOuts.kv = kv
	return kv, nil
}

// signOutBucket returns the bucket, creating it if need be.
func (s *Store) signOutBucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.signOuts.mu.Lock()
	defer s.signOuts.mu.Unlock()
	if s.signOuts.kv != nil {
		return s.signOuts.kv, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.clientTimeout)
	defer cancel()
	bucket := s.opts.bucket + SignOutSuffix
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "thidua web sign-outs: when the sessions of a token (by its hash) were last ended",
		History:     1,
		TTL:         SignOutKeep,
		// No byte limit: one small entry per token, each kept SignOutKeep, and a limit is
		// reserved against the store's storage limit (a review finding: under a limit
		// of 64 MiB the bucket could not be created, and no sign-out was recorded).
		Storage:  jetstream.FileStorage,
		Replicas: s.opts.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("sign-out bucket %s: %w", bucket, err)
	}
	s.signOuts.kv = kv
	return kv, nil
}

// EndSessions records that every session opened with the token whose hash is key, up
// to at, is over, for every process on the store (a web sign-out: the token itself stays
// valid). A later time already recorded stays: two sign-outs at once, or a process whose
// clock lags, never move the cut-off back and revive the sessions opened in between.
func (s *Store) EndSessions(ctx context.Context, key string, at time.Time) error {
	kv, err := s.signOutBucket(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.clientTimeout)
	defer cancel()
	value := []byte(strconv.FormatInt(at.UnixMilli(), 10))
	for {
		e, err := kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = kv.Create(ctx, key, value)
		case err != nil:
			return fmt.Errorf("end the sessions: %w", err)
		default:
			if ms, perr := strconv.ParseInt(string(e.Value()), 10, 64); perr == nil && ms >= at.UnixMilli() {
				return nil // a later sign-out holds
			}
			_, err = kv.Update(ctx, key, value, e.Revision())
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, jetstream.ErrKeyExists) || isWrongLastSeq(err): // an update's revision
			continue // another sign-out came first: read it again
		default:
			return fmt.Errorf("end the sessions: %w", err)
		}
	}
}

// SessionsEnded returns when the sessions of the token whose hash is key were last
// ended (EndSessions), to the millisecond; the zero time when they never were, or over
// SignOutKeep ago.
func (s *Store) SessionsEnded(ctx context.Context, key string) (time.Time, error) {
	kv, err := s.existingSignOutBucket(ctx)
	if err != nil || kv == nil {
		return time.Time{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.clientTimeout)
	defer cancel()
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the sign-outs: %w", err)
	}
	ms, err := strconv.ParseInt(string(e.Value()), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("sign-out of %s: %q is not a time: %w", key, e.Value(), err)
	}
	return time.UnixMilli(ms), nil
}
