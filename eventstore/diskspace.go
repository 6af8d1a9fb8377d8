package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrStoreFull is matched (errors.Is) when the store refused a write for want of storage:
// the embedded server's limit (see storeLimit) or, on a cluster, the account's or the
// servers'. Nothing was written; the store goes on serving reads.
var ErrStoreFull = errors.New("event store full")

// JetStream's error codes for a write over a storage limit: the server's
// (JSInsufficientResourcesErr), an account's (JSAccountResourcesExceededErr: an external
// server's account with a limit) and the storage's (JSStorageResourcesExceededErr).
const (
	jsInsufficientResources    = 10023
	jsAccountResourcesExceeded = 10002
	jsStorageResourcesExceeded = 10047
)

// markFull wraps err with ErrStoreFull when JetStream refused a write for want of storage.
func markFull(err error) error {
	var apiErr *jetstream.APIError
	if err != nil && errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jsInsufficientResources, jsAccountResourcesExceeded, jsStorageResourcesExceeded:
			return fmt.Errorf("%w: %w", ErrStoreFull, err)
		}
	}
	return err
}

// storeReserve is the part of its file system the embedded store leaves free: 5 % of the
// file system, at most 1 GiB.
func storeReserve(size int64) int64 { return min(size/20, 1<<30) }

// minStoreLimit is the least limit given, so that a new store on a nearly full disk can
// still be created (and refuse its writes cleanly).
const minStoreLimit = 1 << 20

// storeLimit is the storage limit (JetStream's max_store) of an embedded store that holds
// used bytes, on a file system of size bytes of which free are free: everything it holds
// and all the free space but the reserve.
//
// nats-server's own default is three quarters of the free space when it starts, which
// leaves out what the store already holds: a store that has grown to more than three
// quarters of the free space left refuses every write after a restart, however much
// space is free. And without a limit short of the disk, a full disk leaves the stream
// unable to store anything until the server restarts (a "critical write error": see
// serverLog and ErrStoreDown; in a cluster nats-server shuts JetStream down on that
// server); a limit makes it refuse the write cleanly instead (ErrStoreFull).
func storeLimit(used, free, size int64) int64 {
	return max(used+free-storeReserve(size), used, minStoreLimit)
}

// dirUsage returns the bytes of the regular files under dir (0 when it does not exist).
func dirUsage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// Usage is what the store's JetStream account holds, and its storage limit.
type Usage struct {
	// Used is the bytes stored (every stream of the account: events and documents).
	Used int64
	// Limit is the storage limit in bytes: the embedded server's (StorageLimit) or, on a
	// cluster, the account's; 0 when there is none the store knows of.
	Limit int64
	// DiskFree is the free space of the embedded store's file system, in bytes, 0 when it
	// is full (as a user other than root sees it once only the reserved blocks are left);
	// -1 when not known, or on an external server. When it is less than Limit-Used, the
	// disk will fill before the limit is reached: other programs used the space after the
	// store started.
	DiskFree int64
}

// Usage asks JetStream what the store holds and its limit.
func (s *Store) Usage(ctx context.Context) (Usage, error) {
	ai, err := s.js.AccountInfo(ctx)
	if err != nil {
		return Usage{}, fmt.Errorf("account info: %w", err)
	}
	u := Usage{Used: int64(ai.Store), Limit: s.limit, DiskFree: -1}
	if m := ai.Limits.MaxStore; m > 0 && (u.Limit == 0 || m < u.Limit) {
		u.Limit = m
	}
	if s.ns != nil {
		if free, _, err := s.opts.diskSpace(s.opts.dataDir); err == nil {
			u.DiskFree = free
		}
	}
	return u, nil
}

// accountLook is an external server's answer on the account's storage: its limit and
// what is used, and when it was given.
type accountLook struct {
	limit, used int64
	at          time.Time
}

// accountLookTimeout bounds roomForAtomic's request for the account's usage: only the
// JetStream meta leader answers it, and a request sent while none is elected is never
// answered. Waited out to the caller's deadline, it failed every atomic append sent in
// the seconds after the meta leader stopped (TestClusterAtomicAppendWithoutMetaLeader).
const accountLookTimeout = 2 * time.Second

// accountLookFresh is how long an answered look stands in for one left unanswered.
const accountLookFresh = time.Minute

// lookAtAccount asks an external server for the account's storage limit and usage,
// waiting at most accountLookTimeout. Unanswered, it returns the last answer if it is
// younger than accountLookFresh: the margin of roomForAtomic covers what was stored
// since. ok is false when neither is to be had.
func (s *Store) lookAtAccount(ctx context.Context) (accountLook, bool) {
	actx, cancel := context.WithTimeout(ctx, min(accountLookTimeout, s.opts.clientTimeout))
	defer cancel()
	ai, err := s.js.AccountInfo(actx)
	if err == nil {
		look := accountLook{limit: ai.Limits.MaxStore, used: int64(ai.Store), at: time.Now()}
		s.account.Store(&look)
		return look, true
	}
	if last := s.account.Load(); last != nil && time.Since(last.at) < accountLookFresh {
		return *last, true
	}
	return accountLook{}, false
}

// atomicHeadroom is the room below the embedded server's storage limit that an atomic
// append leaves free: appends of other commands may be committed between its look at
// the usage and its own commit, and none of them is larger than a few kilobytes. A
// sixteenth of a smaller limit (a test's).
const atomicHeadroom = 256 << 10

// roomForAtomic refuses (ErrStoreFull) an atomic append whose messages would not all fit
// below the storage limit, less atomicHeadroom. nats-server checks the limit before each
// message of a batch it commits, not once for the batch, so that near the limit it stored
// the first message of a batch, refused the next and answered with the refusal: half a
// merger, or a unit's registration without its name claim, stored for good under a
// command told it had failed (TestFullStoreRefusesAnAtomicAppendWhole). The limit is the
// embedded server's (its own default when thidua could not read the disk), read in
// process; on an external server, the account's, read by a request, when it has one
// (TestExternalAccountLimitRefusesAnAtomicAppendWhole). An external server's own limit,
// without an account limit, is not known to a client: the README says so.
func (s *Store) roomForAtomic(ctx context.Context, msgs []*nats.Msg) error {
	var used, limit int64
	if s.ns != nil {
		acc := s.ns.GlobalAccount()
		if acc == nil {
			return nil
		}
		limit = s.limit
		if cfg := s.ns.JetStreamConfig(); limit <= 0 && cfg != nil {
			limit = cfg.MaxStore
		}
		used = int64(acc.JetStreamUsage().Store)
	} else {
		look, ok := s.lookAtAccount(ctx)
		if !ok {
			return nil // the append itself says what is wrong
		}
		limit, used = look.limit, look.used
	}
	if limit <= 0 {
		return nil
	}
	need := min(int64(atomicHeadroom), limit/16)
	for _, m := range msgs {
		need += int64(len(m.Subject) + len(m.Data) + 64) // 64: the stored record's own fields
		for k, vs := range m.Header {
			for _, v := range vs {
				need += int64(len(k) + len(v) + 4)
			}
		}
	}
	if used+need > limit {
		return fmt.Errorf("%w: an atomic append of %d messages needs %d bytes with its margin, and %d of the storage limit's %d are used",
			ErrStoreFull, len(msgs), need, used, limit)
	}
	return nil
}
