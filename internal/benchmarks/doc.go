// Package benchmarks measures the plugin transport end to end with real
// plugin processes: `make bench` runs it and docs/benchmarks.md records the
// figures. The backup engine's own benchmarks live beside the engine.
package benchmarks
