// Package demo seeds the demo province (placeholder until the seed lands).
package demo

import (
	"context"
	"io"
	"time"

	"thidua/workflows"
)

// Seed loads the demo province into a new store; setClock moves the recorded and business
// time while seeding. It does nothing on a store that already has the demo.
func Seed(ctx context.Context, svc *workflows.Service, setClock func(time.Time), out io.Writer) error {
	return nil
}
