package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/memory"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// The rebuild and its baseline, the raw read, are measured again in processes of their
// own, one after the other on the same data directory: a rebuild runs in `thidua replay`
// or `thidua serve`, not beside the bench's generated workload (3–6 GB of heap that every
// collection during the rebuild also marks). The rebuild's child loads with thidua's own
// collector setting (memory.WhileLoading), the raw read's with GOGC=rawGCPercent. Both
// advise their heap's growth for huge pages (memory.PreferHugePages, part of
// WhileLoading): a setting of the process, not work thidua does, and it makes the raw
// read faster too (3.5–3.75 s against 4.1–4.65 s on 2026-12-05), so the baseline has it.

// Read modes of a measuring child (Config.Read).
const (
	// ReadRaw reads the stream with one raw ordered consumer, decoding nothing.
	ReadRaw = "raw"
	// ReadRebuild rebuilds every projection from the stream (projections.Rebuild).
	ReadRebuild = "rebuild"
	// ReadDecode does a rebuild's decoding alone (projections.StageDecode): what the
	// JSON envelopes and payloads, and the content hashes, cost.
	ReadDecode = "decode"
	// ReadFold does a rebuild's decoding and folds the events into the aggregates'
	// current states only (projections.StageFold).
	ReadFold = "fold"
)

// readModes returns the modes a measuring child takes, in the order each round runs them.
func readModes() []string { return []string{ReadRaw, ReadDecode, ReadFold, ReadRebuild} }

// readPairs is how many raw reads and rebuilds the child processes alternate.
const readPairs = 3

// ReadResult is what a measuring child prints: one line of JSON.
type ReadResult struct {
	// Mode is ReadRaw, ReadDecode, ReadFold or ReadRebuild.
	Mode string `json:"mode"`
	// Messages is the number of stream messages read.
	Messages uint64 `json:"messages"`
	// Events is the number of events decoded (0 for a raw read).
	Events int `json:"events"`
	// Seconds is how long the read took, from the consumer's creation to the last message
	// (a raw read) or the model's completion (a rebuild); the server's start is not counted.
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time over the same span.
	CPUSeconds float64 `json:"cpu_seconds"`
	// PeakRSSMiB is the process's peak resident memory (VmHWM) at the end of the read: the
	// memory it wrote for the first time, which this machine charges dearly (freshMemory).
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// MeasureRead opens the store in dir (syncing every write, as the bench's measured
// server does), reads it once in the given mode, and prints the ReadResult to w.
func MeasureRead(ctx context.Context, dir, mode string, w io.Writer) error {
	switch mode {
	case ReadRaw, ReadDecode, ReadFold, ReadRebuild:
	default:
		return fmt.Errorf("bench: read mode %q: want one of %s", mode, strings.Join(readModes(), ", "))
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("bench: data directory: %w", err)
	}
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), eventstore.WithSyncAlways(true),
		eventstore.WithRegistry(workflows.EventRegistry()))
	if err != nil {
		return err
	}
	defer st.Close()
	// The rebuild loads as thidua does; the raw read's process has GOGC set (childEnv), which
	// wins over the collector's setting, so for it only the huge-page advice applies.
	load := memory.WhileLoading(slog.New(slog.DiscardHandler))
	defer load.End()
	res := ReadResult{Mode: mode}
	if mode == ReadRaw {
		raw, err := rawRead(ctx, st)
		if err != nil {
			return err
		}
		res.Messages, res.Seconds, res.CPUSeconds = uint64(raw.msgs), raw.took.Seconds(), raw.cpu
	} else {
		// The rebuild and its stages grow the heap as a rebuild does (memory.HugePages'
		// Rebuilding); the raw read keeps next to nothing.
		n, err := st.StoredBytes(ctx)
		if err != nil {
			return err
		}
		load.Huge.Rebuilding(n)
		runtime.GC()
		t0, cpu0 := time.Now(), cpuSeconds()
		if mode == ReadRebuild {
			m, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
			if err != nil {
				return err
			}
			stats := m.Stats()
			res.Messages, res.Events = stats.Applied, stats.Events
		} else {
			sr, err := projections.ReadStage(ctx, st, eventstore.ReadOptions{}, projections.Stage(mode))
			if err != nil {
				return err
			}
			res.Messages, res.Events = uint64(sr.Commits), sr.Events
		}
		res.Seconds, res.CPUSeconds = time.Since(t0).Seconds(), cpuSeconds()-cpu0
	}
	res.PeakRSSMiB, _ = memStatus()
	return json.NewEncoder(w).Encode(res)
}

// readProcess runs one measuring child on the bench's data directory (the store closed
// by the caller), after the same pause as a server start.
func (b *runner) readProcess(ctx context.Context, mode string) (ReadResult, error) {
	exe, err := os.Executable()
	if err != nil || !strings.HasPrefix(filepath.Base(exe), "thidua") {
		return ReadResult{}, errSkipServer
	}
	if err := b.settleWarm(ctx, mode); err != nil {
		return ReadResult{}, err
	}
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "bench", "--read-only", b.dir, "--read", mode)
	cmd.Env = childEnv(os.Environ(), mode)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return ReadResult{}, fmt.Errorf("bench: %s read in a process of its own: %w: %s", mode, err, strings.TrimSpace(errOut.String()))
	}
	var res ReadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return ReadResult{}, fmt.Errorf("bench: %s read in a process of its own printed %q: %w", mode, out.String(), err)
	}
	return res, nil
}

// rawGCPercent is the collector's target (GOGC) of the raw read's process: the setting
// thidua loaded with until 2026-12-05, which suits a read that keeps nothing (0.46–0.51 GB
// peak RSS; at Go's default or under thidua's loading policy it is no faster).
const rawGCPercent = 200

// childEnv is a measuring child's environment: the raw read with GOGC=rawGCPercent, the
// rebuild without GOGC, so that it loads as `thidua replay` and `thidua serve` do
// (memory.WhileLoading).
func childEnv(env []string, mode string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") {
			out = append(out, kv)
		}
	}
	if mode == ReadRaw {
		out = append(out, "GOGC="+strconv.Itoa(rawGCPercent))
	}
	return out
}

// readProcesses alternates raw reads, the rebuild's stages and rebuilds in processes of
// their own, and reports the ratio of their median rates as the rebuild's figure (and the
// stages' figures, which have no target: they show where the rebuild's time goes).
func (b *runner) readProcesses(ctx context.Context) error {
	runs := map[string][]ReadResult{}
	for i := 0; i < readPairs; i++ {
		for _, mode := range readModes() {
			res, err := b.readProcess(ctx, mode)
			if err != nil {
				return err
			}
			b.logf("  %s in a process of its own: %d messages, %d events in %.2f s (%.1f CPU-s, peak RSS %.0f MiB)", mode, res.Messages, res.Events, res.Seconds, res.CPUSeconds, res.PeakRSSMiB)
			runs[mode] = append(runs[mode], res)
		}
	}
	// All read the same stream: a ratio is that of their times, and the baseline is the
	// stream's events at the raw read's pace.
	raws := runs[ReadRaw]
	raw := medianRead(raws)
	row := func(mode, name, target string, met func(_, r float64) bool, what string) {
		med := medianRead(runs[mode])
		pairs := make([]string, len(raws))
		for i := range raws {
			pairs[i] = fmt.Sprintf("%.2f", raws[i].Seconds/runs[mode][i].Seconds)
		}
		events := float64(med.Events)
		b.rep.add(name, events/med.Seconds, "events/s",
			events/raw.Seconds, "one raw ordered consumer reading the same stream, no decode, in a process of its own", target, met,
			fmt.Sprintf("medians of %d alternated runs each, the raw read with GOGC=%d, the others with thidua's own setting while loading (memory.WhileLoading), all with the heap's growth advised for huge pages; %s %.2f s at %.1f CPU-s and a peak RSS of %.0f MiB, raw read of %d messages %.2f s at %.1f CPU-s and %.0f MiB; ratio per pair %s",
				readPairs, rawGCPercent, what, med.Seconds, med.CPUSeconds, med.PeakRSSMiB, raw.Messages, raw.Seconds, raw.CPUSeconds, raw.PeakRSSMiB, strings.Join(pairs, ", ")))
	}
	row(ReadRebuild, "projection rebuild, in a process of its own (projections.Rebuild, as in `thidua replay`)", "≥ 0.60 × baseline",
		func(_, r float64) bool { return r >= 0.60 }, "rebuild")
	row(ReadDecode, "the rebuild's decoding alone: envelopes, payloads, content hashes; nothing kept (projections.StageDecode; not a target)", "", nil, "decoding")
	row(ReadFold, "the rebuild's decoding and the fold into current states alone; no history, keys or indexes (projections.StageFold; not a target)", "", nil, "decoding and fold")
	return nil
}

// settleWarm waits for the disk to settle (settle), then reads the data directory into the
// page cache, before a measured process starts. Both sides of the rebuild's ratio read the
// stream from memory, as a running server's would be, and a server starts from a snapshot
// it wrote itself: this machine's page cache does not keep them from one minute to the
// next, and a read from its disk (2–5× slower from one minute to the next) would measure
// the disk, not thidua.
func (b *runner) settleWarm(ctx context.Context, label string) error {
	if err := settle(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	n, err := readFiles(b.dir)
	if err != nil {
		return err
	}
	b.logf("  %s: the data directory's %d MiB read into the page cache in %s", label, n>>20, time.Since(t0).Round(time.Millisecond))
	return nil
}

// readFiles reads every file under dir and returns how many bytes it read.
func readFiles(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(io.Discard, f)
		total += n
		return err
	})
	return total, err
}

// medianRead returns the result with the median time.
func medianRead(rs []ReadResult) ReadResult {
	s := append([]ReadResult(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Seconds < s[j].Seconds })
	return s[len(s)/2]
}
