package api

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Server timeouts and limits used by NewServer.
const (
	// ReadHeaderTimeout bounds reading a request's headers (slowloris).
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, an upload of the largest file included.
	ReadTimeout = 5 * time.Minute
	// WriteTimeout bounds writing an answer, a large document included.
	WriteTimeout = 5 * time.Minute
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds the size of a request's headers.
	MaxHeaderBytes = 64 << 10
)

// ServerOption adjusts the server NewServer returns.
type ServerOption func(*http.Server)

// WithReadHeaderTimeout sets how long a client may take to send a request's headers.
func WithReadHeaderTimeout(d time.Duration) ServerOption {
	return func(s *http.Server) { s.ReadHeaderTimeout = d }
}

// WithReadTimeout sets how long a client may take to send a whole request.
func WithReadTimeout(d time.Duration) ServerOption {
	return func(s *http.Server) { s.ReadTimeout = d }
}

// WithWriteTimeout sets how long writing an answer may take.
func WithWriteTimeout(d time.Duration) ServerOption {
	return func(s *http.Server) { s.WriteTimeout = d }
}

// WithIdleTimeout sets how long an idle keep-alive connection stays open.
func WithIdleTimeout(d time.Duration) ServerOption {
	return func(s *http.Server) { s.IdleTimeout = d }
}

// NewServer returns an HTTP server for handler on addr with hardened timeouts and limits
// (the constants above, unless opts change them).
func NewServer(addr string, handler http.Handler, opts ...ServerOption) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	for _, o := range opts {
		o(srv)
	}
	srv.Handler = answerAfterBody(srv.Handler, srv.WriteTimeout)
	return srv
}

// answerAfterBody gives every answer its whole write time counted from the end of its
// request's body. The server's write deadline runs from the end of the headers, as its
// read deadline does: an upload that took nearly ReadTimeout left no time to answer, and
// one cut at ReadTimeout could not be told 408 (a review finding: the client saw the
// connection close, and an upload stored just in time lost its answer, so the clerk sent
// it again). An answer given before the body was read (a refusal) closes the connection
// after it, rather than have the server read the rest of a slow body first, past its
// deadlines (the same finding: a forbidden upload, dripped, got no answer at all).
func answerAfterBody(next http.Handler, write time.Duration) http.Handler {
	if write <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		b := &bodyEnd{ReadCloser: r.Body, rc: http.NewResponseController(w), write: write}
		r.Body = b
		next.ServeHTTP(&closeUnread{ResponseWriter: w, b: b}, r)
	})
}

// bodyEnd moves the answer's write deadline to write after the read that ends the body
// (its end, or an error: a timeout, a client gone).
type bodyEnd struct {
	io.ReadCloser
	rc    *http.ResponseController
	write time.Duration
	done  bool
}

func (b *bodyEnd) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		_ = b.rc.SetWriteDeadline(time.Now().Add(b.write))
	}
	return n, err
}

// closeUnread asks for the connection to be closed after an answer whose request body was
// not read to its end.
type closeUnread struct {
	http.ResponseWriter
	b           *bodyEnd
	wroteHeader bool
}

func (c *closeUnread) WriteHeader(code int) {
	if !c.wroteHeader {
		c.wroteHeader = true
		if !c.b.done {
			c.Header().Set("Connection", "close")
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *closeUnread) Write(p []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(p)
}

// Unwrap returns the writer underneath, for http.ResponseController.
func (c *closeUnread) Unwrap() http.ResponseWriter { return c.ResponseWriter }
