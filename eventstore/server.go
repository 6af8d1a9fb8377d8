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
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, nil, 0, fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDataDir(abs)
	if err != nil {
		return nil, nil, 0, err
	}
	storeDir := filepath.Join(abs, "jetstream")
	// JetStream needs to write there, reads included (its indexes): a directory it cannot
	// write made the server log the cause and never become ready, and the start waited 30 s
	// to say only that.
	for _, d := range []string{storeDir, filepath.Join(storeDir, "jetstream")} {
		if err := writable(d); err != nil {
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
