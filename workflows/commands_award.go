package workflows

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// GrantInput is the council's decision to award a nomination.
type GrantInput struct {
	// Nomination and Decision are the id of the campaign's nomination to award and the
	// award decision: its number and date (1 to 2,000 characters).
	Nomination, Decision string
}

// GrantAward grants the campaign's award to an eligible nomination within the quota
// (council). The campaign aggregate guards the quota and the one-award-per-lineage rule;
// the decision records the ranking it relied on. Campaign and nomination are appended
// atomically.
func (s *Service) GrantAward(ctx context.Context, p Principal, campaign string, in GrantInput, o Options) (Result, error) {
	if err := require(p, domain.RoleCouncil); err != nil {
		return Result{}, err
	}
	if err := validID("campaign", campaign); err != nil {
		return Result{}, err
	}
	if err := validID("nomination", in.Nomination); err != nil {
		return Result{}, err
	}
	award := newID()
	// The decision needs the campaign's ranking. Computed here, outside the model's lock,
	// a chunk at a time, it is cached; the decision then takes it from the cache unless a
	// commit came between, and commands are not held up while a large campaign ranks.
	// Not while the history is still being decoded after a start: the ranking would wait
	// for it without heeding ctx (the decision's own wait does).
	select {
	case <-s.model.PayloadsDecoded():
		_, _, _ = s.model.LiveRanking(campaign)
	default:
	}
	return s.run(ctx, p, o, func(st *projections.State) (_ plan, err error) {
		var cv eventstore.Version
		// A stale If-Match is 412 before the domain's own refusal, as for every dossier
		// command (a review finding: a second council member's grant or revocation on a
		// stale tag was told already_awarded, or 412, by timing alone).
		defer func() { err = staleFirst(o, cv, err) }()
		c, cv := st.Campaign(campaign)
		if c == nil {
			return plan{}, notFound("campaign", campaign)
		}
		n, nv := st.Nomination(in.Nomination)
		if n == nil || n.Campaign() != campaign {
			return plan{}, notFound("nomination", in.Nomination)
		}
		if n.SubmittedBy() == p.UserID || n.OpenedBy() == p.UserID {
			return plan{}, &Error{Kind: ErrForbidden, Code: "conflict_of_interest", Message: "nobody may grant an award to a nomination they opened or submitted"}
		}
		el, err := st.Eligibility(in.Nomination)
		if err != nil {
			return plan{}, err
		}
		if err := domain.CheckNomineeNotOnHold(n, st.NominationsOfUnitEverywhere(n.Unit())); err != nil {
			return plan{}, err
		}
		rk, err := st.Ranking(campaign)
		if err != nil {
			return plan{}, err
		}
		kind := n.Nominee().Kind
		refs := domain.RankingRelied{Entries: rk.Relied(kind)}
		if !st.Gapped() {
			// The state is the stream up to its last commit: a replay up to the ranking's
			// last event ranks the same.
			refs.Seq = rk.AsOfSeq
		}
		sum := domain.NominationSummary{ID: n.ID(), Unit: n.Unit(), Kind: kind, Lineage: st.Lineage(n.Unit()), Name: n.Nominee().Name}
		cevs, err := c.Grant(award, sum, el.Eligible, in.Decision, refs)
		var re *domain.RuleError
		if errors.As(err, &re) && re.Code == "not_eligible" {
			// Say why, as the eligibility does.
			var en, vi []string
			for _, r := range el.Reasons {
				en, vi = append(en, r.MessageEN), append(vi, r.MessageVI)
			}
			re.Message += ": " + strings.Join(en, "; ")
			re.MessageVI += ": " + strings.Join(vi, "; ")
		}
		if err != nil {
			return plan{}, err
		}
		def := c.Definition()
		nevs, err := n.Award(award, in.Decision, &def)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: award, verify: s.dossierReadable(st, n)}
		pl.add(campRef(campaign), cv, cevs)
		pl.add(nomRef(n.ID()), nv, nevs)
		// The units whose facts and plan the eligibility read go into the append at the
		// versions it read them at: a fact recorded meanwhile loses the race or makes the
		// grant decide again (domain.UnitAwardNoted).
		for _, u := range evidenceUnits(st, n) {
			if unit, uv := st.Unit(u); unit != nil {
				pl.add(unitRef(u), uv, domain.AwardNoted(campaign, award, n))
			}
		}
		return pl, nil
	})
}

// dossierReadable returns the check a grant makes once it has decided to award n, before
// it appends (plan.verify): it refuses (domain.DossierUnreadable) while the dossier cites
// a document the store no longer holds whole, removed or changed behind the engine's back:
// the latest document of each part, every supporting file, and a collective's plan its
// eligibility reads. The events cannot tell (a review finding: the council granted on a
// dossier whose letter was gone, and the running server's integrity report said nothing),
// so the store is read, outside the model's lock; a grant is rare, and its dossier a few
// files. Everything else the grant would answer comes first, having been decided before
// (a retry's first answer, a stale If-Match, the domain's refusals: quota, holds,
// lineage; reviews of the earlier versions found each answered document_unreadable). The
// caller holds the model's read lock.
func (s *Service) dossierReadable(st *projections.State, n *domain.Nomination) func(context.Context) error {
	type part struct {
		kind domain.DocKind
		sha  string
	}
	var parts []part
	for kind, docs := range n.Documents() {
		if kind == domain.DocSupporting {
			for _, d := range docs {
				parts = append(parts, part{kind, d.Document.SHA256})
			}
		} else if len(docs) > 0 {
			parts = append(parts, part{kind, docs[len(docs)-1].Document.SHA256})
		}
	}
	if n.Nominee().Kind == domain.NomineeCollective {
		// A collective's eligibility reads its unit's plan; an individual's none (a
		// review finding: an individual's grant was refused for the plan).
		if plan, ok := st.EvidencePlan(n.ID()); ok {
			parts = append(parts, part{domain.PlanPart, plan.SHA256})
		}
	}
	slices.SortFunc(parts, func(a, b part) int {
		return cmp.Or(strings.Compare(string(a.kind), string(b.kind)), strings.Compare(a.sha, b.sha))
	})
	return func(ctx context.Context) error {
		for _, p := range parts {
			if _, err := s.store.GetDocument(ctx, p.sha); err != nil {
				if errors.Is(err, eventstore.ErrDocumentNotFound) || errors.Is(err, eventstore.ErrDocumentCorrupt) {
					s.log.Warn("grant refused: a dossier document cannot be read", "sha256", p.sha, "err", err)
					return domain.DossierUnreadable(p.kind, p.sha)
				}
				return s.documentError(err)
			}
			s.documentWhole(p.sha)
		}
		return nil
	}
}

// evidenceUnits returns the units whose facts and plan a nomination's eligibility reads:
// its line (the unit it was opened for, then each successor a merger passed it to) and
// the units the first of them had absorbed (projections' unitEvidence).
func evidenceUnits(st *projections.State, n *domain.Nomination) []string {
	path := n.EvidencePath()
	out := slices.Clone(path)
	for _, u := range st.Lineage(path[0]) {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// RevokeInput is the council's revocation of an award.
type RevokeInput struct {
	// Ground and Note are the revocation ground ("false_declaration", "forged_documents",
	// "unlawful_approval" or "criteria_unmet") and the council's reasons (1 to 2,000 characters).
	Ground, Note string
}

// RevokeAward revokes an award on a legal ground, which frees its place (council).
func (s *Service) RevokeAward(ctx context.Context, p Principal, award string, in RevokeInput, o Options) (Result, error) {
	if err := require(p, domain.RoleCouncil); err != nil {
		return Result{}, err
	}
	if err := validID("award", award); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (_ plan, err error) {
		var cv eventstore.Version
		defer func() { err = staleFirst(o, cv, err) }() // as GrantAward's
		campaign, ok := st.AwardCampaign(award)
		if !ok {
			return plan{}, notFound("award", award)
		}
		c, cv := st.Campaign(campaign)
		a, ok := c.Award(award)
		if !ok {
			return plan{}, notFound("award", award)
		}
		n, nv := st.Nomination(a.Nomination)
		if n == nil {
			return plan{}, notFound("nomination", a.Nomination)
		}
		cevs, err := c.Revoke(award, in.Ground, in.Note)
		if err != nil {
			return plan{}, err
		}
		nevs, err := n.RevokeAward(award, in.Ground, in.Note)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: award}
		pl.add(campRef(campaign), cv, cevs)
		pl.add(nomRef(n.ID()), nv, nevs)
		return pl, nil
	})
}
