package api

import (
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
	return srv
}
