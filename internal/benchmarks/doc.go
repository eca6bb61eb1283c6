// Package benchmarks measures the plugin transport end to end with real
// plugin processes, and each first-party storage plugin against its real
// local server (MB/s and the plugin process's peak memory): `make bench`
// runs it and docs/benchmarks.md records the figures. The backup engine's
// own benchmarks live beside the engine.
package benchmarks
