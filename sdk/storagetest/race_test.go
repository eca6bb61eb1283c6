//go:build race

package storagetest_test

// raceEnabled: under the race detector every copied byte costs shadow-memory
// work, so the kit's own tests pick a smaller large object.
const raceEnabled = true
