// Package bench measures thidua against raw JetStream in the same run ("thidua bench").
//
// It generates a synthetic, nation-sized province deterministically (Generate: at scale
// 1, 20,000 units and 100,000 nominations, about 1,000,000 events, from a fixed seed),
// bulk-loads its history into an embedded store, and then measures, on that store and
// with the server syncing every write (the product's default durability):
//
//  1. commands through the workflow layer against raw sequence-checked appends, with
//     one writer and with eight;
//  2. the same commands through the HTTP API with eight clients, with latencies;
//  3. a full projection rebuild against one raw ordered consumer reading the stream;
//  4. live eligibility and ranking queries;
//  5. as-of eligibility and ranking queries at a past moment;
//  6. start-up to ready from the snapshot and the tail, against a full rebuild;
//  7. the peak resident memory of a `thidua serve` process started on the loaded store
//     (and its start-up to ready), queried over HTTP.
//
// Each figure is printed with its ratio to the baseline and its target, and written as a
// JSON list to Config.Out.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// Config sets the size and the output of a run.
type Config struct {
	// Scale multiplies the default workload (1: 100,000 nominations, 20,000 units, 1,000,000 events).
	Scale float64
	// Out is the path of the JSON results.
	Out string
	// Dir is a scratch directory for the embedded stores.
	Dir string
	// Keep keeps the data directory of the run (snapshot, stream) for inspection.
	Keep bool
	// LoadOnly, when set, makes Run only generate the workload and bulk-load it into this
	// data directory, which is kept, and then return without measuring anything.
	LoadOnly string
	// ReadOnly, when set, makes Run only measure one read of this data directory's stream
	// in the current process, in the mode Read (ReadRaw, ReadDecode, ReadFold or ReadRebuild), and print its
	// ReadResult: the bench runs itself so to measure the rebuild in a process of its own.
	ReadOnly string
	// Read is the mode of a ReadOnly run.
	Read string
}

// Sizes of the measured runs (independent of the scale: they measure rates, not volume).
const (
	benchUnits    = 480  // units whose nominations the measured commands drive
	minScale      = 0.1  // the smallest workload with benchUnits to spare
	slices        = 10   // raw and measured runs alternate in this many slices
	writers       = 8    // concurrent writers and HTTP clients
	singleOps     = 4000 // commands (and raw appends) of the one-writer runs
	perWriterOps  = 800  // per writer, in the eight-writer runs
	perClientOps  = 800  // per HTTP client
	pacedOps      = 200  // per HTTP client, sending at pacedShare of the raw rate
	pacedShare    = 0.35 // the share of the raw rate the HTTP target asks for
	liveSamples   = 5000 // live eligibility queries
	asOfSamples   = 2000 // as-of eligibility queries
	loadSamples   = 100  // raw loads of one aggregate's history
	rankSamples   = 3    // ranking computations (each over the whole campaign)
	besideOps     = 300  // commands alone, then beside as-of rankings
	cachedRanking = 200  // cached live ranking queries
	loadWorkers   = 16   // concurrent writers of the bulk load
	campaignID    = domain.BuiltinCampaignID
	serveMemLimit = "1400MiB" // the soft memory limit of the second measured serve process
	dupWindow     = eventstore.DefaultDuplicateWindow
)

// errLoadOnly ends a run after the bulk load (Config.LoadOnly).
var errLoadOnly = errors.New("bench: load only")

// Run runs every benchmark and prints a table to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	if cfg.Scale < minScale || math.IsNaN(cfg.Scale) {
		return fmt.Errorf("bench: --scale must be at least %g: the measured commands need %d units of their own, at most a quarter of the workload's", minScale, benchUnits)
	}
	if w == nil {
		w = os.Stdout
	}
	if cfg.ReadOnly != "" {
		return MeasureRead(ctx, cfg.ReadOnly, cfg.Read, w)
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "thidua-bench-")
		if err != nil {
			return err
		}
		dir = d
	} else {
		dir = filepath.Join(dir, fmt.Sprintf("bench-%d", time.Now().UnixNano()))
	}
	if cfg.Keep {
		defer fmt.Fprintf(w, "data directory kept: %s\n", filepath.Join(dir, "data"))
	} else {
		defer os.RemoveAll(dir)
	}
	dataDir := filepath.Join(dir, "data")
	if cfg.LoadOnly != "" {
		dataDir = cfg.LoadOnly
	}
	b := &runner{cfg: cfg, dir: dataDir, out: w, rep: &report{},
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if err := b.run(ctx); err != nil {
		if errors.Is(err, errLoadOnly) {
			fmt.Fprintf(w, "store kept in %s\n", b.dir)
			return nil
		}
		return err
	}
	fmt.Fprintln(w)
	b.rep.print(w)
	if cfg.Out != "" {
		if err := b.rep.write(cfg.Out); err != nil {
			return fmt.Errorf("bench: writing %s: %w", cfg.Out, err)
		}
		fmt.Fprintf(w, "\nresults written to %s\n", cfg.Out)
	}
	return nil
}

// runner holds the state of one run.
type runner struct {
	cfg   Config
	dir   string
	out   io.Writer
	rep   *report
	log   *slog.Logger
	wl    *Workload
	clock *simClock
	ls    loadStats
	// inProcessRebuild adds the row of the rebuild measured in the bench process, as the
	// target's row or not.
	inProcessRebuild func(target bool)
	// storeOpen collects how long the embedded JetStream server took to start on the
	// existing store, in each start-up measured.
	storeOpen latencies
}

func (b *runner) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// open opens the embedded store on the run's data directory.
func (b *runner) open(ctx context.Context, syncAlways bool) (*eventstore.Store, error) {
	return eventstore.Open(ctx, eventstore.WithDataDir(b.dir), eventstore.WithSyncAlways(syncAlways),
		eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(b.clock.Now), eventstore.WithLogger(b.log))
}

func (b *runner) run(ctx context.Context) error {
	t0 := time.Now()
	b.wl = Generate(Seed, b.cfg.Scale, benchUnits)
	commits, events := b.wl.Counts()
	b.clock = &simClock{start: b.wl.Start, step: b.wl.Step}
	b.logf("workload: scale %g, seed %d: %d units, %d nominations, %d commits, %d events (generated in %s)",
		b.cfg.Scale, Seed, len(b.wl.Units), len(b.wl.Nominations), commits, events, time.Since(t0).Round(time.Millisecond))

	// The bulk load: the server does not fsync each write (it syncs every two minutes, as
	// nats-server does by default), for the load only. Every measured figure below runs on
	// a server that syncs every write, the product's default.
	st, err := b.open(ctx, false)
	if err != nil {
		return err
	}
	if err := b.bootstrap(ctx, st); err != nil {
		st.Close()
		return err
	}
	b.logf("bulk load: %d workers, fsync relaxed for the load only ...", loadWorkers)
	b.ls, err = load(ctx, st, b.wl, b.clock, loadWorkers, func(done, total int) {
		b.logf("  %d of %d commits", done, total)
	})
	st.Close()
	loadEnd := time.Now()
	if err != nil {
		return err
	}
	b.rep.add("bulk load (fsync relaxed, 16 writers; not a target)", float64(b.ls.events)/b.ls.took.Seconds(), "events/s", math.NaN(), "", "", nil,
		fmt.Sprintf("%d events in %d commits in %s; loading bypasses the workflow layer and the server syncs every 2 min during the load only",
			b.ls.events, b.ls.commits, b.ls.took.Round(time.Millisecond)))
	b.logf("bulk load: %d events, %d commits in %s", b.ls.events, b.ls.commits, b.ls.took.Round(time.Millisecond))
	if b.cfg.LoadOnly != "" {
		return errLoadOnly
	}

	// JetStream keeps the id of every message stored within the stream's duplicate window
	// (2 minutes): it rebuilds that table on start by rereading those messages, and purges
	// it as they age, under the stream's lock. A real store's history was not all written
	// in the last two minutes, so nothing is measured before the bulk load has left the
	// window: otherwise the start-up figures would include rereading a million messages,
	// and the commands would queue behind the purge. A quick run (scale below 0.5) does
	// not wait.
	if wait := time.Until(loadEnd.Add(dupWindow + 5*time.Second)); wait > 0 && b.cfg.Scale >= 0.5 {
		b.logf("waiting %s for the bulk load to leave JetStream's %s duplicate window", wait.Round(time.Second), dupWindow)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}

	// Everything from here on: the server syncs every write.
	t1 := time.Now()
	st, err = b.open(ctx, true)
	if err != nil {
		return err
	}
	defer func() { st.Close() }()
	_, rssStore := memStatus()
	b.logf("store reopened with sync-always in %s (RSS %.0f MiB)", time.Since(t1).Round(time.Millisecond), rssStore)

	// 3. Rebuild against one raw ordered consumer.
	raw, err := rawRead(ctx, st)
	if err != nil {
		return err
	}
	b.logf("raw ordered consumer: %d messages, %.0f MiB in %s (%.1f CPU-s)", raw.msgs, float64(raw.bytes)/(1<<20), raw.took.Round(time.Millisecond), raw.cpu)
	runtime.GC()
	t2, cpu2 := time.Now(), cpuSeconds()
	model, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	if err != nil {
		return err
	}
	rebuildTook, rebuildCPU := time.Since(t2), cpuSeconds()-cpu2
	stats := model.Stats()
	b.logf("rebuild: %d events, %d commits in %s (%.1f CPU-s)", stats.Events, stats.Commits, rebuildTook.Round(time.Millisecond), rebuildCPU)
	// The target's figure is measured again at the end, in processes of their own
	// (readproc.go); this one stands in for it when the bench cannot run itself.
	inProcess := func(target bool) {
		name, goal := "projection rebuild, in the bench process (not a target: see the row in a process of its own)", ""
		var met func(_, r float64) bool
		if target {
			name, goal, met = "projection rebuild (projections.Rebuild)", "≥ 0.60 × baseline", func(_, r float64) bool { return r >= 0.60 }
		}
		b.rep.add(name, float64(stats.Events)/rebuildTook.Seconds(), "events/s",
			float64(stats.Events)/raw.took.Seconds(), "one raw ordered consumer reading the same stream, no decode", goal, met,
			fmt.Sprintf("%d events in %d messages; rebuild %s, raw read %s; every collection during the rebuild also marks the bench's own heap", stats.Events, raw.msgs, rebuildTook.Round(time.Millisecond), raw.took.Round(time.Millisecond)))
	}
	b.inProcessRebuild = inProcess
	// What the machine can give: the raw read alone keeps most of its cores busy (the
	// server reading blocks and delivering, the client receiving), and every microsecond
	// a rebuild spends per event comes out of what is left.
	cores := float64(runtime.NumCPU())
	b.rep.add("rebuild CPU per event, this process (not a target)", rebuildCPU/float64(stats.Events)*1e6, "µs",
		raw.cpu/float64(raw.msgs)*1e6, "raw read CPU per message", "", nil,
		fmt.Sprintf("rebuild %.1f CPU-s in %s, raw read %.1f CPU-s in %s (%.1f of %.0f cores busy); at 0.60 of the raw read, a rebuild has %.1f CPU-s in all, %.1f beyond the read itself",
			rebuildCPU, rebuildTook.Round(time.Millisecond), raw.cpu, raw.took.Round(time.Millisecond), raw.cpu/raw.took.Seconds(), cores,
			cores*raw.took.Seconds()/0.60, cores*raw.took.Seconds()/0.60-raw.cpu))
	_, rssModel := memStatus()

	// The snapshot a running server would have saved, half way through the measured
	// commands: the commands after it form the tail that start-up must catch up.
	snapPath := projections.SnapshotPath(b.dir)
	saveSnapshot := func() error {
		if err := projections.WaitCaughtUp(ctx, st, model, time.Minute); err != nil {
			return err
		}
		t3 := time.Now()
		if _, err := model.SaveSnapshotFile(snapPath); err != nil {
			return err
		}
		snapInfo, err := os.Stat(snapPath)
		if err != nil {
			return err
		}
		b.rep.add("snapshot write (not a target)", time.Since(t3).Seconds(), "s", math.NaN(), "", "", nil,
			fmt.Sprintf("%.0f MiB", float64(snapInfo.Size())/(1<<20)))
		b.rep.add("snapshot write: longest hold of the model's lock (commands wait at most this; not a target)", float64(model.LastSnapshotHold())/float64(time.Millisecond), "ms", math.NaN(), "", "", nil,
			"the folded state is taken in chunks of aggregates, the lock released between them")
		return nil
	}

	feed, err := projections.StartFeed(ctx, st, model, b.log)
	if err != nil {
		return err
	}
	defer func() { feed.Stop() }()
	svc := workflows.New(st, model, workflows.WithClock(b.clock.Peek), workflows.WithLogger(b.log))
	acts, err := b.users(ctx, svc)
	if err != nil {
		return err
	}
	pool := newStepPool(b.wl)

	// 1. and 2. Commands. Raw appends and workflow commands alternate in slices, so that
	// both sides see the same disk and the same neighbours; the feed is stopped during the
	// raw slices (raw is the bare ceiling) and runs during the workflow ones, as in the
	// product.
	// A few unmeasured workflow commands first: the raw appends carry commits of the same
	// average size as theirs.
	size, err := b.warmUp(ctx, st, svc, acts, pool)
	if err != nil {
		return err
	}
	// The API as `serve` composes it: large answers compressed (a command's answer is below
	// the threshold, but goes through the wrapper).
	handler, err := api.Compress(api.New(svc, api.WithLogger(b.log)))
	if err != nil {
		return err
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	var raw1, rawN, rawH, rawP, rawF, wf1, wfN, hr, hp rateRun
	rp := newRawPool(st, b.ls.companions, size)
	rawSize := len(rp.subjects[0].bodies[0].data)
	var bytesWF, msgsWF, rawBytes, rawMsgs uint64
	var ratio1, ratioN []float64 // per slice
	// Collections during each side's slices: one in the bench process marks the generated
	// workload too (several GB), and slows whatever runs beside it.
	var gcRaw, gcWF, gcHTTP uint64
	for slice := 0; slice < slices; slice++ {
		if slice == slices/2 {
			if err := saveSnapshot(); err != nil {
				return err
			}
		}
		feed.Stop()
		// A collection before each side's slice: the bench process's own heap (the
		// generated workload, several GB) makes a collection long, and one landing inside a
		// slice would slow whichever side it hit.
		runtime.GC()
		rb0, rm0, err := streamBytes(ctx, st)
		if err != nil {
			return err
		}
		gc0 := gcCycles()
		r1, err := rawAppends(ctx, st, fmt.Sprintf("s%d", slice), 1, singleOps/slices, size, rp, 0)
		if err != nil {
			return err
		}
		rN, err := rawAppends(ctx, st, fmt.Sprintf("m%d", slice), writers, perWriterOps/slices, size, rp, 0)
		if err != nil {
			return err
		}
		rH, err := rawAppends(ctx, st, fmt.Sprintf("h%d", slice), writers, perClientOps/slices, size, rp, 0)
		if err != nil {
			return err
		}
		// The same writers at the rate the HTTP target asks for, which the system has to
		// spare; the paced HTTP clients below send at the same rate.
		paced := pacedShare * rH.rate()
		rP, err := rawAppends(ctx, st, fmt.Sprintf("p%d", slice), writers, pacedOps/slices, size, rp, paced)
		if err != nil {
			return err
		}
		rF, err := rawAppends(ctx, st, fmt.Sprintf("f%d", slice), 1, singleOps/slices, size, nil, 0)
		if err != nil {
			return err
		}
		gcRaw += gcCycles() - gc0
		if feed, err = projections.StartFeed(ctx, st, model, b.log); err != nil {
			return err
		}
		bytes0, msgs0, err := streamBytes(ctx, st)
		if err != nil {
			return err
		}
		rawBytes, rawMsgs = rawBytes+bytes0-rb0, rawMsgs+msgs0-rm0
		if err != nil {
			return err
		}
		runtime.GC()
		gc0 = gcCycles()
		w1, err := workflowCommands(ctx, svc, b.wl, acts, pool, fmt.Sprintf("wf1-%d", slice), 1, singleOps/slices)
		if err != nil {
			return err
		}
		wN, err := workflowCommands(ctx, svc, b.wl, acts, pool, fmt.Sprintf("wfN-%d", slice), writers, perWriterOps/slices)
		if err != nil {
			return err
		}
		bytes1, msgs1, err := streamBytes(ctx, st)
		if err != nil {
			return err
		}
		bytesWF, msgsWF = bytesWF+bytes1-bytes0, msgsWF+msgs1-msgs0
		gcWF += gcCycles() - gc0
		gc0 = gcCycles()
		h, err := httpCommands(ctx, srv.URL, b.wl, acts, pool, fmt.Sprint(slice), writers, perClientOps/slices, 0)
		if err != nil {
			return err
		}
		// The same clients at the rate the target asks for, as the raw writers above.
		p, err := httpCommands(ctx, srv.URL, b.wl, acts, pool, fmt.Sprintf("paced-%d", slice), writers, pacedOps/slices, paced)
		if err != nil {
			return err
		}
		gcHTTP += gcCycles() - gc0
		raw1, rawN, rawH, rawP, rawF, wf1, wfN, hr, hp = raw1.add(r1), rawN.add(rN), rawH.add(rH), rawP.add(rP), rawF.add(rF), wf1.add(w1), wfN.add(wN), hr.add(h), hp.add(p)
		ratio1, ratioN = append(ratio1, w1.rate()/r1.rate()), append(ratioN, wN.rate()/rN.rate())
	}
	b.logf("raw appends: 1 writer %.0f/s, %d writers %.0f/s (%d-byte commits); to new subjects, 1 writer %.0f/s", raw1.rate(), writers, rawN.rate(), rawSize, rawF.rate())
	b.logf("workflow commands: 1 writer %.0f/s, %d writers %.0f/s", wf1.rate(), writers, wfN.rate())
	b.logf("HTTP commands: %d clients %.0f/s, p50 %.2f ms, p99 %.2f ms (raw %d writers %.0f/s)", writers, hr.rate(), hr.lat.pct(0.5), hr.lat.pct(0.99), writers, rawH.rate())
	b.logf("HTTP commands paced at %.2f of the raw rate: %d clients %.0f/s, p50 %.2f ms, p99 %.2f ms (raw appends at the same rate: p50 %.2f ms, p99 %.2f ms)", pacedShare, writers, hp.rate(), hp.lat.pct(0.5), hp.lat.pct(0.99), rawP.lat.pct(0.5), rawP.lat.pct(0.99))
	b.logf("CPU per operation: raw %.0f µs (%d writers), workflow %.0f µs (%d writers), HTTP %.0f µs (%d clients)", rawH.cpuPerOp(), writers, wfN.cpuPerOp(), writers, hr.cpuPerOp(), writers)
	note := fmt.Sprintf("raw commits of %d bytes (the workflow's average body), %.0f and %.0f bytes stored per raw and per workflow message; fsync on every write; %d alternating slices",
		rawSize, float64(rawBytes)/float64(rawMsgs), float64(bytesWF)/float64(msgsWF), slices)
	b.rep.add("workflow commands, 1 writer", wf1.rate(), "cmd/s", raw1.rate(), "raw sequence-checked appends to subjects of the history, 1 writer", "≥ 0.70 × baseline",
		func(_, r float64) bool { return r >= 0.70 }, note+"; ratio per slice "+spread(ratio1)+
			fmt.Sprintf("; slowest command %.1f ms, slowest raw append %.1f ms", wf1.lat.pct(1), raw1.lat.pct(1)))
	b.rep.add("raw appends to new subjects, 1 writer (not the baseline)", rawF.rate(), "appends/s", math.NaN(), "", "", nil,
		fmt.Sprintf("the baseline's subjects were written during the bulk load, beside the bench nominations, as the workflow's are; a new subject gives the sequence check nothing to look up: p50 %.3f ms, p99 %.3f ms against %.3f and %.3f for the baseline",
			rawF.lat.pct(0.5), rawF.lat.pct(0.99), raw1.lat.pct(0.5), raw1.lat.pct(0.99)))
	b.rep.add(fmt.Sprintf("workflow commands, %d writers", writers), wfN.rate(), "cmd/s", rawN.rate(), fmt.Sprintf("raw sequence-checked appends to subjects of the history, %d writers", writers),
		"≥ 0.70 × baseline", func(_, r float64) bool { return r >= 0.70 }, "ratio per slice "+spread(ratioN)+
			fmt.Sprintf("; slowest command %.1f ms, slowest raw append %.1f ms", wfN.lat.pct(1), rawN.lat.pct(1)))
	b.rep.add("workflow command latency p50, 1 writer", wf1.lat.pct(0.5), "ms", raw1.lat.pct(0.5), "raw append p50", "", nil, "")
	b.rep.add("workflow command latency p99, 1 writer", wf1.lat.pct(0.99), "ms", raw1.lat.pct(0.99), "raw append p99", "", nil, "")
	b.rep.add(fmt.Sprintf("HTTP commands, %d clients", writers), hr.rate(), "cmd/s", rawH.rate(), fmt.Sprintf("raw sequence-checked appends to subjects of the history, %d writers", writers),
		"≥ 0.35 × baseline", func(_, r float64) bool { return r >= 0.35 }, "")
	b.rep.add(fmt.Sprintf("HTTP command latency p99, %d clients sending at %.2f of the raw rate (not a target)", writers, pacedShare), hp.lat.pct(0.99), "ms", rawP.lat.pct(0.99), fmt.Sprintf("raw append p99, %d writers appending at the same rate", writers), "", nil,
		fmt.Sprintf("an open loop: the clients send %.0f commands a second between them, each when it is due, whatever the answers (%d per slice, at %.2f of that slice's raw rate), and a command's latency counts from when it was due; p50 %.2f ms (raw %.2f ms). The row above is the closed loop the target names: the clients send as fast as they are answered, and the latency follows from the rate",
			hp.rate(), writers*pacedOps/slices, pacedShare, hp.lat.pct(0.5), rawP.lat.pct(0.5)))
	if !math.IsNaN(hr.cpu) { // the platform tells a process's CPU time
		b.rep.add(fmt.Sprintf("CPU per HTTP command, %d clients (not a target)", writers), hr.cpuPerOp(), "µs", rawH.cpuPerOp(), fmt.Sprintf("CPU per raw append, %d writers", writers), "", nil,
			fmt.Sprintf("the bench process's CPU time during the slices (JetStream, the API and its clients) per operation; workflow commands, %d writers: %.0f µs (raw %.0f)", writers, wfN.cpuPerOp(), rawN.cpuPerOp()))
	}
	b.rep.add(fmt.Sprintf("HTTP command latency p50, %d clients", writers), hr.lat.pct(0.5), "ms", rawH.lat.pct(0.5), fmt.Sprintf("raw append p50, %d writers", writers), "", nil, "")
	b.rep.add(fmt.Sprintf("HTTP command latency p99, %d clients", writers), hr.lat.pct(0.99), "ms", rawH.lat.pct(0.99), fmt.Sprintf("raw append p99, %d writers", writers),
		"≤ 10 ms", func(v, _ float64) bool { return v <= 10 }, fmt.Sprintf("collections of the bench process during the slices: %d raw, %d workflow, %d HTTP", gcRaw, gcWF, gcHTTP))

	// 4. and 5. Queries.
	if err := b.queries(ctx, st, model, svc, acts, pool, raw); err != nil {
		return err
	}

	// 7. Memory with the whole workload loaded (before the start-up runs below drop it).
	hwm, rss := memStatus()
	b.logf("memory with the workload loaded: VmRSS %.0f MiB, VmHWM %.0f MiB", rss, hwm)

	// 6. Start-up to ready: snapshot + tail, against a full rebuild.
	feed.Stop()
	st.Close()
	svc, model, acts = nil, nil, nil
	runtime.GC()
	debug.FreeOSMemory()
	snapReady, snapDecoded, tail, err := b.startup(ctx, true)
	if err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	fullReady, _, _, err := b.startup(ctx, false)
	if err != nil {
		return err
	}
	b.logf("start-up: from snapshot %s (tail of %d commits; history decoded at %s), by full rebuild %s",
		snapReady.Round(time.Millisecond), tail, snapDecoded.Round(time.Millisecond), fullReady.Round(time.Millisecond))
	b.rep.add("JetStream server start on the existing store (part of every start-up; not a target)", b.storeOpen.pct(1)/1000, "s", math.NaN(), "", "", nil,
		fmt.Sprintf("max of %d: the embedded nats-server recovering the stream before thidua reads anything", len(b.storeOpen)))
	b.rep.add("start-up to ready from snapshot + tail, in the bench process (not a target: see the serve rows)", snapReady.Seconds(), "s", fullReady.Seconds(), "start-up by full rebuild, same store", "", nil,
		fmt.Sprintf("server restart, snapshot load and check, tail of %d commits appended after the snapshot; every collection during the load also marks the bench's own heap (the generated workload, 3–6 GB)", tail))
	b.rep.add("start-up until the history's payloads are decoded (not a target)", snapDecoded.Seconds(), "s", fullReady.Seconds(), "start-up by full rebuild, same store", "", nil,
		"the snapshot holds the folded state, so commands and version checks run once ready; queries that read past events (eligibility, rankings, audit trails) wait until this point")

	hwmEnd, _ := memStatus()

	// The baseline of the server's start-up: `thidua serve` without a snapshot, rebuilding.
	runtime.GC()
	debug.FreeOSMemory()
	fullRun, err := b.serveWithoutSnapshot(ctx)
	serveFull := fullRun.ready
	switch {
	case errors.Is(err, errSkipServer):
	case err != nil:
		return err
	default:
		b.logf("thidua serve without a snapshot: ready in %s (peak RSS then %.0f MiB)", serveFull.Round(time.Millisecond), fullRun.readyHWM)
		b.rep.add("thidua serve process: start-up to ready by full rebuild (baseline of the rows below; not a target)", serveFull.Seconds(), "s", math.NaN(), "", "", nil,
			fmt.Sprintf("exec of `thidua serve` on the bench's data directory without its snapshot, until /readyz answers 200; peak RSS once ready %.0f MiB", fullRun.readyHWM))
	}
	if serveFull == 0 {
		serveFull = fullReady
	}

	// What this machine charges for memory a process writes for the first time: a start-up
	// writes about 1 GB of it, a rebuild about 2.8 GB, the raw read 0.5 GB.
	if err := b.freshMemory(); err != nil {
		b.logf("fresh memory: not measured (%v)", err)
	}

	// 6 and 7 again, on a real server: `thidua serve` started on the same data directory
	// (snapshot + tail), queried over HTTP, its memory read from /proc; once as it comes,
	// once with the Go runtime's soft memory limit set.
	for _, sc := range []struct{ label, env string }{{"", ""}, {" with GOMEMLIMIT=" + serveMemLimit, "GOMEMLIMIT=" + serveMemLimit}} {
		// The bench process settles first (a collection, memory returned), so that its own
		// collector does not run beside the measured process.
		runtime.GC()
		debug.FreeOSMemory()
		srvRun, err := b.serverProcess(ctx, sc.env, false)
		if errors.Is(err, errSkipServer) {
			b.logf("server process: skipped (%v)", err)
			break
		}
		if err != nil {
			return err
		}
		b.logf("thidua serve%s: ready in %s (peak RSS then %.0f MiB), first live ranking %.0f ms, as-of rankings %v, VmHWM %.0f MiB, VmRSS %.0f MiB after %d queries, VmHWM %.0f MiB through the stop (snapshot saved: %v)",
			sc.label, srvRun.ready.Round(time.Millisecond), srvRun.readyHWM, srvRun.rankingMS, srvRun.asOf, srvRun.hwm, srvRun.rss, srvRun.queries, srvRun.stopHWM, srvRun.saved)
		name := "thidua serve process" + sc.label
		b.rep.add(name+": start-up to ready (snapshot + tail)", srvRun.ready.Seconds(), "s", serveFull.Seconds(), "`thidua serve` by full rebuild, same store",
			"≤ 2 s and ≤ 0.25 × baseline", func(v, r float64) bool { return v <= 2 && r <= 0.25 },
			fmt.Sprintf("exec of `thidua serve` on the bench's data directory until /readyz answers 200; peak RSS once ready %.0f MiB, all of it written for the first time (see the fresh-memory row)", srvRun.readyHWM))
		b.rep.add(name+": first live ranking over HTTP after start", srvRun.rankingMS, "ms", math.NaN(), "", "", nil,
			"nothing cached yet: every nomination of the campaign evaluated")
		b.rep.add(name+": as-of ranking over HTTP, max of 3", srvRun.asOf.pct(1)/1000, "s", raw.took.Seconds(), "raw read of the whole stream",
			"≤ 2 s", func(v, _ float64) bool { return v <= 2 }, fmt.Sprintf("at 60, 80 and 95%% of the history: %.2f, %.2f, %.2f s", float64(srvRun.asOf[0])/1e9, float64(srvRun.asOf[1])/1e9, float64(srvRun.asOf[2])/1e9))
		save := "it did not save a snapshot as it stopped"
		if srvRun.saved {
			save = "it saved its snapshot as it stopped, as a running server does every few minutes when commits came"
		}
		b.rep.add(name+": peak resident memory (VmHWM), whole workload loaded, through a snapshot save", max(srvRun.hwm, srvRun.stopHWM), "MiB", rssStore,
			"RSS of the bench process with the store open, before any projection",
			"≤ 1536 MiB", func(v, _ float64) bool { return v <= 1536 },
			fmt.Sprintf("after start-up, live and as-of rankings and %d queries over HTTP: VmHWM %.0f MiB, VmRSS %.0f MiB; then stopped: VmHWM %.0f MiB (%s)", srvRun.queries, srvRun.hwm, srvRun.rss, srvRun.stopHWM, save))
	}
	// 3 again: the rebuild and the raw read in processes of their own.
	runtime.GC()
	debug.FreeOSMemory()
	switch err := b.readProcesses(ctx); {
	case errors.Is(err, errSkipServer):
		b.inProcessRebuild(true)
	case err != nil:
		return err
	default:
		b.inProcessRebuild(false)
	}
	b.rep.add("bench process: peak resident memory (VmHWM; not a target)", hwmEnd, "MiB", math.NaN(), "", "", nil,
		fmt.Sprintf("holds the generated workload, the bulk load's buffers and two start-ups besides the model; VmRSS %.0f MiB with the model after the rebuild, %.0f MiB after the measured commands and queries", rssModel, rss))
	b.logf("done in %s", time.Since(t0).Round(time.Second))
	return nil
}

// warmUp runs a few workflow commands, unmeasured, and returns the average size of the
// bodies of the commits they stored.
func (b *runner) warmUp(ctx context.Context, st *eventstore.Store, svc *workflows.Service, a *actors, pool *stepPool) (int, error) {
	_, before, err := streamBytes(ctx, st)
	if err != nil {
		return 0, err
	}
	if _, err := workflowCommands(ctx, svc, b.wl, a, pool, "warm", 1, 30); err != nil {
		return 0, err
	}
	s, err := st.JetStream().Stream(ctx, st.StreamName())
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	total, n := 0, 0
	for seq := info.State.LastSeq; seq > info.State.LastSeq-(info.State.Msgs-before); seq-- {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			return 0, err
		}
		total, n = total+len(m.Data), n+1
	}
	return total / max(n, 1), nil
}

// bootstrap registers the first administrator and launches the built-in campaign on the
// new store, through the workflow layer.
func (b *runner) bootstrap(ctx context.Context, st *eventstore.Store) error {
	m := projections.NewModel()
	feed, err := projections.StartFeed(ctx, st, m, b.log)
	if err != nil {
		return err
	}
	defer feed.Stop()
	svc := workflows.New(st, m, workflows.WithClock(b.clock.Peek), workflows.WithLogger(b.log))
	if _, err = svc.Bootstrap(ctx, adminToken); err != nil {
		return err
	}
	return registerHistoryActors(ctx, st, b.wl)
}

// historyUsersPerCommit is how many users one commit of registerHistoryActors registers.
const historyUsersPerCommit = 500

// registerHistoryActors registers the users the loaded history acts as (a clerk per unit,
// the reviewers; see actorOf), in commits of historyUsersPerCommit, as the bulk load
// writes: straight to the store, bypassing the workflow layer. So thidua verify finds
// every actor of the bench's store registered in its role before it acts.
func registerHistoryActors(ctx context.Context, st *eventstore.Store, w *Workload) error {
	users := make([]domain.UserRegisteredData, 0, len(w.Units)+historyReviewers)
	for i := 1; i <= historyReviewers; i++ {
		id := fmt.Sprintf("reviewer-%02d", i)
		users = append(users, domain.UserRegisteredData{ID: id, Name: fmt.Sprintf("Chuyên viên thẩm định %02d", i),
			Role: domain.RoleReviewer, TokenHash: workflows.HashToken("bench-history-" + id)})
	}
	for i := range w.Units {
		u := &w.Units[i]
		id := "clerk-" + u.ID
		users = append(users, domain.UserRegisteredData{ID: id, Name: "Cán bộ thi đua " + u.Name,
			Role: domain.RoleClerk, Unit: u.ID, TokenHash: workflows.HashToken("bench-history-" + id)})
	}
	ref := eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
	v, err := st.LastVersion(ctx, ref)
	if err != nil {
		return err
	}
	meta := eventstore.Meta{Actor: eventstore.Actor{User: workflows.AdminID, Role: string(domain.RoleAdmin)}}
	for len(users) > 0 {
		n := min(len(users), historyUsersPerCommit)
		evs := make([]eventstore.Pending, n)
		for i, u := range users[:n] {
			evs[i] = eventstore.Pending{Type: domain.UserRegistered, Data: u}
		}
		c, err := st.Append(ctx, ref, v, evs, meta)
		if err != nil {
			return fmt.Errorf("registering the history's users: %w", err)
		}
		v, users = c.Version(), users[n:]
	}
	return nil
}

// users registers, through the workflow layer, the clerks of the bench units and the
// reviewers the measured commands act as.
func (b *runner) users(ctx context.Context, svc *workflows.Service) (*actors, error) {
	a := &actors{clerks: map[string]workflows.Principal{}, tokens: map[string]string{}}
	add := func(in workflows.CreateUserInput) (workflows.Principal, error) {
		if _, _, err := svc.CreateUser(ctx, workflows.System(), in, workflows.Options{}); err != nil {
			return workflows.Principal{}, err
		}
		p, err := svc.Authenticate(ctx, in.Token)
		a.tokens[p.UserID] = in.Token
		return p, err
	}
	for i := range b.wl.Units {
		u := &b.wl.Units[i]
		if !u.Bench {
			continue
		}
		p, err := add(workflows.CreateUserInput{Name: "Cán bộ thi đua " + u.ID, Role: domain.RoleClerk, Unit: u.ID, Token: "bench-clerk-token-" + u.ID})
		if err != nil {
			return nil, fmt.Errorf("clerk of %s: %w", u.ID, err)
		}
		a.clerks[u.ID] = p
	}
	for i := 0; i < writers; i++ {
		p, err := add(workflows.CreateUserInput{Name: fmt.Sprintf("Chuyên viên thẩm định %d", i+1), Role: domain.RoleReviewer, Token: fmt.Sprintf("bench-reviewer-token-%02d", i)})
		if err != nil {
			return nil, fmt.Errorf("reviewer: %w", err)
		}
		a.reviewers = append(a.reviewers, p)
	}
	return a, nil
}

// rawReadRun is one raw ordered-consumer read of the whole stream.
type rawReadRun struct {
	msgs  int
	bytes int64
	took  time.Duration
	cpu   float64 // CPU-seconds the process used meanwhile (server and client)
}

// freshMemoryRounds is how many times freshMemory writes freshMemorySize.
const (
	freshMemoryRounds = 3
	freshMemorySize   = 256 << 20
)

// freshMemory measures this machine's cost of memory written for the first time (not a
// target): on a virtual machine whose host provides guest memory on first use, it is many
// times a bare machine's, and every figure that builds a large heap pays it.
func (b *runner) freshMemory() error {
	perGiB := func(d time.Duration) float64 { return d.Seconds() * float64(1<<30) / freshMemorySize }
	measure := func(huge bool) (best, worst float64, err error) {
		for i := 0; i < freshMemoryRounds; i++ {
			took, err := touchFresh(freshMemorySize, huge)
			if err != nil {
				return 0, 0, err
			}
			s := perGiB(took)
			worst = max(worst, s)
			if best == 0 || s < best {
				best = s
			}
		}
		return best, worst, nil
	}
	best, worst, err := measure(false)
	if err != nil {
		return err
	}
	b.logf("fresh memory: %.2f–%.2f s per GiB written for the first time", best, worst)
	b.rep.add("fresh memory: first write of 1 GiB, one byte per 4 KiB page (this machine's cost; not a target)", worst, "s", math.NaN(), "", "", nil,
		fmt.Sprintf("max of %d runs of %d MiB mapped outside the Go heap (min %.2f s per GiB); at scale 1 a serve start-up writes about 1 GB for the first time, a rebuild about 2.3 GB, the raw read about 0.5 GB (their peak RSS)",
			freshMemoryRounds, freshMemorySize>>20, best))
	// The same advised for huge pages, as thidua's loads advise the heap
	// (memory.PreferHugePages): not measured where the kernel has none.
	best, worst, err = measure(true)
	if err != nil {
		b.logf("fresh memory in huge pages: not measured: %v", err)
		return nil
	}
	b.logf("fresh memory in huge pages: %.2f–%.2f s per GiB", best, worst)
	b.rep.add("fresh memory: the same advised for transparent huge pages, as thidua's loads advise the heap (not a target)", worst, "s", math.NaN(), "", "", nil,
		fmt.Sprintf("max of %d runs (min %.2f s per GiB); MADV_HUGEPAGE on the mapping before the writes", freshMemoryRounds, best))
	return nil
}

// rawRead reads the whole stream with one ordered consumer, without decoding anything:
// the same consumer settings and the same delivery to a callback as eventstore.Read.
func rawRead(ctx context.Context, st *eventstore.Store) (rawReadRun, error) {
	s, err := st.JetStream().Stream(ctx, st.StreamName())
	if err != nil {
		return rawReadRun{}, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return rawReadRun{}, err
	}
	last := info.State.LastSeq
	t0, cpu0 := time.Now(), cpuSeconds()
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{InactiveThreshold: 30 * time.Second})
	if err != nil {
		return rawReadRun{}, err
	}
	var r rawReadRun
	var readErr error
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if readErr != nil {
			return
		}
		md, err := m.Metadata()
		if err != nil {
			readErr = err
			close(done)
			return
		}
		r.msgs++
		r.bytes += int64(len(m.Data()))
		if md.Sequence.Stream >= last {
			readErr = errRawReadDone
			close(done)
		}
	}, jetstream.PullMaxMessages(4096))
	if err != nil {
		return rawReadRun{}, err
	}
	defer cc.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		cc.Stop()
		<-cc.Closed()
		return rawReadRun{}, fmt.Errorf("raw read: %w", ctx.Err())
	}
	r.took, r.cpu = time.Since(t0), cpuSeconds()-cpu0
	if !errors.Is(readErr, errRawReadDone) {
		return r, fmt.Errorf("raw read: %w", readErr)
	}
	return r, nil
}

// errRawReadDone marks the end of rawRead's callback.
var errRawReadDone = errors.New("raw read done")

// streamBytes returns the stream's stored bytes and messages.
func streamBytes(ctx context.Context, st *eventstore.Store) (uint64, uint64, error) {
	s, err := st.JetStream().Stream(ctx, st.StreamName())
	if err != nil {
		return 0, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return info.State.Bytes, info.State.Msgs, nil
}

// queries measures live and as-of eligibility and ranking.
func (b *runner) queries(ctx context.Context, st *eventstore.Store, model *projections.Model, svc *workflows.Service, acts *actors, pool *stepPool, raw rawReadRun) error {
	rng := rand.New(rand.NewPCG(b.wl.Seed, 0x71756572))
	noms := b.wl.Nominations
	// The raw alternative to a projection: load one aggregate's history from JetStream.
	var rawLoad latencies
	for i := 0; i < loadSamples; i++ {
		id := noms[rng.IntN(len(noms))].ID
		t := time.Now()
		if _, err := st.LoadCommits(ctx, eventstore.Ref{Kind: domain.KindNomination, ID: id}, 0); err != nil {
			return err
		}
		rawLoad = append(rawLoad, time.Since(t))
	}
	b.rep.add("raw: load one nomination's history from JetStream, p50 (baseline only)", rawLoad.pct(0.5), "ms", math.NaN(), "", "", nil,
		"direct get batch by subject (eventstore.LoadCommits): what a query would cost without projections")
	base := rawLoad.pct(0.5)

	// The queries run on a settled model: the feed caught up with the commands above, and
	// the bench process's own (large) heap collected, so that a collection of the
	// generated workload does not land inside the samples.
	if err := projections.WaitCaughtUp(ctx, st, model, time.Minute); err != nil {
		return err
	}
	runtime.GC()
	var live latencies
	for i := 0; i < liveSamples; i++ {
		id := noms[rng.IntN(len(noms))].ID
		t := time.Now()
		if _, err := model.Eligibility(id, projections.Bound{}); err != nil {
			return err
		}
		live = append(live, time.Since(t))
	}
	b.rep.add("live eligibility p50", live.pct(0.5), "ms", base, "raw aggregate load p50", "", nil, "")
	b.rep.add("live eligibility p99", live.pct(0.99), "ms", base, "raw aggregate load p50", "≤ 1 ms", func(v, _ float64) bool { return v <= 1 }, "")

	var cached latencies
	for i := 0; i < cachedRanking; i++ {
		t := time.Now()
		if _, err := model.Ranking(campaignID, projections.Bound{}); err != nil {
			return err
		}
		cached = append(cached, time.Since(t))
	}
	// A command between two rankings makes the cached one stale: the next is computed.
	var fresh latencies
	dr := &driver{pool: pool}
	var entries int
	for i := 0; i < rankSamples; i++ {
		s, err := dr.next()
		if err != nil {
			return err
		}
		if err := runWorkflow(ctx, svc, b.wl, acts, 0, s, fmt.Sprintf("rank-%d", i)); err != nil {
			return err
		}
		t := time.Now()
		rk, err := model.Ranking(campaignID, projections.Bound{})
		if err != nil {
			return err
		}
		fresh = append(fresh, time.Since(t))
		entries = len(rk.Collective.Entries) + len(rk.Individual.Entries)
	}
	b.rep.add("live ranking p50 (cached, no write since)", cached.pct(0.5), "ms", math.NaN(), "", "", nil, "")
	b.rep.add("live ranking p50 (recomputed after a write)", fresh.pct(0.5), "ms", float64(raw.took)/float64(time.Millisecond), "raw read of the whole stream", "", nil,
		fmt.Sprintf("%d nominations, %d eligible ranked", len(noms), entries))
	b.rep.add("live ranking p99 (recomputed after a write)", fresh.pct(0.99), "ms", float64(raw.took)/float64(time.Millisecond), "raw read of the whole stream", "", nil, "")

	// As of a past moment: between 40% and 95% of the history.
	span := b.ls.last.Sub(b.ls.first)
	past := func() time.Time {
		return b.ls.first.Add(time.Duration(float64(span) * (0.4 + 0.55*rng.Float64())))
	}
	var asOf latencies
	for i := 0; i < asOfSamples; i++ {
		id := noms[rng.IntN(len(noms))].ID
		at := past()
		t := time.Now()
		if _, err := model.Eligibility(id, projections.Bound{Time: at}); err != nil && !errors.Is(err, projections.ErrNotFound) {
			return err
		}
		asOf = append(asOf, time.Since(t))
	}
	applied := model.Applied()
	b.rep.add("as-of eligibility p50 (one nomination, a past time)", asOf.pct(0.5), "ms", base, "raw aggregate load p50", "", nil, "")
	b.rep.add("as-of eligibility p99 (one nomination, a past time)", asOf.pct(0.99), "ms", base, "raw aggregate load p50", "≤ 50 ms",
		func(v, _ float64) bool { return v <= 50 }, fmt.Sprintf("store of %d events", b.ls.events))
	var rankAsOf latencies
	entries = 0
	for i := 0; i < rankSamples; i++ {
		at := b.ls.first.Add(time.Duration(float64(span) * []float64{0.6, 0.8, 0.95}[i%3]))
		t := time.Now()
		rk, err := model.Ranking(campaignID, projections.Bound{Time: at})
		if err != nil {
			return err
		}
		rankAsOf = append(rankAsOf, time.Since(t))
		entries = max(entries, len(rk.Collective.Entries)+len(rk.Individual.Entries))
	}
	b.rep.add("as-of ranking p50 (whole campaign, a past time)", rankAsOf.pct(0.5)/1000, "s", raw.took.Seconds(), "raw read of the whole stream", "", nil, "")
	b.rep.add("as-of ranking max (whole campaign, a past time)", rankAsOf.pct(1)/1000, "s", raw.took.Seconds(), "raw read of the whole stream", "≤ 2 s",
		func(v, _ float64) bool { return v <= 2 }, fmt.Sprintf("%d nominations in the campaign, up to %d eligible ranked; model at sequence %d", len(noms), entries, applied))

	// Commands while an auditor replays: one writer's commands alone, then the same number
	// while as-of rankings run back to back beside them. A ranking takes the model's read
	// lock per chunk of nominations, so a command waits at most for one chunk.
	runtime.GC()
	alone, err := workflowCommands(ctx, svc, b.wl, acts, pool, "beside-0", 1, besideOps)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	rankings := make(chan int, 1)
	go func() {
		n := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				rankings <- n
				return
			default:
			}
			at := b.ls.first.Add(time.Duration(float64(span) * []float64{0.6, 0.8, 0.95}[i%3]))
			if _, err := model.Ranking(campaignID, projections.Bound{Time: at}); err == nil {
				n++
			}
		}
	}()
	beside, err := workflowCommands(ctx, svc, b.wl, acts, pool, "beside-1", 1, besideOps)
	close(stop)
	n := <-rankings
	if err != nil {
		return err
	}
	b.rep.add("workflow command latency p99, 1 writer, while as-of rankings run (not a target)", beside.lat.pct(0.99), "ms", alone.lat.pct(0.99),
		"the same commands just before, alone", "", nil,
		fmt.Sprintf("%d commands, %d as-of rankings of the whole campaign beside them; p50 %.2f ms against %.2f ms alone", besideOps, n, beside.lat.pct(0.5), alone.lat.pct(0.5)))

	// Commands while a dashboard polls the live ranking every 10 ms: each command makes
	// the next poll rank the campaign again (its evaluations cached but the command's).
	polled, took, err := b.besideDashboard(ctx, model, func() (rateRun, error) {
		return workflowCommands(ctx, svc, b.wl, acts, pool, "beside-2", 1, besideOps)
	})
	if err != nil {
		return err
	}
	b.rep.add("workflow command latency p99, 1 writer, while a dashboard polls the live ranking (not a target)", polled.lat.pct(0.99), "ms", alone.lat.pct(0.99),
		"the same commands alone, above", "", nil,
		fmt.Sprintf("%d commands, %d live rankings of the whole campaign polled every %s beside them (p50 %.1f ms, max %.1f ms each); command p50 %.2f ms against %.2f ms alone",
			besideOps, len(took), dashboardPoll, took.pct(0.5), took.pct(1), polled.lat.pct(0.5), alone.lat.pct(0.5)))
	return nil
}

// dashboardPoll is how often the bench's dashboard asks for the live ranking.
const dashboardPoll = 10 * time.Millisecond

// besideDashboard runs commands while a dashboard polls the campaign's live ranking every
// dashboardPoll, and returns the commands' run with how long each poll took.
func (b *runner) besideDashboard(ctx context.Context, model *projections.Model, commands func() (rateRun, error)) (rateRun, latencies, error) {
	runtime.GC()
	stop := make(chan struct{})
	polls := make(chan latencies, 1)
	go func() {
		var took latencies
		tick := time.NewTicker(dashboardPoll)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				polls <- took
				return
			case <-ctx.Done():
				polls <- took
				return
			case <-tick.C:
			}
			t := time.Now()
			if _, _, err := model.LiveRanking(campaignID); err == nil {
				took = append(took, time.Since(t))
			}
		}
	}()
	run, err := commands()
	close(stop)
	took := <-polls
	return run, took, err
}

// startup measures the time from nothing to ready on the existing store: the server's
// restart, then the projections from the snapshot (fromSnapshot) or by a full rebuild,
// then the feed caught up with the stream. It returns the time, the time until the
// history's payloads were decoded (the same after a rebuild; later after a snapshot load,
// which decodes them in the background) and, from the snapshot, the length of the tail.
func (b *runner) startup(ctx context.Context, fromSnapshot bool) (ready, decoded time.Duration, tail uint64, err error) {
	t0 := time.Now()
	st, err := b.open(ctx, true)
	if err != nil {
		return 0, 0, 0, err
	}
	b.storeOpen = append(b.storeOpen, time.Since(t0))
	defer st.Close()
	var m *projections.Model
	if fromSnapshot {
		m, err = projections.LoadSnapshotFile(ctx, projections.SnapshotPath(b.dir), st)
	} else {
		m, err = projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	from := m.Applied()
	feed, err := projections.StartFeed(ctx, st, m, b.log)
	if err != nil {
		return 0, 0, 0, err
	}
	ready = time.Since(t0)
	<-m.PayloadsDecoded()
	decoded = time.Since(t0)
	feed.Stop()
	return ready, decoded, m.Applied() - from, nil
}
