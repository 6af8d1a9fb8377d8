// Package web serves thidua's web interface (placeholder until the UI lands).
package web

import (
	"net/http"

	"thidua/workflows"
)

// Option configures the web handler.
type Option func(*config)

type config struct{}

// New returns the web UI handler, mounted at "/".
func New(svc *workflows.Service, opts ...Option) http.Handler {
	return http.NotFoundHandler()
}
