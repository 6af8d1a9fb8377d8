package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"thidua/projections"
)

// serverRun is what one measured `thidua serve` process showed.
type serverRun struct {
	ready    time.Duration // from exec to /readyz answering 200
	readyHWM float64       // VmHWM once ready, MiB: the memory the start-up wrote
	hwm, rss float64       // VmHWM and VmRSS after the queries, MiB
	// stopHWM is VmHWM through the stop, MiB: the server saves its snapshot as it stops
	// (the tail's commits are past the one it loaded), as it does every few minutes while
	// it runs when commits came.
	stopHWM   float64
	saved     bool // whether the server's log said it saved its snapshot as it stopped
	queries   int
	rankingMS float64   // one live ranking over HTTP, after a restart (nothing cached)
	asOf      latencies // as-of rankings over HTTP at 60, 80 and 95% of the history
}

// adminToken is the token of the administrator the bench bootstraps.
const adminToken = "bench-admin-token-0000"

// serverProcess starts the thidua binary that runs the bench as `thidua serve` on the
// bench's data directory (the store closed by the caller), with env added to its
// environment when not empty, waits until it is ready,
// queries it over HTTP (live and as-of rankings, eligibilities) and reads its memory
// from /proc before stopping it; with readyOnly it stops once ready. It returns
// errSkipServer when the bench does not run from the thidua binary (as under go test).
func (b *runner) serverProcess(ctx context.Context, env string, readyOnly bool) (serverRun, error) {
	exe, err := os.Executable()
	if err != nil || !strings.HasPrefix(filepath.Base(exe), "thidua") {
		return serverRun{}, errSkipServer
	}
	port, err := freePort()
	if err != nil {
		return serverRun{}, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Every run starts from the same snapshot: the server saves its own when it stops,
	// which would leave the next run without the tail to catch up. A hard link keeps the
	// original, put back after the run.
	snap := projections.SnapshotPath(b.dir)
	_ = os.Remove(snap + ".bench-keep")
	if err := os.Link(snap, snap+".bench-keep"); err == nil {
		defer os.Rename(snap+".bench-keep", snap)
	} else if !errors.Is(err, os.ErrNotExist) {
		return serverRun{}, err
	}
	if err := b.settleWarm(ctx, "serve"); err != nil {
		return serverRun{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "serve", "--data", b.dir, "--addr", addr, "--log-level", "info")
	cmd.Env = append(os.Environ(), "THIDUA_ADMIN_TOKEN="+adminToken)
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	// The server's log says where its start-up went; warnings and errors are passed on.
	var saved atomic.Bool
	logR, logW := io.Pipe()
	cmd.Stdout, cmd.Stderr = io.Discard, logW
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(logR)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				fmt.Fprintln(os.Stderr, line)
			}
			if strings.Contains(line, `msg="snapshot saved"`) {
				saved.Store(true)
			}
			for _, m := range []string{"projections loaded from snapshot", "projections rebuilt from the stream", "history decoded", "thidua serving"} {
				if strings.Contains(line, `msg="`+m+`"`) {
					b.logf("  serve: %s %s", m, logField(line, "took", "ready_in", "store_open_in", "projections_in", "read_in", "waited", "after"))
				}
			}
		}
		_, _ = io.Copy(io.Discard, logR)
	}()
	defer func() { logW.Close(); <-logDone }()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return serverRun{}, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 60 * time.Second}
	var run serverRun
	for {
		if ctx.Err() != nil || time.Since(t0) > 5*time.Minute {
			return run, errors.New("bench: thidua serve did not become ready")
		}
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	run.ready = time.Since(t0)
	run.readyHWM, _ = procMem(cmd.Process.Pid)
	if readyOnly {
		return run, nil
	}
	get := func(path string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		run.queries++
		return nil
	}
	t1 := time.Now()
	if err := get("/api/v1/campaigns/" + campaignID + "/ranking"); err != nil {
		return run, err
	}
	run.rankingMS = float64(time.Since(t1)) / float64(time.Millisecond)
	span := b.ls.last.Sub(b.ls.first)
	for _, f := range []float64{0.6, 0.8, 0.95} {
		at := b.ls.first.Add(time.Duration(float64(span) * f)).UTC().Format(time.RFC3339Nano)
		t := time.Now()
		if err := get("/api/v1/campaigns/" + campaignID + "/ranking?at=" + at); err != nil {
			return run, err
		}
		run.asOf = append(run.asOf, time.Since(t))
	}
	rng := rand.New(rand.NewPCG(b.wl.Seed, 0x73657276))
	for i := 0; i < 200; i++ {
		id := b.wl.Nominations[rng.IntN(len(b.wl.Nominations))].ID
		if err := get("/api/v1/nominations/" + id + "/eligibility"); err != nil {
			return run, err
		}
	}
	run.hwm, run.rss = procMem(cmd.Process.Pid)
	// The stop, with its snapshot save, followed until the process is gone: VmHWM only
	// grows, so the last reading is the peak (give or take the last 20 ms).
	run.stopHWM = run.hwm
	_ = cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.After(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for stopped := false; !stopped; {
		select {
		case <-exited:
			stopped = true
		case <-tick.C:
			if h, _ := procMem(cmd.Process.Pid); h > run.stopHWM {
				run.stopHWM = h
			}
		case <-deadline:
			return run, errors.New("bench: thidua serve did not stop within a minute")
		}
	}
	logW.Close()
	<-logDone
	run.saved = saved.Load()
	return run, nil
}

var errSkipServer = errors.New("bench: not running from the thidua binary")

// settle lets the machine quieten before a measured process starts: what the previous run
// wrote (a server saves its snapshot when it stops) is written out first, and the disk
// given a moment.
func settle(ctx context.Context) error {
	flushWrites()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Second):
		return nil
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// procMem reads VmHWM and VmRSS of a process, in MiB.
func procMem(pid int) (hwm, rss float64) {
	return readStatus("/proc/" + strconv.Itoa(pid) + "/status")
}

func readStatus(path string) (hwm, rss float64) {
	f, err := os.Open(path)
	if err != nil {
		return -1, -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmHWM:", "VmRSS:"} {
			if rest, ok := strings.CutPrefix(line, k); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				if k == "VmHWM:" {
					hwm = kb / 1024
				} else {
					rss = kb / 1024
				}
			}
		}
	}
	return hwm, rss
}

// logField returns the named fields of a text log line, as "name=value" separated by spaces.
func logField(line string, names ...string) string {
	var out []string
	for _, f := range strings.Fields(line) {
		for _, n := range names {
			if strings.HasPrefix(f, n+"=") {
				out = append(out, f)
			}
		}
	}
	return strings.Join(out, " ")
}

// serveWithoutSnapshot measures `thidua serve` starting by a full rebuild: the snapshot is
// set aside for the run and put back after it (over the one the server saves when it
// stops).
func (b *runner) serveWithoutSnapshot(ctx context.Context) (serverRun, error) {
	path := projections.SnapshotPath(b.dir)
	aside := path + ".bench-aside"
	if err := os.Rename(path, aside); err != nil {
		return serverRun{}, err
	}
	run, err := b.serverProcess(ctx, "", true)
	if rerr := os.Rename(aside, path); rerr != nil && err == nil {
		err = rerr
	}
	return run, err
}
