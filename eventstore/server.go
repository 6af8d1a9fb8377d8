package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsConn is an existing connection handed to WithConnection.
type natsConn = *nats.Conn

type natsOption struct{ conn *nats.Conn }

// startEmbedded starts an in-process nats-server with JetStream under dir, once it holds
// the directory's lock (lockDataDir), which it returns with the storage limit it set
// (storeLimit; 0 when the file system's space is unknown). failed hears of a write error
// that leaves the store unable to write until a restart (serverLog). It opens no network
// listener at all: the only client is this process, connected in-process.
func startEmbedded(dir string, o *options, failed func(string)) (*server.Server, *dirLock, int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("data dir: %w", err)
	}
	if o.existingOnly {
		if fi, err := os.Stat(filepath.Join(abs, "jetstream")); err != nil || !fi.IsDir() {
			return nil, nil, 0, fmt.Errorf("%w in %s: it holds no jetstream directory (is the data directory right? only serve creates a store)", ErrNoStore, abs)
		}
	}
	copied := ""
	if o.readOnly {
		if copied, err = readOnlyCopy(abs, o); err != nil {
			return nil, nil, 0, err
		}
		if copied != "" {
			abs = copied
		}
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, nil, 0, fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDataDir(abs)
	if err != nil {
		if copied != "" {
			os.RemoveAll(copied)
		}
		return nil, nil, 0, err
	}
	if copied != "" {
		lock.after = func() { os.RemoveAll(copied) }
	}
	storeDir := filepath.Join(abs, "jetstream")
	// JetStream needs to write there, reads included (its indexes): a directory it cannot
	// write made the server log the cause and never become ready, and the start waited 30 s
	// to say only that.
	for _, d := range []string{storeDir, filepath.Join(storeDir, "jetstream")} {
		if err := o.canWrite(d); err != nil {
			lock.release()
			return nil, nil, 0, fmt.Errorf("data dir: the store directory cannot be written (JetStream writes there, reads included): %w", err)
		}
	}
	limit := o.storageLimit
	if limit <= 0 {
		limit = 0
		if free, size, err := o.diskSpace(abs); err == nil {
			used, err := dirUsage(storeDir)
			if err != nil {
				lock.release()
				return nil, nil, 0, fmt.Errorf("data dir: %w", err)
			}
			limit = storeLimit(used, free, size)
			o.logger.Debug("embedded store", "dir", storeDir, "used_mib", used>>20, "free_mib", free>>20, "limit_mib", limit>>20)
		}
	}
	name := o.serverName
	if name == "" {
		name = "thidua-embedded"
	}
	sopts := &server.Options{
		ServerName:         name,
		JetStream:          true,
		StoreDir:           storeDir,
		DontListen:         true,
		NoSigs:             true,
		NoLog:              true,
		SyncAlways:         o.syncAlways,
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  limit,
	}
	// The bytes a stream queues before refusing more ("too many requests"): nats-server's
	// 128 MiB, or a document of the largest size and the writes of DefaultDocumentWriteBytes
	// beside it, whichever is more (a document's chunks are published without waiting).
	sopts.StreamMaxBufferedSize = max(128<<20, o.maxDoc+DefaultDocumentWriteBytes)
	ns, err := server.NewServer(sopts)
	if err != nil {
		lock.release()
		return nil, nil, 0, fmt.Errorf("embedded nats-server: %w", err)
	}
	ns.SetLoggerV2(serverLog{l: o.logger, failed: failed}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		lock.release()
		return nil, nil, 0, fmt.Errorf("embedded nats-server did not become ready within 30s")
	}
	return ns, lock, limit, nil
}

// readOnlyCopy copies the store of a data directory that this process cannot write into
// a new temporary directory, and returns that directory ("" when the data directory can
// be written, nothing copied). JetStream writes to its store even to read it (its
// indexes), and a read-only command (verify, explain, ranking, events, archive) must not
// fail on a read-only mount or an inspector's copy of the evidence, nor change it: the
// copy is read instead, and removed when the store closes. While it copies, it holds the
// data directory's lock when it can take one, so that no server starts writing it
// meanwhile; a server that holds it already is ErrDataDirInUse, as for any command.
func readOnlyCopy(abs string, o *options) (string, error) {
	storeDir := filepath.Join(abs, "jetstream")
	var cause error
	for _, d := range []string{abs, storeDir, filepath.Join(storeDir, "jetstream")} {
		if cause = o.canWrite(d); cause != nil {
			break
		}
	}
	if cause == nil {
		return "", nil
	}
	if d, err := os.Open(abs); err == nil {
		held, err := tryLock(d)
		if err == nil && !held {
			d.Close()
			return "", fmt.Errorf("%w: %s is open in another process (a thidua serve or command on the same --data); stop it first, or ask the running server over HTTP", ErrDataDirInUse, abs)
		}
		defer d.Close() // the lock, when taken, goes with it
	}
	sweepCopies(o.logger, time.Hour)
	tmp, err := os.MkdirTemp("", copyPrefix)
	if err != nil {
		return "", fmt.Errorf("data dir %s cannot be written (%v), and no copy of its store could be made to read: %w", abs, cause, err)
	}
	if err := os.CopyFS(filepath.Join(tmp, "jetstream"), os.DirFS(storeDir)); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("data dir %s cannot be written (%v), and its store could not be copied to %s to read: %w", abs, cause, tmp, err)
	}
	size, _ := dirUsage(tmp)
	o.logger.Warn("eventstore: the data directory cannot be written, and JetStream writes to its store even to read it: the store is read from a copy, removed when done; the data directory is left as it is",
		"dir", abs, "cause", cause, "copy", tmp, "copy_mib", size>>20)
	return tmp, nil
}

// copyPrefix begins the name of a read-only store's copy in the temporary directory.
const copyPrefix = "thidua-read-only-"

// sweepCopies removes the copies of read-only stores that a process killed before it
// closed its store left behind (a million events' copy is 1.5 GB): those older than age
// whose lock no process holds. A copy being made holds no lock yet; age spares it.
func sweepCopies(logger *slog.Logger, age time.Duration) {
	if !locksWork {
		return // a copy in use could not be told from one left behind
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), copyPrefix+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < age {
			continue
		}
		d, err := os.Open(dir)
		if err != nil {
			continue
		}
		if held, err := tryLock(d); err == nil && held {
			if err := os.RemoveAll(dir); err == nil {
				logger.Info("eventstore: removed a read-only store's copy left behind", "copy", dir)
			}
		}
		d.Close()
	}
}

// writable checks that a file can be made in dir, when dir exists.
func writable(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	f, err := os.CreateTemp(dir, ".thidua-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// serverLog passes the embedded nats-server's warnings and errors on to the store's
// logger, its notices at debug level, and drops its debug and trace lines. Without it
// they were lost, those saying that the disk is full among them.
//
// It also watches for the error that leaves a stream unable to store anything until the
// server restarts (a "critical write error": a write the disk refused, when it filled up
// before the storage limit; nats-server keeps the stream in that state, answers no
// append, and offers no other sign of it), and reports it to failed.
type serverLog struct {
	l      *slog.Logger
	failed func(string)
}

func (s serverLog) log(level slog.Level, format string, v []any) {
	msg := fmt.Sprintf(format, v...)
	s.l.Log(context.Background(), level, "nats-server: "+msg)
	if level >= slog.LevelError && s.failed != nil && strings.Contains(msg, "critical write error") {
		s.failed(msg)
	}
}

// Noticef logs a notice at debug level.
func (s serverLog) Noticef(format string, v ...any) { s.log(slog.LevelDebug, format, v) }

// Warnf logs a warning.
func (s serverLog) Warnf(format string, v ...any) { s.log(slog.LevelWarn, format, v) }

// Fatalf logs a fatal error (as an error: the server decides what to do next).
func (s serverLog) Fatalf(format string, v ...any) { s.log(slog.LevelError, format, v) }

// Errorf logs an error.
func (s serverLog) Errorf(format string, v ...any) { s.log(slog.LevelError, format, v) }

// Debugf drops a debug line.
func (serverLog) Debugf(string, ...any) {}

// Tracef drops a trace line.
func (serverLog) Tracef(string, ...any) {}
