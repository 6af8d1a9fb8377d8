//go:build unix && !linux

package bench

import "errors"

// adviseHuge fails: transparent huge pages are advised on Linux only.
func adviseHuge([]byte) error {
	return errors.New("bench: huge pages are advised on Linux only")
}
