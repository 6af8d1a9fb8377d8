package eventstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccountLookFallsBackToTheLastAnswer: on an external server, an atomic append's look
// at the account's usage that is not answered (no meta leader: the request is answered by
// none) stands on the last answer while it is under a minute old, so that a store the
// last answer saw full still refuses a batch whole; with no answer, or only an old one,
// the append goes on and the server's own refusal speaks (a review finding: the test of
// the bounded look never reached its fallback).
func TestAccountLookFallsBackToTheLastAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	conf := filepath.Join(dir, "server.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `
jetstream { store_dir: %q, max_memory_store: 64MB, max_file_store: 256MB }
accounts { APP: { jetstream: { max_memory: 8MB, max_file: 4MB }, users: [ { user: app, password: app } ] } }
no_auth_user: app
`, filepath.Join(dir, "js")), 0o600))
	opts, err := server.ProcessConfigFile(conf)
	require.NoError(t, err)
	opts.DontListen, opts.NoLog, opts.NoSigs = true, true, true
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	require.True(t, ns.ReadyForConnections(20*time.Second))
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Timeout(30*time.Second))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	s, err := Open(ctx, WithConnection(nc))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.Nil(t, s.ns, "an external server")

	unanswered, cancel := context.WithCancel(ctx)
	cancel() // a look that gets no answer
	_, ok := s.lookAtAccount(unanswered)
	assert.False(t, ok, "no answer yet, and none before")

	look, ok := s.lookAtAccount(ctx)
	require.True(t, ok)
	assert.Equal(t, int64(4<<20), look.limit)
	again, ok := s.lookAtAccount(unanswered)
	require.True(t, ok, "the last answer stands in")
	assert.Equal(t, look.limit, again.limit)
	assert.Equal(t, look.used, again.used)

	msgs := []*nats.Msg{{Subject: "thidua.unit.X", Data: make([]byte, 1000)}, {Subject: "thidua.unit.Y", Data: make([]byte, 1000)}}
	s.account.Store(&accountLook{limit: 4 << 20, used: 4<<20 - 2000, at: time.Now()})
	err = s.roomForAtomic(unanswered, msgs)
	assert.True(t, errors.Is(err, ErrStoreFull), "full by the last answer: %v", err)
	s.account.Store(&accountLook{limit: 4 << 20, used: 4<<20 - 2000, at: time.Now().Add(-2 * accountLookFresh)})
	assert.NoError(t, s.roomForAtomic(unanswered, msgs), "an answer too old says nothing")
	s.account.Store(&accountLook{limit: 4 << 20, used: 0, at: time.Now()})
	assert.NoError(t, s.roomForAtomic(unanswered, msgs), "room by the last answer")
}
