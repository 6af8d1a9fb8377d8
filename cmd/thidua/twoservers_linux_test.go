//go:build cluster

package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill the child when the test process dies (a test timeout
// or a crash skips the cleanups that stop it).
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
