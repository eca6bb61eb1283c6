package main

import "sync"

// targetLocks serialises restores into the same file within this plugin
// process: two restores racing to rename into one path would each keep a
// backup of the other's half-done work.
type targetLocks struct {
	mu    sync.Mutex
	locks map[string]*targetLock
}

type targetLock struct {
	sync.Mutex
	users int
}

// lock takes the lock of path and returns its release.
func (l *targetLocks) lock(path string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*targetLock{}
	}
	tl := l.locks[path]
	if tl == nil {
		tl = &targetLock{}
		l.locks[path] = tl
	}
	tl.users++
	l.mu.Unlock()
	tl.Lock()
	return func() {
		tl.Unlock()
		l.mu.Lock()
		if tl.users--; tl.users == 0 {
			delete(l.locks, path)
		}
		l.mu.Unlock()
	}
}
