package projections

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// ReasonIntegrityBroken is the eligibility reason of a nomination whose events, or the
// events of the unit or campaign its evaluation relies on, break their hash chain.
const ReasonIntegrityBroken = "integrity_broken"

// Integrity statuses.
const (
	// IntegrityOK means every event the answer relies on verifies.
	IntegrityOK = "ok"
	// IntegrityBroken means at least one event was altered or appended behind the store's back.
	IntegrityBroken = "broken"
)

// Problems an integrity check can find in one event (each is in ProblemKinds too).
const (
	// ProblemHashMismatch: the event's content does not hash to the hash it claims (altered).
	ProblemHashMismatch = "hash_mismatch"
	// ProblemChainBroken: the event does not record its predecessor's hash (inserted, or
	// its predecessor altered).
	ProblemChainBroken = "chain_broken"
	// ProblemAggregateMismatch: the event names another aggregate than the subject or the
	// commit it is stored in.
	ProblemAggregateMismatch = "aggregate_mismatch"
	// ProblemActor: the event's actor could not have caused it — not a registered user at
	// that point of the stream, not in the role recorded, disabled by then, or an auditor
	// (who writes nothing). A well-formed forgery with a valid chain shows here
	// (ActorProblems).
	ProblemActor = "actor_not_authorised"
	// ProblemInvalidPayload: an event whose payload breaks a rule its decision applies (a
	// vote with more in favour than present, a fact out of its range): domain.CheckPayload.
	ProblemInvalidPayload = "payload_invalid"
	// ProblemMalformed: an event whose payload cannot be read (damaged, or forged in a
	// shape no version of the engine writes), or a message on an aggregate's subject that
	// is no commit at all (recorded on that aggregate, or on the stream's
	// pseudo-aggregate when its subject names none): what the aggregate holds may be
	// missing from the answers.
	ProblemMalformed = "payload_malformed"
	// ProblemHistoryDiffers: the stream's event is not the one the history the model was
	// loaded with holds (a snapshot's): the stream was rewritten (HistoryComparer).
	ProblemHistoryDiffers = "history_differs"
	// ProblemTransition: an event that no command could have made where it stands in its
	// aggregate's history: a nomination's (domain.Nomination.Admits: a "submission" of a
	// verified nomination, a second opening), a campaign's, or the registry's (a second
	// registration of a user id: domain.Registry.Refuses) (TransitionProblems).
	ProblemTransition = "transition_impossible"
	// ProblemMessagesLost: stream sequences the feed went past without a message (the
	// stream denies deletion, so they were lost on disk); recorded on the stream's
	// pseudo-aggregate (KindStream).
	ProblemMessagesLost = "messages_lost"
	// ProblemSchemaNewer: an event stored under a schema version newer than the one this
	// version of thidua writes (domain.SchemaVersion): written by a later version, or
	// forged. It is read as if it were current, which may misread it.
	ProblemSchemaNewer = "schema_newer"
	// ProblemForwardDated: an event that says it was recorded more than
	// eventstore.FutureTolerance after JetStream stored it. The engine stamps an event
	// before it publishes it: forward-dated, or written by a process whose clock ran ahead;
	// either way a query as of a moment between leaves out an event the stream held.
	ProblemForwardDated = "forward_dated"
	// ProblemGrantRanking: a grant whose recorded ranking is not the ranking of the stream
	// up to the sequence it says that ranking was computed as of (ranking_seq), or one
	// computed as of the grant itself or later (GrantProblems).
	ProblemGrantRanking = "grant_ranking_differs"
	// ProblemStreamDiverged: a snapshot this data directory's server wrote, kept beside it
	// as evidence (DivergedPrefix), recorded history the stream no longer holds (it was
	// rewritten, restored from an older copy, or lost its end on disk: ErrStreamDiverged).
	// Recorded on the stream's pseudo-aggregate from sequence 1, as where the stream
	// begins to differ is not known from the snapshot's checkpoint alone, for as long as
	// the kept file is there (NoteDivergedSnapshots).
	ProblemStreamDiverged = "stream_diverged"
)

// ProblemKinds returns every problem an integrity check can find (the Problem constants),
// for those who name them to people (the web UI's labels).
func ProblemKinds() []string {
	return []string{ProblemHashMismatch, ProblemChainBroken, ProblemAggregateMismatch, ProblemActor, ProblemInvalidPayload,
		ProblemMalformed, ProblemHistoryDiffers, ProblemTransition, ProblemMessagesLost, ProblemSchemaNewer, ProblemForwardDated,
		ProblemGrantRanking, ProblemStreamDiverged}
}

// KindStream is the kind of the pseudo-aggregate that carries the problems of the stream
// itself (ProblemMessagesLost): which aggregates a lost message belonged to is not known.
const KindStream = "stream"

// streamRef is the stream's pseudo-aggregate.
func streamRef() eventstore.Ref { return eventstore.Ref{Kind: KindStream, ID: "events"} }

// IntegrityProblem names one event that breaks its aggregate's hash chain.
type IntegrityProblem struct {
	// Seq is the stream sequence of the commit that carries the event.
	Seq uint64 `json:"seq"`
	// EventID is the event's id.
	EventID string `json:"event_id"`
	// Aggregate is the aggregate the event was applied to.
	Aggregate eventstore.Ref `json:"aggregate"`
	// Problem is one of ProblemHashMismatch, ProblemChainBroken, ProblemAggregateMismatch.
	Problem string `json:"problem"`
	// Detail says what was found.
	Detail string `json:"detail"`

	at time.Time
	// lostTo is the last sequence of a ProblemMessagesLost run (Seq is its first): the
	// start's check compares runs, not their wording.
	lostTo uint64
}

// lostRun returns the sequences a ProblemMessagesLost problem names (one from a snapshot
// of format v4 or earlier, which did not keep the run's end, names its first only).
func (p IntegrityProblem) lostRun() (from, to uint64) {
	return p.Seq, max(p.lostTo, p.Seq)
}

// IntegrityView says whether the events an answer relies on verify.
type IntegrityView struct {
	// Status is IntegrityOK or IntegrityBroken.
	Status string `json:"status"`
	// Events are the ids of the events that break a chain (empty when ok).
	Events []string `json:"events"`
	// Problems say, per event, what is wrong.
	Problems []IntegrityProblem `json:"problems,omitempty"`
}

// integrityState is the model's record of broken chains, per aggregate, in stream order.
// It is kept under the model's lock.
type integrityState struct {
	broken map[eventstore.Ref][]IntegrityProblem
	// kinds counts the aggregates in broken by kind.
	kinds map[string]int
	// diverged are the stream's problems of kept diverged snapshots
	// (NoteDivergedSnapshots): evidence in the data directory, not something the stream
	// shows, so never written into a snapshot; each start notes them again while the
	// files are there.
	diverged []IntegrityProblem
	// added counts the problems ever added: a commit that adds one is told apart by it.
	added int
}

// add records a problem of an aggregate's chain.
func (s *integrityState) add(ref eventstore.Ref, p IntegrityProblem) {
	s.added++
	if s.broken == nil {
		s.broken = map[eventstore.Ref][]IntegrityProblem{}
		s.kinds = map[string]int{}
	}
	if len(s.broken[ref]) == 0 {
		s.kinds[ref.Kind]++
	}
	s.broken[ref] = append(s.broken[ref], p)
}

// brokenKind reports whether an aggregate of that kind has a broken chain.
func (s *integrityState) brokenKind(kind string) bool {
	return s.kinds[kind] > 0 || (kind == KindStream && len(s.diverged) > 0)
}

// of returns the problems recorded on ref (the stream's with those of kept diverged
// snapshots).
func (s *integrityState) of(ref eventstore.Ref) []IntegrityProblem {
	if ref == streamRef() && len(s.diverged) > 0 {
		return append(slices.Clone(s.diverged), s.broken[ref]...)
	}
	return s.broken[ref]
}

// NoteDivergedSnapshots records, for each file kept beside the data directory's snapshot
// as evidence that the stream no longer holds what that snapshot recorded (DivergedPrefix,
// named with the checkpoint it had: seqN-…), a ProblemStreamDiverged on the stream, so
// that every answer says integrity_broken, as thidua verify does, until an operator who
// has looked into it removes the file. It replaces what an earlier call noted. Before the
// twenty-fourth session the answers said ok: after a rebuild from the stream as it now is,
// the chains of what remains verify.
func (m *Model) NoteDivergedSnapshots(files []string) {
	var ps []IntegrityProblem
	for _, f := range files {
		base := filepath.Base(f)
		upTo := ""
		if rest, ok := strings.CutPrefix(base, DivergedPrefix+"seq"); ok {
			checkpoint, _, _ := strings.Cut(rest, "-")
			upTo = " up to sequence " + checkpoint
		}
		// A snapshot not kept aside (a read-only copy of the data directory) is named by
		// its own name, which gives no checkpoint.
		ps = append(ps, IntegrityProblem{Seq: 1, Aggregate: streamRef(), Problem: ProblemStreamDiverged,
			Detail: fmt.Sprintf("the stream no longer holds the history a snapshot of this data directory recorded%s (kept as %s): "+
				"it was rewritten, restored from an older copy, or lost its end on disk; where it begins to differ and what it recorded past the stream's end, "+
				"thidua verify shows; which is the record, the digest written into the council's minutes or the last export tells (thidua digest --at seq:N); "+
				"remove the file once the stream is restored or the loss is accounted for", upTo, base)})
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(ps) == 0 && len(m.integrity.diverged) == 0 {
		return
	}
	m.integrity.diverged = ps
	// As recordLost: every cached evaluation and ranking goes, and the rankings' version
	// (their ETag) moves, so that no answer cached before is served as it was.
	m.lateProblems++
	m.live.clear()
	clear(m.rankCache)
}

// DivergedNoted reports whether a snapshot kept aside is noted as one the stream diverged
// from (NoteDivergedSnapshots).
func (m *Model) DivergedNoted() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.integrity.diverged) > 0
}

// checkIntegrity checks a commit against its aggregate's chain before it is applied: each
// event's content must hash to its Hash, must record the hash of the aggregate's previous
// event, and must belong to the aggregate of its subject. What breaks is recorded (the
// commit is applied all the same: the model shows what the stream holds, flagged). The
// caller holds the write lock; agg.Version is still the version before c.
func (m *Model) checkIntegrity(agg *Aggregate, c eventstore.Commit, pre []decoded) {
	prev := agg.Version.Hash
	subjectRef, hasSubject := refOfSubject(c.Subject)
	for i := range c.Events {
		e := &c.Events[i]
		bad := func(problem, format string, args ...any) {
			m.live.clear() // every evaluation that read this aggregate is flagged now
			m.integrity.add(agg.Ref, IntegrityProblem{
				Seq: c.Seq, EventID: strings.Clone(e.ID), Aggregate: agg.Ref, Problem: problem,
				Detail: fmt.Sprintf(format, args...), at: e.RecordedAt,
			})
		}
		switch {
		case e.Aggregate != agg.Ref:
			bad(ProblemAggregateMismatch, "the event names %s in a commit of %s", e.Aggregate, agg.Ref)
		case hasSubject && subjectRef != e.Aggregate:
			bad(ProblemAggregateMismatch, "the event names %s but is stored on subject %s", e.Aggregate, c.Subject)
		}
		// The content hash was checked with the decoding, on another core, unless its
		// previous hash was not known then.
		check := hashUnchecked
		if i < len(pre) {
			check = pre[i].hash
		}
		if check == hashUnchecked {
			check = storedHash(e)
		}
		if check == hashDiffers {
			bad(ProblemHashMismatch, "content hashes to %.16s…, the event claims %.16s…", e.ComputeHash(), e.Hash)
		}
		if e.PrevHash != prev {
			bad(ProblemChainBroken, "%s%s", eventstore.ChainLink(e.PrevHash, prev), m.lossBefore(agg, c.Seq))
		}
		prev = e.Hash
	}
}

// lossBefore says, for an event at seq whose chain link breaks, which messages lost
// since its aggregate's previous event may have held the event it links to ("" when none
// were lost there). The caller holds the write lock.
func (m *Model) lossBefore(agg *Aggregate, seq uint64) string {
	after := uint64(0)
	if n := len(agg.Entries); n > 0 {
		after = agg.Entries[n-1].Rec.Seq
	}
	var runs [][2]uint64
	for _, p := range m.integrity.broken[streamRef()] {
		if p.Problem != ProblemMessagesLost {
			continue
		}
		if from, to := p.lostRun(); from > after && from < seq {
			runs = append(runs, [2]uint64{from, min(to, seq-1)})
		}
	}
	slices.SortFunc(runs, func(a, b [2]uint64) int { return cmp.Compare(a[0], b[0]) })
	return eventstore.LossNote(runs, after)
}

// hashVerifiable reports whether the event's payload is the one stored, so that its hash
// can be recomputed: not after an upcast (the store hashed the old schema's bytes). An
// event whose stored schema is unknown (StoredSchema 0: read back from a snapshot) is
// verifiable when its type has only one schema version; otherwise only its chain link is
// checked (`thidua verify` reads the stored bytes and checks everything).
func hashVerifiable(e *eventstore.Event) bool {
	if e.StoredSchema == 0 {
		return e.Schema <= 1
	}
	return e.StoredSchema == e.Schema
}

// storedHash checks an event's content hash: now, when its payload is the one stored;
// as the store found it before upcasting an old schema (eventstore.Event.StoredHashOK),
// so that an old schema exempts no event from the check; unchecked otherwise (an event
// read back from a snapshot whose type has several schema versions).
func storedHash(e *eventstore.Event) hashCheck {
	switch {
	case hashVerifiable(e):
		if e.HashMatches() {
			return hashMatches
		}
		return hashDiffers
	case e.StoredSchema != 0 && e.StoredSchema < e.Schema:
		if e.StoredHashOK {
			return hashMatches
		}
		return hashDiffers
	}
	return hashUnchecked
}

// refOfSubject returns the aggregate a subject "prefix.kind.id" names.
func refOfSubject(subject string) (eventstore.Ref, bool) {
	if subject == "" {
		return eventstore.Ref{}, false
	}
	i := strings.LastIndexByte(subject, '.')
	if i <= 0 {
		return eventstore.Ref{}, false
	}
	j := strings.LastIndexByte(subject[:i], '.')
	return eventstore.Ref{Kind: subject[j+1 : i], ID: subject[i+1:]}, true
}

// IntegrityCount returns the number of integrity problems the model has found.
func (m *Model) IntegrityCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := len(m.integrity.diverged)
	for _, ps := range m.integrity.broken {
		n += len(ps)
	}
	return n
}

// IntegrityProblems returns every integrity problem the model has found, in stream order
// (empty when every applied event verifies).
func (m *Model) IntegrityProblems() []IntegrityProblem {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.integrityProblems()
}

// IntegrityReport is the model's integrity at one moment: the last sequence applied, the
// problems found up to it, and the stream's digest up to it (nil while the model does not
// have it, see Model.Digest). All three are read under one lock, so that the digest
// seals exactly the applied sequence the report names, even under writes.
type IntegrityReport struct {
	// Applied is the feed's checkpoint: the last stream sequence the model applied.
	Applied uint64
	// Problems are every integrity problem found, in stream order.
	Problems []IntegrityProblem
	// Digest is the stream's digest up to Applied, or nil.
	Digest *eventstore.Digest
}

// IntegrityReport returns the applied sequence, the problems and the digest together.
func (m *Model) IntegrityReport() IntegrityReport {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := IntegrityReport{Applied: m.applied, Problems: m.integrityProblems()}
	if d, ok := m.digestLocked(); ok {
		r.Digest = &d
	}
	return r
}

// integrityProblems is IntegrityProblems under the caller's lock.
func (m *Model) integrityProblems() []IntegrityProblem {
	out := slices.Clone(m.integrity.diverged)
	for _, ps := range m.integrity.broken {
		out = append(out, ps...)
	}
	if out == nil {
		out = []IntegrityProblem{}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].EventID < out[j].EventID
	})
	return out
}

// Integrity returns the integrity of one aggregate's chain as of the bound.
func (m *Model) Integrity(ref eventstore.Ref, b Bound) IntegrityView {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.integrityOf([]eventstore.Ref{ref}, m.pin(b))
}

// integrityOf gathers the problems of the aggregates, up to the bound; caller holds the lock.
func (m *Model) integrityOf(refs []eventstore.Ref, b Bound) IntegrityView {
	v := IntegrityView{Status: IntegrityOK, Events: []string{}}
	if len(m.integrity.broken) == 0 && len(m.integrity.diverged) == 0 {
		return v
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		for _, p := range m.integrity.of(ref) {
			if !b.includes(p.Seq, p.at) {
				continue
			}
			v.Problems = append(v.Problems, p)
			if p.EventID != "" && !seen[p.EventID] {
				seen[p.EventID] = true
				v.Events = append(v.Events, p.EventID)
			}
		}
	}
	if len(v.Problems) > 0 {
		v.Status = IntegrityBroken
	}
	return v
}

// flagIntegrity records on an evaluation the integrity of everything it relied on — the
// nomination, its campaign and its unit's lineage — as of the bound, and makes a broken
// one ineligible with the reason integrity_broken. The caller holds the read lock.
func (m *Model) flagIntegrity(id string, r *evalResult, b Bound) {
	in := &m.integrity
	if !in.brokenKind(domain.KindNomination) && !in.brokenKind(domain.KindCampaign) && !in.brokenKind(domain.KindUnit) && !in.brokenKind(KindStream) {
		// Nothing it relies on can be broken (a broken chain of another kind of
		// aggregate, a user registry say, does not make each evaluation look).
		r.integrity = IntegrityView{Status: IntegrityOK, Events: []string{}}
		return
	}
	// A message lost before the moment may have been any aggregate's: every answer
	// relies on the stream being whole.
	refs := []eventstore.Ref{
		{Kind: domain.KindNomination, ID: id},
		{Kind: domain.KindCampaign, ID: r.nom.Campaign()},
		streamRef(),
	}
	if in.brokenKind(domain.KindUnit) {
		for _, u := range m.lineage(r.nom.Unit(), b) {
			refs = append(refs, eventstore.Ref{Kind: domain.KindUnit, ID: u})
		}
	}
	r.integrity = m.integrityOf(refs, b)
	if r.integrity.Status != IntegrityBroken {
		return
	}
	r.el.Eligible = false
	vi := "Chuỗi băm bị phá vỡ: có sự kiện của hồ sơ, của đơn vị hoặc của đợt thi đua bị sửa đổi " +
		"hoặc được ghi ngoài hệ thống; cần thanh tra trước khi xét"
	en := "The hash chain is broken: an event of the nomination, its unit or its campaign was altered " +
		"or appended behind the engine's back; it needs an inspection before any decision"
	only := func(kind string) bool {
		return !slices.ContainsFunc(r.integrity.Problems, func(p IntegrityProblem) bool { return p.Problem != kind })
	}
	switch {
	case only(ProblemMessagesLost):
		vi = "Luồng sự kiện bị mất bản ghi trên đĩa trước thời điểm này; không biết bản ghi đó thuộc hồ sơ hay đơn vị nào, " +
			"cần khôi phục hoặc thanh tra trước khi xét"
		en = "The event stream lost messages on disk before this moment; which nomination or unit they belonged to is not known: " +
			"the store needs restoring or an inspection before any decision"
	case only(ProblemStreamDiverged):
		vi = "Luồng sự kiện không còn giữ lịch sử mà máy chủ này đã ghi nhận (bị ghi lại, khôi phục từ bản cũ hoặc mất phần cuối trên đĩa); " +
			"cần khôi phục hoặc thanh tra trước khi xét"
		en = "The event stream no longer holds the history this server recorded (rewritten, restored from an older copy, or its end lost on disk): " +
			"the store needs restoring or an inspection before any decision"
	case only(ProblemHistoryDiffers):
		vi = "Luồng sự kiện chứa những bản ghi khác với những gì máy chủ này đã ghi nhận trước thời điểm này (luồng đã bị ghi lại); " +
			"cần thanh tra trước khi xét"
		en = "The event stream holds other messages than this server recorded before this moment (it was rewritten): " +
			"it needs an inspection before any decision"
	case only(ProblemActor):
		vi = "Có sự kiện của hồ sơ, của đơn vị hoặc của đợt thi đua do người không có quyền ghi (ghi ngoài hệ thống); " +
			"cần thanh tra trước khi xét"
		en = "An event of the nomination, its unit or its campaign names an actor who could not have recorded it " +
			"(appended behind the engine's back): it needs an inspection before any decision"
	case only(ProblemTransition):
		vi = "Hồ sơ có sự kiện mà không thao tác nào của hệ thống tạo ra được ở bước đó (được ghi ngoài hệ thống); " +
			"cần thanh tra trước khi xét"
		en = "The nomination has an event no command makes at that point of its history (appended behind the engine's back): " +
			"it needs an inspection before any decision"
	}
	r.el.Reasons = append(r.el.Reasons, domain.Reason{
		Code: ReasonIntegrityBroken, MessageVI: vi, MessageEN: en,
		Events: append([]string(nil), r.integrity.Events...),
	})
}

// ActorProblems checks every event's actor: its type must be one the engine records, by
// a role whose commands record it (domain.Recorders: no fact by a clerk, no submission
// by a reviewer, nothing by an auditor); the engine's own events (role system, user
// "system") must be of the few types it records; any other actor must be a user
// registered before the event, in the role the event records, not disabled by then. The
// hash chain has no secret, so whoever can write to the stream can append an event that
// links: this is what shows such an event. It reads the whole model (thidua verify runs
// it), in stream order of aggregates' events.
func (m *Model) ActorProblems() []IntegrityProblem {
	m.rlock()
	defer m.mu.RUnlock()
	type user struct {
		role                 domain.Role
		unit                 string
		registered, disabled uint64
	}
	users := map[string]*user{}
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}) {
		switch d := e.Rec.Data.(type) {
		case domain.UserRegisteredData:
			if users[d.ID] == nil {
				users[d.ID] = &user{role: d.Role, unit: d.Unit, registered: e.Rec.Seq}
			}
		case domain.UserDisabledData:
			if u := users[d.ID]; u != nil && u.disabled == 0 {
				u.disabled = e.Rec.Seq
			}
		}
	}
	out := []IntegrityProblem{}
	for ref, agg := range m.aggs {
		unitNow := "" // the nomination's unit as its history stands
		if ref.Kind == domain.KindUnit {
			unitNow = ref.ID
		}
		for _, e := range agg.Entries {
			scope := unitNow
			switch d := e.Rec.Data.(type) {
			case domain.NominationOpenedData:
				scope, unitNow = d.Unit, d.Unit
			case domain.TransferredData:
				unitNow = d.To
			}
			a := e.Rec.Actor
			bad := func(format string, args ...any) {
				out = append(out, IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: ref, Problem: ProblemActor,
					Detail: fmt.Sprintf(format, args...) + headNote(agg, e), at: e.Rec.At})
			}
			roles := domain.Recorders(e.Rec.Type)
			switch {
			case !engineKind(ref.Kind):
				// Another program's aggregate (the bench's raw appends): nothing of the
				// engine's reads it, so only its actor is checked.
			case roles == nil:
				bad("event type %q is not one this version of thidua records", e.Rec.Type)
				continue
			case !slices.Contains(roles, a.Role):
				bad("actor %q in role %s could not have recorded %s (recorded by: %s)", a.User, a.Role, e.Rec.Type, roleList(roles))
				continue
			case a.Role == domain.RoleSystem && a.User != string(domain.RoleSystem):
				bad("actor %q is recorded in role system, which only the engine itself (user \"system\") has", a.User)
				continue
			}
			if a.Role == domain.RoleSystem {
				continue
			}
			u := users[a.User]
			switch {
			case u == nil || u.registered >= e.Rec.Seq:
				bad("actor %q was not a registered user at sequence %d", a.User, e.Rec.Seq)
			case u.role != a.Role:
				bad("actor %q is recorded as %s but registered as %s", a.User, a.Role, u.role)
			case a.Role == domain.RoleAuditor:
				bad("actor %q is an auditor, who writes nothing", a.User)
			case u.disabled != 0 && u.disabled < e.Rec.Seq:
				bad("actor %q had been disabled (at sequence %d)", a.User, u.disabled)
			case a.Role == domain.RoleClerk && engineKind(ref.Kind) && u.unit != scope:
				bad("actor %q, a clerk of %s, could not have acted on %s of unit %s", a.User, u.unit, ref, scope)
			}
		}
	}
	slices.SortFunc(out, func(x, y IntegrityProblem) int {
		if c := cmp.Compare(x.Seq, y.Seq); c != 0 {
			return c
		}
		return strings.Compare(x.EventID, y.EventID)
	})
	return out
}

// TransitionProblems folds every nomination's history again, event by event, and names
// each event that no command could have made where it stands (domain.Nomination.Admits):
// an event appended behind the engine's back, well-formed and by an actor in a role that
// records its type, may still be one the state machine never makes, such as a
// "submission" of a verified nomination, which the projections would otherwise fold
// without a word. Events of types the engine does not record are ActorProblems'. It
// reads the whole model (thidua verify runs it).
func (m *Model) TransitionProblems() []IntegrityProblem {
	m.rlock()
	defer m.mu.RUnlock()
	out := []IntegrityProblem{}
	// Each grant and revocation is recorded on the campaign and on the nomination, in one
	// atomic append: one without the other was not made by a command.
	type half struct {
		nomination string
		e          *Entry
	}
	granted, awarded := map[string]half{}, map[string]half{}
	revoked, revokedOn := map[string]half{}, map[string]half{}
	for ref, agg := range m.aggs {
		for _, e := range agg.Entries {
			if p, bad := payloadProblem(ref, e); bad {
				out = append(out, p)
			}
		}
		switch ref.Kind {
		case domain.KindNomination:
			n := domain.NewNomination()
			var before, last uint64 // the nomination's sequence before e's commit, and e's commit's
			for _, e := range agg.Entries {
				if e.Rec.Seq != last {
					before, last = last, e.Rec.Seq
				}
				if domain.Recorders(e.Rec.Type) == nil || !e.Known {
					continue
				}
				if why := n.RefusesUnder(e.Rec, m.camps[n.Campaign()], before); why != "" {
					out = append(out, transitionProblem(e, why+headNote(agg, e)))
				}
				n.Apply(e.Rec)
				switch d := e.Rec.Data.(type) {
				case domain.NominationAwardedData:
					awarded[d.Award] = half{ref.ID, e}
				case domain.NominationAwardRevokedData:
					revokedOn[d.Award] = half{ref.ID, e}
				}
			}
		case domain.KindRegistry:
			g := domain.NewRegistry()
			for _, e := range agg.Entries {
				if domain.Recorders(e.Rec.Type) == nil || !e.Known {
					continue
				}
				if why := g.Refuses(e.Rec); why != "" {
					out = append(out, registryProblem(e, why+headNote(agg, e)))
				}
				g.Apply(e.Rec)
			}
		case domain.KindCampaign:
			c := domain.NewCampaign()
			for _, e := range agg.Entries {
				if domain.Recorders(e.Rec.Type) == nil || !e.Known {
					continue
				}
				if why := c.Refuses(e.Rec); why != "" {
					out = append(out, campaignProblem(e, why+headNote(agg, e)))
				}
				c.Apply(e.Rec)
				switch d := e.Rec.Data.(type) {
				case domain.AwardGrantedData:
					granted[d.Award] = half{d.Nomination, e}
				case domain.AwardRevokedData:
					revoked[d.Award] = half{d.Nomination, e}
				}
			}
		}
	}
	pair := func(on, other map[string]half, what, missing string) {
		for award, h := range on {
			o, ok := other[award]
			if ok && (o.nomination == h.nomination || o.nomination == "" || h.nomination == "") {
				continue
			}
			ref := h.e.Aggregate
			out = append(out, IntegrityProblem{Seq: h.e.Rec.Seq, EventID: h.e.Rec.ID, Aggregate: ref, Problem: ProblemTransition, at: h.e.Rec.At,
				Detail: fmt.Sprintf("%s of award %s (nomination %s) has no %s: a command records both at once", what, award, h.nomination, missing)})
		}
	}
	pair(granted, awarded, "the campaign's grant", "nomination.awarded on the nomination")
	pair(awarded, granted, "the nomination's award", "campaign.award_granted on the campaign")
	pair(revoked, revokedOn, "the campaign's revocation", "nomination.award_revoked on the nomination")
	pair(revokedOn, revoked, "the nomination's revocation", "campaign.award_revoked on the campaign")
	slices.SortFunc(out, func(x, y IntegrityProblem) int {
		if c := cmp.Compare(x.Seq, y.Seq); c != 0 {
			return c
		}
		return strings.Compare(x.EventID, y.EventID)
	})
	return out
}

// checkActorAndTransition records, as a commit's event e is applied in stream order, an
// actor who could not have caused it (actorProblem) and a nomination event no command
// makes where the nomination stands (domain.Nomination.Admits). Such an event was
// appended behind the engine's back: it is folded as the stream has it, and the answers
// that rely on it say integrity_broken. The caller holds the write lock, before folding e.
func (m *Model) checkActorAndTransition(ref eventstore.Ref, e *Entry) {
	agg := m.aggs[ref]
	if p, bad := m.actorProblem(ref, e); bad {
		p.Detail += headNote(agg, e)
		m.integrity.add(ref, p)
	}
	if p, bad := payloadProblem(ref, e); bad {
		m.integrity.add(ref, p)
	}
	switch ref.Kind {
	case domain.KindNomination:
		n := m.noms[ref.ID]
		if n == nil {
			n = domain.NewNomination()
		}
		// agg.Version is the nomination's before this commit: it is set once the
		// commit's events are all applied.
		var after uint64
		if agg != nil {
			after = agg.Version.Seq
		}
		if why := n.RefusesUnder(e.Rec, m.camps[n.Campaign()], after); why != "" {
			m.integrity.add(ref, transitionProblem(e, why+headNote(agg, e)))
		}
	case domain.KindCampaign:
		c := m.camps[ref.ID]
		if c == nil {
			c = domain.NewCampaign()
		}
		if why := c.Refuses(e.Rec); why != "" {
			m.integrity.add(ref, campaignProblem(e, why+headNote(agg, e)))
		}
	case domain.KindRegistry:
		if why := m.registry.Refuses(e.Rec); why != "" {
			m.integrity.add(ref, registryProblem(e, why+headNote(agg, e)))
		}
	}
}

// registryProblem is the problem of registry event e, which the registry refuses (why).
func registryProblem(e *Entry, why string) IntegrityProblem {
	return IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: eventstore.Ref{Kind: domain.KindRegistry, ID: e.Aggregate.ID},
		Problem: ProblemTransition, at: e.Rec.At,
		Detail: fmt.Sprintf("%s: %s, which no command makes", e.Rec.Type, why)}
}

// headNote is what an actor's or a transition's problem on an aggregate adds when the
// stream lacks the aggregate's first events: its first event there (e itself when agg
// holds none yet) links to an earlier one, lost on disk or never appended, so that the
// aggregate's state is not what its commands saw, and the problem may follow from that
// rather than from a forgery. It is "" for an aggregate whose history starts with its
// first event.
func headNote(agg *Aggregate, e *Entry) string {
	first := e
	if agg != nil && len(agg.Entries) > 0 {
		first = agg.Entries[0]
	}
	if first.cold == "" || first.unpack().chained {
		return ""
	}
	return fmt.Sprintf(" (the stream lacks this aggregate's events before sequence %d, where its first event there links to an earlier one: lost on disk, or never appended; this may follow from that)", first.Rec.Seq)
}

// campaignProblem is the problem of campaign event e, which its campaign refuses (why).
func campaignProblem(e *Entry, why string) IntegrityProblem {
	return IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: eventstore.Ref{Kind: domain.KindCampaign, ID: e.Aggregate.ID},
		Problem: ProblemTransition, at: e.Rec.At,
		Detail: fmt.Sprintf("%s: %s, which no command makes", e.Rec.Type, why)}
}

// actorProblem checks, as the model applies e, that its actor could have caused it: a role
// whose commands record its type (domain.Recorders), the engine's role only as the
// engine, any other actor a user registered by then in that role. It is ActorProblems'
// check, live, but for a user disabled by then: a command authenticated just before its
// user was disabled lands after the disablement, and that race is thidua verify's to
// name, not every answer's to refuse. The caller holds the write lock.
func (m *Model) actorProblem(ref eventstore.Ref, e *Entry) (IntegrityProblem, bool) {
	if !engineKind(ref.Kind) || !e.Known {
		return IntegrityProblem{}, false
	}
	roles := domain.Recorders(e.Rec.Type)
	if roles == nil {
		return IntegrityProblem{}, false // not folded: verify names it
	}
	a := e.Rec.Actor
	detail := ""
	switch {
	case !slices.Contains(roles, a.Role):
		detail = fmt.Sprintf("actor %q in role %s could not have recorded %s (recorded by: %s)", a.User, a.Role, e.Rec.Type, roleList(roles))
	case a.Role == domain.RoleSystem:
		if a.User != string(domain.RoleSystem) {
			detail = fmt.Sprintf("actor %q is recorded in role system, which only the engine itself (user \"system\") has", a.User)
		}
	default:
		u, ok := m.registry.User(a.User)
		switch {
		case !ok:
			detail = fmt.Sprintf("actor %q was not a registered user at sequence %d", a.User, e.Rec.Seq)
		case u.Role != a.Role:
			detail = fmt.Sprintf("actor %q is recorded as %s but registered as %s", a.User, a.Role, u.Role)
		case a.Role == domain.RoleClerk:
			if scope := m.unitOf(ref, e); u.Unit != scope {
				detail = fmt.Sprintf("actor %q, a clerk of %s, could not have acted on %s of unit %s", a.User, u.Unit, ref, scope)
			}
		}
	}
	if detail == "" {
		return IntegrityProblem{}, false
	}
	return IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: ref, Problem: ProblemActor, Detail: detail, at: e.Rec.At}, true
}

// payloadProblem checks e's payload against the rules its decision applies
// (domain.CheckPayload).
func payloadProblem(ref eventstore.Ref, e *Entry) (IntegrityProblem, bool) {
	if !engineKind(ref.Kind) || !e.Known {
		return IntegrityProblem{}, false
	}
	err := domain.CheckPayload(e.Rec.Data)
	if err == nil {
		return IntegrityProblem{}, false
	}
	return IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: ref, Problem: ProblemInvalidPayload, at: e.Rec.At,
		Detail: fmt.Sprintf("%s breaks a rule its decision applies, which no command records: %v", e.Rec.Type, err)}, true
}

// unitOf is the unit an event of aggregate ref acts for, as the model stands before it:
// the unit itself, or the nomination's unit (the one it is opened for). The caller holds
// the lock.
func (m *Model) unitOf(ref eventstore.Ref, e *Entry) string {
	switch ref.Kind {
	case domain.KindUnit:
		return ref.ID
	case domain.KindNomination:
		if d, ok := e.Rec.Data.(domain.NominationOpenedData); ok {
			return d.Unit
		}
		if n := m.noms[ref.ID]; n != nil {
			return n.Unit()
		}
	}
	return ""
}

// transitionProblem is the problem of nomination event e, which the nomination before it
// refuses (why: domain.Nomination.Refuses).
func transitionProblem(e *Entry, why string) IntegrityProblem {
	return IntegrityProblem{Seq: e.Rec.Seq, EventID: e.Rec.ID, Aggregate: eventstore.Ref{Kind: domain.KindNomination, ID: e.Aggregate.ID},
		Problem: ProblemTransition, at: e.Rec.At,
		Detail: fmt.Sprintf("%s: %s; no command makes that", e.Rec.Type, why)}
}

// HistoryComparer compares the stream, commit by commit, with the history the model
// holds (CompareHistory): each event the stream holds at a sequence against the one the
// model's history of its aggregate holds at that sequence and position, by id and hash. A
// model loaded from a snapshot holds what the stream said when the snapshot was taken; a
// stream rewritten since (its length kept, its chains recomputed) verifies link by link,
// and only this comparison shows it. A message lost since is no difference here: the
// stream's other events are still where the model holds them (the loss is the chains'
// problem, messages_lost). Until the twenty-third session the comparer matched the n-th
// event of an aggregate in the stream with the n-th of the model's, and took every event
// of an aggregate after a lost one for a rewrite.
type HistoryComparer struct {
	m *Model
	// Problems are the differences found, in stream order.
	Problems []IntegrityProblem
}

// CompareHistory returns a comparer of the stream with m's history.
func (m *Model) CompareHistory() *HistoryComparer {
	m.awaitPayloads()
	return &HistoryComparer{m: m, Problems: []IntegrityProblem{}}
}

// Commit compares one commit of the stream with the model's history.
func (h *HistoryComparer) Commit(c eventstore.Commit) {
	h.m.mu.RLock()
	defer h.m.mu.RUnlock()
	h.m.commitDiffers(c, false, func(id string, ref eventstore.Ref, detail string) {
		h.Problems = append(h.Problems, IntegrityProblem{Seq: c.Seq, EventID: id, Aggregate: ref, Problem: ProblemHistoryDiffers, Detail: detail})
	})
}

// entriesAt returns the entries of a that the commit at seq carried, in their order.
func (a *Aggregate) entriesAt(seq uint64) []*Entry {
	i := sort.Search(len(a.Entries), func(i int) bool { return a.Entries[i].Rec.Seq >= seq })
	j := i
	for j < len(a.Entries) && a.Entries[j].Rec.Seq == seq {
		j++
	}
	return a.Entries[i:j]
}

// commitDiffers tells diff each way commit c, as the stream holds it, differs from what
// the model's history holds at its sequence: an event it lacks or holds otherwise (id,
// hash), or one of the model's it lacks. With content, an event whose payload no longer
// hashes to its hash differs too, unless the model had found that already (the stream
// then said so when the model read it). The model's lock is held by the caller.
func (m *Model) commitDiffers(c eventstore.Commit, content bool, diff func(id string, ref eventstore.Ref, detail string)) {
	ref, ok := refOfSubject(c.Subject)
	if !ok {
		return
	}
	var mine []*Entry
	if a := m.aggs[ref]; a != nil {
		mine = a.entriesAt(c.Seq)
	}
	for i := range c.Events {
		e := &c.Events[i]
		var at *Entry
		for _, me := range mine {
			if me.Index == e.Index {
				at = me
				break
			}
		}
		switch {
		case at == nil:
			diff(e.ID, ref, fmt.Sprintf("the stream holds event %s at sequence %d, which the model's history of %s does not", e.ID, c.Seq, ref))
		case at.Rec.ID != e.ID || at.Hash() != e.Hash:
			diff(e.ID, ref, fmt.Sprintf("the stream's event %d of the commit at sequence %d on %s (%s, hash %.16s…) is not the one the model's history holds (%s, hash %.16s…): the stream was rewritten since the snapshot",
				e.Index+1, c.Seq, ref, e.ID, e.Hash, at.Rec.ID, at.Hash()))
		case content && !e.HashMatches() && !m.foundAt(ref, c.Seq, ProblemHashMismatch):
			diff(e.ID, ref, fmt.Sprintf("the stream's event %s at sequence %d on %s no longer hashes to its hash %.16s…: the stream was rewritten since the snapshot", e.ID, c.Seq, ref, e.Hash))
		}
	}
	for _, me := range mine {
		if !slices.ContainsFunc(c.Events, func(e eventstore.Event) bool { return e.Index == me.Index }) {
			diff(me.Rec.ID, ref, fmt.Sprintf("the commit at sequence %d on %s no longer holds event %s, which the model's history holds: the stream was rewritten since the snapshot", c.Seq, ref, me.Rec.ID))
		}
	}
}

// foundAt reports whether the model recorded a problem of kind on ref at seq.
func (m *Model) foundAt(ref eventstore.Ref, seq uint64, kind string) bool {
	return slices.ContainsFunc(m.integrity.broken[ref], func(p IntegrityProblem) bool { return p.Seq == seq && p.Problem == kind })
}

// engineKind reports whether kind is one of the engine's aggregates.
func engineKind(kind string) bool {
	switch kind {
	case domain.KindUnit, domain.KindNomination, domain.KindCampaign, domain.KindRegistry, domain.KindClaim:
		return true
	}
	return false
}

// roleList writes roles separated by commas.
func roleList(roles []domain.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
