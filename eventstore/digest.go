package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// A stream digest seals the stream up to a sequence: a running SHA-256 over every message
// the stream holds, in sequence order. Printed on what leaves the system (a ranking's
// export, the council's minutes), it lets an inspector show later that the stream still
// holds that history: whoever rewrites an event, even recomputing every hash chain and
// replacing every file of the data directory, changes the digest of every sequence from
// that event on. Anyone can compute it from the stream alone, with NATS's own tools:
//
//	D(0) = 32 zero bytes
//	D(n) = SHA-256( D(previous message) || uint64 big-endian n || uint32 big-endian len(subject) || subject || SHA-256(body) )
//
// over each message n the stream holds, where subject and body are the message's subject
// and data as stored (its headers carry delivery metadata only: the events and their
// idempotency key are in the body). A sequence the stream does not hold (a message lost
// on disk) contributes nothing; the sequences of those it holds are in the digest.

// Digest is the stream's digest up to a sequence: Sum covers every message the stream
// holds from 1 to Seq. The zero Digest is the empty stream's.
type Digest struct {
	// Seq is the last stream sequence the digest covers.
	Seq uint64
	// Sum is the running SHA-256.
	Sum [sha256.Size]byte
}

// Next returns the digest with the message at seq (after d.Seq) taken in, given its
// subject and the SHA-256 of its body (BodySum).
func (d Digest) Next(seq uint64, subject string, body [sha256.Size]byte) Digest {
	var buf [sha256.Size + 8 + 4 + 128 + sha256.Size]byte
	b := append(buf[:0], d.Sum[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(subject)))
	b = append(b, subject...)
	b = append(b, body[:]...)
	return Digest{Seq: seq, Sum: sha256.Sum256(b)}
}

// MarshalJSON encodes the digest as {"seq": Seq, "sha256": Hex}.
func (d Digest) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"seq":%d,"sha256":"%s"}`, d.Seq, d.Hex()), nil
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (d *Digest) UnmarshalJSON(b []byte) error {
	var v struct {
		Seq    uint64 `json:"seq"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	sum, err := hex.DecodeString(v.SHA256)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("digest: sha256 %q is not 64 hex digits", v.SHA256)
	}
	d.Seq = v.Seq
	copy(d.Sum[:], sum)
	return nil
}

// Hex returns Sum as 64 lowercase hex digits.
func (d Digest) Hex() string { return hex.EncodeToString(d.Sum[:]) }

// BodySum returns the SHA-256 of a message's body, as Digest.Next takes it.
func BodySum(data []byte) [sha256.Size]byte { return sha256.Sum256(data) }

// DigestFrom reads the stream from the message after d.Seq up to until (inclusive) and
// returns d with every message it holds there taken in; its Seq is until, also when the
// last messages are lost on disk. until must not lie past the stream's last sequence
// (ErrPastEnd). each, if given, hears the digest after each message.
func (s *Store) DigestFrom(ctx context.Context, d Digest, until uint64, each func(Digest)) (Digest, error) {
	if until <= d.Seq {
		if until < d.Seq {
			return d, fmt.Errorf("digest: sequence %d lies before the digest's %d", until, d.Seq)
		}
		return d, nil
	}
	last, err := s.LastSeq(ctx)
	if err != nil {
		return d, err
	}
	if until > last {
		return d, fmt.Errorf("digest: sequence %d lies past the stream's last, %d: %w", until, last, ErrPastEnd)
	}
	_, err = s.ReadRaw(ctx, ReadOptions{From: d.Seq + 1, Until: until}, func(rc RawCommit) error {
		d = d.Next(rc.Seq, rc.Subject, BodySum(rc.Data))
		if each != nil {
			each(d)
		}
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("digest: reading the stream: %w", err)
	}
	d.Seq = until
	return d, nil
}

// ErrPastEnd is returned for a stream sequence past the stream's last.
var ErrPastEnd = errors.New("sequence past the stream's end")
