package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"thidua/cmd/thidua/memory"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// The store watch warns in the log when the event store nears its storage limit, for the
// deployments without an alert on /metrics (thidua_store_used_bytes, _limit_bytes): past
// the limit commands are refused (507 store_full).
const (
	storeWatchEvery = time.Minute
	// storeWarnAt and storeClearAt are the shares of the limit at which the warning starts
	// and, once below, ends (apart, so that a store hovering near one does not flap).
	storeWarnAt  = 0.90
	storeClearAt = 0.85
)

// storeWatch follows the store's usage; it warns when the usage crosses storeWarnAt of
// the limit, again at every further 1 % while it grows, and says so once it falls back
// under storeClearAt.
type storeWatch struct {
	log     *slog.Logger
	usage   func(context.Context) (eventstore.Usage, error)
	warned  bool
	lastPct int
	// diskWarned is whether it said that the disk will fill before the limit.
	diskWarned bool
}

// check looks once.
func (w *storeWatch) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := w.usage(ctx)
	if err != nil {
		w.log.Debug("store usage", "err", err)
		return
	}
	switch w.next(u) {
	case watchWarn:
		w.log.Warn("event store nearly full: commands will be refused (507 store_full) at its limit; make room, or raise --storage-limit-mib",
			"used_mib", u.Used>>20, "limit_mib", u.Limit>>20, "used_pct", w.lastPct)
	case watchClear:
		w.log.Info("event store no longer nearly full", "used_mib", u.Used>>20, "limit_mib", u.Limit>>20)
	}
	switch w.nextDisk(u) {
	case watchWarn:
		w.log.Warn("the disk will fill before the event store's limit (other programs used its space since the start): writes would then stop until a restart; make room",
			"disk_free_mib", u.DiskFree>>20, "store_room_mib", (u.Limit-u.Used)>>20)
	case watchClear:
		w.log.Info("the disk has room for the event store's limit again", "disk_free_mib", u.DiskFree>>20)
	}
}

// nextDisk says whether to warn that the disk has less free space than the store's limit
// still allows it (it would fill first: see eventstore.ErrStoreDown), or that it has room
// again.
func (w *storeWatch) nextDisk(u eventstore.Usage) watchSay {
	if u.Limit <= 0 || u.DiskFree < 0 {
		return watchQuiet
	}
	short := u.DiskFree < u.Limit-u.Used
	switch {
	case short && !w.diskWarned:
		w.diskWarned = true
		return watchWarn
	case !short && w.diskWarned:
		w.diskWarned = false
		return watchClear
	}
	return watchQuiet
}

// watchSay is what a look says.
type watchSay int

const (
	watchQuiet watchSay = iota
	watchWarn
	watchClear
)

// next updates the watch with a usage and says whether to warn or to clear.
func (w *storeWatch) next(u eventstore.Usage) watchSay {
	if u.Limit <= 0 {
		return watchQuiet
	}
	share := float64(u.Used) / float64(u.Limit)
	pct := int(share * 100)
	switch {
	case share >= storeWarnAt && (!w.warned || pct > w.lastPct):
		w.warned, w.lastPct = true, pct
		return watchWarn
	case w.warned && share < storeClearAt:
		w.warned, w.lastPct = false, 0
		return watchClear
	}
	return watchQuiet
}

// uploadSweepEvery is how often serve removes the chunks of unfinished document uploads.
const uploadSweepEvery = 6 * time.Hour

// sweepUploads removes the chunks of document uploads cut short (a process killed between
// a document's chunks and its description) once their newest chunk is olderThan old
// (eventstore.StaleUpload in serve), and says in the log what it removed.
func sweepUploads(ctx context.Context, store *eventstore.Store, log *slog.Logger, olderThan time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	removed, err := store.RemoveDocumentLeftovers(ctx, olderThan)
	if removed.Uploads > 0 {
		log.Info("removed the chunks of unfinished document uploads", "uploads", removed.Uploads, "chunks", removed.Chunks)
	}
	if err != nil && ctx.Err() == nil {
		log.Warn("unfinished document uploads", "err", err)
	}
}

// sweepUncited removes the stored documents no event cites once olderThan old
// (eventstore.UncitedGrace in serve): the files of uploads whose command was refused after
// the file was stored. It says in the log what it removed and what it put back.
func sweepUncited(ctx context.Context, store *eventstore.Store, model *projections.Model, log *slog.Logger, olderThan time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	sw, err := store.SweepUncitedDocuments(ctx, olderThan, model)
	if sw.Removed > 0 || sw.Restored > 0 || sw.Kept > 0 {
		log.Info("removed the documents no event cites (uploads refused after their file was stored)",
			"removed", sw.Removed, "bytes", sw.Bytes, "put_back", sw.Restored, "unreadable_kept", sw.Kept)
	}
	switch {
	case errors.Is(err, eventstore.ErrUnreadCitations):
		log.Info("documents no event cites: not swept", "why", err)
	case err != nil && ctx.Err() == nil:
		log.Warn("documents no event cites", "err", err)
	}
}

// integrityWatchEvery is how often serve looks for new integrity problems.
const integrityWatchEvery = time.Minute

// watchIntegrity says in the log, at error level, when the projections hold integrity
// problems (an event altered, or appended behind the engine's back): once its history is
// read, then whenever more appear. GET /api/v1/integrity lists them; thidua verify checks
// the whole store.
func watchIntegrity(ctx context.Context, model *projections.Model, log *slog.Logger) {
	select {
	case <-model.PayloadsDecoded():
	case <-ctx.Done():
		return
	}
	said := 0
	check := func() { said = sayIntegrity(model, log, said) }
	check()
	memory.Every(ctx, integrityWatchEvery, check)
}

// sayIntegrity logs the integrity problems beyond the first said ones, and returns how
// many it has said.
func sayIntegrity(model *projections.Model, log *slog.Logger, said int) int {
	n := model.IntegrityCount()
	if n <= said {
		return said
	}
	ps := model.IntegrityProblems()
	first := ps[min(said, len(ps)-1)]
	log.Error("integrity problems in the event store: events altered or appended behind the engine's back; the answers relying on them say integrity_broken (GET /api/v1/integrity lists them; run thidua verify)",
		"problems", n, "first_new_seq", first.Seq, "first_new_event", first.EventID, "problem", first.Problem)
	return n
}

// documentCheckAfter is how long after its history is read serve first checks the
// document store, and documentCheckEvery how often after: every stored document is read,
// which the start-up should not share the disk with.
const (
	documentCheckAfter = time.Minute
	documentCheckEvery = 24 * time.Hour
)

// maxLoggedProblems is how many of a check's problems the log names one by one.
const maxLoggedProblems = 20

// logDocumentProblems logs a check's document problems: the first few by name, then how
// many. A store that lost its documents has one problem per citation, and the log took
// 292,569 lines of them at a million events (a review finding); the integrity page and
// the API list them all.
func logDocumentProblems(log *slog.Logger, problems []eventstore.DocumentProblem) {
	for _, p := range problems[:min(len(problems), maxLoggedProblems)] {
		log.Error("document missing or changed in the document store", "sha256", p.SHA256, "problem", p.Problem)
	}
	if len(problems) > maxLoggedProblems {
		log.Error("documents missing or changed in the document store: the rest are on the integrity page and in GET /api/v1/integrity",
			"problems", len(problems), "logged", maxLoggedProblems)
	}
}

// watchDocuments checks the document store in the background (workflows CheckDocuments),
// a minute after the history is read and then every day, and says at error level which
// documents are missing or changed; GET /api/v1/integrity and the integrity page report the
// latest check. The events alone cannot tell a document removed or changed behind the
// engine's back.
func watchDocuments(ctx context.Context, svc *workflows.Service, model *projections.Model, log *slog.Logger) {
	select {
	case <-model.PayloadsDecoded():
	case <-ctx.Done():
		return
	}
	check := func() {
		c, err := svc.CheckDocuments(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("checking the document store", "err", err)
		case err == nil && len(c.Problems) > 0:
			logDocumentProblems(log, c.Problems)
		case err == nil:
			log.Info("document store checked", "documents", c.Checked)
		}
		// And the rankings the grants recorded, as thidua verify checks them.
		g, err := svc.CheckGrants(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("checking the grants' rankings", "err", err)
		case err == nil && len(g.Problems) > 0:
			for _, p := range g.Problems[:min(len(g.Problems), maxLoggedProblems)] {
				log.Error("a grant's recorded ranking is not the stream's", "seq", p.Seq, "detail", p.Detail)
			}
			if len(g.Problems) > maxLoggedProblems {
				log.Error("grants whose recorded ranking is not the stream's: the rest are on the integrity page and in GET /api/v1/integrity",
					"problems", len(g.Problems), "logged", maxLoggedProblems)
			}
		case err == nil:
			log.Info("grants' rankings checked", "grants", g.Checked)
		}
	}
	t := time.NewTimer(documentCheckAfter)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return
	}
	check()
	memory.Every(ctx, documentCheckEvery, check)
}
