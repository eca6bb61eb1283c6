package databasetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// descendants lists the processes below this one (pid → command name), so the
// kit can tell whether a cancelled dump left its tool running. A plugin served
// in-process starts its tools as children of the test; a plugin binary's tools
// are grandchildren. Zombies count: a tool killed but never waited for is a
// plugin bug too. ok is false where processes cannot be listed.
func descendants() (procs map[int]string, ok bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	parent := map[int]int{}
	name := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || closing < open {
			continue
		}
		var state byte
		var ppid int
		if _, err := fmt.Sscanf(string(b[closing+1:]), " %c %d", &state, &ppid); err != nil {
			continue
		}
		parent[pid] = ppid
		name[pid] = string(b[open+1 : closing])
	}
	self := os.Getpid()
	procs = map[int]string{}
	for pid := range parent {
		for p, hops := parent[pid], 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if p == self {
				procs[pid] = name[pid]
				break
			}
		}
	}
	return procs, true
}
