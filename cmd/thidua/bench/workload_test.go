package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

// digest hashes everything a workload would append: every unit's and nomination's
// commands, as the events they produce.
func digest(t testing.TB, w *Workload) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range w.Units {
		u := &w.Units[i]
		fmt.Fprintf(h, "%s|%s|%s|%s|%v\n", u.ID, u.Name, u.Kind, u.Parent, u.Bench)
		for k := range u.script {
			if err := enc.Encode(w.unitEvents(i, k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range w.Nominations {
		n := &w.Nominations[i]
		fmt.Fprintf(h, "%s|%d|%+v|%v|%d\n", n.ID, n.Unit, n.Nominee, n.Bench, n.start)
		for k := range n.script {
			if err := enc.Encode(w.nominationEvents(i, k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Generate(Seed, 0.02, 20), Generate(Seed, 0.02, 20)
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Fatalf("two workloads of the same seed differ: %s vs %s", da, db)
	}
	if digest(t, a) == digest(t, Generate(Seed+1, 0.02, 20)) {
		t.Fatal("another seed gave the same workload")
	}
}

func TestGenerateSizes(t *testing.T) {
	t.Parallel()
	w := Generate(Seed, 0.1, benchUnits)
	if len(w.Units) != 2000 || len(w.Nominations) != 10000 {
		t.Fatalf("scale 0.1: %d units, %d nominations; want 2000 and 10000", len(w.Units), len(w.Nominations))
	}
	_, events := w.Counts()
	if events < 85000 || events > 115000 {
		t.Errorf("scale 0.1: %d events, want about 100,000", events)
	}
	steps := 0
	for i, n := range w.Nominations {
		if n.Bench {
			steps += len(w.steps(i))
		}
	}
	// Every measured run may leave one nomination per writer half done.
	need := 30 + singleOps + writers*perWriterOps + writers*perClientOps + rankSamples + (1+2*writers)*slices*10 + 10
	if steps < need {
		t.Errorf("the bench nominations offer %d commands, the measured runs need up to %d", steps, need)
	}
	// The raw baseline appends to one companion subject per bench nomination, as many
	// times as it has steps; each writer of each raw run may leave one half used.
	most := 0
	for i, n := range w.Nominations {
		if n.Bench {
			most = max(most, len(w.steps(i)))
		}
	}
	if rawNeed := singleOps + writers*perWriterOps + writers*perClientOps + (1+2*writers)*slices*most; steps < rawNeed {
		t.Errorf("the companion subjects offer %d appends, the raw runs need up to %d", steps, rawNeed)
	}
	seen := map[string]bool{}
	for _, n := range w.Nominations {
		if seen[n.ID] {
			t.Fatalf("nomination id %s twice", n.ID)
		}
		seen[n.ID] = true
	}
}

// TestScriptsAreWhatTheDomainDecides replays every generated command through the domain's
// decision functions: the bulk load appends exactly the events the workflow layer would.
func TestScriptsAreWhatTheDomainDecides(t *testing.T) {
	t.Parallel()
	w := Generate(Seed, 0.02, 20)
	def := domain.BuiltinCampaign()
	// After the bench votes' meeting (2025-09-10), as the measured commands run (the bulk load
	// ends in November 2025).
	now := time.Date(2025, 9, 11, 3, 0, 0, 0, time.UTC)
	var seq uint64
	apply := func(evs []domain.Event, fn func(domain.Recorded)) {
		seq++
		for j, e := range evs {
			fn(domain.Recorded{ID: fmt.Sprintf("e%d-%d", seq, j), Type: e.Type, Seq: seq, At: now, Data: e.Data})
		}
	}
	units := map[string]*domain.Unit{}
	for i := range w.Units {
		u := &w.Units[i]
		agg := domain.NewUnit()
		for k, o := range u.script {
			var want []domain.Event
			var err error
			switch o.code {
			case opRegister:
				want, err = agg.Register(u.ID, u.Name, u.Kind, u.Parent)
			case opPlan:
				d := w.unitEvents(i, k)[0].Data.(domain.PlanSubmittedData)
				want, err = agg.SubmitPlan(d.Campaign, d.Document)
			case opFact:
				want, err = agg.RecordFact(def, w.unitEvents(i, k)[0].Data.(domain.FactRecordedData))
			}
			got := w.unitEvents(i, k)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("unit %s command %d: generated %+v, the domain decides %+v (%v)", u.ID, k, got, want, err)
			}
			apply(got, agg.Apply)
		}
		units[u.ID] = agg
	}
	for i := range w.Nominations {
		n := &w.Nominations[i]
		agg := domain.NewNomination()
		for k, o := range n.script {
			got := w.nominationEvents(i, k)
			var want []domain.Event
			var err error
			switch o.code {
			case opOpen:
				in := n.Nominee
				if in.Kind == domain.NomineeCollective {
					in.Name = ""
				}
				want, err = domain.OpenNomination(n.ID, def, units[w.Units[n.Unit].ID], nil, in, now)
			case opDoc:
				d := got[0].Data.(domain.DocumentAttachedData)
				want, err = agg.AttachDocument(d.Kind, d.Document)
			case opVote:
				want, err = agg.RecordVote(voteOf(o), def, now)
			case opSubmit:
				want, err = agg.Submit(def, nil, now)
			case opRule:
				d := got[len(got)-1].Data
				if o.b&ruleCompletes != 0 {
					d = got[len(got)-2].Data
				}
				r := d.(domain.CriterionRuledData)
				want, err = agg.Rule(def, r.Criterion, r.Result, r.Note, nil)
			case opReturn:
				want, err = agg.Return(got[0].Data.(domain.ReasonData).Reason)
			case opHold:
				want, err = agg.Hold(got[0].Data.(domain.ReasonData).Reason)
			case opRelease:
				want, err = agg.Release(got[0].Data.(domain.ReasonData).Reason)
			case opWithdraw:
				want, err = agg.Withdraw(got[0].Data.(domain.ReasonData).Reason)
			}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("nomination %s command %d (%d): generated %+v, the domain decides %+v (%v)", n.ID, k, o.code, got, want, err)
			}
			apply(got, agg.Apply)
		}
		if n.Bench && agg.State() != domain.StateDraft {
			t.Fatalf("bench nomination %s is %s, want draft", n.ID, agg.State())
		}
		// The measured commands take a bench nomination to verified.
		if n.Bench {
			for _, s := range w.steps(i) {
				var evs []domain.Event
				var err error
				switch s.kind {
				case "vote":
					evs, err = agg.RecordVote(benchVote, def, now)
				case "submit":
					evs, err = agg.Submit(def, nil, now)
				case "rule":
					evs, err = agg.Rule(def, s.criterion, domain.ResultMet, "", nil)
				}
				if err != nil {
					t.Fatalf("bench nomination %s, %s: %v", n.ID, s.kind, err)
				}
				apply(evs, agg.Apply)
			}
			if agg.State() != domain.StateVerified {
				t.Fatalf("bench nomination %s ends %s, want verified", n.ID, agg.State())
			}
		}
	}
}

// BenchmarkGenerate measures generating the scale-0.1 workload.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(Seed, 0.1, benchUnits)
	}
}

// TestRunRefusesTooSmallAScale checks that a scale too small for the measured commands is
// refused before anything is generated or written.
func TestRunRefusesTooSmallAScale(t *testing.T) {
	t.Parallel()
	for _, scale := range []float64{0, -1, 0.05, math.NaN()} {
		dir := t.TempDir()
		out := filepath.Join(dir, "results.json")
		err := Run(context.Background(), Config{Scale: scale, Out: out, Dir: dir}, io.Discard)
		require.Error(t, err, "scale %g", scale)
		assert.Contains(t, err.Error(), "at least 0.1")
		entries, _ := os.ReadDir(dir)
		assert.Empty(t, entries, "scale %g: nothing written", scale)
	}
}
