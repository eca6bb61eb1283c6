package database

import (
	"os/exec"
	"syscall"
	"time"
)

// KillGroupOnCancel makes cmd (built with exec.CommandContext) run in its own
// process group and, when its context is cancelled, kill the whole group, so
// that a dump tool's children die with it. On Linux the tool is also killed
// when the plugin dies (a crash, a SIGKILL): a dump must not outlive the
// process that reads it, holding locks on the database. Call it before
// cmd.Start.
func KillGroupOnCancel(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	dieWithParent(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// Do not wait forever for pipes held open by a stray grandchild.
	cmd.WaitDelay = 5 * time.Second
}
