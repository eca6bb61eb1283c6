package api

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// BackupService reads the backup sets recorded on destinations;
// *store.BackupSets is one.
type BackupService interface {
	List(ctx context.Context, f store.BackupSetFilter, p store.Page) ([]store.BackupSet, int, error)
	Get(ctx context.Context, id int64) (store.BackupSet, error)
	SetLocked(ctx context.Context, id int64, locked bool) error
}

// Backup is one complete backup set on one destination.
type Backup struct {
	ID            int64 `json:"id"`
	DestinationID int64 `json:"destinationId"`
	// JobID is null once the job is deleted; JobName keeps its name.
	JobID               *int64     `json:"jobId"`
	JobName             string     `json:"jobName"`
	ExecutionID         *int64     `json:"executionId"`
	EncryptionProfileID *int64     `json:"encryptionProfileId"`
	Prefix              string     `json:"prefix"`
	CreatedAt           time.Time  `json:"createdAt"`
	SizeBytes           int64      `json:"sizeBytes"`
	Locked              bool       `json:"locked"`
	VerifiedAt          *time.Time `json:"verifiedAt"`
	// Manifest is the set's manifest.json; only GET /backups/{id} has it.
	Manifest *backupset.Manifest `json:"manifest,omitempty"`
}

var errNoBackups = &Error{Status: fiber.StatusServiceUnavailable, Code: CodeUnavailable, Message: "the backup service is not configured"}

// backupRoutes: the backup sets. Only complete sets (manifest stored) are
// backups; incomplete ones are never listed nor answered.
func (a *API) backupRoutes() []route {
	return []route{
		get("/backups", Requires(auth.BackupsRead), a.listBackups).
			describe("List complete backup sets, newest first", nil, Paged[Backup]{}).
			withIDQuery("job", "only the sets of this job id").
			withIDQuery("destination", "only the sets on this destination id").
			withIDQuery("execution", "only the sets this backup execution made (one per destination)"),
		get("/backups/:id", Requires(auth.BackupsRead), a.getBackup).describe("Get a backup set with its manifest", nil, Backup{}),
		put("/backups/:id/lock", Requires(auth.BackupsLock), a.lockBackup(true)).
			describe("Lock a backup set: retention and every other removal leave it alone", noBody{}, Backup{}),
		del("/backups/:id/lock", Requires(auth.BackupsLock), a.lockBackup(false)).
			describe("Unlock a backup set: retention decides over it again", nil, Backup{}),
	}
}

func (a *API) backups() (BackupService, error) {
	if a.d.Backups == nil {
		return nil, errNoBackups
	}
	return a.d.Backups, nil
}

func (a *API) listBackups(c fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	f := store.BackupSetFilter{Status: store.SetComplete}
	// In a fixed order, so that two bad filters always report the same one.
	for _, q := range []struct {
		name string
		dst  **int64
	}{{"job", &f.JobID}, {"destination", &f.DestinationID}, {"execution", &f.ExecutionID}} {
		if c.Query(q.name) == "" {
			continue
		}
		n, err := int64Query(c, q.name)
		if err != nil {
			return fail(c, err)
		}
		*q.dst = &n
	}
	svc, err := a.backups()
	if err != nil {
		return fail(c, err)
	}
	sets, total, err := svc.List(c.Context(), f, p)
	if err != nil {
		return fail(c, err)
	}
	items := make([]Backup, len(sets))
	for i, s := range sets {
		items[i] = backupOf(s)
	}
	return ok(c, paged(items, total, p))
}

func (a *API) getBackup(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.backups()
	if err != nil {
		return fail(c, err)
	}
	set, err := svc.Get(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	if set.Status != store.SetComplete {
		// An incomplete set is not a backup (DESIGN §3).
		return fail(c, fmt.Errorf("backup set %d: %w", id, store.ErrNotFound))
	}
	m, err := backupset.Decode(bytes.NewReader(set.Manifest))
	if err != nil {
		return fail(c, fmt.Errorf("backup set %d: stored %w", id, err))
	}
	b := backupOf(set)
	b.Manifest = &m
	return ok(c, b)
}

// lockBackup locks (or unlocks) a complete set and answers it. Locking is
// idempotent; an incomplete set is not a backup and answers 404.
func (a *API) lockBackup(locked bool) fiber.Handler {
	action := "backups.unlock"
	if locked {
		action = "backups.lock"
	}
	return func(c fiber.Ctx) error {
		id, err := idParam(c)
		if err != nil {
			return fail(c, err)
		}
		svc, err := a.backups()
		if err != nil {
			return fail(c, err)
		}
		if err := svc.SetLocked(c.Context(), id, locked); err != nil {
			return fail(c, err)
		}
		set, err := svc.Get(c.Context(), id)
		if err != nil {
			return fail(c, err)
		}
		a.audit(c, action, "backup", id, map[string]any{"jobName": set.JobName, "prefix": set.Prefix, "destinationId": set.DestinationID})
		return ok(c, backupOf(set))
	}
}

func backupOf(s store.BackupSet) Backup {
	return Backup{
		ID: s.ID, DestinationID: s.DestinationID, JobID: s.JobID, JobName: s.JobName, ExecutionID: s.ExecutionID,
		EncryptionProfileID: s.EncryptionProfileID, Prefix: s.Prefix, CreatedAt: s.CreatedAt, SizeBytes: s.SizeBytes,
		Locked: s.Locked, VerifiedAt: s.VerifiedAt,
	}
}
