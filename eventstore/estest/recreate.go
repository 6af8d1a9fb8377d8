package estest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RecreateStream deletes the stream cfg names and creates it again from cfg, empty, as
// someone with NATS access can. It returns the new stream once it holds no message.
//
// nats-server deletes a stream's files by renaming its directory aside and removing that
// in the background. When the directory set aside by an earlier deletion of the same
// stream is still being removed, the rename fails and the stream created next recovers
// the old message blocks, numbering the next message after them. RecreateStream deletes
// and creates again until the stream starts from nothing.
func RecreateStream(tb testing.TB, ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) jetstream.Stream {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := js.DeleteStream(ctx, cfg.Name); err != nil {
			tb.Fatalf("recreate stream %s: delete: %v", cfg.Name, err)
		}
		st, err := js.CreateStream(ctx, cfg)
		if err != nil {
			tb.Fatalf("recreate stream %s: create: %v", cfg.Name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			tb.Fatalf("recreate stream %s: info: %v", cfg.Name, err)
		}
		if info.State.LastSeq == 0 && info.State.Msgs == 0 {
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("recreate stream %s: still holds messages up to %d after 30 s", cfg.Name, info.State.LastSeq)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
