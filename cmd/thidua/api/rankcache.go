package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"thidua/projections"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/singleflight"
)

// encodedRankings keeps, for each campaign, the JSON of its live ranking as of a number of
// commits: a ranking of 100,000 nominations is 4.3 MB of JSON and about 70 ms to encode,
// and every reader of the campaign (a council at its meeting, a dashboard per reviewer)
// gets the same bytes until the next write. The live ranking's answer does not depend on
// who asks. One entry per campaign: a campaign's newer ranking replaces its older one.
type encodedRankings struct {
	mu         sync.Mutex
	byCampaign map[string]encodedRanking
	// flight shares one encoding among the readers of a new ranking: after a write, every
	// dashboard of a council's meeting asks at once.
	flight singleflight.Group
}

// encodedRanking is one campaign's live ranking, encoded, the commits it is as of, its
// entity tag, and the same bytes compressed with gzip once a reader asks for them.
type encodedRanking struct {
	commits uint64
	body    []byte
	tag     string
	gz      *gzipOnce
}

// gzipOnce is a ranking's body compressed with gzip, made by the first of its readers
// who accepts gzip, for all of them: behind Compress, each reader's answer was
// compressed anew (4.3 MB, a few tens of milliseconds), for every dashboard after every
// write.
type gzipOnce struct {
	once sync.Once
	body []byte
	err  error
}

// gzipped returns the ranking's body compressed with gzip, at the speed Compress uses.
func (e encodedRanking) gzipped() ([]byte, error) {
	e.gz.once.Do(func() {
		var buf bytes.Buffer
		buf.Grow(len(e.body) / 4)
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err == nil {
			_, err = zw.Write(e.body)
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			e.gz.err = fmt.Errorf("compress the ranking: %w", err)
			return
		}
		e.gz.body = buf.Bytes()
	})
	return e.gz.body, e.gz.err
}

// writeRanking answers an encoded ranking: compressed with gzip when the client accepts
// it and the body has at least minSize bytes (CompressMinSize: what Compress would compress),
// as it is otherwise. Behind Compress, an answer that states its coding is left alone.
func writeRanking(w http.ResponseWriter, r *http.Request, e encodedRanking, minSize int) {
	if len(e.body) >= minSize {
		// The answer's coding follows Accept-Encoding, gzip or not.
		if h := w.Header(); !strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding") {
			h.Add("Vary", "Accept-Encoding")
		}
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			if gz, err := e.gzipped(); err == nil {
				w.Header().Set("Content-Encoding", "gzip")
				writeEncoded(w, http.StatusOK, gz)
				return
			}
		}
	}
	writeEncoded(w, http.StatusOK, e.body)
}

// acceptsGzip reports whether Accept-Encoding field values accept gzip (RFC 9110
// 12.5.3): gzip or x-gzip named with a weight above 0, or else "*" with one.
func acceptsGzip(values []string) bool {
	named, star := -1.0, -1.0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(item, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // a weight that is none accepts nothing
					}
					q = f
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				named = max(named, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
}

// encode returns the JSON of campaign's live ranking v as of commits (the number
// projections.Model.LiveRanking gives with it), ending with a newline, and its entity
// tag, encoding it only if it is not kept already. The tag is a digest of the bytes: the
// number of commits alone is no function of the stream (a server counts the problems it
// found late in it too), so two servers behind one address could give one number to two
// rankings, and a client a 304 for the wrong one.
func (c *encodedRankings) encode(campaign string, commits uint64, v any) (encodedRanking, error) {
	c.mu.Lock()
	if e, ok := c.byCampaign[campaign]; ok && e.commits == commits {
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	// Encoded outside the lock, so that a reader of another campaign does not wait for
	// it, and once for all the readers of the same ranking who ask while it is encoded.
	out, err, _ := c.flight.Do(campaign+"@"+strconv.FormatUint(commits, 10), func() (any, error) {
		body, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		body = append(body, '\n')
		sum := sha256.Sum256(body)
		e := encodedRanking{commits: commits, body: body, tag: `"r` + hex.EncodeToString(sum[:12]) + `"`, gz: &gzipOnce{}}
		c.mu.Lock()
		defer c.mu.Unlock()
		if old, ok := c.byCampaign[campaign]; !ok || old.commits < commits {
			if c.byCampaign == nil {
				c.byCampaign = map[string]encodedRanking{}
			}
			c.byCampaign[campaign] = e
		}
		return e, nil
	})
	if err != nil {
		return encodedRanking{}, err
	}
	return out.(encodedRanking), nil
}

// writeRedactedRanking answers mine, a reader's redaction of the live ranking as of
// commits tag (0: a state with a gap, no tag to give), with an ETag of its own: a digest of
// the bytes the reader receives, and of nothing else (a review finding: the tag carried the
// shared encoding's, a digest of the unredacted ranking, against which a clerk could test
// which entry had been left out, and why; then a prefix of its own, which said that one
// was). It is encoded for the request, and answered
// 304 or compressed as the shared one is.
func (h *handler) writeRedactedRanking(w http.ResponseWriter, r *http.Request, tag uint64, mine projections.RankingView) error {
	if tag == 0 {
		writeJSON(w, http.StatusOK, mine)
		return nil
	}
	body, err := json.Marshal(mine)
	if err != nil {
		return fmt.Errorf("encode the ranking: %w", err)
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"r` + hex.EncodeToString(sum[:12]) + `"` // as the shared one is: the same bytes, the same tag
	if notModifiedTag(w, r, etag) {
		return nil
	}
	w.Header().Set("ETag", etag)
	writeRanking(w, r, encodedRanking{body: body, tag: etag, gz: &gzipOnce{}}, h.cfg.rankGzipMin)
	return nil
}
