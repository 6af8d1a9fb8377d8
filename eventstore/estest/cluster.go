package estest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"thidua/eventstore"
)

// loopback is the only address a test cluster listens on.
const loopback = "127.0.0.1"

// globalAccount is the account of clients that connect without credentials.
const globalAccount = "$G"

// clusterReadyTimeout bounds how long StartCluster and RestartServer wait for the
// cluster to form and elect a JetStream meta leader.
const clusterReadyTimeout = 30 * time.Second

// Cluster is a JetStream cluster of in-process nats-servers, for tests of replication and
// leader failover. Every listener (clients and routes) is bound to 127.0.0.1 on a port
// chosen when the cluster starts and kept across restarts. It is safe for concurrent use.
type Cluster struct {
	name        string
	dir         string
	clientPorts []int
	routePorts  []int

	mu      sync.Mutex
	servers []*server.Server // nil while a server is stopped

	next atomic.Int64
}

// StartCluster starts n nats-servers with JetStream that form one cluster, and waits
// until the cluster has a JetStream meta leader that knows all n peers. Call Shutdown
// when done.
func StartCluster(n int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("cluster of %d servers", n)
	}
	var lastErr error
	// Start over with fresh ports and stores when a start fails: a free port found by
	// binding and closing may be taken by someone else before the server binds it again,
	// and the first meta leader election may split its votes, after which the next one
	// comes only after an election timeout (4-9 s) — a new cluster is quicker.
	// A cluster that forms does so within a second, even on a busy machine.
	for attempt, wait := range []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, clusterReadyTimeout} {
		c, err := startCluster(n, wait)
		if err == nil {
			return c, nil
		}
		lastErr = fmt.Errorf("attempt %d: %w", attempt+1, err)
	}
	return nil, lastErr
}

func startCluster(n int, readyTimeout time.Duration) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "thidua-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		name:        "thidua-" + filepath.Base(dir)[len("thidua-cluster-"):],
		dir:         dir,
		clientPorts: ports[:n],
		routePorts:  ports[n:],
		servers:     make([]*server.Server, n),
	}
	// Start the servers one after the other, each once the previous ones listen: its
	// routes then connect at the first try, and the JetStream meta group's early campaign
	// reaches every peer instead of waiting out an election timeout (4-9 s).
	for i := 0; i < n; i++ {
		ns, err := c.newServer(i)
		if err != nil {
			c.Shutdown()
			return nil, err
		}
		go ns.Start()
		c.servers[i] = ns
		if !ns.ReadyForConnections(10 * time.Second) {
			c.Shutdown()
			return nil, fmt.Errorf("cluster server %d not ready for connections", i)
		}
	}
	if err := c.waitReady(n, readyTimeout); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// freePorts finds n distinct free TCP ports on the loopback interface.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// options builds the configuration of server i (the same on every restart).
func (c *Cluster) options(i int) *server.Options {
	routes := make([]string, len(c.routePorts))
	for j, p := range c.routePorts {
		routes[j] = fmt.Sprintf("nats-route://%s:%d", loopback, p)
	}
	return &server.Options{
		ServerName: fmt.Sprintf("%s-s%d", c.name, i),
		Host:       loopback,
		Port:       c.clientPorts[i],
		Cluster: server.ClusterOpts{
			Name: c.name,
			Host: loopback,
			Port: c.routePorts[i],
		},
		Routes:             server.RoutesFromStr(strings.Join(routes, ",")),
		JetStream:          true,
		StoreDir:           filepath.Join(c.dir, fmt.Sprintf("s%d", i)),
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
		NoLog:              true,
		NoSigs:             true,
	}
}

func (c *Cluster) newServer(i int) (*server.Server, error) {
	ns, err := server.NewServer(c.options(i))
	if err != nil {
		return nil, fmt.Errorf("cluster server %d: %w", i, err)
	}
	return ns, nil
}

// running returns the servers that are up, with their indexes.
func (c *Cluster) running() map[int]*server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]*server.Server, len(c.servers))
	for i, ns := range c.servers {
		if ns != nil && ns.Running() {
			out[i] = ns
		}
	}
	return out
}

// waitReady waits until a running server is the JetStream meta leader and knows at least
// peers peers, and every running server has JetStream current.
func (c *Cluster) waitReady(peers int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.metaReady(peers) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("cluster %s: no JetStream meta leader with %d peers within %s", c.name, peers, timeout)
}

func (c *Cluster) metaReady(peers int) bool {
	up := c.running()
	var leader *server.Server
	for _, ns := range up {
		if ns.JetStreamIsLeader() {
			leader = ns
		}
	}
	if leader == nil || len(leader.JetStreamClusterPeers()) < peers {
		return false
	}
	for _, ns := range up {
		if !ns.JetStreamIsCurrent() {
			return false
		}
	}
	return true
}

// Size returns the number of servers in the cluster, running or stopped.
func (c *Cluster) Size() int { return len(c.clientPorts) }

// URL returns the client URL of server i.
func (c *Cluster) URL(i int) string {
	return fmt.Sprintf("nats://%s:%d", loopback, c.clientPorts[i])
}

// URLs returns the client URLs of all servers, comma-separated, as nats.Connect takes them.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.clientPorts))
	for i := range c.clientPorts {
		urls[i] = c.URL(i)
	}
	return strings.Join(urls, ",")
}

// connOptions are the options of test connections: reconnect forever, quickly, and fail
// pending requests fast enough for a leader failover to be measurable.
func connOptions() []nats.Option {
	return []nats.Option{
		nats.Name("thidua-test"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond),
		nats.ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		nats.Timeout(2 * time.Second),
	}
}

// Connect returns a connection to the cluster (any server, failing over to the others);
// it is closed when the test ends.
func (c *Cluster) Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(c.URLs(), connOptions()...)
	if err != nil {
		tb.Fatalf("connect to cluster: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// ConnectTo returns a connection to server i first (failing over to the others only if
// it goes away); it is closed when the test ends.
func (c *Cluster) ConnectTo(tb testing.TB, i int) *nats.Conn {
	tb.Helper()
	urls := []string{c.URL(i)}
	for j := range c.clientPorts {
		if j != i {
			urls = append(urls, c.URL(j))
		}
	}
	opts := append(connOptions(), nats.DontRandomize())
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		tb.Fatalf("connect to cluster server %d: %v", i, err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Open opens a store with three replicas (or as many as the cluster has servers) on its
// own stream, subject prefix and document bucket, connected to any server.
func (c *Cluster) Open(tb testing.TB, opts ...eventstore.Option) *eventstore.Store {
	tb.Helper()
	return c.open(tb, c.Connect(tb), opts)
}

// OpenOn is Open with the store's connection made to server i.
func (c *Cluster) OpenOn(tb testing.TB, i int, opts ...eventstore.Option) *eventstore.Store {
	tb.Helper()
	return c.open(tb, c.ConnectTo(tb, i), opts)
}

func (c *Cluster) open(tb testing.TB, nc *nats.Conn, opts []eventstore.Option) *eventstore.Store {
	tb.Helper()
	n := c.next.Add(1)
	replicas := min(3, c.Size())
	base := []eventstore.Option{
		eventstore.WithConnection(nc),
		eventstore.WithReplicas(replicas),
		eventstore.WithStream(fmt.Sprintf("C%d", n), fmt.Sprintf("c%d", n)),
		eventstore.WithDocumentBucket(fmt.Sprintf("docs-c%d", n)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterReadyTimeout)
	defer cancel()
	st, err := eventstore.Open(ctx, append(base, opts...)...)
	if err != nil {
		tb.Fatalf("open store on cluster: %v", err)
	}
	tb.Cleanup(st.Close)
	return st
}

// StreamLeader returns the index of the server that leads stream (in the global account),
// or -1 when no running server leads it.
func (c *Cluster) StreamLeader(stream string) int {
	for i, ns := range c.running() {
		if ns.JetStreamIsStreamLeader(globalAccount, stream) {
			return i
		}
	}
	return -1
}

// MetaLeader returns the index of the server that is the JetStream meta leader, the one
// that answers account requests, or -1 when no running server is.
func (c *Cluster) MetaLeader() int {
	for i, ns := range c.running() {
		if ns.JetStreamIsLeader() {
			return i
		}
	}
	return -1
}

// MoveStreamLeader asks stream's leader to step down in favour of server i (a leader
// stepdown with a preferred placement) and waits up to timeout until server i leads it.
func (c *Cluster) MoveStreamLeader(tb testing.TB, stream string, i int, timeout time.Duration) {
	tb.Helper()
	if c.StreamLeader(stream) == i {
		return
	}
	nc := c.Connect(tb)
	body := fmt.Sprintf(`{"placement":{"preferred":%q}}`, c.options(i).ServerName)
	deadline := time.Now().Add(timeout)
	for c.StreamLeader(stream) != i {
		if time.Now().After(deadline) {
			tb.Fatalf("stream %s: server %d does not lead it within %s", stream, i, timeout)
		}
		if _, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+stream, []byte(body), 2*time.Second); err != nil {
			tb.Logf("stepdown of %s: %v", stream, err)
		}
		for end := time.Now().Add(time.Second); time.Now().Before(end) && c.StreamLeader(stream) != i; {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// WaitStreamLeader waits up to timeout for a running server to lead stream and returns
// its index.
func (c *Cluster) WaitStreamLeader(stream string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if i := c.StreamLeader(stream); i >= 0 {
			return i, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("no leader for stream %s within %s", stream, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitStreamCurrent waits up to timeout until server i's replica of stream has caught up
// with the stream's leader.
func (c *Cluster) WaitStreamCurrent(i int, stream string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		ns := c.servers[i]
		c.mu.Unlock()
		if ns != nil && ns.JetStreamIsStreamCurrent(globalAccount, stream) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %d: stream %s not current within %s", i, stream, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// StopServer shuts server i down (as an operator would stop the process) and waits until
// it is gone. Its store stays on disk for RestartServer.
func (c *Cluster) StopServer(i int) {
	c.mu.Lock()
	ns := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
}

// RestartServer starts server i again, with its old ports and store, and waits until it
// has rejoined the cluster (meta leader known, JetStream current).
func (c *Cluster) RestartServer(i int) error {
	c.mu.Lock()
	if c.servers[i] != nil {
		c.mu.Unlock()
		return fmt.Errorf("cluster server %d is running", i)
	}
	c.mu.Unlock()
	ns, err := c.newServer(i)
	if err != nil {
		return err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return fmt.Errorf("cluster server %d not ready for connections after restart", i)
	}
	c.mu.Lock()
	c.servers[i] = ns
	c.mu.Unlock()
	return c.waitReady(c.Size(), clusterReadyTimeout)
}

// Shutdown stops every server and removes their stores.
func (c *Cluster) Shutdown() {
	c.mu.Lock()
	servers := c.servers
	c.servers = make([]*server.Server, len(servers))
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, ns := range servers {
		if ns == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
	}
	wg.Wait()
	if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "estest: remove %s: %v\n", c.dir, err)
	}
}
