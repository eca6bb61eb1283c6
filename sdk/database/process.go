package database

import (
	"os/exec"
	"time"
)

// KillGroupOnCancel makes cmd (built with exec.CommandContext) run in its own
// process group and, when its context is cancelled, kill the whole group, so
// that a dump tool's children die with it. On Linux the tool is also killed
// when the plugin dies (a crash, a SIGKILL): a dump must not outlive the
// process that reads it, holding locks on the database. Outside Unix there
// are no process groups: the cancel kills the tool itself, as
// exec.CommandContext does. Call it before cmd.Start.
func KillGroupOnCancel(cmd *exec.Cmd) {
	killGroupOnCancel(cmd)
	// Do not wait forever for pipes held open by a stray grandchild.
	cmd.WaitDelay = 5 * time.Second
}
