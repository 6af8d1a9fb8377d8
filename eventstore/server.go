package eventstore

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsConn is an existing connection handed to WithConnection.
type natsConn = *nats.Conn

type natsOption struct{ conn *nats.Conn }

// startEmbedded starts an in-process nats-server with JetStream under dir, once it holds
// the directory's lock (lockDataDir), which it returns with the storage limit it set
// (storeLimit; 0 when the file system's space is unknown). It opens no network listener
// at all: the only client is this process, connected in-process.
func startEmbedded(dir string, o *options) (*server.Server, *dirLock, int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, nil, 0, fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDataDir(abs)
	if err != nil {
		return nil, nil, 0, err
	}
	storeDir := filepath.Join(abs, "jetstream")
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
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		lock.release()
		return nil, nil, 0, fmt.Errorf("embedded nats-server did not become ready within 30s")
	}
	return ns, lock, limit, nil
}
