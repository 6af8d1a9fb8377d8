package eventstore

import (
	"log/slog"
	"time"
)

// DefaultStream is the name of thidua's event stream.
const DefaultStream = "THIDUA"

// DefaultSubjectPrefix is the first token of every event subject.
const DefaultSubjectPrefix = "thidua"

// DefaultDocumentBucket is the name of the object store that holds dossier files.
const DefaultDocumentBucket = "thidua-documents"

// DefaultMaxDocumentSize is the largest document accepted: 32 MiB.
const DefaultMaxDocumentSize = 32 << 20

// DefaultDuplicateWindow is the stream's de-duplication window: JetStream remembers the
// id of every message stored within it (WithDuplicateWindow).
const DefaultDuplicateWindow = 2 * time.Minute

type options struct {
	existingOnly  bool
	readOnly      bool
	dataDir       string
	url           string
	natsOpts      []natsOption
	replicas      int
	syncAlways    bool
	stream        string
	prefix        string
	bucket        string
	maxDoc        int64
	registry      *Registry
	clock         func() time.Time
	logger        *slog.Logger
	duplicates    time.Duration
	serverName    string
	clientTimeout time.Duration
	// diskSpace reports a file system's free bytes and size (fsSpace; tests fake it).
	diskSpace func(dir string) (free, size int64, err error)
	// canWrite reports why a directory cannot be written, if it cannot (writable; tests
	// fake a read-only one).
	canWrite func(dir string) error
	// storageLimit, when positive, is the embedded server's storage limit (WithStorageLimit).
	storageLimit int64
	// docWriteBytes bounds the bytes of documents being written at once (Store.docPuts;
	// tests lower it).
	docWriteBytes int64
	// restoring makes the stream of a new store without deny_delete, so that the runs of
	// sequences an archive lacks are made again as runs lost (RestoreArchive, which
	// denies deletion again before anything else opens the store).
	restoring bool
}

// Option configures Open.
type Option func(*options)

// WithDataDir runs an embedded nats-server whose JetStream store lives under dir. It is the default, with dir "./data".
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithStorageLimit sets the embedded server's storage limit, in bytes, instead of the one
// computed from the file system (see Store.StorageLimit): for a store that must leave
// room to others on its disk. A write past it fails with ErrStoreFull.
func WithStorageLimit(bytes int64) Option { return func(o *options) { o.storageLimit = bytes } }

// WithExistingOnly opens only a store that exists, creating nothing: Open fails with
// ErrNoStore when the data directory holds no JetStream store (or the server no stream).
// The commands that read a store use it, so that a mistyped directory is an error rather
// than a new, empty store that verifies.
func WithExistingOnly() Option { return func(o *options) { o.existingOnly = true } }

// WithReadOnly says the opener only reads (it implies WithExistingOnly): an embedded
// store in a data directory it cannot write is read from a temporary copy, removed when
// the store closes, since JetStream writes to its store even to read it.
func WithReadOnly() Option { return func(o *options) { o.existingOnly, o.readOnly = true, true } }

// WithURL connects to an external NATS server or cluster (comma-separated URLs) instead of an embedded one.
func WithURL(url string) Option { return func(o *options) { o.url = url } }

// WithReplicas sets the replica count of the stream and the object store (1 embedded, 3 for a cluster).
func WithReplicas(n int) Option { return func(o *options) { o.replicas = n } }

// WithSyncAlways makes the embedded server fsync every write before it acknowledges it
// (the default: an acknowledged event survives a crash of the machine). With false the
// server syncs every two minutes, as nats-server does by default.
func WithSyncAlways(on bool) Option { return func(o *options) { o.syncAlways = on } }

// WithStream sets the stream name and subject prefix, so tests can share one server.
func WithStream(name, subjectPrefix string) Option {
	return func(o *options) { o.stream, o.prefix = name, subjectPrefix }
}

// WithDocumentBucket sets the object store bucket for documents.
func WithDocumentBucket(name string) Option { return func(o *options) { o.bucket = name } }

// WithMaxDocumentSize sets the largest document, in bytes, that PutDocument accepts.
func WithMaxDocumentSize(n int64) Option { return func(o *options) { o.maxDoc = n } }

// WithRegistry sets the registry of event types used to stamp schema versions and upcast on read.
func WithRegistry(r *Registry) Option { return func(o *options) { o.registry = r } }

// WithClock sets the clock that stamps RecordedAt (tests and the deterministic demo use a fixed one).
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDuplicateWindow sets the stream's de-duplication window (default
// DefaultDuplicateWindow).
func WithDuplicateWindow(d time.Duration) Option { return func(o *options) { o.duplicates = d } }

// WithServerName names the embedded server (useful in logs).
func WithServerName(name string) Option { return func(o *options) { o.serverName = name } }

// WithConnection uses an existing NATS connection (for example to a test cluster); the
// store does not close it.
func WithConnection(nc natsConn) Option {
	return func(o *options) { o.natsOpts = append(o.natsOpts, natsOption{conn: nc}) }
}

// WithTimeout sets the timeout of JetStream API requests (default 10s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.clientTimeout = d } }
