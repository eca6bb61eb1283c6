package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/buildinfo"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/engine"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/executions"
	"github.com/dbkeep/dbkeep/core/internal/metrics"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/scheduler"
	"github.com/dbkeep/dbkeep/core/internal/server"
	"github.com/dbkeep/dbkeep/webui"
)

func newServeCmd(g *globals) *cobra.Command {
	var listen, data, baseURL string
	var metricsPublic bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the core: load plugins, serve the API and the web UI",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger := g.logger(cmd, hclog.Trace)
			limitMemory()
			if v := os.Getenv(EnvMetricsPublic); v != "" && !cmd.Flags().Changed("metrics-public") {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("%s: %q is neither true nor false", EnvMetricsPublic, v)
				}
				metricsPublic = b
			}
			if err := os.MkdirAll(data, 0o700); err != nil {
				return fmt.Errorf("data directory: %w", err)
			}
			// The state opens first: a wrong key or a schema from a newer
			// dbkeep stops the start before any plugin runs.
			st, err := openState(ctx, data, logger)
			if err != nil {
				return err
			}
			// Closed last, after the HTTP server and the plugins.
			defer st.Close()
			accounts, err := auth.New(ctx, auth.Options{Store: st, Logger: logger.Named("auth")})
			if err != nil {
				return err
			}
			// Expired sessions are purged on a timer, not only at sign-in;
			// the purge stops before the state closes.
			purgeCtx, stopPurge := context.WithCancel(ctx)
			purged := make(chan struct{})
			go func() {
				defer close(purged)
				accounts.PurgeExpiredSessions(purgeCtx, auth.SessionPurgeInterval)
			}()
			defer func() { stopPurge(); <-purged }()
			if needed, err := accounts.SetupNeeded(ctx); err == nil && needed {
				logger.Warn("no account exists yet: open the web UI, or POST " + api.Prefix + "/auth/setup, to create the first admin")
			}
			h, err := g.host(cmd, hclog.Trace)
			if err != nil {
				return err
			}
			// Plugins are killed last, after the HTTP server has drained.
			defer h.Close()
			rep, err := h.LoadAll(ctx)
			if err != nil {
				return err
			}
			logger.Info("plugins loaded", "loaded", len(rep.Loaded), "refused", len(rep.Refused))

			// The backup machinery: the journal records what runs say, the
			// engine runs them, the queue dispatches them (and first
			// recovers what a crash left running), the scheduler enqueues
			// them when due. They stop, in reverse order, before the
			// plugins and the state close.
			journal := execlog.New(st.Executions(), logger.Named("journal"))
			eng, err := engine.New(engine.Options{
				Store: st, Plugins: h, Journal: journal, Logger: logger.Named("engine"), BaseURL: baseURL,
			})
			if err != nil {
				return err
			}
			runs := queue.New(queue.Options{Store: st, Runner: eng, Logger: logger.Named("queue")})
			sched := scheduler.New(scheduler.Options{Store: st, Enqueuer: runs, Logger: logger.Named("scheduler")})
			workCtx, stopWork := context.WithCancel(ctx)
			var work sync.WaitGroup
			work.Go(func() {
				if err := runs.Run(workCtx); err != nil && workCtx.Err() == nil {
					logger.Error("the queue stopped", "error", err)
				}
			})
			work.Go(func() {
				if err := sched.Run(workCtx); err != nil && workCtx.Err() == nil {
					logger.Error("the scheduler stopped", "error", err)
				}
			})
			// Once a day every destination is listed, which makes its plugin
			// remove the temporary files of uploads that never finished.
			work.Go(func() { eng.Sweep(workCtx) })
			defer func() {
				stopWork()
				work.Wait()
				// What the stopped runs said last is stored before the state closes.
				if err := journal.Close(); err != nil {
					logger.Error("storing the last execution logs failed", "error", err)
				}
			}()

			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			plugins := loadedPlugins{report: rep, host: h}
			srv := server.New(server.Options{
				Version: buildinfo.Version,
				Plugins: plugins,
				State:   st,
				Metrics: metrics.New(metrics.Options{
					Plugins: plugins, Executions: st.Executions(), Jobs: st.Executions(), Logger: logger.Named("metrics"),
				}),
				MetricsPublic: metricsPublic,
				API: api.New(api.Deps{
					Auth:     accounts,
					Accounts: accounts,
					Audit:    st.Audit(),
					Logger:   logger.Named("api"),
					Configuration: configuration.New(configuration.Options{
						Store: st, Plugins: h, Loaded: rep,
						JobsChanged:     sched.Notify,
						SettingsChanged: func() { sched.Notify(); runs.Wake() },
					}),
					Executions: executions.New(st, runs, journal),
					Backups:    st.BackupSets(),
				}),
				UI:     webui.FS(),
				Logger: logger,
			})
			err = srv.Serve(ctx, ln, 10*time.Second)
			logger.Info("shutting down")
			return err
		},
	}
	cmd.Flags().StringVar(&listen, "listen", envOr(EnvListen, "127.0.0.1:8080"), "address to serve on (env "+EnvListen+")")
	cmd.Flags().StringVar(&data, "data", envOr(EnvData, "./data"), "state directory, created 0700 (env "+EnvData+")")
	cmd.Flags().StringVar(&baseURL, "base-url", envOr(EnvBaseURL, ""),
		"address users reach the web UI at (https://backups.example.com), for links in notifications (env "+EnvBaseURL+")")
	cmd.Flags().BoolVar(&metricsPublic, "metrics-public", false,
		"serve /metrics to anyone, not only to holders of metrics:read (env "+EnvMetricsPublic+"=true)")
	return cmd
}

// EnvBaseURL is the address of the web UI, for links in notifications.
const EnvBaseURL = "DBKEEP_BASE_URL"

// EnvMetricsPublic set to "true" serves /metrics without credentials.
const EnvMetricsPublic = "DBKEEP_METRICS_PUBLIC"

// loadedPlugins is what the server reports about plugins.
type loadedPlugins struct {
	report pluginhost.LoadReport
	host   *pluginhost.Host
}

func (p loadedPlugins) Loaded() pluginhost.LoadReport { return p.report }
func (p loadedPlugins) Status() []pluginhost.Status   { return p.host.Status() }

// softMemoryLimit is the core's default soft memory limit. A backup's data
// path makes garbage fast (a 1 MiB message per chunk, the zstd jobs) while
// holding little: without a limit the collector lets the heap reach twice
// what is live, and a 1 GiB backup peaks at 118–123 MiB resident; with it,
// at 85–87 MiB (docs/benchmarks.md). It is soft: when more is truly live,
// the heap grows past it, and the runtime caps the collector's share of CPU.
const softMemoryLimit = 64 << 20

// limitMemory applies softMemoryLimit unless GOMEMLIMIT says otherwise.
func limitMemory() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}
