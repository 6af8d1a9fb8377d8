// Package estest gives tests a real embedded JetStream server, shared by a package's
// tests, and isolated stores on it (one stream and bucket per store).
package estest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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

// Connect returns a new in-process connection to the server. Its handshake may take up to
// 30 seconds: the client's default of 2 seconds was exceeded once under the race detector on
// two busy cores ("read pipe: i/o timeout").
func (s *Server) Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s.ns), nats.Timeout(30*time.Second))
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

// ReferenceDigests computes the stream's digest after each sequence from 1 to until, as
// the README defines it, from the messages JetStream returns one by one (not through
// eventstore's reading): the hex digest at sequence n is at index n, and index 0 holds the
// empty stream's. A sequence the stream does not hold keeps the digest before it.
func ReferenceDigests(tb testing.TB, st *eventstore.Store, until uint64) []string {
	tb.Helper()
	ctx := context.Background()
	stream, err := st.JetStream().Stream(ctx, st.StreamName())
	if err != nil {
		tb.Fatalf("stream: %v", err)
	}
	sum := make([]byte, sha256.Size)
	out := []string{hex.EncodeToString(sum)}
	for seq := uint64(1); seq <= until; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			tb.Fatalf("message %d: %v", seq, err)
		default:
			h := sha256.New()
			h.Write(sum)
			_ = binary.Write(h, binary.BigEndian, seq)
			_ = binary.Write(h, binary.BigEndian, uint32(len(msg.Subject)))
			h.Write([]byte(msg.Subject))
			body := sha256.Sum256(msg.Data)
			h.Write(body[:])
			sum = h.Sum(nil)
		}
		out = append(out, hex.EncodeToString(sum))
	}
	return out
}
