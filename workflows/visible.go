package workflows

import (
	"encoding/json"
	"strings"

	"thidua/domain"
	"thidua/projections"
)

// Visible returns a unit's audit trail as p may see it. Every role reads a unit's trail
// (its facts, plans and mergers), but a clerk reads only the nominations their unit
// opened (CanReadNomination): of another unit's unit.nominated events they see that a
// nomination was opened, of which kind, not the individual's name, which the event's
// data and summaries then leave out. A clerk of one department could otherwise read the
// name of another's nominee, on hold for a discipline review or not. Nor do they see the
// unit.hold_noted of such a nomination (hiddenHolds). evs is not changed.
func (s *Service) Visible(p Principal, evs []projections.EventView) []projections.EventView {
	if p.Role != domain.RoleClerk {
		return evs
	}
	if hidden := s.hiddenHolds(p, evs); hidden != nil {
		evs = hidden
	}
	evs = s.unreadableEvidence(p, evs)
	var out []projections.EventView
	for i, ev := range evs {
		if ev.Type != domain.UnitNominated {
			continue
		}
		var d domain.UnitNominatedData
		decoded := json.Unmarshal(ev.Data, &d) == nil
		if decoded && d.Name == "" {
			continue
		}
		if n, err := s.model.Nomination(d.Nomination); decoded && err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory) {
			continue
		}
		if out == nil {
			out = append([]projections.EventView(nil), evs...)
		}
		name := d.Name
		d.Name = ""
		raw, err := json.Marshal(d)
		if !decoded || err != nil {
			// What cannot be read cannot be redacted: shown without its data, not whole.
			out[i].Data = json.RawMessage("null")
			out[i].SummaryVI, out[i].SummaryEN = "Đơn vị lập hoặc sửa một đề nghị khen thưởng", "The unit opened or corrected a nomination"
			continue
		}
		out[i].Data = raw
		out[i].SummaryVI = strings.ReplaceAll(ev.SummaryVI, " "+name, "")
		out[i].SummaryEN = strings.ReplaceAll(ev.SummaryEN, " "+name, "")
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
	var out []projections.EventView
	for i, ev := range evs {
		if ev.Type != domain.FactRecorded {
			continue
		}
		var d domain.FactRecordedData
		if json.Unmarshal(ev.Data, &d) != nil || d.Document == nil || s.MayReadDocument(p, d.Document.SHA256) {
			continue
		}
		doc := *d.Document
		doc.Name, doc.ContentType = anonymousName(doc.SHA256, doc.Name), "application/octet-stream"
		d.Document = &doc
		raw, err := json.Marshal(d)
		if err != nil {
			continue
		}
		if out == nil {
			out = append([]projections.EventView(nil), evs...)
		}
		out[i].Data = raw
	}
	if out == nil {
		return evs
	}
	return out
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

// RankingFor returns rk as p may see it, and whether it differs from rk: a clerk who may not
// read a nomination withheld from the recommendations sees it withheld for an undisclosed
// reason (domain.WithheldUndisclosed), whatever the reason: one of them is a hold of the
// person (domain.WithheldPersonOnHold), left out of the unit's trail for them too, and an
// "undisclosed" that stood for it alone would name it all the same (review findings: the
// ranking named the hold beside the person's name, then its stand-in did). A hold behind
// an entry (person_on_hold, unit_on_hold) is told only to a clerk who reads every
// nomination of the entry's unit, not to one who reads the entry through its history alone
// (of a unit merged into that one). rk is not changed.
func (s *Service) RankingFor(p Principal, rk projections.RankingView) (projections.RankingView, bool) {
	if p.Role != domain.RoleClerk {
		return rk, false
	}
	changed := false
	redact := func(kv *projections.RankingKindView) {
		copied := false
		for i, e := range kv.Entries {
			if e.Withheld == "" || e.Withheld == domain.WithheldUndisclosed {
				continue
			}
			if n, err := s.model.Nomination(e.Nomination); err == nil && s.CanReadNomination(p, n.Unit, n.UnitHistory) {
				if !heldElsewhere(e.Withheld) || s.CanReadNomination(p, n.Unit, nil) {
					continue
				}
				// A hold behind the entry is of another nomination of its unit, which a
				// clerk who reads the entry through its history alone (of a unit merged
				// into that one) may not read (a review finding: they read unit_on_hold).
			}
			if !copied {
				kv.Entries, copied = append([]projections.RankEntryView(nil), kv.Entries...), true
			}
			kv.Entries[i].Withheld = domain.WithheldUndisclosed
			changed = true
		}
	}
	redact(&rk.Collective)
	redact(&rk.Individual)
	return rk, changed
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
