package api

import (
	"fmt"
	"mime"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// CompressMinSize is the smallest answer Compress compresses. A command's answer (one
// nomination, about 9 KB) stays as it is: over a local network compressing it costs more
// than it saves. What it is for are the large answers: a campaign's ranking (4.3 MB of
// JSON for 100,000 nominations), listings, audit trails and the web UI's pages.
const CompressMinSize = 16 << 10

// Compress wraps h so that answers of at least CompressMinSize bytes in one of the text
// types thidua generates are compressed when the client accepts it (zstd, preferred,
// or gzip; RFC 9110 content coding, github.com/klauspost/compress/gzhttp). Vary:
// Accept-Encoding is set on every answer. An answer's ETag stays as it is: the API's
// answers are not stored by shared caches (Cache-Control: no-store), and a client that
// sends the tag back in If-None-Match gets its 304 whichever coding it was given.
func Compress(h http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(CompressMinSize),
		// The fastest levels: a ranking's 4.3 MB compresses in a few tens of milliseconds
		// to a sixth, where the default gzip level takes several times as long for little
		// more.
		gzhttp.CompressionLevel(gzip.BestSpeed),
		gzhttp.ContentTypeFilter(compressibleType),
	)
	if err != nil {
		return nil, fmt.Errorf("api: compression: %w", err)
	}
	return wrap(h), nil
}

// compressibleType reports whether answers of content type ct are compressed: the text
// thidua generates. Stored documents keep their bytes as they are (mostly PDF and images,
// compressed already) unless they are of one of these types.
func compressibleType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/problem+json", "application/x-ndjson", "text/html", "text/css", "text/javascript",
		"text/plain", "text/csv", "image/svg+xml":
		return true
	}
	return false
}
