package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

// jobRoutes: backup jobs. Running them (POST /jobs/{id}/run) belongs to the
// execution engine.
func (a *API) jobRoutes() []route {
	return []route{
		get("/jobs", Requires(auth.JobsRead), a.listJobs).describe("List backup jobs", nil, Paged[configuration.Job]{}),
		get("/jobs/:id", Requires(auth.JobsRead), a.getJob).describe("Get a backup job with its next run", nil, configuration.Job{}),
		post("/jobs", Requires(auth.JobsWrite), a.createJob).describe("Create a backup job", configuration.JobInput{}, configuration.Job{}).creates(),
		put("/jobs/:id", Requires(auth.JobsWrite), a.updateJob).describe("Replace a backup job", configuration.JobInput{}, configuration.Job{}),
		del("/jobs/:id", Requires(auth.JobsWrite), a.deleteJob).describe("Delete a backup job", nil, nil),
	}
}

func (a *API) jobs() (*configuration.Jobs, error) {
	svc, err := a.configuration()
	if err != nil {
		return nil, err
	}
	return svc.Jobs(), nil
}

func (a *API) listJobs(c fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.jobs()
	if err != nil {
		return fail(c, err)
	}
	items, total, err := svc.List(c.Context(), p)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(items, total, p))
}

func (a *API) getJob(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.jobs()
	if err != nil {
		return fail(c, err)
	}
	job, err := svc.Get(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, job)
}

func (a *API) createJob(c fiber.Ctx) error {
	var in configuration.JobInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	svc, err := a.jobs()
	if err != nil {
		return fail(c, err)
	}
	job, err := svc.Create(c.Context(), in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "jobs.create", "job", job.ID, jobDetails(job))
	return created(c, job)
}

func (a *API) updateJob(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	var in configuration.JobInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	svc, err := a.jobs()
	if err != nil {
		return fail(c, err)
	}
	job, err := svc.Update(c.Context(), id, in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "jobs.update", "job", job.ID, jobDetails(job))
	return ok(c, job)
}

func (a *API) deleteJob(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.jobs()
	if err != nil {
		return fail(c, err)
	}
	job, err := svc.Delete(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "jobs.delete", "job", job.ID, map[string]any{"name": job.Name, "slug": job.Slug})
	return done(c, "deleted")
}

// jobDetails is what the audit log keeps of a job change (a job holds no
// secret, so its whole shape is safe to keep).
func jobDetails(job configuration.Job) map[string]any {
	return map[string]any{
		"name": job.Name, "slug": job.Slug, "sourceId": job.SourceID, "databases": job.Databases,
		"destinations": job.Destinations, "schedule": job.Schedule, "timezone": job.Timezone,
		"compression": job.Compression, "compressionLevel": job.CompressionLevel,
		"encryptionProfileId": job.EncryptionProfileID, "notifications": job.Notifications, "enabled": job.Enabled,
	}
}
