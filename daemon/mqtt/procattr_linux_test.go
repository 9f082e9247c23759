package mqtt

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a child started by a test (the broker, the helper
// bridge) get SIGKILL if the test binary dies first, e.g. killed by go
// test's -timeout, so no broker outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
