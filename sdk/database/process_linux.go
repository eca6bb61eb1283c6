package database

import "syscall"

// dieWithParent asks the kernel to SIGKILL the child when the thread that
// started it exits. Go keeps its threads for the life of the process unless
// a goroutine locked to one ends without unlocking, which plugins do not
// do around starting tools; so in practice the child dies with the plugin.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
