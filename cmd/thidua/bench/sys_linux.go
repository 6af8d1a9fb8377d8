package bench

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// adviseHuge asks the kernel to back b with transparent huge pages.
func adviseHuge(b []byte) error {
	if err := unix.Madvise(b, unix.MADV_HUGEPAGE); err != nil {
		return fmt.Errorf("bench: advise huge pages: %w", err)
	}
	return nil
}
