// Package bench measures thidua against raw JetStream in the same run (placeholder).
package bench

import (
	"context"
	"io"
)

// Config sets the size and the output of a run.
type Config struct {
	// Scale multiplies the default workload (1: 100,000 nominations, 20,000 units, 1,000,000 events).
	Scale float64
	// Out is the path of the JSON results.
	Out string
	// Dir is a scratch directory for the embedded stores.
	Dir string
}

// Run runs every benchmark and prints a table to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error { return nil }
