package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"

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

// encodedRanking is one campaign's live ranking, encoded, the commits it is as of, and
// its entity tag.
type encodedRanking struct {
	commits uint64
	body    []byte
	tag     string
}

// encode returns the JSON of campaign's live ranking v as of commits (the number
// projections.Model.LiveRanking gives with it), ending with a newline, and its entity
// tag, encoding it only if it is not kept already. The tag is a digest of the bytes: the
// number of commits alone is no function of the stream (a server counts the problems it
// found late in it too), so two servers behind one address could give one number to two
// rankings, and a client a 304 for the wrong one.
func (c *encodedRankings) encode(campaign string, commits uint64, v any) ([]byte, string, error) {
	c.mu.Lock()
	if e, ok := c.byCampaign[campaign]; ok && e.commits == commits {
		c.mu.Unlock()
		return e.body, e.tag, nil
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
		e := encodedRanking{commits: commits, body: body, tag: `"r` + hex.EncodeToString(sum[:12]) + `"`}
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
		return nil, "", err
	}
	e := out.(encodedRanking)
	return e.body, e.tag, nil
}
