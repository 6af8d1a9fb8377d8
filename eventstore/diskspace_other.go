//go:build !unix

package eventstore

import "errors"

// fsSpace is not known here: the embedded server keeps its own default limit.
func fsSpace(string) (free, size int64, err error) {
	return 0, 0, errors.New("file system space unknown on this platform")
}
