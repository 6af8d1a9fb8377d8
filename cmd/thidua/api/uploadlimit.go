package api

import (
	"mime"
	"net/http"
	"strings"
	"sync"
)

// Defaults of the upload limit (UploadLimit).
const (
	// DefaultUploadsPerUser is the most uploads one user has in flight at once.
	DefaultUploadsPerUser = 2
	// DefaultUploads is the most uploads in flight at once on one surface (the API, the
	// web), whoever sends them.
	DefaultUploads = 8
)

// UploadLimit bounds the uploads in flight, per user and in all. An upload's body can
// take minutes to arrive (its deadline is the server's ReadTimeout, not the 30 s of a
// JSON body), and it is held in memory once read: without a bound, one user sending many
// slowly holds command slots and memory the others need. It is safe for concurrent use.
type UploadLimit struct {
	perUser, total int
	mu             sync.Mutex
	held           map[string]int
	all            int
}

// NewUploadLimit returns a limit of perUser uploads per user and total in all (each ≤ 0:
// its default).
func NewUploadLimit(perUser, total int) *UploadLimit {
	if perUser <= 0 {
		perUser = DefaultUploadsPerUser
	}
	if total <= 0 {
		total = DefaultUploads
	}
	return &UploadLimit{perUser: perUser, total: total, held: map[string]int{}}
}

// UploadRefusal is why an upload was refused a place: Status is 429 when the user has
// all of theirs in flight, 503 when the surface has all of its.
type UploadRefusal struct {
	// Status is the HTTP status of the refusal.
	Status int
	// Code is its stable code: too_many_uploads or overloaded.
	Code string
	// Limit is the limit reached.
	Limit int
}

// Error implements error.
func (e *UploadRefusal) Error() string {
	if e.Code == "too_many_uploads" {
		return "too_many_uploads: this user has uploads in flight already"
	}
	return "overloaded: the server has uploads in flight already"
}

// IsMultipart reports whether a request's body is multipart (an upload, a form with a
// file), as mime.ParseMediaType reads its Content-Type: in any letter case.
func IsMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.HasPrefix(mt, "multipart/")
}

// Acquire takes a place for an upload of user; it returns the function that gives it
// back, or an *UploadRefusal.
func (l *UploadLimit) Acquire(user string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.held[user] >= l.perUser:
		return nil, &UploadRefusal{Status: http.StatusTooManyRequests, Code: "too_many_uploads", Limit: l.perUser}
	case l.all >= l.total:
		return nil, &UploadRefusal{Status: http.StatusServiceUnavailable, Code: "overloaded", Limit: l.total}
	}
	l.held[user]++
	l.all++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.all--
			if l.held[user]--; l.held[user] <= 0 {
				delete(l.held, user)
			}
		})
	}, nil
}
