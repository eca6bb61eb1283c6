package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestConcurrentWriters hammers the store from many goroutines, mixing
// writes and reads, and from a second Store on the same file (as a dbkeep
// admin command beside a running server would): no call may fail with
// SQLITE_BUSY or anything else.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	sealer := newSealer(t)
	a := openAt(t, path, sealer)
	b := openAt(t, path, sealer) // another process's view of the same file

	const workers, each = 12, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		s := a
		if w%3 == 0 {
			s = b
		}
		wg.Go(func() {
			for i := range each {
				c, err := s.Sources().Create(ctx, ConnectionInput{
					Name: fmt.Sprintf("w%d-%d", w, i), PluginID: "database-postgres",
					Schema: pgSchema, Config: pgConfig(fmt.Sprintf("pw-%d-%d", w, i)),
				})
				if err != nil {
					errs <- err
					continue
				}
				if _, err := s.Sources().Update(ctx, c.ID, ConnectionInput{Name: c.Name, Schema: pgSchema,
					Config: spec.Config{"host": "h2", "password": spec.Mask}}); err != nil {
					errs <- err
				}
				if err := s.Settings().SetMaxConcurrentJobs(ctx, 1+i%8); err != nil {
					errs <- err
				}
				if _, _, err := s.Sources().List(ctx, Page{Limit: 20}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, total, err := a.Sources().List(ctx, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if total != workers*each {
		t.Fatalf("%d sources, want %d", total, workers*each)
	}
	got, err := b.Sources().GetByName(ctx, "w5-7")
	if err != nil {
		t.Fatal(err)
	}
	if got.Config["password"] != "pw-5-7" || got.Config["host"] != "h2" {
		t.Errorf("config after concurrent updates: %v", got.Masked())
	}
}
