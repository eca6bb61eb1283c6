package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// verifyAndSeal checks, on each destination still in the run, that every
// object is there with the size the core sent (a Stat each: cheap), then
// writes manifest.json — last, so that a set is a backup only once all of
// it is stored — checks it the same way, and records the set complete.
// Reading every object back to check its SHA-256 and every DBK1 chunk is
// the separate verify execution's job, not the backup's.
func (r *run) verifyAndSeal() {
	if c, _ := r.cancelled(); c {
		return
	}
	r.stage("verify")
	for _, d := range r.live() {
		if len(d.objects) == 0 {
			continue // nothing stored here: abandon removes the empty set
		}
		if err := r.seal(d); err != nil {
			if c, _ := r.cancelled(); c {
				return
			}
			r.drop(d, err)
			continue
		}
		d.complete = true
		r.updateProgress(true, func(p *execlog.Progress) { p.Destinations[d.index].State = "done" })
		r.log(execlog.Info, "destination %s: set %s complete, %d object(s), %d bytes", d.name(), r.prefix, len(d.objects), d.set.SizeBytes)
	}
	// Every destination went through without a cancel cutting a seal
	// short: the sets sealed are whole backups, kept whatever a cancel
	// arriving from now on says.
	r.sealed = true
}

// seal verifies d's objects, stores its manifest and completes its row.
func (r *run) seal(d *destination) error {
	ctx, cfg := r.ctx, d.conn.Config
	var total int64
	for _, o := range d.objects {
		if err := statSize(ctx, d.loc, cfg, r.prefix+o.Name, o.Size); err != nil {
			return err
		}
		total += o.Size
	}
	m := backupset.Manifest{
		FormatVersion: backupset.FormatVersion,
		Job:           backupset.JobRef{ID: r.job.ID, Name: r.job.Name, Slug: r.job.Slug},
		ExecutionID:   r.ex.ID,
		Trigger:       string(r.ex.Trigger),
		Created:       r.created,
		Source:        backupset.Source{Engine: r.server.Engine, ServerVersion: r.server.Version, Edition: r.server.Edition},
		Plugin:        backupset.PluginRef{ID: r.plugin.ID, Version: r.plugin.Version},
		Objects:       d.objects,
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		return fmt.Errorf("encode the manifest: %w", err)
	}
	body := buf.Bytes()
	name := r.prefix + backupset.ManifestName
	sum := sha256.Sum256(body)
	info, err := d.client.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: int64(len(body))}, bytes.NewReader(body))
	switch {
	case err != nil:
		return fmt.Errorf("upload of %s: %w", backupset.ManifestName, err)
	case info.Size != int64(len(body)):
		return fmt.Errorf("upload of %s: the destination stored %d bytes of %d", backupset.ManifestName, info.Size, len(body))
	case info.SHA256 != "" && info.SHA256 != hex.EncodeToString(sum[:]):
		return fmt.Errorf("upload of %s: the destination's SHA-256 differs from what the core sent", backupset.ManifestName)
	}
	if err := statSize(ctx, d.loc, cfg, name, int64(len(body))); err != nil {
		return err
	}
	total += int64(len(body))
	if err := r.e.o.Store.BackupSets().Complete(ctx, d.set.ID, total, body); err != nil {
		return fmt.Errorf("record the set complete: %w", err)
	}
	d.set.SizeBytes = total
	d.set.Status = store.SetComplete
	return nil
}

// statSize checks that name is stored with size bytes.
func statSize(ctx context.Context, loc storage.Location, cfg spec.Config, name string, size int64) error {
	info, err := loc.Stat(ctx, cfg, name)
	if err != nil {
		return fmt.Errorf("verify %s: %w", name, err)
	}
	if info.Size != size {
		return fmt.Errorf("verify %s: stored with %d bytes, %d were sent", name, info.Size, size)
	}
	return nil
}
