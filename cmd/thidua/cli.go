package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/cmd/thidua/memory"
	"thidua/cmd/thidua/rankexport"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// boundFlag is the --at flag: an RFC 3339 time, or a stream sequence.
type boundFlag struct {
	// At is nil when --at is not given (now); given empty, it is refused, as the API
	// refuses ?at= (invalid_bound): a script whose time came out empty asked for a moment.
	At *string `help:"The moment to answer for: RFC 3339 time (2025-07-01T00:00:00+07:00) or a stream sequence (seq:1234). Default: now." placeholder:"TIME"`
}

func (b boundFlag) bound() (projections.Bound, error) {
	if b.At == nil {
		return projections.Bound{}, nil
	}
	at := *b.At
	if strings.TrimSpace(at) == "" {
		return projections.Bound{}, usageError(errors.New(`--at "" is empty: give a time (RFC 3339) or seq:N, or leave --at out for now`))
	}
	if s, ok := strings.CutPrefix(at, "seq:"); ok {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return projections.Bound{}, usageError(fmt.Errorf("--at %q: a sequence must be a positive integer", at))
		}
		return projections.Bound{Seq: n}, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return projections.Bound{}, usageError(fmt.Errorf("--at %q: expected RFC 3339, such as 2025-07-01T00:00:00+07:00", at))
	}
	if !api.InRange(t) {
		return projections.Bound{}, usageError(fmt.Errorf("--at %q is out of range (years 2000 to 2099), as the API says (invalid_time)", at))
	}
	// A moment still to come is answered as of now, as the API does (its "as of" says so).
	if now := time.Now(); t.After(now) {
		t = now
	}
	return projections.Bound{Time: t}, nil
}

// validIDs refuses an id that no aggregate can have (empty, or with a '.', '*', '>', a
// space or a control character), as the API does (invalid_id), before the store is
// opened: before, such an id was "not found", echoed with its control characters.
func validIDs(what, id string) error {
	if err := eventstore.ValidateToken(id); err != nil {
		return usageError(fmt.Errorf("%s %q is not a valid id (invalid_id): %w", what, id, err))
	}
	return nil
}

// boundWithin refuses a sequence past the stream's end, as the API does (future_seq):
// a sequence still to come has no settled answer. A sequence inside an atomic append is
// taken to the append's end, as the API does (eventstore.Store.SettledSeq).
func boundWithin(ctx context.Context, b projections.Bound, store *eventstore.Store, m *projections.Model) (projections.Bound, error) {
	if b.Seq == 0 {
		return b, nil
	}
	if last := m.Applied(); b.Seq > last {
		return b, fmt.Errorf("--at seq:%d is past the stream's last sequence %d", b.Seq, last)
	}
	n, err := store.SettledSeq(ctx, b.Seq)
	if err != nil {
		return b, err
	}
	b.Seq = n
	return b, nil
}

// openModel opens the store and builds the model, for the read-only commands. With
// outdatedOK, a snapshot of an earlier version's checks (projections.Snapshot.Outdated)
// is loaded all the same: for verify, which makes its checks itself and compares the
// stream with what the snapshot recorded; the other commands answer with the model's
// findings, and rebuild instead.
func openModel(ctx context.Context, g *Globals, logger *slog.Logger, outdatedOK bool) (*eventstore.Store, *projections.Model, error) {
	store, m, _, err := openModelFrom(ctx, g, logger, outdatedOK)
	return store, m, err
}

// openModelFrom is openModel, saying what it made of the snapshot.
func openModelFrom(ctx context.Context, g *Globals, logger *slog.Logger, outdatedOK bool) (*eventstore.Store, *projections.Model, snapshotUse, error) {
	return openModelWith(ctx, g, logger, outdatedOK, eventstore.WithReadOnly())
}

// openModelWith is openModelFrom opening the store with opt: eventstore.WithReadOnly for
// the commands that only read (an unwritable directory is read from a copy), or
// eventstore.WithExistingOnly for one that records (reissue-token), which must fail on a
// directory it cannot write rather than record in a copy thrown away at its end.
func openModelWith(ctx context.Context, g *Globals, logger *slog.Logger, outdatedOK bool, opt eventstore.Option) (*eventstore.Store, *projections.Model, snapshotUse, error) {
	store, err := g.openStore(ctx, logger, opt)
	if err != nil {
		return nil, nil, snapshotUse{}, err
	}
	load := memory.WhileLoading(logger)
	defer load.End()
	m, use, err := loadModelFrom(ctx, g, store, logger, nil, nil, load.Huge, outdatedOK)
	if err != nil {
		store.Close()
		return nil, nil, use, err
	}
	if use.Loaded {
		// An auditor's answer waits for the check that the stream still holds what the
		// snapshot was taken from.
		if err := checkAgainstSnapshot(ctx, store, m, m.Applied(), logger); err != nil {
			store.Close()
			return nil, nil, use, err
		}
	}
	// Bring a snapshot up to the stream's end, over messages lost there (LastStored).
	_, last, err := store.LastStored(ctx)
	if err != nil {
		store.Close()
		return nil, nil, use, err
	}
	if _, err := store.Read(ctx, eventstore.ReadOptions{From: m.Applied() + 1, Until: last, OnMalformed: m.NoteMalformed}, func(c eventstore.Commit) error {
		m.ApplyFeed(c)
		return nil
	}); err != nil {
		store.Close()
		return nil, nil, use, err
	}
	m.SkipLost(last)
	return store, m, use, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ExplainCmd explains a nomination's eligibility.
type ExplainCmd struct {
	// Nomination is the id of the nomination to explain.
	Nomination string `arg:"" help:"Nomination id."`
	boundFlag
	// JSON prints the eligibility as JSON instead of the text report.
	JSON bool `help:"Print JSON."`
}

// Run prints the verdict, each reason and the events behind it.
func (c *ExplainCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	if err := validIDs("nomination", c.Nomination); err != nil {
		return err
	}
	b, err := c.bound()
	if err != nil {
		return err
	}
	store, m, err := openModel(ctx, g, logger, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if b, err = boundWithin(ctx, b, store, m); err != nil {
		return err
	}
	el, err := m.Eligibility(c.Nomination, b)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.Out, el)
	}
	return writeExplain(terminalSafe(g.Out), m, el, b)
}

// writeExplain prints a verdict, each reason, and each event behind a reason with its
// sequence, time, type and actor (name and user id), as of b.
func writeExplain(w io.Writer, m *projections.Model, el projections.EligibilityView, b projections.Bound) error {
	// The events a reason names are the nomination's own and its unit's (facts, the
	// plan), inherited ones among them.
	byID := map[string]projections.EventView{}
	nevs, err := m.NominationEvents(el.Nomination, b)
	if err != nil {
		return fmt.Errorf("explain %s: %w", el.Nomination, err)
	}
	uevs, err := m.UnitEvents(el.Unit, true, b, 0)
	if err != nil {
		return fmt.Errorf("explain %s: unit %s: %w", el.Nomination, el.Unit, err)
	}
	for _, e := range append(nevs, uevs...) {
		byID[e.ID] = e
	}
	// And the campaign's (a grant to another nomination of the unit's line, say).
	if n, err := m.Nomination(el.Nomination); err == nil {
		if cevs, err := m.CampaignEvents(n.Campaign, b); err == nil {
			for _, e := range cevs {
				byID[e.ID] = e
			}
		}
	}
	verdict := "ĐỦ điều kiện / eligible"
	if !el.Eligible {
		verdict = "KHÔNG đủ điều kiện / not eligible"
	}
	fmt.Fprintf(w, "Hồ sơ / nomination %s — đơn vị / unit %s — trạng thái / state %s\n", el.Nomination, el.Unit, stateLabel(el.State))
	fmt.Fprintf(w, "Tại thời điểm / as of %s (seq %d), tiêu chí phiên bản / rules version %d\n", localTime(el.AsOf), el.AsOfSeq, el.DefinitionVersion)
	fmt.Fprintf(w, "Kết luận / verdict: %s\n", verdict)
	event := func(indent, id string) {
		e, ok := byID[id]
		if !ok {
			// Another unit's (a registration under the unit, which makes it a parent unit).
			e, ok = m.EventByID(id)
		}
		if !ok {
			fmt.Fprintf(w, "%s← sự kiện / event %s\n", indent, id)
			return
		}
		// The aggregate whose stream holds it: a predecessor's fact reads as the unit's
		// own otherwise (a review finding).
		fmt.Fprintf(w, "%s← sự kiện / event %s (seq %d, %s, %s, %s) — %s\n", indent, id, e.Seq, localTime(e.At), e.Type, aggregateLabel(e.Aggregate, el.Unit), actorLabel(e.Actor))
	}
	for i, r := range el.Reasons {
		crit := ""
		if r.Criterion != "" {
			crit = " [" + r.Criterion + "]"
		}
		fmt.Fprintf(w, "\n%d. %s%s\n   %s\n   %s\n", i+1, r.Code, crit, r.MessageVI, r.MessageEN)
		for _, id := range r.Events {
			event("   ", id)
		}
	}
	// Every criterion's result and what it rests on: why a nomination is eligible is as
	// much an inspector's question as why another is not.
	if len(el.Criteria) > 0 {
		fmt.Fprintf(w, "\nTiêu chí / criteria:\n")
	}
	for _, id := range slices.Sorted(maps.Keys(el.Criteria)) {
		c := el.Criteria[id]
		fmt.Fprintf(w, "  %s  %s — %s\n", id, resultLabel(c.Result), c.LabelVI)
		if c.NoteVI != "" {
			fmt.Fprintf(w, "      %s\n", c.NoteVI)
		}
		if c.Note != "" && c.Note != c.NoteVI {
			fmt.Fprintf(w, "      %s\n", c.Note)
		}
		for _, e := range c.Events {
			event("      ", e)
		}
	}
	return nil
}

// resultLabel names a criterion's result in Vietnamese and English.
func resultLabel(result string) string {
	l, ok := map[string]string{
		domain.ResultMet: "ĐẠT / met", domain.ResultNotMet: "KHÔNG ĐẠT / not met",
		domain.ResultNotApplicable: "không áp dụng / not applicable", domain.ResultPending: "chờ kết luận / pending",
		domain.ResultExcluded: "BỊ LOẠI TRỪ / excluded",
	}[result]
	if !ok {
		return result
	}
	return l
}

// RankingCmd prints a campaign's ranking.
type RankingCmd struct {
	// Campaign is the id of the campaign to rank (default: the built-in ninh-thuan-cchc-2025).
	Campaign string `arg:"" help:"Campaign id (default: ninh-thuan-cchc-2025, the built-in campaign)." default:"ninh-thuan-cchc-2025"`
	boundFlag
	// Format is the output format: "table", "json", "csv" or "xlsx"; unset, the one that
	// --output's extension names (.json, .csv, .xlsx), else table.
	Format string `help:"Output format: table, json, csv or xlsx (default: the one --output's extension names, .json, .csv or .xlsx, else table)." placeholder:"FORMAT"`
	// Lang is the language of the CSV and XLSX headers and labels: "vi" (the default) or "en".
	Lang string `help:"Language of the CSV and XLSX headers and labels: vi or en." enum:"vi,en" default:"vi"`
	// Output is the file to write to instead of standard output; xlsx requires it.
	Output string `short:"o" help:"Write to this file, - for standard output (xlsx: a file, or standard output sent to a file or a pipe)." placeholder:"FILE"`
}

// Run prints or exports the ranking. CSV and XLSX are written by the same code as the
// API's and the web UI's downloads (package rankexport).
func (c *RankingCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) (err error) {
	if err := validIDs("campaign", c.Campaign); err != nil {
		return err
	}
	b, err := c.bound()
	if err != nil {
		return err
	}
	switch c.Format {
	case "table", "json", "csv", "xlsx":
		// A file named for another format would not open as one (a review finding:
		// --format xlsx -o r.csv wrote a workbook named .csv).
		switch ext := strings.ToLower(filepath.Ext(c.Output)); ext {
		case ".json", ".csv", ".xlsx":
			if ext[1:] != c.Format {
				return usageError(fmt.Errorf("--format %s and --output %s name two formats: give one, or a file named for the format", c.Format, c.Output))
			}
		}
	case "":
		c.Format = "table"
		switch ext := strings.ToLower(filepath.Ext(c.Output)); ext {
		case ".json", ".csv", ".xlsx":
			c.Format = ext[1:]
		}
	default:
		return usageError(fmt.Errorf("--format %q: give table, json, csv or xlsx", c.Format))
	}
	if c.Format == "xlsx" && c.Output == "" && stdoutIsTerminal() {
		// A workbook written to a terminal is noise; sent to a file or a pipe, as DESIGN's
		// `thidua ranking CAMPAIGN --format xlsx > r.xlsx`, it is the workbook (a review
		// finding: that was refused too).
		return usageError(fmt.Errorf("--format xlsx writes a workbook: give --output FILE, or send standard output to a file"))
	}
	store, m, err := openModel(ctx, g, logger, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if b, err = boundWithin(ctx, b, store, m); err != nil {
		return err
	}
	rk, err := m.Ranking(c.Campaign, b)
	if err != nil {
		return err
	}
	var sealed rankexport.Meta // the export's or table's digest, before its file is made
	if c.Format != "json" {
		if err := sealed.Seal(ctx, rk, func(ctx context.Context, seq uint64) (eventstore.Digest, error) {
			return m.DigestAt(ctx, store, seq)
		}); err != nil {
			return err
		}
	}
	emit := func(w io.Writer) error {
		switch c.Format {
		case "json":
			return printJSON(w, rk)
		case "csv", "xlsx":
			format, err := rankexport.ParseFormat(c.Format)
			if err != nil {
				return err
			}
			lang, err := rankexport.ParseLang(c.Lang)
			if err != nil {
				return err
			}
			meta := rankexport.Meta{Requested: b, GeneratedAt: time.Now(), Lang: lang}
			if c.At != nil {
				meta.AskedSeq, _ = strconv.ParseUint(strings.TrimPrefix(*c.At, "seq:"), 10, 64)
				meta.AskedAt = *c.At
			}
			meta.Digest = sealed.Digest
			if camp, err := m.Campaign(c.Campaign); err == nil {
				meta.CampaignName = camp.NameVI
				if lang == rankexport.English && camp.NameEN != "" {
					meta.CampaignName = camp.NameEN
				}
			}
			return rankexport.Write(ctx, w, format, rk, meta)
		}
		if c.Output == "" || c.Output == "-" {
			w = terminalSafe(w)
		}
		return writeRankingTable(w, rk, sealed.Digest)
	}
	if c.Output == "" || c.Output == "-" {
		// - is standard output, as for archive -o - (a file named "-" was written).
		return emit(g.Out)
	}
	// A file appears under its name whole: an export cut short by a full disk kept its
	// header and seal, and read as a whole one.
	return writeWhole(c.Output, 0o644, emit)
}

// writeRankingTable prints rk as tables for a terminal, with the stream's digest at its
// sequence when digest is given.
func writeRankingTable(w io.Writer, rk projections.RankingView, digest *eventstore.Digest) error {
	fmt.Fprintf(w, "Xếp hạng / ranking %s — as of %s (seq %d)\n", rk.Campaign, localTime(rk.AsOf), rk.AsOfSeq)
	if digest != nil {
		fmt.Fprintf(w, "Mã niêm phong dữ liệu / stream digest (SHA-256 đến / up to seq %d): %s\n", digest.Seq, digest.Hex())
	}
	if warn := rankexport.IntegrityWarning(rk, rankexport.Vietnamese); warn != "" {
		fmt.Fprintf(w, "\nCẢNH BÁO: %s.\nWARNING: %s.\n", warn, rankexport.IntegrityWarning(rk, rankexport.English))
	}
	for _, k := range []struct {
		title string
		v     projections.RankingKindView
	}{{"Tập thể / collectives", rk.Collective}, {"Cá nhân / individuals", rk.Individual}} {
		fmt.Fprintf(w, "\n%s — chỉ tiêu / quota %d, đã khen / awarded %d\n", k.title, k.v.Quota, k.v.Awarded)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tđề xuất\tđơn vị / tên\thồ sơ\tquyết định bởi")
		// The quota's line comes after the entry that takes its last place, as the web
		// draws it: awards no longer ranked hold places, and an entry withheld (its unit
		// or person ranked above) takes none (a review finding: the line came after the
		// quota-th row, a recommended entry below it).
		places, taken := k.v.Quota-len(k.v.AwardedUnranked), 0
		if places <= 0 && len(k.v.Entries) > 0 {
			fmt.Fprintln(tw, "—\t— chỉ tiêu —\t\t\t")
		}
		for _, e := range k.v.Entries {
			rec := ""
			if e.Recommended {
				rec = "✓"
				taken++
			}
			if e.Awarded {
				rec += " đã khen"
			}
			if e.Withheld != "" {
				rec = rankexport.WithheldLabel(e.Withheld, rankexport.Vietnamese)
			}
			decided := ""
			if e.DecidedBy != "" {
				// As the CSV says it ("điểm PAR INDEX"), not the key's code.
				decided = rankexport.KeyLabel(e.DecidedBy, rankexport.Vietnamese)
			}
			name := e.Name
			if e.Unit != "" && e.Unit != e.Name {
				name += " (" + e.Unit + ")"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Rank, rec, name, e.Nomination, decided)
			if e.Recommended && taken == places {
				fmt.Fprintln(tw, "—\t— chỉ tiêu —\t\t\t")
			}
		}
		tw.Flush()
	}
	if un := rankexport.UnrankedAwards(rk, rankexport.Vietnamese); len(un) > 0 {
		// Awards in force whose nomination is not ranked now still hold their places: the
		// awarded counts above include them.
		fmt.Fprintln(w, "\nĐã khen nhưng không còn trong xếp hạng (vẫn giữ chỉ tiêu đến khi thu hồi) / awarded but not ranked now (each holds its place until revoked):")
		for _, u := range un {
			fmt.Fprintln(w, "  "+u)
		}
	}
	return nil
}

// EventsCmd prints an audit trail.
type EventsCmd struct {
	// Unit is the id of the unit whose trail to print; exactly one of Unit, Nomination
	// and Campaign is given.
	Unit string `help:"Unit id (give one of --unit, --nomination and --campaign)." xor:"target" required:""`
	// Nomination is the id of the nomination whose trail to print.
	Nomination string `help:"Nomination id (or --unit, or --campaign)." xor:"target" required:""`
	// Campaign is the id of the campaign whose trail to print: its launch, deadline,
	// grants (with the ranking relied on), revocations and mergers noted.
	Campaign string `help:"Campaign id: its launch, deadline, grants (with the ranking relied on), revocations and mergers noted." xor:"target" required:""`
	// Inherited, with Unit only, includes the history of the units it absorbed.
	Inherited bool `help:"With a unit: include the history of the units it absorbed."`
	boundFlag
	// JSON prints the events as JSON instead of a table.
	JSON bool `help:"Print JSON."`
}

// Run prints the events.
func (c *EventsCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	for what, id := range map[string]string{"--unit": c.Unit, "--nomination": c.Nomination, "--campaign": c.Campaign} {
		if id != "" {
			if err := validIDs(what, id); err != nil {
				return err
			}
		}
	}
	if c.Inherited && c.Unit == "" {
		return usageError(errors.New("--inherited applies to --unit only: a nomination's and a campaign's trails inherit nothing"))
	}
	b, err := c.bound()
	if err != nil {
		return err
	}
	store, m, err := openModel(ctx, g, logger, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if b, err = boundWithin(ctx, b, store, m); err != nil {
		return err
	}
	var evs []projections.EventView
	switch {
	case c.Unit != "":
		evs, err = m.UnitEvents(c.Unit, c.Inherited, b, 0)
	case c.Campaign != "":
		evs, err = m.CampaignEvents(c.Campaign, b)
	default:
		evs, err = m.NominationEvents(c.Nomination, b)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.Out, map[string]any{"events": evs})
	}
	tw := tabwriter.NewWriter(terminalSafe(g.Out), 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "seq\tthời điểm / at\tngười / actor\tsự kiện / event\tnội dung / summary")
	for _, e := range evs {
		from := ""
		if e.InheritedFrom != "" {
			from = " (kế thừa từ / inherited from " + e.InheritedFrom + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s%s\n", e.Seq, localTime(e.At), actorLabel(e.Actor), e.ID, e.SummaryVI, from)
	}
	return tw.Flush()
}

// localTime writes t in Vietnam's time with its offset ("2025-07-01 08:00:00 +07:00"), as
// the ranking exports do: before, the trail printed UTC without a zone, which a reader in
// Vietnam took for local time, seven hours off.
// stdoutIsTerminal reports whether the process's standard output is a terminal (a
// character device).
func stdoutIsTerminal() bool {
	fi, err := os.Stdout.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	// /dev/null is a character device too, and no terminal (a review finding).
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// aggregateLabel names the aggregate whose stream holds an event a reason cites, and says
// when a unit's is not the nomination's own unit (inherited by it, or merged alongside).
func aggregateLabel(ref eventstore.Ref, unit string) string {
	switch {
	case ref.Kind == domain.KindUnit && ref.ID == unit:
		return "đơn vị / unit " + ref.ID
	case ref.Kind == domain.KindUnit:
		return "đơn vị khác / another unit " + ref.ID
	case ref.Kind == domain.KindCampaign:
		return "đợt thi đua / campaign " + ref.ID
	case ref.Kind == domain.KindNomination:
		return "hồ sơ / nomination " + ref.ID
	}
	return ref.Kind + " " + ref.ID
}

func localTime(t time.Time) string {
	return t.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02 15:04:05 -07:00")
}

// stateLabel returns a nomination state with its Vietnamese and English labels, the web
// UI's: "verified (đã thẩm định / reviewed)". A verified nomination's review is finished;
// whether it is eligible is the verdict's to say.
func stateLabel(state string) string {
	en := map[domain.State]string{
		domain.StateDraft: "draft", domain.StateSubmitted: "submitted", domain.StateUnderReview: "under review",
		domain.StateReturned: "returned for amendment", domain.StateVerified: "reviewed", domain.StateOnHold: "on hold",
		domain.StateWithdrawn: "withdrawn", domain.StateAwarded: "awarded", domain.StateRevoked: "revoked",
	}[domain.State(state)]
	if en == "" {
		return state
	}
	return state + " (" + domain.State(state).LabelVI() + " / " + en + ")"
}

// actorLabel names an event's actor for a reader: "Name (user id, role)", or the user
// id and role when the registry has no name for it.
func actorLabel(a projections.ActorView) string {
	switch {
	case a.Name != "" && a.Name != a.User:
		return fmt.Sprintf("%s (%s, %s)", a.Name, a.User, a.Role)
	case a.Role != "":
		return fmt.Sprintf("%s (%s)", a.User, a.Role)
	}
	return a.User
}

// ReplayCmd rebuilds every projection from the stream.
type ReplayCmd struct {
	// CPUProfile is where to write a CPU profile of the rebuild.
	CPUProfile string `name:"cpuprofile" help:"Write a CPU profile of the rebuild to this file (go tool pprof)." placeholder:"FILE"`
	// MemProfile is where to write a heap profile taken after the rebuild.
	MemProfile string `name:"memprofile" help:"Write a heap profile taken after the rebuild to this file." placeholder:"FILE"`
	// SkipHistoryCheck skips the comparison of the stream with the history of the
	// snapshot the replay replaces (rewrittenSince).
	SkipHistoryCheck bool `name:"skip-history-check" help:"Do not compare the stream with the history of the snapshot this replay replaces (at a million events about 22 s beside the rebuild's 15; a rewrite of the stream that kept the snapshot's last commit then goes unnoticed: run thidua verify first)."`
}

// digestDiffers returns the problems m's check of the stream against its snapshot found
// in the stream's digest (projections.Model.CheckStream): the stream holds other messages
// than the snapshot recorded between two of its digest's marks.
func digestDiffers(m *projections.Model) []projections.IntegrityProblem {
	var out []projections.IntegrityProblem
	for _, p := range m.IntegrityProblems() {
		if p.Problem == projections.ProblemHistoryDiffers && p.Aggregate.Kind == projections.KindStream {
			out = append(out, p)
		}
	}
	return out
}

// rewrittenSince compares the stream, up to the checkpoint of the data directory's
// snapshot, with the history the snapshot recorded, as verify does, and returns the
// differences and the checkpoint: a rewrite that kept the checkpoint's commit, which the
// header's check does not see. There is nothing to compare (no problems, no error) when
// there is no snapshot, it cannot be read, or it is not the stream's; unreadable says why
// a snapshot there could not be read, when not for its outdated format. It holds the
// snapshot's model while it reads, and lets it go before the replay's rebuild.
func rewrittenSince(ctx context.Context, g *Globals, store *eventstore.Store) (problems []projections.IntegrityProblem, cp uint64, unreadable, err error) {
	s, err := projections.ReadSnapshotFile(projections.SnapshotPath(g.Data))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, projections.ErrSnapshotOutdated) {
			return nil, 0, nil, nil
		}
		return nil, 0, err, nil
	}
	defer s.Discard()
	m, err := s.Check(ctx, store)
	if err != nil || s.Checkpoint() == 0 {
		return nil, 0, nil, nil
	}
	history := m.CompareHistory()
	_, err = store.Read(ctx, eventstore.ReadOptions{Raw: true, Until: s.Checkpoint(), OnMalformed: func(*eventstore.MalformedError) {}},
		func(c eventstore.Commit) error {
			history.Commit(c)
			return nil
		})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("compare the stream with the snapshot's history: %w", err)
	}
	problems, cp = history.Problems, s.Checkpoint()
	if len(problems) == 0 {
		// A rewrite that kept every event (a commit's idempotency key, its answer, its
		// layout) shows in the stream's digest alone, as the start's check finds it.
		if _, err := m.CheckStream(ctx, store, cp, nil); err != nil {
			return nil, 0, nil, fmt.Errorf("compare the stream's digest with the snapshot's: %w", err)
		}
		problems = digestDiffers(m)
	}
	// The snapshot's model goes before the rebuild makes another: without this, a
	// replay of a million events peaked at 3.06 GB instead of 2.61.
	s.Discard()
	m, history = nil, nil
	debug.FreeOSMemory()
	return problems, cp, nil, nil
}

// Run rebuilds with a progress bar, prints a summary, and saves a fresh snapshot.
func (c *ReplayCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	store, err := g.openStore(ctx, logger, eventstore.WithExistingOnly())
	if err != nil {
		return err
	}
	defer store.Close()
	last, err := store.LastSeq(ctx)
	if err != nil {
		return err
	}
	if store.Embedded() {
		// The snapshot this replay replaces may be the only record that the stream was
		// rewritten since: keep it, as a server's start does.
		if cp, err := projections.CheckSnapshotHeader(ctx, projections.SnapshotPath(g.Data), store); errors.Is(err, projections.ErrStreamDiverged) {
			kept, _ := keepDiverged(g, cp, err, logger)
			fmt.Fprintf(g.Out, "BROKEN history: the stream no longer holds what the snapshot recorded (%v); the snapshot is kept in %s, and thidua verify names it until it is removed.\n", err, kept)
		} else if c.SkipHistoryCheck {
			logger.Warn("replay: the stream is not compared with the history of the snapshot it replaces (--skip-history-check)")
		} else if problems, cp, unreadable, err := rewrittenSince(ctx, g, store); err != nil {
			return err
		} else if unreadable != nil {
			// Kept aside as a server's start keeps it, not replaced without a word (a
			// review finding): it may be intact, and written by a version that read it.
			kept := keepDamaged(g)
			logger.Warn("replay: the snapshot could not be read; it is kept aside, not replaced", "err", unreadable, "kept", kept)
			fmt.Fprintf(g.Out, "The snapshot could not be read (%v); it is kept in %s, not replaced.\n", unreadable, kept)
		} else if len(problems) > 0 {
			// A rewrite that kept the checkpoint's commit: only the history tells.
			p := problems[0]
			kept, _ := keepDiverged(g, cp, fmt.Errorf("%w: %s", projections.ErrStreamDiverged, p.Detail), logger)
			if p.Aggregate.Kind == projections.KindStream {
				fmt.Fprintf(g.Out, "BROKEN history: %s; the snapshot is kept in %s, and thidua verify names it until it is removed.\n", p.Detail, kept)
			} else {
				fmt.Fprintf(g.Out, "BROKEN history: the stream holds %d event(s) otherwise than the snapshot recorded (the first at sequence %d on %s); the snapshot is kept in %s, and thidua verify names it until it is removed.\n",
					len(problems), p.Seq, p.Aggregate, kept)
			}
		}
	}
	t0 := time.Now()
	bar := func(seq uint64) {
		if last == 0 {
			return
		}
		pct := float64(seq) / float64(last)
		n := int(pct * 30)
		fmt.Fprintf(os.Stderr, "\r[%s%s] %5.1f%%  %d/%d", strings.Repeat("█", n), strings.Repeat("·", 30-n), pct*100, seq, last)
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// The loading policy lasts until the snapshot is written: at Go's default the heap
	// would then grow to twice the model (4.1 GB resident for a million events, against
	// 2.3 GB at the rebuild's peak).
	load := memory.WhileLoading(logger)
	defer load.End()
	load.Huge.Rebuilding(storedBytes(ctx, store, logger))
	m, err := projections.Rebuild(ctx, store, eventstore.ReadOptions{Until: last}, bar)
	if c.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if c.MemProfile != "" {
		if err := writeHeapProfile(c.MemProfile); err != nil {
			return err
		}
	}
	bar(last)
	fmt.Fprintln(os.Stderr)
	took := time.Since(t0)
	st := m.Stats()
	rate := float64(st.Events) / took.Seconds()
	fmt.Fprintf(g.Out, "Rebuilt %d events in %d commits up to sequence %d in %s (%.0f events/s).\n", st.Events, st.Commits, st.Applied, took.Round(time.Millisecond), rate)
	for t, n := range st.Unknown {
		fmt.Fprintf(g.Out, "  skipped %d events of unknown type %s\n", n, t)
	}
	for _, mr := range st.Malformed {
		fmt.Fprintf(g.Out, "  malformed at sequence %d %s: %s\n", mr.Seq, mr.EventID, mr.Problem)
	}
	if ps := m.IntegrityProblems(); len(ps) > 0 {
		fmt.Fprintf(g.Out, "  %d integrity problems (lost messages, broken chains): every answer that relies on them says integrity_broken; thidua verify names them\n", len(ps))
	}
	if _, err := m.SaveSnapshotFile(projections.SnapshotPath(g.Data)); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	fmt.Fprintln(g.Out, "Snapshot saved:", projections.SnapshotPath(g.Data))
	return nil
}

// divergedComparison is what a snapshot kept aside as diverged recorded, against the
// stream: the last sequence it recorded, the first where the stream holds otherwise (0:
// none up to the stream's end), the events it recorded from there up to the stream's end,
// where the stream now holds others, and the events it recorded past the stream's end:
// both the stream no longer holds, and a restore must bring them back.
type divergedComparison struct {
	File            string                  `json:"file"`
	Checkpoint      uint64                  `json:"checkpoint"`
	FirstDifference uint64                  `json:"first_difference,omitempty"`
	Otherwise       []projections.EventView `json:"recorded_otherwise"`
	Beyond          []projections.EventView `json:"beyond_stream"`
	// Unreadable says why the file could not be compared ("" when it was).
	Unreadable string `json:"unreadable,omitempty"`
}

// divergedCheck compares one snapshot kept aside as diverged with the stream, commit by
// commit, in the pass that verifies the chains (no second read of the stream).
type divergedCheck struct {
	out     divergedComparison
	snap    *projections.Snapshot
	history *projections.HistoryComparer
}

// newDivergedCheck reads the snapshot kept in file, unchecked (what it recorded).
func newDivergedCheck(file string) *divergedCheck {
	d := &divergedCheck{out: divergedComparison{File: file, Otherwise: []projections.EventView{}, Beyond: []projections.EventView{}}}
	snap, err := projections.ReadSnapshotFile(file)
	if err != nil {
		d.out.Unreadable = err.Error()
		return d
	}
	d.snap = snap
	d.out.Checkpoint = snap.Unchecked().Applied()
	d.history = snap.Unchecked().CompareHistory()
	return d
}

// commit compares one commit of the stream, up to the snapshot's checkpoint, with its
// history.
func (d *divergedCheck) commit(c eventstore.Commit) {
	if d.history != nil && c.Seq <= d.out.Checkpoint {
		d.history.Commit(c)
	}
}

// finish returns the comparison once the stream, whose last sequence is last, is read:
// the first sequence it holds otherwise, the snapshot's events from there to the stream's
// end (a review finding: only those past its end were listed, so that the commands a
// restored store went on taking hid the snapshot's events at the same sequences, and
// verify's list of what to record again looked whole), and those past its end.
func (d *divergedCheck) finish(last uint64) divergedComparison {
	if d.snap == nil {
		return d.out
	}
	if len(d.history.Problems) > 0 {
		d.out.FirstDifference = d.history.Problems[0].Seq
		d.out.Otherwise = append(d.out.Otherwise, d.snap.Unchecked().EventsAt(d.out.FirstDifference, min(last, d.out.Checkpoint))...)
	}
	if d.out.Checkpoint > last {
		d.out.Beyond = append(d.out.Beyond, d.snap.Unchecked().EventsAt(last+1, d.out.Checkpoint)...)
	}
	return d.out
}

// VerifyCmd verifies hash chains and documents.
type VerifyCmd struct {
	// JSON prints the report as JSON instead of text (the exit status is the same).
	JSON bool `help:"Print JSON."`
	// WithoutDocuments leaves the document store unchecked: a store restored from an
	// archive (archive --restore) holds none of the documents its events cite.
	WithoutDocuments bool `help:"Do not check the documents (a store restored from an archive holds none): the report says they were not checked."`
}

// maxActorLines bounds the actor problems verify prints one by one (a synthetic store,
// such as the bench's, can have one per event); the JSON has them all.
const maxActorLines = 50

// Run verifies and exits 1 naming every broken event or document, and every event whose
// actor could not have caused it.
func (c *VerifyCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	store, m, use, err := openModelFrom(ctx, g, logger, true)
	if err != nil {
		return err
	}
	defer store.Close()
	// Verify names the kept diverged snapshots itself (below); with the answers' flag on
	// every sequence, each grant's replayed ranking would be empty and named as differing.
	m.NoteDivergedSnapshots(nil)
	// The stream against the history the model holds: loaded from the snapshot, it is what
	// the stream said when the snapshot was taken.
	history := m.CompareHistory()
	// Snapshots whose stream diverged from them, kept by a start that found it (on an
	// embedded store, whose data directory holds both), each compared with the stream in
	// the same pass: where it begins to differ, and what it recorded past the stream's end,
	// which a restore must bring back (a review finding: the problem said verify compared,
	// and nothing read the kept file).
	diverged := []string{}
	if store.Embedded() {
		if found := divergedSnapshots(g, use.Diverged); found != nil {
			diverged = found
		}
	}
	checks := make([]*divergedCheck, len(diverged))
	for i, f := range diverged {
		checks[i] = newDivergedCheck(f)
	}
	defer func() {
		for _, d := range checks {
			if d.snap != nil {
				d.snap.Discard()
			}
		}
	}()
	rep, err := store.VerifyChainsWith(ctx, func(c eventstore.Commit) {
		history.Commit(c)
		for _, d := range checks {
			d.commit(c)
		}
	})
	if err != nil {
		return err
	}
	compared := make([]divergedComparison, len(checks))
	for i, d := range checks {
		compared[i] = d.finish(rep.LastSeq)
	}
	actors := m.ActorProblems()
	transitions := m.TransitionProblems()
	// Events whose payload cannot be read (the store's own malformed messages are among
	// the chains' problems).
	malformed := []projections.IntegrityProblem{}
	for _, p := range m.IntegrityProblems() {
		if p.Problem == projections.ProblemMalformed {
			malformed = append(malformed, p)
		}
	}
	// A rewrite that kept every event (a commit's idempotency key, its answer, its
	// layout), which only the stream's digest against the snapshot's shows: the model's
	// check of the stream found it as it loaded.
	history.Problems = append(append([]projections.IntegrityProblem{}, digestDiffers(m)...), history.Problems...)
	transitions = append(transitions, malformed...)
	// Each grant's recorded ranking against the stream's as of the sequence it names,
	// taken to the end of its atomic append as a replay takes it.
	grants := m.GrantProblemsSettled(func(seq uint64) (uint64, error) { return store.SettledSeq(ctx, seq) })
	// What messages lost on disk had held, as the snapshot's history recorded it (a model
	// rebuilt from the stream holds none of it).
	lost := map[uint64][]projections.EventView{}
	lostEvents := []projections.EventView{}
	for _, p := range rep.Problems {
		if p.LostTo != 0 {
			lost[p.Seq] = m.EventsAt(p.LostFrom, p.LostTo)
			lostEvents = append(lostEvents, lost[p.Seq]...)
		}
	}
	var docs []eventstore.DocumentProblem
	var ndocs int
	var left eventstore.Leftovers
	var uncited []eventstore.Document
	if !c.WithoutDocuments {
		if docs, ndocs, err = store.VerifyDocuments(ctx, m.CitedDocuments()...); err != nil {
			return err
		}
		if left, err = store.DocumentLeftovers(ctx); err != nil {
			return err
		}
		if uncited, err = store.UncitedDocuments(ctx, m.DocumentCited); err != nil {
			return err
		}
	}
	if c.JSON {
		// Empty lists, not null, as actors is.
		if rep.Problems == nil {
			rep.Problems = []eventstore.ChainProblem{}
		}
		if docs == nil {
			docs = []eventstore.DocumentProblem{}
		}
		if err := printJSON(g.Out, map[string]any{"chains": rep, "actors": actors, "documents": ndocs, "document_problems": docs, "unfinished_uploads": left, "uncited_documents": uncited, "diverged_snapshots": diverged, "diverged_compared": compared, "transitions": transitions, "grants": grants, "history": history.Problems, "lost_events": lostEvents,
			"documents_checked": !c.WithoutDocuments, "history_compared": historyCompared{Snapshot: use.Loaded, UpToSeq: use.Seq, Unusable: use.Unusable}}); err != nil {
			return err
		}
	} else {
		out := terminalSafe(g.Out)
		if c.WithoutDocuments {
			fmt.Fprintf(out, "Checked %d events in %d commits on %d aggregates (up to sequence %d); NOT the documents (--without-documents).\n", rep.Events, rep.Commits, rep.Aggregates, rep.LastSeq)
		} else {
			fmt.Fprintf(out, "Checked %d events in %d commits on %d aggregates (up to sequence %d) and %d documents.\n", rep.Events, rep.Commits, rep.Aggregates, rep.LastSeq, ndocs)
		}
		// What the stream was compared with: a check of the stream alone cannot see a
		// rewrite of whole commits whose hashes were computed again.
		switch {
		case use.Loaded:
			fmt.Fprintf(out, "Compared the stream with what this directory's snapshot recorded of it, up to sequence %d.\n", use.Seq)
		case use.Unusable != "":
			fmt.Fprintf(out, "NOT compared with a snapshot: the one in the data directory is not usable (%s). The stream was checked alone: that finds broken chains, hashes and actors, not a rewrite of whole commits with their hashes computed again. thidua replay writes a new snapshot.\n", use.Unusable)
		default:
			fmt.Fprintln(out, "NOT compared with a snapshot: the data directory holds none. The stream was checked alone: that finds broken chains, hashes and actors, not a rewrite of whole commits with their hashes computed again.")
		}
		for _, p := range rep.Problems {
			switch {
			case p.EventID != "":
				fmt.Fprintf(out, "BROKEN event %s at sequence %d on %s: %s\n", p.EventID, p.Seq, p.Subject, p.Problem)
			case p.Subject != "":
				fmt.Fprintf(out, "BROKEN message at sequence %d on %s: %s\n", p.Seq, p.Subject, p.Problem)
			default:
				fmt.Fprintf(out, "BROKEN at sequence %d: %s\n", p.Seq, p.Problem)
				for _, e := range lost[p.Seq] {
					fmt.Fprintf(out, "  the snapshot's history holds what sequence %d held: %s (%s on %s, event %s, recorded %s)\n",
						e.Seq, e.SummaryEN, e.Type, e.Aggregate, e.ID, e.At.UTC().Format(time.RFC3339))
				}
				if len(lost[p.Seq]) > 0 {
					// What the snapshot recorded, which the stream can no longer confirm: a
					// store restored and written again since held other messages there (a
					// review finding).
					fmt.Fprintln(out, "  (as the snapshot recorded it: the stream no longer holds those messages to confirm it, and a store restored from a copy since may have held others there)")
				}
			}
		}
		for i, p := range actors {
			if i == maxActorLines {
				fmt.Fprintf(out, "… and %d more events whose actor could not have caused them (--json lists them all)\n", len(actors)-i)
				break
			}
			fmt.Fprintf(out, "BROKEN event %s at sequence %d on %s: %s\n", p.EventID, p.Seq, p.Aggregate, p.Detail)
		}
		for _, p := range transitions {
			fmt.Fprintf(out, "BROKEN event %s at sequence %d on %s: %s\n", p.EventID, p.Seq, p.Aggregate, p.Detail)
		}
		for _, p := range grants {
			fmt.Fprintf(out, "BROKEN grant %s at sequence %d on %s: %s\n", p.EventID, p.Seq, p.Aggregate, p.Detail)
		}
		for _, p := range docs {
			fmt.Fprintf(out, "BROKEN document %s: %s\n", p.SHA256, p.Problem)
		}
		for i, p := range history.Problems {
			if i == maxActorLines {
				fmt.Fprintf(out, "… and %d more events the stream holds otherwise than the snapshot recorded (--json lists them all)\n", len(history.Problems)-i)
				break
			}
			fmt.Fprintf(out, "BROKEN history at sequence %d on %s: %s\n", p.Seq, p.Aggregate, p.Detail)
		}
		for i, f := range diverged {
			fmt.Fprintf(out, "BROKEN history: the stream no longer holds what a snapshot of it recorded (rewritten, restored from an older copy, or its end lost on disk); the snapshot is kept in %s (remove it once looked into)\n", f)
			c := compared[i]
			switch {
			case c.Unreadable != "":
				fmt.Fprintf(out, "  it could not be read to compare: %s\n", c.Unreadable)
				continue
			case c.FirstDifference != 0:
				fmt.Fprintf(out, "  it recorded the stream up to sequence %d; the stream holds otherwise from sequence %d on\n", c.Checkpoint, c.FirstDifference)
			default:
				fmt.Fprintf(out, "  it recorded the stream up to sequence %d; the stream agrees with it up to its own end, %d\n", c.Checkpoint, rep.LastSeq)
			}
			for j, e := range append(c.Otherwise[:len(c.Otherwise):len(c.Otherwise)], c.Beyond...) {
				if j == maxActorLines {
					fmt.Fprintf(out, "  … and %d more (--json lists them all)\n", len(c.Otherwise)+len(c.Beyond)-j)
					break
				}
				where := "past the stream's end"
				if j < len(c.Otherwise) {
					where = "where the stream now holds another"
				}
				fmt.Fprintf(out, "  it recorded, %s, at sequence %d: %s (%s on %s, event %s, recorded %s)\n",
					where, e.Seq, e.SummaryEN, e.Type, e.Aggregate, e.ID, e.At.UTC().Format(time.RFC3339))
			}
		}
		switch {
		case len(rep.Problems)+len(actors)+len(transitions)+len(grants)+len(docs)+len(diverged)+len(history.Problems) > 0:
		case c.WithoutDocuments:
			fmt.Fprintln(out, "OK: every hash chain, actor and grant's ranking verifies; the documents were not checked.")
		default:
			fmt.Fprintln(out, "OK: every hash chain, actor, grant's ranking and document verifies.")
		}
		fmt.Fprintf(out, "Stream digest up to sequence %d (SHA-256; thidua digest --at seq:N gives it at any sequence): %s\n", rep.Digest.Seq, rep.Digest.Hex())
		if rep.Backdated > 0 {
			fmt.Fprintf(out, "Note: %d event(s) say they were recorded more than %s before JetStream stored them (the first at sequence %d): backdated, written with a simulated clock (the demo's seeding, the bench's load), or restored from an archive (archive --restore stores every message anew).\n",
				rep.Backdated, eventstore.BackdateTolerance, rep.FirstBackdated)
		}
		if len(uncited) > 0 {
			fmt.Fprintf(out, "Note: %d stored document(s) that no event cites, uploads refused after their file was stored (not an integrity problem: no answer relies on them); serve removes them an hour after they were stored:\n", len(uncited))
			for _, d := range uncited {
				fmt.Fprintf(out, "  %s  %d bytes  %s\n", d.SHA256, d.Size, d.Name)
			}
		}
		if left.Uploads > 0 {
			fmt.Fprintf(out, "Note: %d document upload(s) cut short left %d chunk(s) that no document or event refers to (space only, not an integrity problem); serve removes them an hour after their last chunk.\n", left.Uploads, left.Chunks)
		}
	}
	if len(rep.Problems)+len(actors)+len(transitions)+len(grants)+len(docs)+len(diverged)+len(history.Problems) > 0 {
		return exitError{code: 1}
	}
	return nil
}

// historyCompared says, in verify's JSON, what the stream was compared with: the
// snapshot's record of it up to a sequence, or nothing (the stream checked alone).
type historyCompared struct {
	// Snapshot is true when the stream was compared with the snapshot's record.
	Snapshot bool `json:"snapshot"`
	// UpToSeq is the last sequence the snapshot recorded (Snapshot).
	UpToSeq uint64 `json:"up_to_seq,omitempty"`
	// Unusable is why a snapshot in the data directory was not used, when one was there.
	Unusable string `json:"unusable,omitempty"`
}

// DigestCmd prints the stream's digest (eventstore.Digest) up to a sequence, computed
// from the stream alone: no snapshot, no projections, nothing the server recorded of the
// stream. An inspector runs it to check the digest an export or the council's minutes
// state at a sequence; a different digest means the stream no longer holds the history
// the export was made from.
type DigestCmd struct {
	// At is the sequence, as seq:N (default: the stream's last).
	At *string `help:"The stream sequence the digest covers, as seq:N (an export states it). Default: the stream's last." placeholder:"seq:N"`
	// JSON prints {seq, sha256}.
	JSON bool `help:"Print JSON: {seq, sha256}."`
}

// Run reads the stream up to the sequence and prints its digest.
func (c *DigestCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	seq, err := seqFlag(c.At, "a digest seals a sequence, which an export states")
	if err != nil {
		return err
	}
	store, err := g.openStore(ctx, logger, eventstore.WithReadOnly())
	if err != nil {
		return err
	}
	defer store.Close()
	last, err := store.LastSeq(ctx)
	if err != nil {
		return err
	}
	if seq == 0 {
		seq = last
	}
	if seq > last {
		return fmt.Errorf("--at seq:%d is past the stream's last sequence %d", seq, last)
	}
	d, err := store.DigestFrom(ctx, eventstore.Digest{}, seq, nil)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.Out, d)
	}
	fmt.Fprintf(g.Out, "Mã niêm phong luồng sự kiện đến seq %d / stream digest up to sequence %d (SHA-256):\n%s\n", d.Seq, d.Seq, d.Hex())
	return nil
}

// writeHeapProfile writes a heap profile, after a collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReissueTokenCmd gives a user a new token, as the system: the way back in for an
// installation whose administrator lost their token (no other administrator can then
// reissue it over the API). It runs on the data directory of a stopped server, or with
// --nats beside running ones; the event records the system as its actor.
type ReissueTokenCmd struct {
	// User is the id of the user who gets the new token (the first administrator is "admin").
	User string `arg:"" help:"User id (GET /api/v1/users, or the web UI's accounts table; the first administrator is \"admin\")."`
}

// Run reissues the token and prints it.
func (c *ReissueTokenCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	if err := validIDs("user", c.User); err != nil {
		return err // before the store is opened, as the read commands refuse theirs
	}
	// It records: opened as the store is, never from a read-only copy (a review finding:
	// on a directory it could not write, it recorded the reissue in a copy deleted at its
	// end, and printed a token that worked nowhere, the old one still working).
	store, m, _, err := openModelWith(ctx, g, logger, false, eventstore.WithExistingOnly())
	if err != nil {
		return err
	}
	defer store.Close()
	svc := workflows.New(store, m, workflows.WithLogger(logger))
	_, token, err := svc.ReissueToken(ctx, workflows.System(), c.User, workflows.Options{})
	if err != nil {
		return err
	}
	u, _ := m.User(c.User)
	_, err = fmt.Fprintf(g.Out, "Mã truy cập mới của / new token of %s (%s, %s):\n%s\n", u.ID, u.Name, u.Role, token)
	if err == nil {
		_, err = fmt.Fprintln(g.Out, "Mã này chỉ hiển thị một lần; mã cũ đã hết hiệu lực. / Shown only this once; the old token no longer works.")
	}
	if err != nil {
		// The reissue is recorded: the old token no longer works, and the new one was not
		// shown. Another reissue is the way on.
		return fmt.Errorf("the token of %s was reissued, so the old one no longer works, but the new one could not be written out (%w): run reissue-token %s again to get another", c.User, err, c.User)
	}
	return nil
}
