package workflows

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"thidua/domain"
	"thidua/projections"
)

// Visible returns a unit's audit trail as p may see it. Every role reads a unit's trail
// (its facts, plans and mergers), but a clerk reads only the nominations their unit
// opened (CanReadNomination): of another unit's unit.nominated events they see that a
// nomination was opened, of which kind, not the individual's name, which the event's
// data and summaries then leave out. A clerk of one department could otherwise read the
// name of another's nominee, on hold for a discipline review or not. Nor do they see the
// unit.hold_noted of such a nomination (hiddenHolds), nor the ground and the council's
// note of an individual's revoked award (unreadableRevocations), nor the ranking a grant
// recorded (grantsWithoutRankings). It serves a campaign's trail too. evs is not changed.
func (s *Service) Visible(p Principal, evs []projections.EventView) []projections.EventView {
	if p.Role != domain.RoleClerk {
		return evs
	}
	if hidden := s.hiddenHolds(p, evs); hidden != nil {
		evs = hidden
	}
	evs = s.unreadableEvidence(p, evs)
	evs = s.unreadableRevocations(p, evs)
	evs = grantsWithoutRankings(evs)
	return rewrite(evs, func(ev projections.EventView) (projections.EventView, bool) {
		if ev.Type != domain.UnitNominated {
			return ev, false
		}
		var d domain.UnitNominatedData
		decoded := json.Unmarshal(ev.Data, &d) == nil
		if decoded && d.Name == "" {
			return ev, false
		}
		if n, err := s.model.Nomination(d.Nomination); decoded && err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory) {
			return ev, false
		}
		name := d.Name
		d.Name = ""
		raw, err := json.Marshal(d)
		if !decoded || err != nil {
			// What cannot be read cannot be redacted: shown without its data, not whole.
			ev.Data = json.RawMessage("null")
			ev.SummaryVI, ev.SummaryEN = "Đơn vị lập hoặc sửa một đề nghị khen thưởng", "The unit opened or corrected a nomination"
			return ev, true
		}
		ev.Data = raw
		ev.SummaryVI = strings.ReplaceAll(ev.SummaryVI, " "+name, "")
		ev.SummaryEN = strings.ReplaceAll(ev.SummaryEN, " "+name, "")
		return ev, true
	})
}

// rewrite returns evs with each event f rewrites (f returns it and true) in its place,
// copying evs once the first is: evs itself is not changed, and is returned as it is when
// f rewrites none.
func rewrite(evs []projections.EventView, f func(projections.EventView) (projections.EventView, bool)) []projections.EventView {
	var out []projections.EventView
	for i, ev := range evs {
		changed, ok := f(ev)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]projections.EventView(nil), evs...)
		}
		out[i] = changed
	}
	if out == nil {
		return evs
	}
	return out
}

// unreadableEvidence returns evs with the name of each fact's evidence that clerk p may not
// read (MayReadDocument) replaced by its hash's first characters and its type by a
// neutral one, as DocumentInfo names such a document: a reviewer may cite a file of an
// individual's dossier, whose name the unit's clerk gave it, often the nominee's (a review
// finding: another unit's clerk read "Báo cáo thành tích - <name>.pdf" in the unit's
// trail). evs is not changed; it is returned as it is when nothing is replaced.
func (s *Service) unreadableEvidence(p Principal, evs []projections.EventView) []projections.EventView {
	return rewrite(evs, func(ev projections.EventView) (projections.EventView, bool) {
		if ev.Type != domain.FactRecorded {
			return ev, false
		}
		var d domain.FactRecordedData
		if json.Unmarshal(ev.Data, &d) != nil || d.Document == nil || s.MayReadDocument(p, d.Document.SHA256) {
			return ev, false
		}
		doc := *d.Document
		doc.Name, doc.ContentType = anonymousName(doc.SHA256, doc.Name), "application/octet-stream"
		d.Document = &doc
		raw, err := json.Marshal(d)
		if err != nil {
			raw = json.RawMessage("null") // what cannot be redacted is not shown
		}
		ev.Data = raw
		return ev, true
	})
}

// hiddenHolds returns evs without the unit.hold_noted events of nominations clerk p may not
// read, and nil when there is none: a hold is a discipline review, an investigation or a
// complaint, and its very type says so, where an opening's kind says nothing (a review
// finding: another unit's clerk read that a nominee was on hold).
func (s *Service) hiddenHolds(p Principal, evs []projections.EventView) []projections.EventView {
	var out []projections.EventView
	for i, ev := range evs {
		if ev.Type != domain.UnitHoldNoted {
			if out != nil {
				out = append(out, ev)
			}
			continue
		}
		var d domain.UnitHoldNotedData
		if json.Unmarshal(ev.Data, &d) == nil {
			if n, err := s.model.Nomination(d.Nomination); err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory) {
				if out != nil {
					out = append(out, ev)
				}
				continue
			}
		}
		if out == nil {
			out = append(make([]projections.EventView, 0, len(evs)), evs[:i]...)
		}
	}
	return out
}

// RevocationReadable reports whether p may read the ground and the council's note of the
// revocation of an award of kind (domain.NomineeCollective or NomineeIndividual) held by
// nomination: a clerk reads those of an individual only when they may read the nomination
// (CanReadNomination). The grant and the revocation themselves stay public, as the
// chairman's decisions are; why a named person's award was taken back (forged documents,
// a false declaration, in the council's words) concerns that person, as a hold does (a
// review finding: every clerk read it, on the campaign's trail, a unit's inherited trail,
// GET /awards/{id} and the dashboard).
func (s *Service) RevocationReadable(p Principal, nomination, kind string) bool {
	if p.Role != domain.RoleClerk || kind != string(domain.NomineeIndividual) {
		return true
	}
	n, err := s.model.Nomination(nomination)
	return err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory)
}

// unreadableRevocations returns evs with the ground and note of each campaign.award_revoked
// p may not read (RevocationReadable) replaced by domain.WithheldUndisclosed and left out,
// in its data and summaries; evs itself is not changed.
func (s *Service) unreadableRevocations(p Principal, evs []projections.EventView) []projections.EventView {
	return rewrite(evs, func(ev projections.EventView) (projections.EventView, bool) {
		if ev.Type != domain.AwardRevoked {
			return ev, false
		}
		var d domain.AwardRevokedData
		decoded := json.Unmarshal(ev.Data, &d) == nil
		if decoded {
			n, err := s.model.Nomination(d.Nomination)
			if err == nil && s.RevocationReadable(p, d.Nomination, string(n.Nominee.Kind)) {
				return ev, false
			}
		}
		ground := d.Ground
		d.Ground, d.Note = domain.WithheldUndisclosed, ""
		raw, err := json.Marshal(d)
		if !decoded || err != nil {
			ev.Data = json.RawMessage("null")
			ev.SummaryVI, ev.SummaryEN = "Thu hồi một khen thưởng", "An award was revoked"
			return ev, true
		}
		ev.Data = raw
		ev.SummaryVI = strings.TrimSuffix(ev.SummaryVI, ": "+domain.TermVI(ground))
		ev.SummaryEN = strings.TrimSuffix(ev.SummaryEN, ": "+ground)
		return ev, true
	})
}

// grantsWithoutRankings returns evs with the ranking each campaign.award_granted recorded
// left out (its ranking_seq kept): it lists every entry as the council read it, a hold's
// included ("within the quota, not recommended", with no one of the person above), which a
// clerk reads through RankingFor, as of that sequence, without them (a review finding).
// evs itself is not changed.
func grantsWithoutRankings(evs []projections.EventView) []projections.EventView {
	return rewrite(evs, func(ev projections.EventView) (projections.EventView, bool) {
		if ev.Type != domain.AwardGranted {
			return ev, false
		}
		var d domain.AwardGrantedData
		if json.Unmarshal(ev.Data, &d) != nil {
			ev.Data = json.RawMessage("null") // what cannot be read cannot be redacted
			return ev, true
		}
		d.Ranking = nil
		raw, err := json.Marshal(d)
		if err != nil {
			raw = json.RawMessage("null")
		}
		ev.Data = raw
		return ev, true
	})
}

// RankingFor returns rk as p may see it, and whether it differs from rk: a clerk who may not
// read a nomination withheld from the recommendations sees it withheld for an undisclosed
// reason (domain.WithheldUndisclosed), whatever the reason: one of them is a hold of the
// person (domain.WithheldPersonOnHold), left out of the unit's trail for them too, and an
// "undisclosed" that stood for it alone would name it all the same (review findings: the
// ranking named the hold beside the person's name, then its stand-in did). An entry
// withheld for a hold (person_on_hold, unit_on_hold) that the clerk may not read is left
// out altogether, and the places below it move up, as for a nomination not eligible: an
// "undisclosed" entry with no entry of the same person or unit recommended above it could
// only be a hold, and told it all the same (a review finding). A hold behind an entry is
// told only to a clerk who reads every nomination of the entry's unit, not to one who reads
// the entry through its history alone (of a unit merged into that one). rk is not changed.
func (s *Service) RankingFor(p Principal, rk projections.RankingView) (projections.RankingView, bool) {
	if p.Role != domain.RoleClerk {
		return rk, false
	}
	changed := false
	redact := func(kv *projections.RankingKindView) {
		var out []projections.RankEntryView // nil until an entry changes
		dropped := false                    // the entry before this one was left out
		for i, e := range kv.Entries {
			keep, withheld := true, e.Withheld
			if e.Withheld != "" && e.Withheld != domain.WithheldUndisclosed {
				n, err := s.model.Nomination(e.Nomination)
				readable := err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory)
				switch {
				case !readable && heldElsewhere(e.Withheld):
					keep = false
				case !readable:
					withheld = domain.WithheldUndisclosed
				case !s.CanReadNomination(p, n.Unit, nil):
					// Their own unit's former nomination, read through its history alone:
					// whatever withholds it, a hold of a nomination of the unit it merged into
					// among them, which they may not read (a review finding: they read
					// unit_on_hold), is undisclosed, so that "undisclosed" stands for no one
					// reason (a review finding: shown the others plainly, it stood for a hold).
					withheld = domain.WithheldUndisclosed
				}
			}
			if out == nil && (!keep || withheld != e.Withheld) {
				out = append(make([]projections.RankEntryView, 0, len(kv.Entries)), kv.Entries[:i]...)
			}
			if out == nil {
				continue
			}
			if !keep {
				dropped = true
				continue
			}
			e.Withheld = withheld
			e.Rank = len(out) + 1
			if dropped {
				// What placed it is told against the entry now above it (a review finding:
				// "placed by: priority" between two entries of no priority named a woman
				// left out above it).
				e.DecidedBy = decidedBy(rk.Keys, out, e)
				dropped = false
			}
			out = append(out, e)
		}
		if out != nil {
			kv.Entries, changed = out, true
		}
	}
	redact(&rk.Collective)
	redact(&rk.Individual)
	return rk, changed
}

// decidedBy returns the first of keys in which e differs from the last of above, what a
// ranking names as the key that placed e below it: "nomination" when only the id does,
// "" for the first place.
func decidedBy(keys []string, above []projections.RankEntryView, e projections.RankEntryView) string {
	if len(above) == 0 {
		return ""
	}
	prev := above[len(above)-1]
	for _, k := range keys {
		if !sameKeyValue(prev.Keys[k], e.Keys[k]) {
			return k
		}
		if k == domain.KeySubmittedAt {
			// Equal times are told apart by the submissions' order in the stream
			// (domain.Rank), which the entries do not carry: it decides (a review finding:
			// the name did, against the ranking's own order).
			if t, ok := e.Keys[k].(time.Time); ok && !t.IsZero() {
				return k
			}
		}
	}
	return "nomination"
}

// sameKeyValue reports whether two values of a ranking key are the same.
func sameKeyValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

// heldElsewhere reports whether an entry withheld for that reason is withheld for a hold
// on another nomination of its unit (domain.WithheldPersonOnHold, domain.WithheldUnitOnHold).
func heldElsewhere(withheld string) bool {
	return withheld == domain.WithheldPersonOnHold || withheld == domain.WithheldUnitOnHold
}

// UnitVersionFor returns the version of unit id (a stream sequence) that p may be told,
// given the unit's version at b: a clerk from whom an event of the unit's trail is hidden
// (hiddenHolds) is told the sequence of the last event they may see, so that the version
// and its ETag move on no event they cannot see (a review finding: a version ahead of the
// trail said a hold had just been noted).
func (s *Service) UnitVersionFor(p Principal, id string, version uint64, b projections.Bound) uint64 {
	if p.Role != domain.RoleClerk || (b.Live() && s.model.UnitLastEventType(id) != domain.UnitHoldNoted) {
		return version // nothing hidden at the end (the cheap look, for lists of units)
	}
	evs, err := s.model.UnitEvents(id, false, b, 0)
	if err != nil {
		return version
	}
	seen := s.hiddenHolds(p, evs)
	if seen == nil {
		return version // nothing hidden
	}
	if len(seen) == 0 {
		return 0
	}
	return seen[len(seen)-1].Seq
}
