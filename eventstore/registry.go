package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// ErrUpcast is returned (wrapped) when an old event cannot be upgraded to its current schema.
var ErrUpcast = errors.New("upcast failed")

// Upcaster upgrades the payload of one schema version to the next.
type Upcaster func(data []byte) ([]byte, error)

type typeSpec struct {
	version   int
	upcasters map[int]Upcaster
}

// Registry knows each event type's current schema version and how to upgrade older
// payloads to it. Old events are upgraded on read and never rewritten.
type Registry struct {
	mu    sync.RWMutex
	types map[string]typeSpec
}

// NewRegistry returns an empty registry: events of unknown types pass through unchanged.
func NewRegistry() *Registry { return &Registry{types: map[string]typeSpec{}} }

// Register declares that eventType's current schema is version, and gives the upcasters
// from each older version v to v+1.
func (r *Registry) Register(eventType string, version int, upcasters map[int]Upcaster) error {
	if eventType == "" || version < 1 {
		return fmt.Errorf("register %q version %d: type and a version ≥ 1 are required", eventType, version)
	}
	for v := 1; v < version; v++ {
		if upcasters[v] == nil {
			return fmt.Errorf("register %q: no upcaster from version %d to %d", eventType, v, v+1)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types[eventType] = typeSpec{version: version, upcasters: upcasters}
	return nil
}

// Current returns the current schema version of eventType (1 when unknown).
func (r *Registry) Current(eventType string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if t, ok := r.types[eventType]; ok {
		return t.version
	}
	return 1
}

// Known reports whether eventType is registered.
func (r *Registry) Known(eventType string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.types[eventType]
	return ok
}

// Upcast upgrades e's payload to the current schema in place. Before it replaces an old
// payload it records whether the event as stored hashed to its Hash (StoredHashOK): the
// stored bytes are gone afterwards, and an old schema must exempt no event from the check.
func (r *Registry) Upcast(e *Event) error {
	r.mu.RLock()
	t, ok := r.types[e.Type]
	r.mu.RUnlock()
	if !ok || e.Schema >= t.version {
		return nil
	}
	e.StoredHashOK = e.HashMatches()
	data := []byte(e.Data)
	for v := e.Schema; v < t.version; v++ {
		up := t.upcasters[v]
		if up == nil {
			return fmt.Errorf("%w: %s v%d: no upcaster", ErrUpcast, e.Type, v)
		}
		next, err := up(data)
		if err != nil {
			return fmt.Errorf("%w: %s v%d→v%d (event %s): %v", ErrUpcast, e.Type, v, v+1, e.ID, err)
		}
		data = next
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: %s: upcaster produced invalid JSON", ErrUpcast, e.Type)
	}
	e.Data = data
	e.Schema = t.version
	return nil
}
