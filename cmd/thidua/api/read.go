package api

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/rankexport"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// unitEvents: GET /units/{id}/events?inherited=true&limit=N[&at=|seq=].
func (h *handler) unitEvents(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	inherited := false
	if s := q.Get("inherited"); s != "" {
		if inherited, err = strconv.ParseBool(s); err != nil {
			return badRequest("invalid_inherited", "inherited: %q is not true or false", s)
		}
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return badRequest("invalid_limit", "limit: %q is not a positive number", s)
		}
	}
	// The events the reader may see, then the last limit of them: cut first, a page left
	// short of limit told a clerk that an event hidden from them had just been recorded (a
	// review finding: a hold).
	evs, err := h.model().UnitEvents(r.PathValue("id"), inherited, b, 0)
	if err != nil {
		return err
	}
	evs = h.svc.Visible(p, evs)
	if limit > 0 && len(evs) > limit {
		evs = evs[len(evs)-limit:]
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

// ranking: GET /campaigns/{id}/ranking[?at=|seq=][&format=json|csv|xlsx][&lang=vi|en].
// Without a format, or with json, the JSON ranking; csv and xlsx answer the file
// (exportRanking).
func (h *handler) ranking(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, p := range []string{"format", "lang"} {
		if len(q[p]) > 1 {
			return badRequest("invalid_"+p, "%s is given %d times: give it once", p, len(q[p]))
		}
	}
	// lang is checked whatever the format (the JSON ranking carries both languages, and
	// refused none before).
	lang, err := rankexport.ParseLang(q.Get("lang"))
	if err != nil {
		return badRequest("invalid_lang", "lang: %q is not vi or en", q.Get("lang"))
	}
	if f := strings.ToLower(q.Get("format")); f != "" && f != "json" {
		format, err := rankexport.ParseFormat(f)
		if err != nil {
			return badRequest("invalid_format", "format: %q is not json, csv or xlsx", q.Get("format"))
		}
		release, err := h.replays.Acquire(r.Context(), p.UserID)
		if err != nil {
			return placeRefused(err)
		}
		defer release()
		return h.exportRanking(w, r, p, b, format, lang)
	}
	if !b.Live() {
		// A fold of the whole campaign as of then, on every core: a user has few at once.
		release, err := h.replays.Acquire(r.Context(), p.UserID)
		if err != nil {
			return placeRefused(err)
		}
		defer release()
		v, err := h.model().Ranking(r.PathValue("id"), b)
		if err != nil {
			return err
		}
		v, _ = h.svc.RankingFor(p, v)
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	// The live ranking carries a digest of its bytes as its ETag: a dashboard that polls
	// it with If-None-Match gets 304 until the ranking changes, instead of its megabytes
	// again (13,681 entries of a 100,000-nomination campaign are 4.3 MB). It is encoded
	// once a version, and compressed once for the readers who accept gzip (rankcache.go).
	v, tag, err := h.model().LiveRanking(r.PathValue("id"))
	if err != nil {
		return err
	}
	if mine, changed := h.svc.RankingFor(p, v); changed {
		// A clerk's own reading (a withholding's reason not theirs to learn), under a
		// tag of its own (a review finding: such a clerk got neither ETag, nor 304, nor
		// gzip).
		return h.writeRedactedRanking(w, r, tag, mine)
	}
	if tag == 0 {
		// A state with a gap (a commit applied ahead of an earlier one still on its
		// way): no tag to give, nothing to cache; it lasts milliseconds.
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	enc, err := h.rankings.encode(r.PathValue("id"), tag, v)
	if err != nil {
		return fmt.Errorf("encode the ranking: %w", err)
	}
	if notModifiedTag(w, r, enc.tag) {
		return nil
	}
	w.Header().Set("ETag", enc.tag)
	writeRanking(w, r, enc, h.cfg.rankGzipMin)
	return nil
}

// exportRanking answers the ranking of campaign {id} at b as a CSV or XLSX file (package
// rankexport, the same code as the CLI's), for download: its Content-Disposition names
// the campaign, the as-of time and the stream sequence. The file is built in memory
// before the answer starts, so that a failure is still an error answer.
func (h *handler) exportRanking(w http.ResponseWriter, r *http.Request, p workflows.Principal, b projections.Bound, format rankexport.Format, lang rankexport.Lang) error {
	id := r.PathValue("id")
	rk, err := h.model().Ranking(id, b)
	if err != nil {
		return err
	}
	rk, _ = h.svc.RankingFor(p, rk)
	meta := rankexport.Meta{Requested: b, GeneratedAt: h.cfg.now(), Lang: lang}
	meta.AskedSeq, _ = strconv.ParseUint(r.URL.Query().Get("seq"), 10, 64)
	meta.AskedAt = r.URL.Query().Get("at")
	if err := meta.Seal(r.Context(), rk, h.svc.DigestAt); err != nil {
		return err
	}
	if c, err := h.model().Campaign(id); err == nil {
		meta.CampaignName = c.NameVI
		if lang == rankexport.English && c.NameEN != "" {
			meta.CampaignName = c.NameEN
		}
	}
	var buf bytes.Buffer
	if err := rankexport.Write(r.Context(), &buf, format, rk, meta); err != nil {
		return fmt.Errorf("export the ranking of %s: %w", id, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", format.ContentType())
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": rankexport.FileName(rk, format)}); cd != "" {
		hd.Set("Content-Disposition", cd)
	} else {
		hd.Set("Content-Disposition", "attachment")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// getDocument serves a stored file, checked against its SHA-256; a clerk gets only the
// documents of their unit (workflows.Service.DocumentInfo).
func (h *handler) getDocument(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	sha := r.PathValue("id")
	// Asked first, so that a 304 is only for a caller who may see the document.
	if _, err := h.svc.DocumentInfo(r.Context(), p, sha); err != nil {
		return err
	}
	// Compared as every other resource's tag is (a list, a weak tag, *): before, only
	// the exact tag was.
	if notModifiedTag(w, r, `"`+sha+`"`) {
		return nil
	}
	info, data, err := h.svc.Document(r.Context(), p, sha)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+sha+`"`)
	// Not kept in a client's cache: a dossier's file may hold a person's data, which the
	// user may no longer read tomorrow; the ETag still answers 304 (a review finding: it
	// was cacheable for a year).
	WriteDocument(w, r, info, data, "private, no-store")
	return nil
}

// WriteDocument sends a stored file as a download that a browser never renders in the
// page: its cleaned content type, its length and SHA-256, a sandboxing Content-Security-
// Policy, Content-Disposition attachment with its name, and cacheControl.
func WriteDocument(w http.ResponseWriter, r *http.Request, info eventstore.Document, data []byte, cacheControl string) {
	ctype := domain.CleanContentType(info.ContentType)
	if info.ContentType == "" {
		ctype = "application/octet-stream"
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("X-Content-SHA256", info.SHA256)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	name := info.Name
	if name == "" {
		name = info.SHA256
	}
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": name}); cd != "" {
		hd.Set("Content-Disposition", cd)
	} else {
		hd.Set("Content-Disposition", "attachment")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// healthz: the process is up, and can go on without a restart: 503 when the store can
// no longer write until one (eventstore.Store.Failed), so that a supervisor restarts it.
func (h *handler) healthz(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	if st := h.svc.Store(); st != nil {
		if err := st.Failed(); err != nil {
			// In fixed words: the store's error names the server's paths, and this
			// answer is public (a review finding); the log has it, from when it failed.
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{
				"status": "failed",
				"error": errorBody{Code: "store_down",
					Message:   "the event store has stopped writing; restart the server once the cause, named in its log, is fixed",
					MessageVI: "Kho dữ liệu đã ngừng ghi; khởi động lại máy chủ sau khi khắc phục nguyên nhân (ghi trong nhật ký máy chủ)"},
			})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz: the store answers and the readiness check (projections caught up) passes.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	check := func() *errorBody {
		if st := h.svc.Store(); st != nil {
			if err := st.Healthy(ctx); err != nil {
				// In fixed words, as /healthz: the store's error names the server's
				// paths, and this answer is public (a review finding).
				h.cfg.log.Debug("not ready: the event store", "err", err)
				if errors.Is(err, eventstore.ErrStoreDown) {
					return &errorBody{Code: "not_ready",
						Message:   "the event store has stopped writing; restart the server once the cause, named in its log, is fixed",
						MessageVI: "Kho dữ liệu đã ngừng ghi; khởi động lại máy chủ sau khi khắc phục nguyên nhân (ghi trong nhật ký máy chủ)"}
				}
				return &errorBody{Code: "not_ready",
					Message:   "the event store does not answer (the server's log names why)",
					MessageVI: "Kho dữ liệu không phản hồi (nhật ký máy chủ ghi rõ nguyên nhân)"}
			}
		}
		if h.cfg.ready != nil {
			if err := h.cfg.ready(ctx); err != nil {
				return &errorBody{Code: "not_ready", Message: err.Error()}
			}
		}
		return nil
	}
	if body := check(); body != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": *body})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "applied": h.model().Applied()})
	return nil
}

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3.0 document of the API.
func OpenAPI() []byte { return bytes.Clone(openAPIDoc) }

// openAPI: GET /api/v1/openapi.json.
func (h *handler) openAPI(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDoc)
	return nil
}
