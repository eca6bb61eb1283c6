//go:build unix && !linux

package database

import "syscall"

// dieWithParent has no portable equivalent outside Linux: a tool outlives a
// plugin that is killed, until its output pipe breaks.
func dieWithParent(*syscall.SysProcAttr) {}
