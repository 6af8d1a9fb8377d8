package main

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// starting is serve's handler from the moment it listens: until the engine is ready
// (store open, projections loaded and caught up, bootstrap done), it answers /healthz
// 200 (the process is alive: a liveness probe must not kill a server rebuilding a
// million events), /readyz 503 with the step under way, and every other request 503
// starting with a Retry-After, but /metrics from the registry the engine will use
// (the process's and the Go runtime's figures: a start-up is when its memory matters
// most; a review finding: a scrape failed then); then it hands every request to the
// engine's handler. Listening first also fails at once on an address in use, not after
// a long load.
type starting struct {
	// metrics serves /metrics while starting (nil: 503 as the rest).
	metrics http.Handler
	ready   atomic.Pointer[http.Handler]
	step    atomic.Pointer[[2]string]
	// inflight counts the requests the engine is serving (a stop waits for them).
	inflight atomic.Int64
}

// setStep names the step under way, in English and in Vietnamese, for /readyz.
func (s *starting) setStep(en, vi string) { s.step.Store(&[2]string{en, vi}) }

// serve hands every request from now on to h.
func (s *starting) serve(h http.Handler) { s.ready.Store(&h) }

// stepName returns the step under way, in English ("" before the first).
func (s *starting) stepName() string {
	if st := s.step.Load(); st != nil {
		return st[0]
	}
	return ""
}

// ServeHTTP implements http.Handler.
func (s *starting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.ready.Load(); h != nil {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		(*h).ServeHTTP(w, r)
		return
	}
	step := [2]string{"starting", "đang khởi động"}
	if p := s.step.Load(); p != nil {
		step = *p
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/healthz":
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "starting", "step": step[0]})
		return
	case "/readyz":
	case "/metrics":
		if s.metrics != nil && r.Method == http.MethodGet {
			s.metrics.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "5")
	default:
		w.Header().Set("Retry-After", "5")
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "starting",
		"error": map[string]string{"code": "starting", "message": "the server is starting: " + step[0],
			"message_vi": "Máy chủ đang khởi động: " + step[1]},
	})
}
