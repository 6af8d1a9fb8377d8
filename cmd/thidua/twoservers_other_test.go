//go:build cluster && !linux

package main

import "os/exec"

// dieWithTest does nothing here: only Linux kills a child when its parent dies. The
// test's cleanups stop the servers; a test that times out may leave them running.
func dieWithTest(*exec.Cmd) {}
