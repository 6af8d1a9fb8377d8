//go:build unix

package eventstore

import "golang.org/x/sys/unix"

// fsSpace returns the bytes free to an unprivileged process on the file system holding
// dir, and its size.
func fsSpace(dir string) (free, size int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), nil
}
