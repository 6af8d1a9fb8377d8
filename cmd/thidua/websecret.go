package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// webSecretFile is the file in the data directory that keeps the web's signing key when
// --web-secret is not given.
const webSecretFile = "web-secret"

// storedWebSecret returns the key that signs the web's sessions and forms when none is
// given: the one kept in the data directory's web-secret file, written there (readable by
// its owner only) at the first start. Without it each start drew a new key, and every
// restart signed every user out (a review finding; their sessions last 12 hours). A
// directory that cannot keep it gives nil: the handler then draws a key of its own, and
// the log says what that costs.
func storedWebSecret(dir string, logger *slog.Logger) []byte {
	path := filepath.Join(dir, webSecretFile)
	if b, err := os.ReadFile(path); err == nil {
		if key := strings.TrimSpace(string(b)); len(key) >= 2*minSecret {
			return []byte(key)
		}
		logger.Warn("the web's key in the data directory is too short: a new one replaces it, and the users signed in sign in again", "file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		logger.Warn("the web's key in the data directory cannot be read: this process draws its own, and a restart signs every user out", "file", path, "err", err)
		return nil
	}
	key, err := writeWebSecret(path)
	if err != nil {
		logger.Warn("the web's key cannot be kept in the data directory: this process draws its own, and a restart signs every user out (--web-secret gives one)", "file", path, "err", err)
		return nil
	}
	return key
}

// writeWebSecret writes a new random key to path, whole (beside it, then renamed), and
// returns it.
func writeWebSecret(path string) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("no randomness: %w", err)
	}
	key := []byte(hex.EncodeToString(raw))
	err := writeWhole(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(append(key, '\n'))
		return err
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}
