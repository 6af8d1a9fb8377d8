package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/metrics"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"
)

// Result is one measured figure, compared with its raw-JetStream baseline.
type Result struct {
	// Name says what was measured.
	Name string `json:"name"`
	// Value is the figure.
	Value float64 `json:"value"`
	// Unit is the figure's unit (cmd/s, events/s, ms, s, MB, ...).
	Unit string `json:"unit"`
	// Baseline is the same quantity measured on raw JetStream in the same run (null: none).
	Baseline *float64 `json:"baseline"`
	// BaselineName says what the baseline is.
	BaselineName string `json:"baseline_name,omitempty"`
	// Ratio is Value / Baseline (null without a baseline).
	Ratio *float64 `json:"ratio"`
	// Target is the figure's target ("" when the figure is informational).
	Target string `json:"target"`
	// Met tells whether the target is met (null without a target).
	Met *bool `json:"met"`
	// Note qualifies the figure.
	Note string `json:"note,omitempty"`
}

// report collects the results of a run.
type report struct {
	results []Result
}

func fptr(v float64) *float64 { return &v }
func bptr(v bool) *bool       { return &v }

// add records a figure. baseline ≤ 0 or NaN means none; check, when given, decides
// whether the target is met from the value and the ratio.
func (r *report) add(name string, value float64, unit string, baseline float64, baselineName, target string, check func(value, ratio float64) bool, note string) {
	res := Result{Name: name, Value: round(value), Unit: unit, Target: target, Note: note}
	ratio := math.NaN()
	if baseline > 0 && !math.IsNaN(baseline) {
		res.Baseline, res.BaselineName = fptr(round(baseline)), baselineName
		ratio = value / baseline
		res.Ratio = fptr(math.Round(ratio*1000) / 1000)
	}
	if check != nil {
		res.Met = bptr(check(value, ratio))
	}
	r.results = append(r.results, res)
}

// round keeps four significant digits.
func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	mag := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

// print writes the table.
func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tunit\tbaseline (raw JetStream)\tratio\ttarget\tmet")
	for _, res := range r.results {
		base, ratio, met := "—", "—", ""
		if res.Baseline != nil {
			base = num(*res.Baseline) + " (" + res.BaselineName + ")"
		}
		if res.Ratio != nil {
			ratio = num(*res.Ratio)
		}
		if res.Met != nil {
			met = "MISSED"
			if *res.Met {
				met = "met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", res.Name, num(res.Value), res.Unit, base, ratio, res.Target, met)
	}
	_ = tw.Flush()
	for _, res := range r.results {
		if res.Note != "" {
			fmt.Fprintf(w, "  * %s: %s\n", res.Name, res.Note)
		}
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// write writes the results as a JSON list.
func (r *report) write(path string) error {
	b, err := json.MarshalIndent(r.results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// latencies holds the durations of one kind of operation.
type latencies []time.Duration

// pct returns the q-quantile (nearest rank) in milliseconds.
func (l latencies) pct(q float64) float64 {
	if len(l) == 0 {
		return math.NaN()
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i]) / float64(time.Millisecond)
}

// gcCycles returns how many collections this process has completed.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// memStatus reads VmHWM and VmRSS of this process, in MiB.
func memStatus() (hwm, rss float64) { return readStatus("/proc/self/status") }

// spread describes a few ratios: lowest, median and highest.
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "none"
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return fmt.Sprintf("%.2f–%.2f, median %.2f", s[0], s[len(s)-1], s[len(s)/2])
}
