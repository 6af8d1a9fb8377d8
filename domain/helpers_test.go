package domain_test

import (
	"fmt"
	"testing"
	"time"

	"thidua/domain"
)

// applier is any aggregate that evolves by recorded events.
type applier interface{ Apply(domain.Recorded) }

// stream hands out sequences, ids and times like an event store would.
type stream struct {
	seq uint64
	at  time.Time
}

func newStream() *stream {
	return &stream{at: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
}

// record turns one decided event into a recorded one.
func (s *stream) record(e domain.Event) domain.Recorded {
	s.seq++
	s.at = s.at.Add(time.Minute)
	return domain.Recorded{ID: fmt.Sprintf("ev%03d", s.seq), Type: e.Type, Seq: s.seq, At: s.at,
		Actor: domain.Actor{User: "u-test", Role: domain.RoleReviewer}, Data: e.Data}
}

// apply records events and applies them to the aggregate, returning their ids.
func (s *stream) apply(a applier, evs ...domain.Event) []string {
	ids := make([]string, 0, len(evs))
	for _, e := range evs {
		r := s.record(e)
		// Every event a decision makes is one an audit admits where the aggregate stands.
		switch agg := a.(type) {
		case *domain.Campaign:
			if why := agg.Refuses(r); why != "" {
				panic(fmt.Sprintf("an audit refuses %s decided on the campaign: %s", e.Type, why))
			}
		case *domain.Nomination:
			// Every test's nomination is of the built-in campaign (quotas aside, which
			// the nomination's rules do not read).
			def := domain.BuiltinCampaign()
			if why := agg.Refuses(r, &def); why != "" {
				panic(fmt.Sprintf("an audit refuses %s decided on the nomination in %s: %s", e.Type, agg.State(), why))
			}
		}
		a.Apply(r)
		ids = append(ids, r.ID)
	}
	return ids
}

// must returns a function that fails the test on a decision error and returns the events.
func must(t *testing.T) func([]domain.Event, error) []domain.Event {
	t.Helper()
	return func(evs []domain.Event, err error) []domain.Event {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return evs
	}
}

func f64(v float64) *float64 { return &v }

// inWindow is a moment inside the built-in campaign.
var inWindow = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

func doc(name string) domain.DocumentRef {
	return domain.DocumentRef{ID: "sha-" + name, SHA256: "sha-" + name, Size: 10, Name: name + ".pdf", ContentType: "application/pdf"}
}

// activeUnit returns a registered unit of the kind.
func activeUnit(t *testing.T, s *stream, id string, kind domain.UnitKind) *domain.Unit {
	t.Helper()
	u := domain.NewUnit()
	s.apply(u, must(t)(domain.RegisterUnit(id, "Sở "+id, kind, ""))...)
	return u
}

// draft opens a nomination and returns it.
func draft(t *testing.T, s *stream, def domain.Definition, id string, unit *domain.Unit, nominee domain.Nominee) *domain.Nomination {
	t.Helper()
	n := domain.NewNomination()
	s.apply(n, must(t)(domain.OpenNomination(id, def, unit, nil, nominee, inWindow))...)
	return n
}

// complete attaches the dossier and a passing vote.
func complete(t *testing.T, s *stream, def domain.Definition, n *domain.Nomination) {
	t.Helper()
	for _, k := range def.DossierParts {
		s.apply(n, must(t)(n.AttachDocument(k, doc(string(k))))...)
	}
	s.apply(n, must(t)(n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-05-20", Members: 9, Present: 9, Approve: 9}, def, inWindow))...)
}

// submitted returns a complete, submitted nomination.
func submitted(t *testing.T, s *stream, def domain.Definition, id string, unit *domain.Unit, nominee domain.Nominee) *domain.Nomination {
	t.Helper()
	n := draft(t, s, def, id, unit, nominee)
	complete(t, s, def, n)
	s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
	return n
}

// ruleAll rules every ruling-judged criterion applicable to the nominee met.
func ruleAll(t *testing.T, s *stream, def domain.Definition, n *domain.Nomination) {
	t.Helper()
	for _, c := range domain.ApplicableCriteria(def, n.Nominee()) {
		if c.JudgedBy == domain.JudgedByRuling {
			s.apply(n, must(t)(n.Rule(def, c.ID, domain.ResultMet, "ok", nil))...)
		}
	}
}

// fact records a fact on the unit and applies it to the fact set; it returns the event id.
func fact(t *testing.T, s *stream, def domain.Definition, u *domain.Unit, fs *domain.FactSet, d domain.FactRecordedData) string {
	t.Helper()
	evs := must(t)(u.RecordFact(def, d))
	r := s.record(evs[0])
	u.Apply(r)
	fs.Apply(def.ID, r)
	return r.ID
}

func reasonCodes(el domain.Eligibility) []string {
	var out []string
	for _, r := range el.Reasons {
		if r.Criterion != "" {
			out = append(out, r.Criterion+":"+r.Code)
		} else {
			out = append(out, r.Code)
		}
	}
	return out
}
