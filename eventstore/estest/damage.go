package estest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Damage flips one bit of the first occurrence of marker in the message blocks of the
// stopped data directory dir, as a disk would damage it: nats-server then drops the
// message (or document chunk) that held it as it starts. The test fails when no block
// holds marker.
func Damage(t testing.TB, dir, marker string) {
	t.Helper()
	flipped := false
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil || flipped || !strings.HasSuffix(path, ".blk") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if i := bytes.Index(data, []byte(marker)); i >= 0 {
			data[i] ^= 0x20
			flipped = true
			return os.WriteFile(path, data, 0o600)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("damage %q: %v", marker, err)
	}
	if !flipped {
		t.Fatalf("damage: no message block under %s holds %q", dir, marker)
	}
}
