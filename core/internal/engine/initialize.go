package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// initialize loads the job and everything it names, resolves the plugins,
// tests the source, decides the databases, and records one incomplete set
// per destination before any byte is uploaded (so that a crash leaves rows
// CleanupInterrupted finds). A destination that cannot be prepared is
// dropped; the run goes on with the others. An error here fails the run.
func (r *run) initialize() error {
	r.stage("initialize")
	ctx, st := r.ctx, r.e.o.Store
	if r.ex.JobID == nil {
		return fmt.Errorf("execution %d names no job (the job %q was deleted)", r.ex.ID, r.ex.JobName)
	}
	job, err := st.Jobs().Get(ctx, *r.ex.JobID)
	if err != nil {
		return fmt.Errorf("load job: %w", err)
	}
	r.job = job
	if len(job.Destinations) == 0 {
		return fmt.Errorf("job %q has no destination", job.Name)
	}
	if r.location, err = r.timezone(); err != nil {
		return err
	}

	if r.source, err = st.Sources().Get(ctx, job.SourceID); err != nil {
		return fmt.Errorf("load source %d: %w", job.SourceID, err)
	}
	if r.plugin, err = r.e.o.Plugins.Start(ctx, r.source.PluginID); err != nil {
		return fmt.Errorf("source %q: start plugin %s: %w", r.source.Name, r.source.PluginID, err)
	}
	if r.db, err = r.e.o.Plugins.Database(r.source.PluginID); err != nil {
		return fmt.Errorf("source %q: %w", r.source.Name, err)
	}
	if r.server, err = r.db.Test(ctx, r.source.Config); err != nil {
		return fmt.Errorf("source %q does not answer: %w", r.source.Name, err)
	}

	if job.EncryptionProfileID != nil {
		p, err := st.EncryptionProfiles().Get(ctx, *job.EncryptionProfileID)
		if err != nil {
			return fmt.Errorf("load encryption profile %d: %w", *job.EncryptionProfileID, err)
		}
		if r.key, err = st.EncryptionProfiles().Key(ctx, p.ID); err != nil {
			return fmt.Errorf("encryption profile %q: %w", p.Name, err)
		}
		if len(r.key) != dbk1.KeySize {
			return fmt.Errorf("encryption profile %q: its key has %d bytes, want %d", p.Name, len(r.key), dbk1.KeySize)
		}
		r.profile = &p
	}

	if err := r.resolveDatabases(); err != nil {
		return err
	}
	r.prefix = backupset.Prefix(job.Slug, r.created, r.ex.ID)
	r.prepareDestinations()
	if len(r.live()) == 0 {
		return fmt.Errorf("no destination of job %q could be prepared", job.Name)
	}

	enc := "unencrypted"
	if r.profile != nil {
		enc = fmt.Sprintf("encrypted (DBK1) with profile %q, key id %s", r.profile.Name, r.profile.KeyID)
	}
	level := "default level"
	if job.CompressionLevel != nil {
		level = fmt.Sprintf("level %d", *job.CompressionLevel)
	}
	names := make([]string, 0, len(r.dests))
	for _, d := range r.live() {
		names = append(names, d.name())
	}
	r.log(execlog.Info, "backing up %d database(s) of source %q (%s %s, plugin %s %s): %s",
		len(r.databases), r.source.Name, r.server.Engine, r.server.Version, r.plugin.ID, r.plugin.Version, strings.Join(r.databases, ", "))
	r.log(execlog.Info, "compression %s (%s), %s; set %s on %s", job.Compression, level, enc, r.prefix, strings.Join(names, ", "))
	return nil
}

// timezone is the job's zone, else the defaultTimezone setting: GFS
// buckets are read in it.
func (r *run) timezone() (*time.Location, error) {
	name := r.job.Timezone
	if name == "" {
		var err error
		if name, err = r.e.o.Store.Settings().DefaultTimezone(r.ctx); err != nil {
			return nil, fmt.Errorf("read the defaultTimezone setting: %w", err)
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("job %q: timezone %q: %w", r.job.Name, name, err)
	}
	return loc, nil
}

// resolveDatabases lists the source's databases at run time when the job
// takes them all, else takes the job's list.
func (r *run) resolveDatabases() error {
	if !r.job.AllDatabases {
		r.databases = append([]string(nil), r.job.Databases...)
		return nil
	}
	list, err := r.db.ListDatabases(r.ctx, r.source.Config)
	if err != nil {
		return fmt.Errorf("source %q: list databases: %w", r.source.Name, err)
	}
	var total int64
	for _, d := range list {
		r.databases = append(r.databases, d.Name)
		if d.SizeBytes > 0 {
			total += d.SizeBytes
		}
	}
	if len(r.databases) == 0 {
		return fmt.Errorf("source %q lists no database to back up", r.source.Name)
	}
	// The databases' sizes on disk estimate the dump: enough for a bar.
	r.updateProgress(true, func(p *execlog.Progress) { p.BytesTotal = total })
	return nil
}

// prepareDestinations loads every destination, gets its plugin client,
// tests it and records its incomplete set.
func (r *run) prepareDestinations() {
	r.dests = make([]*destination, len(r.job.Destinations))
	prog := make([]execlog.DestinationProgress, len(r.job.Destinations))
	for i, jd := range r.job.Destinations {
		d := &destination{index: i, jd: jd}
		d.conn.ID = jd.DestinationID
		d.conn.Name = fmt.Sprint(jd.DestinationID)
		r.dests[i] = d
		prog[i] = execlog.DestinationProgress{DestinationID: jd.DestinationID, Name: d.conn.Name, State: "pending"}
	}
	r.updateProgress(true, func(p *execlog.Progress) { p.Destinations = prog })
	for _, d := range r.dests {
		if err := r.prepareDestination(d); err != nil {
			r.drop(d, err)
		}
	}
	r.updateProgress(true, func(p *execlog.Progress) {
		for _, d := range r.dests {
			p.Destinations[d.index].Name = d.conn.Name
		}
	})
}

func (r *run) prepareDestination(d *destination) error {
	conn, err := r.e.o.Store.Destinations().Get(r.ctx, d.jd.DestinationID)
	if err != nil {
		return fmt.Errorf("load destination: %w", err)
	}
	d.conn = conn
	if _, err := r.e.o.Plugins.Start(r.ctx, conn.PluginID); err != nil {
		return fmt.Errorf("start plugin %s: %w", conn.PluginID, err)
	}
	if d.client, err = r.e.o.Plugins.Storage(conn.PluginID); err != nil {
		return err
	}
	d.loc = r.e.location(d.client, func(op string, attempt int, err error, wait time.Duration) {
		r.log(execlog.Warn, "destination %s: %s failed (attempt %d), trying again in %s: %v", d.name(), op, attempt, wait.Round(time.Millisecond), err)
	})
	// Known before anything is dumped: a destination that cannot take a
	// write (wrong credentials, read-only, full, gone). The test is also
	// where plugins do their upkeep (storage-s3 aborts its stale multipart
	// uploads).
	detail, err := d.loc.Test(r.ctx, conn.Config)
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	r.log(execlog.Info, "destination %s: %s", d.name(), detail)
	d.set, err = r.e.o.Store.BackupSets().Create(r.ctx, store.NewBackupSet{
		DestinationID: conn.ID, JobID: r.job.ID, ExecutionID: r.ex.ID,
		EncryptionProfileID: r.job.EncryptionProfileID, Prefix: r.prefix, CreatedAt: r.created,
	})
	if err != nil {
		return fmt.Errorf("record the backup set: %w", err)
	}
	return nil
}
