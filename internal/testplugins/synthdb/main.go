// Command synthdb is a database plugin that "dumps" a given number of
// pseudo-random bytes, for transport benchmarks.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

type synth struct{}

func (synth) Test(context.Context, spec.Config) (database.ServerInfo, error) {
	return database.ServerInfo{Engine: "synthetic", Version: "1"}, nil
}

func (synth) ListDatabases(context.Context, spec.Config) ([]database.DatabaseInfo, error) {
	return []database.DatabaseInfo{{Name: "synthetic", SizeBytes: -1}}, nil
}

// Dump writes cfg "size" bytes from one random block written over and over:
// generating fresh randomness would measure the generator, not the transport.
func (synth) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	size, err := cfg.Int("size")
	if err != nil {
		return err
	}
	block := make([]byte, 256<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	if err := w.Begin(database.DumpHeader{Database: req.Database, Format: "synthetic", Extension: "bin"}); err != nil {
		return err
	}
	for size > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(size, int64(len(block)))
		if _, err := w.Write(block[:n]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		size -= n
	}
	return nil
}

func main() {
	sdk.Serve(sdk.Plugin{
		Name:    "synthetic",
		Version: "0.0.0",
		Summary: "Benchmark fixture: dumps synthetic bytes.",
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "size", Label: "Bytes to dump", Type: spec.Int, Required: true},
		}},
		Database: synth{},
	})
}
