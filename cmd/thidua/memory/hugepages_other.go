//go:build !linux

package memory

// PreferHugePages does nothing outside Linux: the advice it gives there has no portable
// equivalent. It returns a no-op stop, size 0 and why.
func PreferHugePages() (stop func(), size int64, why string) {
	return func() {}, 0, "huge pages are advised on Linux only"
}
