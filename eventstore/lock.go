package eventstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrDataDirInUse is returned (wrapped) by Open when another process has the embedded
// store's data directory open. Two embedded servers writing one store would corrupt it.
var ErrDataDirInUse = errors.New("data directory in use")

// LockFileName is the file in the data directory that an embedded store holds locked for
// as long as it is open. It holds the process id of its holder.
const LockFileName = "thidua.lock"

// dirLock is an open data directory's lock (lockDataDir): the directory itself (nil where
// the file system cannot lock one), and the lock file naming the holder.
type dirLock struct {
	dir, f *os.File
	// after runs once the lock is released (the removal of a read-only store's copy).
	after func()
}

// lockDataDir takes the data directory's lock, or says who holds it. The lock is the
// operating system's (flock on Unix), so it ends with its process, however that ends. It
// is taken on the directory itself, which cannot be removed from under its holder as a
// file can (an operator who took the lock file for a stale pid file and deleted it let a
// second server write the same store, which lost acknowledged events), and on the lock
// file, which names the holder (and which older versions lock alone).
func lockDataDir(dir string) (*dirLock, error) {
	// A lock this process released a moment ago can still be held by a child it was
	// forking at the time (the child shares the open file until it executes its program):
	// one that names this process is waited for, briefly.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		l, own, err := tryLockDataDir(dir)
		if !own || time.Now().After(deadline) {
			return l, err
		}
	}
}

// tryLockDataDir is one attempt of lockDataDir; own reports a lock held under this
// process's id.
func tryLockDataDir(dir string) (_ *dirLock, own bool, _ error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, false, fmt.Errorf("data dir lock: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		d.Close()
		return nil, false, fmt.Errorf("data dir lock: %w", err)
	}
	held, err := tryLock(d)
	if err != nil {
		// A file system that cannot lock a directory (NFS emulates flock with locks that
		// need a file open for writing): the lock file alone, as before.
		d.Close()
		d, held, err = nil, true, nil
	}
	if held {
		held, err = tryLock(f)
	}
	if err != nil {
		if d != nil {
			d.Close() // its flock, held, goes with it
		}
		f.Close()
		return nil, false, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		// The lock file names its holder only while it is locked too: a read-only
		// command holds the directory alone (it cannot write the file, readOnlyCopy), and
		// the file then names an earlier holder, gone.
		fileFree := false
		if d != nil {
			fileFree, _ = tryLock(f)
			d.Close()
		}
		f.Close()
		holder := "another process"
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && pid > 0 && !fileFree {
			holder = "process " + strconv.Itoa(pid)
		}
		return nil, pid == os.Getpid() && !fileFree, fmt.Errorf("%w: %s is open in %s (a thidua serve or command on the same --data); stop it first, or ask the running server over HTTP", ErrDataDirInUse, dir, holder)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{dir: d, f: f}, false, nil
}

// release ends the lock (closing the files ends it); nil-safe.
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		if l.dir != nil {
			l.dir.Close()
		}
		l.f, l.dir = nil, nil
		if l.after != nil {
			l.after()
			l.after = nil
		}
	}
}
