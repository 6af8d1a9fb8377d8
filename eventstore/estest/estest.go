// Package estest gives tests a real embedded JetStream server, shared by a package's
// tests, and isolated stores on it (one stream and bucket per store).
package estest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"thidua/eventstore"
)

// Server is an embedded nats-server with JetStream, for tests.
type Server struct {
	ns   *server.Server
	dir  string
	next atomic.Int64
}

// Start starts an embedded server with its store in a temporary directory. Call Shutdown
// when the package's tests are done (typically in TestMain).
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "thidua-test-")
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(&server.Options{
		JetStream: true, StoreDir: dir, DontListen: true, NoLog: true, NoSigs: true,
		JetStreamMaxMemory: 64 << 20,
	})
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		return nil, fmt.Errorf("test server not ready")
	}
	return &Server{ns: ns, dir: dir}, nil
}

// Shutdown stops the server and removes its directory.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	_ = os.RemoveAll(s.dir)
}

// Connect returns a new in-process connection to the server.
func (s *Server) Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s.ns))
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Open opens a store on its own stream, subject prefix and document bucket, so that tests
// sharing the server do not see each other's events.
func (s *Server) Open(tb testing.TB, opts ...eventstore.Option) *eventstore.Store {
	tb.Helper()
	n := s.next.Add(1)
	name := strings.ToUpper(fmt.Sprintf("T%d", n))
	base := []eventstore.Option{
		eventstore.WithConnection(s.Connect(tb)),
		eventstore.WithStream(name, fmt.Sprintf("t%d", n)),
		eventstore.WithDocumentBucket(fmt.Sprintf("docs-t%d", n)),
	}
	st, err := eventstore.Open(context.Background(), append(base, opts...)...)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(st.Close)
	return st
}
