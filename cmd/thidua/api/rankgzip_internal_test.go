package api

// WithRankGzipMin sets the smallest live ranking answered compressed from the kept
// bytes (CompressMinSize unless set), so that a test's small ranking goes that way.
func WithRankGzipMin(n int) Option { return func(c *config) { c.rankGzipMin = n } }
