package configuration

import (
	"context"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// PluginHost is what the services need of the plugin host
// (*pluginhost.Host): descriptions, validation and clients of running
// plugins, and their supervision state.
type PluginHost interface {
	// Start starts plugin id unless it runs already, refusing one that is
	// untrusted, disabled or missing, and returns its live description.
	Start(ctx context.Context, id string) (spec.Description, error)
	ValidateConfig(ctx context.Context, id string, cfg spec.Config) error
	Database(id string) (host.DatabaseClient, error)
	Storage(id string) (host.StorageClient, error)
	Notifier(id string) (notification.Notifier, error)
	Status() []pluginhost.Status
}

// Options are what New needs.
type Options struct {
	Store   *store.Store
	Plugins PluginHost
	// Loaded is what loading the plugin directory at start gave: the
	// installed plugins GET /plugins lists.
	Loaded pluginhost.LoadReport
	// ProbeTimeout bounds a call that reaches outside through a plugin
	// (test, list databases, usage, test notification). Zero means 30s.
	ProbeTimeout time.Duration
	// Now is the clock for next-run times; nil means time.Now.
	Now func() time.Time
	// JobsChanged and SettingsChanged, when set, are called after a job or
	// the settings were changed, so that the scheduler and the queue act on
	// the change now rather than at their next look.
	JobsChanged     func()
	SettingsChanged func()
}

// Service is the configuration API's business layer. Its parts are safe for
// concurrent use.
type Service struct {
	st           *store.Store
	plugins      PluginHost
	loaded       pluginhost.LoadReport
	probeTimeout time.Duration
	now          func() time.Time
	onJobs       func()
	onSettings   func()
}

// New builds the service.
func New(opts Options) *Service {
	s := &Service{st: opts.Store, plugins: opts.Plugins, loaded: opts.Loaded, probeTimeout: opts.ProbeTimeout, now: opts.Now,
		onJobs: opts.JobsChanged, onSettings: opts.SettingsChanged}
	if s.probeTimeout <= 0 {
		s.probeTimeout = 30 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Sources are database connections.
func (s *Service) Sources() *Connections {
	return &Connections{s: s, repo: s.st.Sources(), kind: spec.KindDatabase, noun: "source", ref: store.RefSource}
}

// Destinations are storage connections.
func (s *Service) Destinations() *Connections {
	return &Connections{s: s, repo: s.st.Destinations(), kind: spec.KindStorage, noun: "destination", ref: store.RefDestination}
}

// NotificationChannels are notification connections.
func (s *Service) NotificationChannels() *Connections {
	return &Connections{s: s, repo: s.st.NotificationChannels(), kind: spec.KindNotification, noun: "notification channel", ref: store.RefChannel}
}

// EncryptionProfiles are the named keys backups are encrypted under.
func (s *Service) EncryptionProfiles() *Profiles { return &Profiles{s: s} }

// Jobs are backup jobs.
func (s *Service) Jobs() *Jobs { return &Jobs{s: s} }

// Settings are the server settings.
func (s *Service) Settings() *Settings { return &Settings{s: s} }

// Plugins lists the installed plugins.
func (s *Service) Plugins() *Plugins { return &Plugins{s: s} }

// loadedSchema is the configuration schema plugin id described at start.
func (s *Service) loadedSchema(id string) (spec.Schema, bool) {
	for _, e := range s.loaded.Loaded {
		if e.ID == id && e.Description != nil {
			return e.Description.Schema, true
		}
	}
	return spec.Schema{}, false
}

func (s *Service) jobsChanged() {
	if s.onJobs != nil {
		s.onJobs()
	}
}

func (s *Service) settingsChanged() {
	if s.onSettings != nil {
		s.onSettings()
	}
}
