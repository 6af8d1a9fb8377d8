package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"thidua/cmd/thidua/rankexport"
	"thidua/projections"
)

// ---- ranking (printable) ----

type rankingData struct {
	C       projections.CampaignView
	Kinds   []rankKind
	AsOf    time.Time
	AsOfSeq uint64
	AtValue string
	Live    bool
	Keys    []string
	PickErr *uiError
	NotYet  bool
	// Broken says the campaign's events or the stream do not verify up to the moment.
	Broken   bool
	Awards   []awardTally
	Printed  time.Time
	Viewer   string
	Decision string
	// ExportCSV and ExportXLSX download the ranking shown ("" when there is none).
	ExportCSV, ExportXLSX string
	// Digest is the stream's digest up to AsOfSeq, which the printed page states as the
	// exports do ("" when there is none to state).
	Digest string
	// Watch lets the page say when the live ranking has changed (zero for a past moment).
	Watch rankWatch
}

// rankWatch is what a page showing the live ranking needs to say when it has changed:
// the state of the tables it shows (rankState), where the page asks for it again every
// PollMs milliseconds (app.js), and the page's own address, to reload it.
type rankWatch struct {
	State, StateURL, ReloadURL string
	PollMs                     int64
}

// watch returns the rankWatch of a page that shows kinds, the tables of rk, campaign's
// live ranking, cut at the handler's limit unless all (none when the handler does not
// poll). The state's address says which cut: the state is of what the page shows.
func (h *handler) watch(q *req, campaign string, rk projections.RankingView, kinds []rankKind, all bool) rankWatch {
	if h.cfg.rankPoll <= 0 {
		return rankWatch{}
	}
	u := "/campaigns/" + url.PathEscape(campaign) + "/ranking/state"
	if all {
		u += "?all=1"
	}
	return rankWatch{State: rankState(kinds, rk.Integrity.Status), PollMs: h.cfg.rankPoll.Milliseconds(), StateURL: u, ReloadURL: q.r.URL.RequestURI()}
}

// rankState is a digest of what a page shows of a ranking: the rows of its tables (as
// rankKinds cuts them: a place below the cut changes nothing shown, and a campaign of
// 100,000 nominations changes below it all day), each with its place, names,
// recommendation, award, withholding, keys and marks; the count of places, the quotas,
// the awards held outside the places, and whether the campaign verifies. The as-of time
// and sequence are left out: an event of any nomination of the campaign moves them.
func rankState(kinds []rankKind, integrity string) string {
	h := sha256.New()
	var b []byte
	field := func(s string) { b = append(append(b, s...), 0) }
	num := func(n int) { b = append(strconv.AppendInt(b, int64(n), 10), 0) }
	flag := func(v bool) { b = append(strconv.AppendBool(b, v), 0) }
	for _, k := range kinds {
		b = b[:0]
		field(k.Kind)
		num(k.Quota)
		num(k.Awarded)
		num(k.Total)
		num(k.Hidden)
		for _, u := range k.Unranked {
			field(u)
		}
		h.Write(append(b, '\n'))
		for _, r := range k.Rows {
			b = b[:0]
			num(r.Rank)
			field(r.Nomination)
			field(r.Name)
			field(r.UnitName)
			flag(r.Recommended)
			flag(r.Awarded)
			flag(r.Link)
			flag(r.Mine)
			flag(r.Full)
			flag(r.QuotaLine)
			flag(r.Gap)
			field(r.Withheld)
			field(r.DecidedBy)
			b = append(appendKeyValue(b, r.Par), 0)
			b = append(appendKeyValue(b, r.Improved), 0)
			b = append(appendKeyValue(b, r.Approval), 0)
			flag(r.Priority)
			b = append(r.SubmittedAt.AppendFormat(b, time.RFC3339Nano), 0)
			h.Write(append(b, '\n'))
		}
	}
	h.Write([]byte("integrity\x00" + integrity))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// appendKeyValue appends a ranking key's value, as domain.Rank gives it, for rankState.
func appendKeyValue(b []byte, v any) []byte {
	b = append(b, '=')
	switch x := v.(type) {
	case nil:
		return append(b, "nil"...)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return append(b, x...)
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano)
	}
	return fmt.Append(b, v)
}

// rankingState: GET /campaigns/{id}/ranking/state[?all=1] → {"state": rankState of the
// live ranking's tables as a page shows them to its reader: cut as the dashboard and the
// ranking page cut them, or whole with all=1}. The pages that show the live ranking ask
// for it every few seconds (app.js), to tell their reader (a council at its meeting)
// when what they show has changed. It is the model's live ranking as it is
// (LiveRanking): asking never takes a replay place, and a page shown while the state had
// a gap (the ranking below it) is told of the change when the gap closes.
func (h *handler) rankingState(q *req) error {
	id := q.r.PathValue("id")
	rk, tag, err := h.model().LiveRanking(id)
	if err != nil {
		return err
	}
	limit := h.cfg.rankRows
	if q.r.URL.Query().Get("all") == "1" {
		limit = 0
	}
	// The tables depend on their reader: a clerk's own unit's rows are shown below the
	// cut, and the links are the reader's.
	key := fmt.Sprintf("%s\x00%d\x00%s\x00%s", id, limit, q.p.Role, q.p.Unit)
	st := h.states.of(key, tag, func() string { return rankState(h.rankKinds(q, rk, "", limit, ""), rk.Integrity.Status) })
	q.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(q.w).Encode(map[string]string{"state": st})
}

// rankStates keeps the latest state of each page's view of a campaign's live ranking,
// with the ranking's tag (Model.LiveRanking's number: the same number, the same ranking).
type rankStates struct {
	mu sync.Mutex
	m  map[string]rankStateAt
}

type rankStateAt struct {
	tag   uint64
	state string
}

// rankStatesKept bounds the states kept: one per campaign, cut, and reader's role and
// unit; past it they are all let go, and made again as pages ask.
const rankStatesKept = 4096

// of returns the state under key of the ranking with tag: the kept one when it is of
// the same tag, else the one digest makes (and kept, unless a later tag's is). A
// ranking without a tag (a state with a gap) is digested each time and not kept.
func (s *rankStates) of(key string, tag uint64, digest func() string) string {
	if tag == 0 {
		return digest()
	}
	s.mu.Lock()
	if k, ok := s.m[key]; ok && k.tag == tag {
		s.mu.Unlock()
		return k.state
	}
	s.mu.Unlock()
	st := digest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.m[key]; !ok || k.tag < tag {
		if s.m == nil || len(s.m) >= rankStatesKept {
			s.m = map[string]rankStateAt{}
		}
		s.m[key] = rankStateAt{tag: tag, state: st}
	}
	return st
}

// rankingURL is the address of a campaign's ranking page at the moment the request asks
// for (its at or seq), with every place when all.
func rankingURL(campaign string, q *req, all bool) string {
	v := url.Values{}
	for _, k := range []string{"at", "seq"} {
		if s := strings.TrimSpace(q.r.URL.Query().Get(k)); s != "" {
			v.Set(k, s)
		}
	}
	if all {
		v.Set("all", "1")
	}
	u := "/campaigns/" + url.PathEscape(campaign) + "/ranking"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

func (h *handler) rankingPage(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	d := rankingData{C: c, Keys: c.Definition.RankingKeys, Printed: h.svc.Now(), Viewer: q.p.Name}
	b, berr := h.parseBound(q)
	if berr != nil {
		d.PickErr = pickErr(h.localise(q, berr))
		b = projections.Bound{}
	}
	rk, err := h.sealedRanking(q, c.ID, b)
	switch {
	case err == nil:
		limit := h.cfg.rankRows
		if q.r.URL.Query().Get("all") == "1" {
			limit = 0
		}
		d.Kinds = h.rankKinds(q, rk, "", limit, rankingURL(c.ID, q, true))
	case errors.Is(err, projections.ErrNotFound) && !b.Live():
		d.NotYet = true
		rk.AsOf = b.Time
	default:
		return err
	}
	d.AsOf, d.AsOfSeq, d.Live = rk.AsOf, rk.AsOfSeq, b.Live()
	if !d.NotYet && rk.AsOfSeq > 0 {
		dg, err := h.svc.DigestAt(q.r.Context(), rk.AsOfSeq)
		if err != nil {
			return err
		}
		d.Digest = dg.Hex()
	}
	d.Broken = rk.Integrity.Status == projections.IntegrityBroken
	if d.Live && berr == nil {
		d.Watch = h.watch(q, c.ID, rk, d.Kinds, q.r.URL.Query().Get("all") == "1")
	}
	d.AtValue = atValue(q, b)
	if !d.NotYet {
		d.ExportCSV = rankingExportURL(c.ID, q, berr == nil, rankexport.CSV)
		d.ExportXLSX = rankingExportURL(c.ID, q, berr == nil, rankexport.XLSX)
	}
	for _, k := range d.Kinds {
		d.Awards = append(d.Awards, awardTally{Kind: k.Kind, Granted: k.Awarded, Quota: k.Quota})
	}
	pg := h.newPage(q, q.T("rank.title"))
	pg.Campaign, pg.Nav, pg.Print = c.ID, "ranking", true
	h.pages.render(q, http.StatusOK, "ranking", pg, d)
	return nil
}

// rankingExportURL is the address of the download of a campaign's ranking in format, at
// the moment the request asks for when withBound (its at or seq, as the page shows it),
// else now.
func rankingExportURL(campaign string, q *req, withBound bool, format rankexport.Format) string {
	v := url.Values{"format": {string(format)}}
	if withBound {
		for _, k := range []string{"at", "seq"} {
			if s := strings.TrimSpace(q.r.URL.Query().Get(k)); s != "" {
				v.Set(k, s)
			}
		}
	}
	return "/campaigns/" + url.PathEscape(campaign) + "/ranking/export?" + v.Encode()
}

// rankingExport: GET /campaigns/{id}/ranking/export?format=csv|xlsx[&at=|seq=] downloads
// the ranking the ranking page shows (at its moment, every place) as a CSV or XLSX file
// in the page's language, written by the same code as the API's and the CLI's exports.
func (h *handler) rankingExport(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	f := q.r.URL.Query().Get("format")
	format, err := rankexport.ParseFormat(f)
	if err != nil {
		return invalid("err.form.format", f)
	}
	b, err := h.parseBound(q)
	if err != nil {
		return err
	}
	rk, err := h.model().Ranking(c.ID, b)
	if err != nil {
		return err
	}
	rk, _ = h.svc.RankingFor(q.p, rk)
	meta := rankexport.Meta{CampaignName: c.NameVI, Requested: b, GeneratedAt: h.svc.Now(), Lang: rankexport.Vietnamese}
	meta.AskedSeq, _ = strconv.ParseUint(q.r.URL.Query().Get("seq"), 10, 64)
	meta.AskedAt = q.r.URL.Query().Get("at")
	if err := meta.Seal(q.r.Context(), rk, h.svc.DigestAt); err != nil {
		return err
	}
	if q.lang == "en" {
		meta.Lang = rankexport.English
		if c.NameEN != "" {
			meta.CampaignName = c.NameEN
		}
	}
	var buf bytes.Buffer
	if err := rankexport.Write(q.r.Context(), &buf, format, rk, meta); err != nil {
		return fmt.Errorf("export the ranking of %s: %w", c.ID, err)
	}
	hd := q.w.Header()
	hd.Set("Content-Type", format.ContentType())
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": rankexport.FileName(rk, format)}); cd != "" {
		hd.Set("Content-Disposition", cd)
	} else {
		hd.Set("Content-Disposition", "attachment")
	}
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(buf.Bytes())
	}
	return nil
}
