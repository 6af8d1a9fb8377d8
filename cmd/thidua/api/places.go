package api

import (
	"context"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Defaults of the places in flight (Places).
const (
	// DefaultUploadsPerUser is the most uploads one user has in flight at once.
	DefaultUploadsPerUser = 2
	// DefaultUploads is the most uploads in flight at once on one surface (the API, the
	// web), whoever sends them.
	DefaultUploads = 8
	// DefaultReplaysPerUser is the most replays (NewReplayPlaces) one user has in
	// flight at once.
	DefaultReplaysPerUser = 2
	// DefaultArchivesPerUser is the most archives (NewArchivePlaces) one user downloads at
	// once.
	DefaultArchivesPerUser = 1
	// DefaultArchives is the most archives downloaded at once, whoever downloads them.
	DefaultArchives = 2
	// DefaultReplayWait is how long a replay waits for one of the server's places before
	// it is refused with 503 overloaded: a replay takes up to a second or two at a
	// nation's size, so a few queued behind each other still get their answer.
	DefaultReplayWait = 10 * time.Second
)

// The kinds of requests Places bound, as PlaceRefusal.Kind names them.
const (
	// KindUploads are requests with a file (multipart bodies).
	KindUploads = "uploads"
	// KindReplays are requests that fold a whole campaign as of a past moment: a ranking
	// of a past moment, a ranking's export, and the web's pages that show one.
	KindReplays = "replays"
	// KindArchives are downloads of the stream as an archive (GET /api/v1/archive).
	KindArchives = "archives"
)

// Places bounds the requests of one kind in flight, per user and in all. A user who has
// all of theirs in flight is refused at once (429); a request that finds the server's
// places taken waits up to the places' wait for one (none for uploads), and is then
// refused (503). It is safe for concurrent use.
//
// Two kinds have them. Uploads: an upload's body can take minutes to arrive (its deadline
// is the server's ReadTimeout, not the 30 s of a JSON body), and it is held in memory
// once read; without a bound, one user sending many slowly holds command slots and memory
// the others need. Replays: a ranking of a past moment folds every nomination of the
// campaign on every core (0.5–1 s at 100,000 nominations); without a bound, one script
// asking for many at once takes the cores the commands need.
type Places struct {
	kind, code     string
	perUser, total int
	wait           time.Duration
	mu             sync.Mutex
	held           map[string]int
	free           chan struct{}
}

// NewUploadPlaces returns the places of uploads: perUser per user and total in all
// (each ≤ 0: DefaultUploadsPerUser, DefaultUploads), refused at once when taken.
func NewUploadPlaces(perUser, total int) *Places {
	return newPlaces(KindUploads, "too_many_uploads", perUser, DefaultUploadsPerUser, total, DefaultUploads, 0)
}

// NewReplayPlaces returns the places of replays: perUser per user (≤ 0:
// DefaultReplaysPerUser) and total in all (≤ 0: the number of cores, at least 2), a
// request waiting up to wait for one of the total (≤ 0: DefaultReplayWait). One set
// serves the API and the web together (api.WithReplayPlaces, web.WithReplayPlaces), so
// that the bound is the server's, whichever surface asks.
func NewReplayPlaces(perUser, total int, wait time.Duration) *Places {
	if wait <= 0 {
		wait = DefaultReplayWait
	}
	return newPlaces(KindReplays, "too_many_replays", perUser, DefaultReplaysPerUser, total, max(2, runtime.GOMAXPROCS(0)), wait)
}

// NewArchivePlaces returns the places of archive downloads: perUser per user and total
// in all (each ≤ 0: DefaultArchivesPerUser, DefaultArchives), refused at once when taken.
// An archive is mostly disk and network, not the cores a replay needs, but a download of
// a million events is a gigabyte and may take many minutes over a slow link: it holds a
// place of its own, not one the rankings of a past moment need. One set serves the API
// and the web together (api.WithArchivePlaces, web.WithArchivePlaces).
func NewArchivePlaces(perUser, total int) *Places {
	return newPlaces(KindArchives, "too_many_archives", perUser, DefaultArchivesPerUser, total, DefaultArchives, 0)
}

func newPlaces(kind, code string, perUser, defPerUser, total, defTotal int, wait time.Duration) *Places {
	if perUser <= 0 {
		perUser = defPerUser
	}
	if total <= 0 {
		total = defTotal
	}
	return &Places{kind: kind, code: code, perUser: perUser, total: total, wait: wait,
		held: map[string]int{}, free: make(chan struct{}, total)}
}

// PlaceRefusal is why a request was refused a place: Status is 429 when the user has
// all of theirs in flight, 503 when the server has all of its.
type PlaceRefusal struct {
	// Kind is the kind of request: KindUploads, KindReplays or KindArchives.
	Kind string
	// Status is the HTTP status of the refusal.
	Status int
	// Code is its stable code: too_many_uploads, too_many_replays, too_many_archives or
	// overloaded.
	Code string
	// Limit is the limit reached.
	Limit int
}

// Error implements error.
func (e *PlaceRefusal) Error() string {
	if e.Status == http.StatusTooManyRequests {
		return e.Code + ": this user has " + e.Kind + " in flight already"
	}
	return e.Code + ": the server has " + e.Kind + " in flight already"
}

// RetryAfter is the number of seconds a client refused a place had best wait: about as
// long as the request that holds it takes (an upload's answer comes within a second of its
// body; a replay of a campaign of 100,000 nominations takes one to two seconds, and after
// a refusal the places were all taken for the whole wait; an archive of a million events,
// about ten seconds).
func (e *PlaceRefusal) RetryAfter() int {
	switch e.Kind {
	case KindReplays:
		return 5
	case KindArchives:
		return 10
	default:
		return 1
	}
}

// IsMultipart reports whether a request's body is multipart (an upload, a form with a
// file), as mime.ParseMediaType reads its Content-Type: in any letter case.
func IsMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.HasPrefix(mt, "multipart/")
}

// Acquire takes a place for a request of user, waiting for one of the server's up to the
// places' wait (or until ctx ends); it returns the function that gives it back, or a
// *PlaceRefusal. The user's own places are never waited for: a user who has them all in
// flight is refused at once.
func (l *Places) Acquire(ctx context.Context, user string) (func(), error) {
	l.mu.Lock()
	if l.held[user] >= l.perUser {
		l.mu.Unlock()
		return nil, &PlaceRefusal{Kind: l.kind, Status: http.StatusTooManyRequests, Code: l.code, Limit: l.perUser}
	}
	l.held[user]++
	l.mu.Unlock()
	if !l.take(ctx) {
		l.give(user)
		return nil, &PlaceRefusal{Kind: l.kind, Status: http.StatusServiceUnavailable, Code: "overloaded", Limit: l.total}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.free
			l.give(user)
		})
	}, nil
}

// take takes one of the server's places, waiting up to the places' wait.
func (l *Places) take(ctx context.Context) bool {
	select {
	case l.free <- struct{}{}:
		return true
	default:
	}
	if l.wait <= 0 {
		return false
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.free <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// give gives back one of user's places.
func (l *Places) give(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[user]--; l.held[user] <= 0 {
		delete(l.held, user)
	}
}
