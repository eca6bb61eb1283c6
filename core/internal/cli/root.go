// Package cli is the dbkeep command line: cobra commands that parse flags,
// build the core's services from their constructors and run them. Nothing
// here decides anything a service should.
package cli

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// Environment variables the CLI reads; a flag given explicitly wins.
const (
	EnvPluginsConfig = "DBKEEP_PLUGINS_CONFIG"
	EnvListen        = "DBKEEP_LISTEN"
	EnvData          = "DBKEEP_DATA"
	EnvLogLevel      = "DBKEEP_LOG_LEVEL"
)

// globals are the flags every command shares.
type globals struct {
	config   string
	logLevel string
}

// NewRoot returns the dbkeep command. Output goes to cmd.OutOrStdout(), logs
// and errors to cmd.ErrOrStderr(), so tests run it in-process.
func NewRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "dbkeep",
		Short:         "Self-hosted database backup manager",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.config, "config", envOr(EnvPluginsConfig, "plugins.hcl"),
		"plugins configuration file (env "+EnvPluginsConfig+")")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr(EnvLogLevel, "info"),
		"log level: trace, debug, info, warn, error (env "+EnvLogLevel+")")
	root.AddCommand(newPluginsCmd(g), newVersionCmd(), newServeCmd(g), newAdminCmd(g), newRecoverCmd())
	return root
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// logger returns the core's logger, writing to the command's stderr.
func (g *globals) logger(cmd *cobra.Command, minLevel hclog.Level) hclog.Logger {
	level := hclog.LevelFromString(g.logLevel)
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	if level < minLevel {
		level = minLevel
	}
	return hclog.New(&hclog.LoggerOptions{Name: "dbkeep", Level: level, Output: cmd.ErrOrStderr()})
}

// host loads the plugins configuration and builds the plugin host. Commands
// that only inspect plugins log at warn and above: their output is the answer.
func (g *globals) host(cmd *cobra.Command, minLevel hclog.Level) (*pluginhost.Host, error) {
	cfg, err := pluginconf.Load(g.config)
	if err != nil {
		return nil, err
	}
	return pluginhost.New(pluginhost.Options{Config: cfg, Logger: g.logger(cmd, minLevel)})
}

// Execute runs the command line with args until ctx ends, and returns the
// process exit code; errors are printed to stderr.
func Execute(ctx context.Context, args []string) int {
	root := NewRoot()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		root.PrintErrln("dbkeep: " + err.Error())
		return 1
	}
	return 0
}
