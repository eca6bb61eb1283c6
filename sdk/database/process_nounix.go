//go:build !unix

package database

import "os/exec"

// killGroupOnCancel keeps exec.CommandContext's cancel, which kills the tool
// alone: there is no process group to kill here, so a tool's own children
// may outlive it until their output pipe breaks.
func killGroupOnCancel(*exec.Cmd) {}
