// Package testplugins holds plugins that exist only to measure and test the
// plugin transport: synthdb dumps synthetic bytes at memory speed and
// nullstore counts and discards uploads, so that a benchmark through them
// measures the boundary itself, not a database or a disk. They are never
// built into bin/plugins.
package testplugins
