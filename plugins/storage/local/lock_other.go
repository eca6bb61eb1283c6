//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// Without flock(2) no sweep can tell a crash's temporary file from a live
// upload's, and no age tells it either (a dump may wait hours for a lock
// without writing): temporary files are left, never listed, for the user to
// remove.

const createPerm = filePerm

func claim(*os.File) error { return nil }

func removeIfDead(*os.Root, string) bool { return false }
