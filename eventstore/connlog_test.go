package eventstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// syncBuffer is a log's buffer written from the store's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConnectionLossIsLogged: a store on an external server says in its log when the
// connection is lost and when it is back. Before, nothing was said: with reconnection on,
// the client goes to RECONNECTING, never DISCONNECTED, which was all the watch looked for.
func TestConnectionLossIsLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := &server.Options{JetStream: true, StoreDir: dir, Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	opts.Port = ns.Addr().(*net.TCPAddr).Port // the same port again at the restart

	var logs syncBuffer
	st, err := eventstore.Open(context.Background(), eventstore.WithURL("nats://"+ns.Addr().String()),
		eventstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	defer st.Close()

	ns.Shutdown()
	ns.WaitForShutdown()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "lost the connection to NATS") }, 10*time.Second, 20*time.Millisecond, logs.String())

	ns, err = server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "connection to NATS restored") }, 10*time.Second, 20*time.Millisecond, logs.String())
}
