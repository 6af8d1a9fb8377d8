package workflows

import (
	"thidua/domain"
	"thidua/eventstore"
)

// EventRegistry returns a registry of the domain's event types with their current schema
// versions and upcasters, for eventstore.WithRegistry.
func EventRegistry() *eventstore.Registry {
	reg := eventstore.NewRegistry()
	for _, spec := range domain.EventSpecs() {
		ups := make(map[int]eventstore.Upcaster, len(spec.Upcasters))
		for v, f := range spec.Upcasters {
			ups[v] = f
		}
		if err := reg.Register(spec.Type, spec.Version, ups); err != nil {
			panic(err) // the domain's own table is inconsistent: a programming error
		}
	}
	return reg
}
