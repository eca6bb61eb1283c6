//go:build !race

package storagetest_test

// raceEnabled: see race_test.go.
const raceEnabled = false
