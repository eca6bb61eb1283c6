package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// concurrency is how many transfers run at once: a job fans out to several
// destinations while another job restores.
const concurrency = 8

// testConcurrent: uploads and downloads of different objects at the same
// time neither mix their bytes nor fail, and concurrent deletes all succeed.
func (k *kit) testConcurrent(t *testing.T) {
	names := make([]string, concurrency)
	payloads := make([]payload, concurrency)
	for i := range concurrency {
		names[i] = fmt.Sprintf("concurrent/%d.bin", i)
		// Different sizes, so the transfers overlap at different points.
		payloads[i] = k.random(int64(2*spec.ChunkSize + i*4099))
	}
	// Half the objects exist before: their downloads run beside the uploads.
	for i := 0; i < concurrency; i += 2 {
		k.put(t, names[i], payloads[i])
	}
	ctx := k.ctx(t)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			if i%2 == 0 {
				if err := k.verify(ctx, names[i], payloads[i]); err != nil {
					t.Error(err)
				}
				return
			}
			if err := k.upload(ctx, names[i], payloads[i], -1); err != nil {
				t.Error(err)
				return
			}
			if err := k.verify(ctx, names[i], payloads[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	k.checkListing(t)
	for i := range concurrency {
		wg.Go(func() {
			if err := k.st.Delete(ctx, k.cfg, names[i]); err != nil {
				t.Errorf("delete %q: %v", names[i], err)
				return
			}
			k.deleted(names[i])
		})
	}
	wg.Wait()
	k.checkListing(t)
}
