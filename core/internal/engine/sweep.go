package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// SweepInterval is how often Sweep lists every destination.
const SweepInterval = 24 * time.Hour

// sweepDelay is how long Sweep waits after the start before its first
// pass, so that a core starting up (and its first scheduled runs) does not
// also walk every destination.
const sweepDelay = 15 * time.Minute

// sweepTimeout bounds the listing of one destination.
const sweepTimeout = 30 * time.Minute

// Sweep lists every destination in full at SweepInterval, the first time
// sweepDelay after the call, until ctx ends. Listing is what makes a storage
// plugin remove the temporary files of uploads that never finished
// (storage.TempSweeper in the remote plugins, which removes those unwritten
// for storage.StaleTempAge; dead ones in storage-local). A failed run
// removes its partial set at once, when the temporary file a killed plugin
// left in it is still too young to be taken for dead, and then nothing
// lists that folder again: without this pass the file would stay forever.
func (e *Engine) Sweep(ctx context.Context) {
	t := time.NewTimer(sweepDelay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := e.SweepDestinations(ctx); err != nil && ctx.Err() == nil {
			e.o.Logger.Warn("the sweep of temporary files did not reach every destination; the next pass tries again", "error", err, "next", SweepInterval)
		}
		t.Reset(SweepInterval)
	}
}

// SweepDestinations lists every destination once, each within
// sweepTimeout, and returns the listings that failed. It reads what is
// listed only to count it: the removals are the plugins' own.
func (e *Engine) SweepDestinations(ctx context.Context) error {
	var errs []error
	for page := (store.Page{Limit: store.MaxPageSize}); ; page.Offset += page.Limit {
		dests, total, err := e.o.Store.Destinations().List(ctx, page)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("list the destinations: %w", err))...)
		}
		for _, d := range dests {
			if err := e.sweepDestination(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("destination %q (%d): %w", d.Name, d.ID, err))
			}
		}
		if len(dests) == 0 || page.Offset+len(dests) >= total {
			return errors.Join(errs...)
		}
	}
}

func (e *Engine) sweepDestination(ctx context.Context, d store.Connection) error {
	ctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	defer cancel()
	if _, err := e.o.Plugins.Start(ctx, d.PluginID); err != nil {
		return fmt.Errorf("start plugin %s: %w", d.PluginID, err)
	}
	c, err := e.o.Plugins.Storage(d.PluginID)
	if err != nil {
		return err
	}
	loc := e.location(c, func(op string, attempt int, err error, wait time.Duration) {
		e.o.Logger.Warn("sweep: a listing failed, trying again", "destination", d.Name, "op", op, "attempt", attempt, "wait", wait, "error", err)
	})
	objects := 0
	start := time.Now()
	if err := loc.List(ctx, d.Config, "", func(storage.ObjectInfo) error {
		objects++
		return nil
	}); err != nil {
		return err
	}
	e.o.Logger.Info("swept the destination's temporary files", "destination", d.Name, "objects", objects, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
