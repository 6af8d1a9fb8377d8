package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"thidua/cmd/thidua/api"
	"thidua/cmd/thidua/demo"
	"thidua/cmd/thidua/memory"
	"thidua/cmd/thidua/web"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// ServeCmd runs the HTTP API and the web UI.
type ServeCmd struct {
	Addr string `help:"Address to listen on." default:"127.0.0.1:8080" env:"THIDUA_ADDR"`
	Demo bool   `help:"Load the demo province (units, users, nominations in every state) on a new store."`
	// WebSecret signs the web's sessions and CSRF tokens; processes behind one load
	// balancer share it. Unset, the data directory keeps one (storedWebSecret).
	WebSecret string `help:"Key that signs the web's sessions and forms: give every serve process behind one load balancer the same one (default: one drawn at the first start and kept in the data directory's web-secret file)." env:"THIDUA_WEB_SECRET"`
	// SecureCookies marks the session cookies Secure.
	SecureCookies bool `help:"Mark the web session cookies Secure (when served over HTTPS)." env:"THIDUA_SECURE_COOKIES"`
	// ShutdownGrace is how long a stop waits for the requests under way.
	ShutdownGrace time.Duration `help:"How long a stop (SIGTERM, SIGINT) waits for the requests under way before it cuts them short and exits with status 2 (an error)." default:"15s" env:"THIDUA_SHUTDOWN_GRACE"`
	// HeapHeadroom bounds the garbage the heap may hold (memory.KeepHeadroom).
	HeapHeadroom int `name:"heap-headroom-mib" help:"When no memory limit is set (GOMEMLIMIT or the container's), keep the Go runtime's soft limit this many MiB above the live heap, so that memory stays near what the projections hold instead of twice it; 0 leaves the collector's default." default:"256" env:"THIDUA_HEAP_HEADROOM_MIB"`
	// TrustedProxies are the load balancers whose X-Forwarded-For names the client.
	// MaxUploadMiB bounds an uploaded file (DESIGN: "32 MiB (configurable)").
	MaxUploadMiB   int64    `name:"max-upload-mib" help:"Largest file an upload takes, in MiB (larger: 413), through the API and the web (0: the default, 32)." default:"32" env:"THIDUA_MAX_UPLOAD_MIB"`
	TrustedProxies []string `name:"trusted-proxy" help:"Address or CIDR of a proxy in front of serve (a load balancer, a TLS terminator), repeatable or comma-separated: the client its X-Forwarded-For names is the one the limit on failed authentications counts, and its X-Forwarded-Proto: https marks the web cookies Secure; without it, one client's failures behind a proxy hold back everyone's." env:"THIDUA_TRUSTED_PROXIES" sep:","`
}

// trustedProxies parses --trusted-proxy: addresses (a /32 or /128) or CIDR prefixes.
func (c *ServeCmd) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, usageError(fmt.Errorf("--trusted-proxy %q: not an address or CIDR prefix", s))
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Run starts the store, catches the projections up, bootstraps, and serves until interrupted.
func (c *ServeCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	start := time.Now()
	if c.HeapHeadroom < 0 {
		return usageError(fmt.Errorf("--heap-headroom-mib %d: must be 0 (off) or more", c.HeapHeadroom))
	}
	if c.MaxUploadMiB < 0 || c.MaxUploadMiB > maxUploadMiB {
		return usageError(fmt.Errorf("--max-upload-mib %d: give 1 to %d (a file is held in memory while it is checked and stored)", c.MaxUploadMiB, maxUploadMiB))
	}
	if c.MaxUploadMiB == 0 {
		c.MaxUploadMiB = eventstore.DefaultMaxDocumentSize >> 20
	}
	trusted, err := c.trustedProxies()
	if err != nil {
		return err
	}
	if err := presentableToken(os.Getenv("THIDUA_ADMIN_TOKEN")); err != nil {
		return err
	}
	// A short web key is refused: the auditor, who reads every user's token hash in the
	// archive, could guess it from their own session cookie and sign an administrator's
	// (a review finding). A short token is warned of, not refused: the API contract's own
	// example starts serve with one.
	if err := strongWebSecret(c.WebSecret); err != nil {
		return err
	}
	for _, weak := range weakSecrets(os.Getenv("THIDUA_ADMIN_TOKEN")) {
		logger.Warn(weak)
	}
	// Listen first: probes get answers while the engine starts, and an address in use
	// fails now, not after the load.
	// One registry: /metrics counts the web UI's requests beside the API's, and answers
	// while the server starts.
	registry := api.NewRegistry()
	boot := &starting{metrics: api.MetricsHandler(registry)}
	boot.setStep("opening the store", "mở kho sự kiện")
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	srv := api.NewServer(c.Addr, api.NewMetrics(registry, nil).Outermost(boot, logger))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close() // a start that fails closes the listener; a stop has shut it down first
	memory.SetContainerLimit(logger, memlimit.FromCgroup)
	// The demo province is seeded on a fixed timeline (2025), so that its history is the
	// same on every machine; afterwards the clock is the real one.
	clock := &switchClock{}
	// stopped turns a start's failure into a clean stop when the stop was asked for (a
	// SIGTERM while the projections load): the process did what it was told, and a
	// supervisor must not count it as a failure.
	stopped := func(err error) error {
		if err != nil && ctx.Err() != nil {
			logger.Info("stopped while starting, as asked", "step", boot.stepName(), "err", err)
			return nil
		}
		return err
	}
	// The opening of the store, the load of the projections and their catch-up to the
	// stream's end are one load for the collector's setting; the snapshot is read while the
	// store opens (the embedded server's start takes a few hundred milliseconds). The huge
	// pages' advice lasts until the snapshot's history is read and decoded too, after the
	// server is ready.
	if err := snapshotWithoutStore(g); err != nil {
		return stopped(err)
	}
	huge := memory.HugePagesWhileLoading(logger)
	restoreGC := memory.CollectWhileLoading()
	ahead := readSnapshotAhead(g)
	store, err := g.openStore(ctx, logger, eventstore.WithClock(clock.Now), eventstore.WithMaxDocumentSize(c.MaxUploadMiB<<20))
	if err != nil {
		restoreGC()
		huge.Stop()
		return stopped(err)
	}
	defer store.Close()
	// The background work (checks, digest, snapshots, sweeps, watches) ends before the
	// store closes: deferred after its close, this runs before it.
	bg := newBackground(ctx)
	defer bg.stop(backgroundGrace, logger)
	storeIn := time.Since(start)
	boot.setStep("loading the projections", "nạp dữ liệu xét duyệt")
	model, feed, snaps, err := startProjections(ctx, g, store, logger, ahead, huge, bg)
	projectionsIn := time.Since(start)
	restoreGC()
	if err != nil {
		huge.Stop()
		return stopped(err)
	}
	bg.Go(func(ctx context.Context) {
		afterHistory(ctx, model.PayloadsDecoded(), huge.Stop, c.HeapHeadroom, logger)
	})
	defer feed.Stop()
	bg.Go(func(ctx context.Context) { warmRankings(ctx, model, logger) })
	bg.Go(func(ctx context.Context) { watchIntegrity(ctx, model, logger) })
	svc := workflows.New(store, model, workflows.WithLogger(logger), workflows.WithClock(clock.Now))
	bg.Go(func(ctx context.Context) { watchDocuments(ctx, svc, model, logger) })
	if c.Demo {
		if err := demo.MayLoad(ctx, svc); err != nil {
			return stopped(err)
		}
		// The demo's 2025 history needs the campaign launched before it.
		clock.Set(demo.BootstrapTime)
	}
	boot.setStep("bootstrapping", "khởi tạo quản trị viên và đợt thi đua")
	generated, err := svc.Bootstrap(ctx, os.Getenv("THIDUA_ADMIN_TOKEN"))
	clock.Set(time.Time{})
	noAdmin := errors.Is(err, workflows.ErrNoAdminOnDamagedStore)
	if noAdmin {
		// Serve what there is, for the users whose registrations are intact and for an
		// inspection; appending a new administrator to it is not the engine's call.
		logger.Error("no administrator created: the store's history does not verify", "err", err)
		err = nil
	}
	if generated != "" {
		// Shown whatever happens next: a start that fails after registering the
		// administrator (the built-in campaign's launch on a full disk, a stop) would
		// otherwise lose the token, and later starts see an administrator and say nothing.
		fmt.Fprintf(g.Out, "First administrator created. Token (shown once, store it safely):\n  %s\n", generated)
	}
	if err != nil {
		return stopped(err)
	}
	if tok := os.Getenv("THIDUA_ADMIN_TOKEN"); tok != "" && !noAdmin { // with none created, the error above says why
		if _, err := svc.Authenticate(ctx, tok); errors.Is(err, workflows.ErrUnauthenticated) {
			logger.Warn("THIDUA_ADMIN_TOKEN is not an administrator's token of this store: it serves only the first start of a new store, and this one has its administrator already; thidua reissue-token admin gives a new token")
		}
	}
	if c.Demo {
		boot.setStep("seeding the demo province", "nạp dữ liệu mẫu của tỉnh")
		err := demo.Seed(ctx, svc, clock.Set, g.Out)
		clock.Set(time.Time{})
		if err != nil {
			return stopped(fmt.Errorf("demo data: %w", err))
		}
	}
	// One set of replay places for both surfaces: the bound is the server's cores.
	replays, archives := api.NewReplayPlaces(0, 0, 0), api.NewArchivePlaces(0, 0)
	failures := api.NewFailureLimiter(0, 0) // one budget of guessed tokens for the API and the sign-in
	apiHandler := api.New(svc, api.WithLogger(logger), api.WithRegistry(registry), api.WithReplayPlaces(replays), api.WithArchivePlaces(archives), api.WithFailureLimiter(failures), api.WithTrustedProxies(trusted...), api.WithReadiness(func(ctx context.Context) error {
		// Ready unless the projections stay behind the stream: each commit reaches the feed
		// a few milliseconds after it is stored, and a probe in between is no reason to
		// take a busy server out of rotation (a review finding).
		behind, applied, last, err := feed.Behind(ctx)
		if err != nil {
			return err
		}
		if behind > readyLag {
			return fmt.Errorf("projections behind the stream for %s: at %d of %d", behind.Round(time.Millisecond), applied, last)
		}
		return nil
	}))
	root := http.NewServeMux()
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		root.Handle(p, apiHandler)
	}
	webSecret := []byte(c.WebSecret)
	if len(webSecret) == 0 {
		webSecret = storedWebSecret(g.Data, logger)
	}
	root.Handle("/", web.New(svc, web.WithLogger(logger), web.WithMetrics(api.NewMetrics(registry, svc)), web.WithSecret(webSecret), web.WithSecureCookies(c.SecureCookies), web.WithTrustedProxies(trusted...), web.WithReplayPlaces(replays), web.WithArchivePlaces(archives), web.WithFailureLimiter(failures)))
	// Large answers (rankings, listings, pages) go compressed to clients that accept it.
	compressed, err := api.Compress(root)
	if err != nil {
		return err
	}
	boot.serve(compressed)
	// ready_in is the sum of its steps: the store opened (the embedded server recovering
	// the stream), the projections loaded and caught up, the rest (bootstrap, handlers).
	logger.Info("thidua serving", "addr", "http://"+ln.Addr().String(), "ready_in", time.Since(start).Round(time.Millisecond),
		"store_open_in", storeIn.Round(time.Millisecond), "projections_in", projectionsIn.Round(time.Millisecond),
		"applied", model.Applied(), "embedded", store.Embedded(), "storage_limit_mib", store.StorageLimit()>>20)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			srv.Close() // the requests under way end before the store closes
			return err
		}
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	grace := c.ShutdownGrace
	if grace <= 0 {
		grace = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var cut error
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still under way (an upload arriving slowly, say) are cut short: their
		// connections closed, and the store stays open until their handlers return, or a
		// few seconds more. A keyed retry of any of them is safe; the stop says it was
		// not clean.
		n := boot.inflight.Load()
		srv.Close()
		for deadline := time.Now().Add(5 * time.Second); boot.inflight.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if n == 0 {
			// Connections still sending a request's headers: no request had begun, and
			// none was cut short; a clean stop.
			logger.Warn("shutdown: connections that had not sent a whole request were closed", "after", grace)
		} else {
			logger.Error("shutdown: requests still under way were cut short", "requests", n, "after", grace, "still_running", boot.inflight.Load(), "err", err)
			cut = fmt.Errorf("shutdown: %d request(s) still under way after %s were cut short (a retry with the same Idempotency-Key is safe)", n, grace)
		}
	}
	snaps.save()
	return cut
}

// minSecret is the fewest characters a secret given to serve should have: the first
// administrator's token (THIDUA_ADMIN_TOKEN) and the web forms' key (--web-secret). A
// generated token has 43.
const minSecret = 16

// maxUploadMiB is the largest --max-upload-mib: an upload is read whole into memory while
// its hash is checked and it is stored, beside the other requests under way.
const maxUploadMiB = 1024

// presentableToken refuses an administrator's token that no client could present: one
// holding a space, a line end or another control character, which the API and the web
// trim or refuse in the tokens they are given (a review finding: a token read from a
// CRLF env file, its "\r" kept, locked the first administrator out without a word).
func presentableToken(tok string) error {
	if i := strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(tok[i:])
		return usageError(fmt.Errorf("THIDUA_ADMIN_TOKEN holds %U at byte %d (a space, a line end or a control character: an env file with CRLF line ends?): no client can present such a token; remove it", r, i))
	}
	return nil
}

// weakSecrets names the administrator's token given when it is too short to be a secret
// ("" when not given: a token is then generated). Every user's token hash is in the
// stream, which the auditor reads whole (the archive): a short token is guessed from it
// offline.
func weakSecrets(adminToken string) []string {
	var out []string
	if n := utf8.RuneCountInString(adminToken); adminToken != "" && n < minSecret {
		out = append(out, fmt.Sprintf("THIDUA_ADMIN_TOKEN has %d characters, a guessable secret (its hash is in the stream, which an auditor's archive holds): give at least %d (or none, and one is generated and printed once), or reissue the administrator's token (thidua reissue-token)", n, minSecret))
	}
	return out
}

// strongWebSecret refuses a web key given (--web-secret, THIDUA_WEB_SECRET) that is too
// short to be a secret. The key signs the web's sessions, whose cookies hold a user's
// token hash, which the stream holds too: a user who guessed the key from their own
// cookie, offline, could sign a session of any user whose hash they read (the auditor
// reads them all in the archive).
func strongWebSecret(webSecret string) error {
	if n := utf8.RuneCountInString(webSecret); webSecret != "" && n < minSecret {
		return usageError(fmt.Errorf("--web-secret (THIDUA_WEB_SECRET) has %d characters, a guessable key for the web's sessions: give at least %d (or none, and one is drawn and kept in the data directory)", n, minSecret))
	}
	return nil
}

// startProjections builds the model — from the snapshot when there is a valid one (read
// ahead, when ahead is not nil), else by a full rebuild — and starts the live feed from
// its checkpoint and the snapshots.
func startProjections(ctx context.Context, g *Globals, store *eventstore.Store, logger *slog.Logger, ahead <-chan snapshotRead, huge *memory.HugePages, bg *background) (*projections.Model, *projections.Feed, *snapshotter, error) {
	model, loaded, err := loadModel(ctx, g, store, logger, nil, ahead, huge, false)
	if err != nil {
		return nil, nil, nil, err
	}
	snaps := &snapshotter{g: g, m: model, log: logger, usage: store.Usage, streamBytes: store.StoredBytes}
	if loaded {
		snaps.onDisk = model.Applied()
		until := model.Applied()
		bg.Go(func(ctx context.Context) {
			// After the history is decoded, so that the start's CPU goes to that first (the
			// check reads the stream as fast as a raw read: 0.33–0.57 s for 94,066 messages).
			select {
			case <-model.PayloadsDecoded():
			case <-ctx.Done():
				return
			}
			// Each is tried again every minute until it succeeds (a store down for a while).
			retry := func(what string, fn func() error) bool {
				for {
					err := fn()
					if err == nil {
						return true
					}
					if ctx.Err() != nil {
						return false
					}
					logger.Warn(what+"; trying again in a minute", "err", err)
					select {
					case <-ctx.Done():
						return false
					case <-time.After(time.Minute):
					}
				}
			}
			if !retry("could not check the stream against the snapshot", func() error { return checkAgainstSnapshot(ctx, store, model, until, logger) }) {
				return
			}
			// Then, one read of the stream at a time (two at once took 42 s each at a
			// million events, against 5 s alone), the digest a snapshot of an earlier
			// version did not carry, or the check dropped; the next save writes it (else
			// each start of a quiet server read it again).
			filled := false
			if retry("could not read the stream's digest", func() (err error) { filled, err = fillDigest(ctx, store, model, logger); return err }) && filled {
				snaps.outdated()
			}
		})
	}
	bg.Go(func(context.Context) { snaps.removeStale() })
	// The feed goes on until serve returns (its deferred Stop), not until the signal:
	// commands still answered in the shutdown's grace come back through it, so that the
	// last save finds no commit ahead of it (with the signal's context it stopped first,
	// and the last save could not be taken).
	feed, err := projections.StartFeed(context.WithoutCancel(ctx), store, model, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	bg.Go(func(ctx context.Context) { memory.Every(ctx, snapshotEvery, snaps.save) })
	watch := &storeWatch{log: logger, usage: store.Usage}
	bg.Go(func(ctx context.Context) {
		watch.check(ctx)
		memory.Every(ctx, storeWatchEvery, func() { watch.check(ctx) })
	})
	bg.Go(func(ctx context.Context) {
		sweep := func() {
			sweepUploads(ctx, store, logger, eventstore.StaleUpload)
			sweepUncited(ctx, store, model, logger, eventstore.UncitedGrace)
		}
		// The documents' citations are whole once the history's payloads are.
		select {
		case <-model.PayloadsDecoded():
		case <-ctx.Done():
			return
		}
		sweep()
		memory.Every(ctx, uploadSweepEvery, sweep)
	})
	return model, feed, snaps, nil
}

// snapshotRead is a snapshot file read while the store opens (readSnapshotAhead).
type snapshotRead struct {
	snap *projections.Snapshot
	err  error
	took time.Duration
}

// readSnapshotAhead starts reading the data directory's snapshot, when it has one, and
// returns where the result will be (nil: there is none).
func readSnapshotAhead(g *Globals) <-chan snapshotRead {
	path := projections.SnapshotPath(g.Data)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	out := make(chan snapshotRead, 1)
	go func() {
		t0 := time.Now()
		snap, err := projections.ReadSnapshotFile(path)
		out <- snapshotRead{snap: snap, err: err, took: time.Since(t0)}
	}()
	return out
}

// keepDiverged logs, at error level, a snapshot whose stream no longer holds the history
// it recorded, and keeps the file beside it as evidence (DivergedPrefix, with its
// checkpoint and the time found), where the next snapshot would have replaced it. It
// returns where the file is kept, or why it is not (moved false: a read-only copy).
func keepDiverged(g *Globals, checkpoint uint64, err error, logger *slog.Logger) (kept string, moved bool) {
	path := projections.SnapshotPath(g.Data)
	kept = filepath.Join(filepath.Dir(path), fmt.Sprintf("%sseq%d-%s", projections.DivergedPrefix, checkpoint, time.Now().UTC().Format("20060102T150405Z")))
	moved = true
	if rerr := os.Rename(path, kept); rerr != nil {
		kept, moved = "(not kept: "+rerr.Error()+")", false
	}
	logger.Error("the stream no longer holds the history this server's snapshot recorded: it was rewritten, restored from an older copy, or lost its end on disk; "+
		"rebuilding from what the stream holds; thidua verify names it until the kept snapshot is removed", "err", err, "kept", kept)
	return kept, moved
}

// DamagedSnapshotName is the name, in the data directory, under which the last snapshot
// found damaged or foreign is kept, where the next snapshot would have replaced it: what
// a disk did to it can be looked into. Only the last is kept, so that a disk that damages
// every snapshot cannot fill the directory with them.
const DamagedSnapshotName = "projections.snapshot.damaged"

// keepDamaged moves the data directory's snapshot, found unusable, to DamagedSnapshotName
// and returns where it is. Serve does, since its next save replaces the file; the
// read-only commands leave the directory as it is.
func keepDamaged(g *Globals) string {
	path := projections.SnapshotPath(g.Data)
	kept := filepath.Join(filepath.Dir(path), DamagedSnapshotName)
	if err := os.Rename(path, kept); err != nil {
		return "(not kept: " + err.Error() + ")"
	}
	return kept
}

// loadModel returns the model from the snapshot (checked against the stream; loaded
// true) or rebuilt, for serve: a damaged snapshot is kept aside (keepDamaged). A snapshot
// written under other checks than this version's is rebuilt too, unless outdatedOK (see
// openModel). The snapshot is the one read ahead when ahead is not nil, else the data
// directory's, read now. Callers set the memory policy for the load
// (memory.WhileLoading); a full rebuild tells huge (nil: none), whose advice it may end
// (memory.HugePages' Rebuilding).
func loadModel(ctx context.Context, g *Globals, store *eventstore.Store, logger *slog.Logger, progress func(uint64), ahead <-chan snapshotRead, huge *memory.HugePages, outdatedOK bool) (m *projections.Model, loaded bool, err error) {
	m, use, err := loadModelFrom(ctx, g, store, logger, progress, ahead, huge, outdatedOK)
	if use.Damaged {
		logger.Warn("the unusable snapshot is kept aside, where the next save would have replaced it", "kept", keepDamaged(g))
	}
	return m, use.Loaded, err
}

// snapshotUse says what a start made of the data directory's snapshot.
type snapshotUse struct {
	// Loaded is true when the model came from the snapshot.
	Loaded bool
	// Seq is the last sequence the snapshot recorded (Loaded).
	Seq uint64
	// Unusable is why a snapshot file there was not used ("" when there was none, or it
	// was used).
	Unusable string
	// Damaged is true when the snapshot could not be used for another reason than an
	// earlier version's checks or a stream that diverged from it: a damaged file, or
	// another stream's.
	Damaged bool
	// Diverged is the snapshot whose stream no longer holds what it recorded, when it
	// could not be kept aside (a read-only copy of the data directory): still where it
	// was, and named as kept ones are (noteDiverged), so that no answer says ok.
	Diverged string
}

// loadModelFrom is loadModel, saying what it made of the snapshot.
func loadModelFrom(ctx context.Context, g *Globals, store *eventstore.Store, logger *slog.Logger, progress func(uint64), ahead <-chan snapshotRead, huge *memory.HugePages, outdatedOK bool) (m *projections.Model, use snapshotUse, err error) {
	t0 := time.Now()
	if ahead == nil {
		ahead = readSnapshotAhead(g)
	}
	if ahead != nil {
		r := <-ahead
		err := r.err
		if err == nil {
			m, err = r.snap.Check(ctx, store)
			if err != nil && !errors.Is(err, projections.ErrSnapshotMismatch) {
				// The store did not answer: that says nothing of the snapshot, which is
				// neither set aside nor replaced, and a rebuild would read the same store.
				r.snap.Discard()
				return nil, use, err
			}
		}
		if err == nil && !outdatedOK {
			err = r.snap.Outdated()
		}
		if err != nil && r.snap != nil {
			// Not used: its model goes before the rebuild makes another.
			r.snap.Discard()
			m = nil
		}
		if err == nil {
			noteDiverged(g, store, m, logger)
			logger.Info("projections loaded from snapshot", "applied", m.Applied(), "read_in", r.took.Round(time.Millisecond), "waited", time.Since(t0).Round(time.Millisecond))
			go func() {
				select {
				case <-m.PayloadsDecoded():
					logger.Info("history decoded", "after", time.Since(t0).Round(time.Millisecond))
				case <-ctx.Done():
				}
			}()
			return m, snapshotUse{Loaded: true, Seq: r.snap.Checkpoint()}, nil
		}
		use.Unusable = err.Error()
		if errors.Is(err, projections.ErrStreamDiverged) && store.Embedded() {
			// The snapshot and the stream are one data directory's: the stream lost
			// history this directory's server had seen. (With --nats the directory only
			// caches a snapshot, perhaps of another cluster: a plain mismatch.)
			if _, moved := keepDiverged(g, r.snap.Checkpoint(), err, logger); !moved {
				// Not moved (a read-only copy): it is the evidence where it is (a review
				// finding: verify on an inspector's read-only copy then said OK).
				use.Diverged = projections.SnapshotPath(g.Data)
			}
		} else if errors.Is(err, projections.ErrSnapshotOutdated) {
			logger.Info("the snapshot was written under other integrity checks than this version's: rebuilding from the stream, so that this version checks every event", "err", err)
		} else {
			use.Damaged = true
			logger.Warn("snapshot not usable, rebuilding from the stream", "err", err)
		}
	}
	huge.Rebuilding(storedBytes(ctx, store, logger))
	m, err = projections.Rebuild(ctx, store, eventstore.ReadOptions{}, progress)
	if err != nil {
		return nil, use, err
	}
	noteDiverged(g, store, m, logger, use.Diverged)
	logger.Info("projections rebuilt from the stream", "applied", m.Applied(), "took", time.Since(t0).Round(time.Millisecond))
	return m, use, nil
}

// noteDiverged records on m the snapshots kept in the data directory of an embedded store
// as evidence that its stream no longer holds what they recorded (keepDiverged), so that
// every answer says integrity_broken, as thidua verify does, until an operator removes
// them (projections.Model.NoteDivergedSnapshots).
func noteDiverged(g *Globals, store *eventstore.Store, m *projections.Model, logger *slog.Logger, inPlace ...string) {
	if !store.Embedded() {
		return
	}
	found := divergedSnapshots(g, inPlace...)
	if len(found) == 0 {
		return
	}
	m.NoteDivergedSnapshots(found)
	logger.Error("the data directory keeps snapshots whose stream no longer holds what they recorded: every answer says integrity_broken until an operator who has looked into it removes them",
		"kept", found)
}

// fillDigest reads the stream's digest into m when m does not have it (a snapshot of
// format v4 or earlier, or one checkAgainstSnapshot found differing from the stream): about as
// long as a raw read of the stream, once, in the background of a running server; GET
// /integrity says null until then, and exports read it from the stream. It reports
// whether it read it.
func fillDigest(ctx context.Context, store *eventstore.Store, m *projections.Model, logger *slog.Logger) (bool, error) {
	if _, ok := m.Digest(); ok {
		return false, nil
	}
	logger.Info("reading the stream's digest, which the snapshot did not carry or the check dropped")
	t0 := time.Now()
	if err := m.FillDigest(ctx, store); err != nil {
		return false, err
	}
	d, _ := m.Digest()
	logger.Info("stream digest read", "seq", d.Seq, "took", time.Since(t0).Round(time.Millisecond))
	return true, nil
}

// checkAgainstSnapshot reads the stream up to until, which a model loaded from a snapshot holds
// without having read it, and checks it against the snapshot (projections.Model.CheckStream):
// each run of sequences the stream no longer holds (lost on disk since the snapshot was
// written) is recorded on m, as a rebuild would, and so is a stretch where the stream
// holds other messages than the snapshot recorded (rewritten since, its length kept),
// which the snapshot's stream digest shows (format v5); until then the model states no
// digest. Without the check, a server or command started from the snapshot served what
// the lost messages said as if nothing was missing. It reads about as much as a raw read
// of the stream (the headers only for a snapshot without the digest), in the background
// of a running server.
func checkAgainstSnapshot(ctx context.Context, store *eventstore.Store, m *projections.Model, until uint64, logger *slog.Logger) error {
	t0 := time.Now()
	res, err := m.CheckStream(ctx, store, until, func(from, to uint64) {
		logger.Error("messages lost on disk: the stream no longer holds what the snapshot was taken from; every answer from the first says integrity_broken until the store is restored",
			"from", from, "to", to)
	})
	if err != nil {
		return err
	}
	if res.DiffersTo != 0 {
		logger.Error("the stream holds other messages than the snapshot recorded: rewritten since it was written, its length kept; every answer from there says integrity_broken, and the digest is read again from the stream (thidua verify names each event)",
			"from", res.DiffersFrom, "to", res.DiffersTo)
	}
	logger.Info("stream checked against the snapshot", "through", until, "gaps", res.Lost, "compared", res.Digest, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// storedBytes is the stream's size, for the load's huge-page advice (0 when the server
// does not say: the advice then stays).
func storedBytes(ctx context.Context, store *eventstore.Store, logger *slog.Logger) uint64 {
	n, err := store.StoredBytes(ctx)
	if err != nil {
		logger.Warn("loading: the stream's size is unknown", "err", err)
		return 0
	}
	return n
}

// afterHistory waits until the model's history is decoded (decoded closed), then ends
// the load's huge-page advice and bounds the garbage the heap may hold from then on
// (memory.KeepHeadroom). If ctx ends first, it only ends the advice.
//
// A snapshot's history is decoded in the background once the server is ready, and it is
// half of the model: the live heap grows from about 0.55 to 1.07 GB for a million events.
// Until 2026-12-05 the bound began at ready: it follows the live heap as of the last
// collection, so during that growth the collector ran each time the heap grew by the
// headroom, marking the whole model each time, and it found next to no garbage. The first
// ranking (the warm-up, run meanwhile) took 5.2–5.9 s and as-of rankings 1.20–1.36 s
// (medians) with peaks of 1,327–1,352 MiB; with the bound from the end of the decoding,
// at Go's default collector before it, 3.3–3.7 s and 0.74–0.81 s, peaking at 1,330–1,344
// MiB (two starts of each on the 1M-event store).
func afterHistory(ctx context.Context, decoded <-chan struct{}, stopHuge func(), headroomMiB int, logger *slog.Logger) {
	select {
	case <-decoded:
	case <-ctx.Done():
		stopHuge()
		return
	}
	stopHuge()
	memory.KeepHeadroom(ctx, headroomMiB, logger)
}

// warmRankings computes each campaign's live ranking once after start-up, so that the
// first reader does not wait for every nomination to be evaluated; afterwards a write
// re-evaluates only what it changed.
func warmRankings(ctx context.Context, m *projections.Model, logger *slog.Logger) {
	for _, c := range m.Campaigns() {
		if ctx.Err() != nil {
			return
		}
		t0 := time.Now()
		if _, err := m.Ranking(c.ID, projections.Bound{}); err != nil {
			logger.Warn("ranking warm-up", "campaign", c.ID, "err", err)
			continue
		}
		logger.Debug("ranking warmed up", "campaign", c.ID, "took", time.Since(t0).Round(time.Millisecond))
	}
}

// snapshotter saves the projections snapshot of a data directory every few minutes and
// on shutdown, but only when the model holds commits the file does not: at a million
// events a save takes seconds of CPU and writes half a gigabyte, for nothing when the
// server was idle.
type snapshotter struct {
	g   *Globals
	m   *projections.Model
	log *slog.Logger
	// usage, when set, tells what the store holds, its limit and the disk's free space,
	// and streamBytes the stream's size: a save the disk has no room for is not made.
	usage       func(context.Context) (eventstore.Usage, error)
	streamBytes func(context.Context) (uint64, error)
	mu          sync.Mutex
	// onDisk is the checkpoint of the snapshot file (0: none, or not this model's).
	onDisk uint64
	// noRoom is true once a save was skipped for want of room (said once at warning level).
	noRoom bool
}

// snapshotRoom reports whether the disk holds need bytes for a snapshot and still keeps a
// margin free (a fortieth of the store's limit, from 8 MiB to 512 MiB: about half the
// reserve the limit leaves), and true when that is not known. A save that fills the disk
// makes the store's writes of that moment fail below its limit (a review finding: on a
// 60 MiB disk every save from about 80 % of the limit did). The snapshot also takes room
// the limit counted as the store's: the store watch warns when the disk will fill before
// the limit.
func snapshotRoom(u eventstore.Usage, need int64) bool {
	if u.Limit <= 0 || u.DiskFree < 0 {
		return true
	}
	return u.DiskFree-need >= snapshotMargin(u)
}

// snapshotMargin is the free space a snapshot leaves on the disk: a fortieth of the
// storage limit, 8 to 512 MiB.
func snapshotMargin(u eventstore.Usage) int64 { return min(max(u.Limit/40, 8<<20), 512<<20) }

// snapshotNeed estimates the bytes a new snapshot takes while it is written beside the
// old: the current file's size and a quarter more, or, with none yet, half of the
// stream's bytes (a snapshot is about a third of the stream; the documents do not count).
func snapshotNeed(path string, streamBytes uint64) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size() + fi.Size()/4 + 1<<20
	}
	return int64(streamBytes/2) + 1<<20
}

// snapshotEvery is how often the snapshotter looks for new commits to save.
const snapshotEvery = 3 * time.Minute

// save writes the snapshot when the model has applied commits since the last one.
func (s *snapshotter) save() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.Applied() == s.onDisk {
		return
	}
	path := projections.SnapshotPath(s.g.Data)
	if s.usage != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		u, err := s.usage(ctx)
		stream := uint64(max(u.Used, 0)) // the documents too, when the stream's size is not known
		if s.streamBytes != nil {
			if n, err := s.streamBytes(ctx); err == nil {
				stream = n
			}
		}
		cancel()
		if need := snapshotNeed(path, stream); err == nil && !snapshotRoom(u, need) {
			level := slog.LevelWarn
			if s.noRoom {
				level = slog.LevelDebug
			}
			s.noRoom = true
			s.log.Log(context.Background(), level, "snapshot not saved: the disk has no room for it; the next start reads the stream from the last snapshot saved (free disk space, or lower --storage-limit-mib)",
				// With the margin it leaves: "needs 1, free 1" read as room enough (a
				// review finding).
				"disk_free_mib", u.DiskFree>>20, "snapshot_needs_mib", need>>20, "margin_kept_mib", snapshotMargin(u)>>20,
				"free_at_least_mib", (need+snapshotMargin(u)-u.DiskFree+1<<20-1)>>20)
			return
		}
	}
	s.noRoom = false
	t0 := time.Now()
	seq, err := s.m.SaveSnapshotFile(path)
	if err != nil {
		s.log.Warn("snapshot not saved", "err", err)
		return
	}
	s.onDisk = seq
	s.log.Info("snapshot saved", "applied", seq, "took", time.Since(t0).Round(time.Millisecond),
		"longest_lock_hold", s.m.LastSnapshotHold().Round(100*time.Microsecond))
}

// outdated marks the snapshot on disk as lacking what the model holds now (the stream's
// digest, read after the start): the next save writes one, commits or not.
func (s *snapshotter) outdated() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisk = 0
}

// removeStale removes the temporary files of snapshot saves that never finished (the
// process was killed while saving), and says so in the log; every save does the same,
// without a word.
func (s *snapshotter) removeStale() {
	removed, err := projections.RemoveStaleSnapshotTemps(filepath.Dir(projections.SnapshotPath(s.g.Data)), time.Now().Add(-projections.StaleSnapshotTemp))
	if len(removed) > 0 {
		s.log.Info("removed the files of unfinished snapshot saves", "files", removed)
	}
	if err != nil {
		s.log.Warn("unfinished snapshot saves", "err", err)
	}
}

// snapshotWithoutStore refuses a data directory that holds the projections' snapshot (or a
// snapshot kept aside) but no event store: a restore that left out DIR/jetstream, or put
// it elsewhere. serve would otherwise create an empty store beside the snapshot, find it
// diverged from it, create no administrator and leave the operator nowhere (a review
// finding). A store on a NATS server (--nats) has no directory to look at.
func snapshotWithoutStore(g *Globals) error {
	if g.NATS != "" {
		return nil
	}
	// An empty jetstream directory (a volume mounted, a restore begun) holds no store either.
	if entries, err := os.ReadDir(filepath.Join(g.Data, "jetstream")); err == nil && len(entries) > 0 {
		return nil
	}
	found := divergedSnapshots(g)
	for _, f := range []string{projections.SnapshotPath(g.Data), filepath.Join(filepath.Dir(projections.SnapshotPath(g.Data)), DamagedSnapshotName)} {
		if _, err := os.Stat(f); err == nil {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("%w in %s: it holds a snapshot of the projections (%s) but no event store (%s): restore %s from the backup the snapshot came with; a new store starts in an empty directory",
		eventstore.ErrNoStore, g.Data, filepath.Base(found[0]), filepath.Join(g.Data, "jetstream"), filepath.Join(g.Data, "jetstream"))
}

// readyLag is how long the projections may stay behind the stream before /readyz says the
// server is not ready.
const readyLag = 5 * time.Second

// switchClock is the real clock, unless Set to a fixed moment (for seeding the demo).
type switchClock struct{ fixed atomic.Pointer[time.Time] }

// Now returns the fixed moment when one is set, else the real time.
func (c *switchClock) Now() time.Time {
	if t := c.fixed.Load(); t != nil {
		return *t
	}
	return time.Now()
}

// Set fixes the clock at t; the zero time returns it to the real clock.
func (c *switchClock) Set(t time.Time) {
	if t.IsZero() {
		c.fixed.Store(nil)
		return
	}
	c.fixed.Store(&t)
}

// divergedSnapshots lists the snapshots of the data directory kept as evidence that its
// stream no longer holds what they recorded, with those found so but not kept aside
// (snapshotUse.Diverged; "" ignored).
func divergedSnapshots(g *Globals, inPlace ...string) []string {
	found, _ := filepath.Glob(filepath.Join(filepath.Dir(projections.SnapshotPath(g.Data)), projections.DivergedPrefix+"*"))
	for _, f := range inPlace {
		if f != "" {
			found = append(found, f)
		}
	}
	return found
}
