package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/semaphore"
)

// ErrMisconfigured is returned (wrapped) when an existing stream or bucket has settings
// that would break the store's guarantees.
var ErrMisconfigured = errors.New("stream misconfigured")

// ErrNoStore is returned (wrapped) by Open with WithExistingOnly when there is no store to
// open: no data directory with a JetStream store in it, or no stream on the server.
var ErrNoStore = errors.New("no event store")

// Store is the event store. It is safe for concurrent use.
type Store struct {
	opts  options
	ns    *server.Server
	lock  *dirLock // the data directory's, with the embedded server
	limit int64    // the embedded server's storage limit (0: its default, or external)
	// failed is why the embedded server can no longer store anything (nil: it can).
	failed atomic.Pointer[string]
	// down is closed when failed is set: a write waiting for an answer stops waiting.
	down     chan struct{}
	nc       *nats.Conn
	ownConn  bool
	js       jetstream.JetStream
	stream   jetstream.Stream
	docs     jetstream.ObjectStore
	registry *Registry
	log      *slog.Logger
	watch    *connWatch
	// strings interns the short strings of decoded envelopes (wire.go).
	strings *Interner
	// signOuts is the web UI's sign-out bucket (sessions.go).
	signOuts signOuts
	// batchNoMsgIDUntil is when atomic batches may carry a message id again (Unix
	// nanoseconds; 0: now), set when the server refused one (a server before
	// deduplication in batches, nats-server 2.12.0): batches go without one until then
	// (publishAtomic), and try again after, for a cluster upgraded meanwhile.
	batchNoMsgIDUntil atomic.Int64
	// account is the external server's last answered account usage and limit
	// (roomForAtomic), used while the meta leader that answers for it is being elected.
	account atomic.Pointer[accountLook]
	// docReads bounds the document reads in flight (GetDocument): each holds a whole
	// document in memory, and many at once would share the disk so that each missed the
	// time its size allows, and be named corrupt.
	docReads chan struct{}
	// docWrites serialises the stores of one document's bytes in this process, striped by
	// the SHA-256's first byte (PutDocument).
	docWrites [docWriteStripes]sync.Mutex
	// docPuts bounds the bytes of documents being written at once: the client library
	// publishes a document's chunks without waiting, and a server takes at most
	// 128 MiB queued for a stream (max_buffered_size), refusing the rest as "too many
	// requests" (a review measured eight uploads of 32 MiB at once: most were answered
	// 503 store_unavailable on a busy host).
	docPuts *semaphore.Weighted
}

// DefaultDocumentWriteBytes is the most bytes of documents written at once (Store.docPuts):
// half a server's default ingest queue, the other half left to the events.
const DefaultDocumentWriteBytes = 64 << 20

// docWriteStripes is how many locks serialise document stores (Store.docWrites).
const docWriteStripes = 64

// maxDocumentReads is the most document reads in flight at once (Store.docReads).
const maxDocumentReads = 4

// Open starts (or connects to) NATS, and creates or checks the stream and the document
// bucket. Without WithURL it runs an embedded server under WithDataDir ("./data"). With
// WithURL or WithConnection it first waits, up to 30 seconds (or ctx's deadline), for
// JetStream to answer: a cluster that has just started or lost nodes may still be
// electing its meta leader.
func Open(ctx context.Context, opts ...Option) (*Store, error) {
	o := options{
		dataDir:       "./data",
		replicas:      1,
		syncAlways:    true,
		stream:        DefaultStream,
		prefix:        DefaultSubjectPrefix,
		bucket:        DefaultDocumentBucket,
		maxDoc:        DefaultMaxDocumentSize,
		clock:         time.Now,
		logger:        slog.Default(),
		duplicates:    DefaultDuplicateWindow,
		clientTimeout: 10 * time.Second,
		diskSpace:     fsSpace,
		canWrite:      writable,
		docWriteBytes: DefaultDocumentWriteBytes,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.registry == nil {
		o.registry = NewRegistry()
	}
	s := &Store{opts: o, registry: o.registry, log: o.logger, strings: &Interner{}, docReads: make(chan struct{}, maxDocumentReads),
		docPuts: semaphore.NewWeighted(o.docWriteBytes), down: make(chan struct{})}
	var err error
	switch {
	case len(o.natsOpts) > 0 && o.natsOpts[len(o.natsOpts)-1].conn != nil:
		s.nc = o.natsOpts[len(o.natsOpts)-1].conn
	case o.url != "":
		s.nc, err = nats.Connect(o.url, nats.Name("thidua"), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", o.url, err)
		}
		s.ownConn = true
	default:
		s.ns, s.lock, s.limit, err = startEmbedded(o.dataDir, &o, func(msg string) {
			if s.failed.CompareAndSwap(nil, &msg) {
				close(s.down)
			}
		})
		if err != nil {
			return nil, err
		}
		// The in-process handshake has no network to wait for, only a busy machine: give it
		// longer than the client's default of 2 seconds, which a loaded host can exceed.
		s.nc, err = nats.Connect("", nats.InProcessServer(s.ns), nats.Name("thidua"), nats.Timeout(10*time.Second))
		if err != nil {
			s.ns.Shutdown()
			s.ns.WaitForShutdown()
			s.lock.release()
			return nil, fmt.Errorf("connect in-process: %w", err)
		}
		s.ownConn = true
	}
	s.js, err = jetstream.New(s.nc, jetstream.WithDefaultTimeout(o.clientTimeout))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s.startConnWatch()
	if s.ns != nil {
		err = s.setup(ctx)
	} else {
		err = s.setupExternal(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// streamConfig is the configuration the store requires.
func (s *Store) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               s.opts.stream,
		Description:        "thidua events: immutable, one subject per aggregate",
		Subjects:           []string{s.opts.prefix + ".>"},
		Retention:          jetstream.LimitsPolicy,
		Storage:            jetstream.FileStorage,
		Replicas:           s.opts.replicas,
		Discard:            jetstream.DiscardNew,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		Duplicates:         s.opts.duplicates,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		AllowRollup:        false,
	}
}

// setup creates the stream and bucket when missing and checks them when present.
func (s *Store) setup(ctx context.Context) error {
	want := s.streamConfig()
	st, err := s.js.Stream(ctx, want.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound) && s.opts.existingOnly:
		return fmt.Errorf("%w: the server has no stream %s", ErrNoStore, want.Name)
	case errors.Is(err, jetstream.ErrStreamNotFound) && s.opts.restoring:
		cfg := want
		cfg.DenyDelete = false
		if st, err = s.js.CreateStream(ctx, cfg); err != nil {
			return fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		want = cfg
	case s.opts.restoring:
		return fmt.Errorf("%w: stream %s exists already; an archive is restored into a new store", ErrRestoreTarget, want.Name)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		st, err = s.js.CreateStream(ctx, want)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		if err != nil {
			st, err = s.js.Stream(ctx, want.Name)
		}
		if err != nil {
			return fmt.Errorf("stream %s: %w", want.Name, err)
		}
	case err != nil:
		return fmt.Errorf("stream %s: %w", want.Name, err)
	}
	if err := checkStream(st.CachedInfo().Config, want); err != nil && !s.opts.restoring {
		return err
	}
	// Replicas only ever grow here: a process started on a cluster without --replicas
	// must not scale the stream, or the bucket below, down.
	if have := st.CachedInfo().Config; have.Replicas < want.Replicas {
		cfg := have
		cfg.Replicas = want.Replicas
		if st, err = s.js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: raising replicas from %d to %d: %w", want.Name, have.Replicas, want.Replicas, err)
		}
		s.log.Info("eventstore: stream replicas raised", "stream", want.Name, "from", have.Replicas, "to", want.Replicas)
	}
	s.stream = st

	docs, err := s.documentBucket(ctx)
	if err != nil {
		return fmt.Errorf("document bucket %s: %w", s.opts.bucket, err)
	}
	s.docs = docs
	return nil
}

// documentBucket opens the document bucket, creating it when missing. It looks before it
// creates: concurrent create-or-update calls from processes starting together on a
// cluster can stall until their timeout, a plain look or create does not.
func (s *Store) documentBucket(ctx context.Context) (jetstream.ObjectStore, error) {
	cfg := jetstream.ObjectStoreConfig{
		Bucket:      s.opts.bucket,
		Description: "thidua dossier documents, named by SHA-256",
		Storage:     jetstream.FileStorage,
		Replicas:    s.opts.replicas,
	}
	// Another process may be creating the bucket at this moment: until its stream is
	// complete, looks and creates may answer "not found" or "already exists" for a few
	// milliseconds. Those answers are tried again, briefly.
	notFound := func(err error) bool {
		return errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound)
	}
	var docs jetstream.ObjectStore
	var status jetstream.ObjectStoreStatus
	var err error
	for i := 0; ; i++ {
		docs, err = s.js.ObjectStore(ctx, cfg.Bucket)
		if notFound(err) {
			docs, err = s.js.CreateObjectStore(ctx, cfg)
		}
		if err == nil {
			status, err = docs.Status(ctx)
		}
		if err == nil || i >= 40 || ctx.Err() != nil || (!notFound(err) && !errors.Is(err, jetstream.ErrBucketExists) &&
			!errors.Is(err, jetstream.ErrStreamNameAlreadyInUse)) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	if have := status.Replicas(); have < cfg.Replicas {
		if docs, err = s.js.UpdateObjectStore(ctx, cfg); err != nil {
			return nil, fmt.Errorf("raising replicas from %d to %d: %w", have, cfg.Replicas, err)
		}
		s.log.Info("eventstore: document bucket replicas raised", "bucket", cfg.Bucket, "from", have, "to", cfg.Replicas)
	}
	return docs, nil
}

// checkStream reports every setting of have that breaks a guarantee of want.
func checkStream(have, want jetstream.StreamConfig) error {
	var bad []string
	if !have.DenyDelete {
		bad = append(bad, "deny_delete must be true")
	}
	if !have.DenyPurge {
		bad = append(bad, "deny_purge must be true")
	}
	if !have.AllowAtomicPublish {
		bad = append(bad, "allow_atomic must be true")
	}
	if !have.AllowDirect {
		bad = append(bad, "allow_direct must be true")
	}
	if have.MaxAge != 0 || have.MaxMsgs > 0 || have.MaxBytes > 0 || have.MaxMsgsPerSubject > 0 {
		bad = append(bad, "no limits may discard events (max_age, max_msgs, max_bytes, max_msgs_per_subject)")
	}
	if have.Retention != jetstream.LimitsPolicy {
		bad = append(bad, "retention must be limits")
	}
	if !slices.Contains(have.Subjects, want.Subjects[0]) {
		bad = append(bad, fmt.Sprintf("subjects must include %q", want.Subjects[0]))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: stream %s: %s", ErrMisconfigured, want.Name, strings.Join(bad, "; "))
	}
	return nil
}

// Close closes the connection and shuts the embedded server down cleanly.
func (s *Store) Close() {
	s.stopConnWatch()
	if s.nc != nil && s.ownConn {
		_ = s.nc.Drain()
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	s.lock.release() // only once the embedded server has stopped writing
}

// StorageLimit returns the embedded server's storage limit in bytes, set when the store
// opened (WithStorageLimit, or computed: what the store holds plus the file system's free
// space, less a reserve); 0 for an external server, or where the platform does not tell
// the file system's free space (the server's own default then applies).
func (s *Store) StorageLimit() int64 { return s.limit }

// Subject returns the subject of an aggregate, after validating its tokens.
func (s *Store) Subject(ref Ref) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", err
	}
	return s.opts.prefix + "." + ref.Kind + "." + ref.ID, nil
}

// refFromSubject parses prefix.kind.id.
func (s *Store) refFromSubject(subject string) (Ref, bool) {
	rest, ok := strings.CutPrefix(subject, s.opts.prefix+".")
	if !ok {
		return Ref{}, false
	}
	kind, id, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(id, ".") {
		return Ref{}, false
	}
	return Ref{Kind: kind, ID: id}, true
}

// JetStream returns the JetStream context, for benchmarks and operator tools.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// DocumentBucket returns the name of the object store bucket that holds the documents.
func (s *Store) DocumentBucket() string { return s.opts.bucket }

// Conn returns the NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// StreamName returns the event stream's name.
func (s *Store) StreamName() string { return s.opts.stream }

// SubjectPrefix returns the first token of every event subject.
func (s *Store) SubjectPrefix() string { return s.opts.prefix }

// Registry returns the registry of event types.
func (s *Store) Registry() *Registry { return s.registry }

// Now returns the store clock's current time.
func (s *Store) Now() time.Time { return s.opts.clock() }

// Embedded reports whether the store runs its own in-process server.
func (s *Store) Embedded() bool { return s.ns != nil }

// LastSeq returns the stream's last sequence (0 when empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// LastStored returns the stream's last sequence and the last one of them that holds a
// message (both 0 when empty). They differ when the messages at the stream's end were
// lost on disk: nats-server drops a message it finds damaged as it starts (a write torn
// by a power cut), and still counts its sequence as the stream's last. A reader waiting
// for that sequence would wait for good; the sequences after stored are lost, as a gap
// in the middle is.
func (s *Store) LastStored(ctx context.Context) (stored, last uint64, err error) {
	if last, err = s.LastSeq(ctx); err != nil {
		return 0, 0, err
	}
	stored, err = s.storedUpTo(ctx, last)
	return stored, last, err
}

// StoredUpTo returns the last sequence at or before seq that holds a message (0: none),
// walking back over messages lost on disk, one direct get each. On a replicated stream
// it returns seq: a replica's "not found" there is no loss.
func (s *Store) StoredUpTo(ctx context.Context, seq uint64) (uint64, error) {
	return s.storedUpTo(ctx, seq)
}

// storedUpTo returns the last sequence at or before seq that holds a message (0: none).
// It is seq itself but for messages lost at the stream's end (LastStored), which it walks
// back over, one direct get each.
func (s *Store) storedUpTo(ctx context.Context, seq uint64) (uint64, error) {
	if info := s.stream.CachedInfo(); info == nil || info.Config.Replicas > 1 {
		// A replicated stream's direct get may be answered by a replica that has not
		// stored the newest messages yet: its "not found" is no loss. (A replica that
		// lost a message on disk gets it again from the others: the loss this guards
		// against is a single server's.)
		return seq, nil
	}
	for ; seq > 0; seq-- {
		_, err := s.stream.GetMsg(ctx, seq)
		if err == nil {
			return seq, nil
		}
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return 0, fmt.Errorf("get message %d: %w", seq, err)
		}
	}
	return 0, nil
}

// StoredBytes returns the size of the stream's stored messages.
func (s *Store) StoredBytes(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.Bytes, nil
}

// ErrStoreDown is matched (errors.Is) when the embedded server can no longer store
// anything until the process restarts: its disk refused a write (it filled up past the
// reserve, used by something else), and nats-server keeps the stream in that state.
// Writes then fail at once with it, instead of waiting for an answer that never comes.
var ErrStoreDown = errors.New("event store down")

// Failed returns why the store can no longer write until the process restarts (wrapping
// ErrStoreDown), or nil.
func (s *Store) Failed() error {
	if msg := s.failed.Load(); msg != nil {
		return fmt.Errorf("%w: the embedded server can no longer write (%s); make room on its disk and restart thidua", ErrStoreDown, *msg)
	}
	return nil
}

// Healthy reports whether the connection and the stream answer, and the store can write
// (Failed).
func (s *Store) Healthy(ctx context.Context) error {
	if err := s.Failed(); err != nil {
		return err
	}
	if !s.nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	_, err := s.LastSeq(ctx)
	return err
}
