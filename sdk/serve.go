package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/internal/wire"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Plugin is what an author hands to Serve. Set exactly one of Database,
// Storage, Notifier and OIDC: that field decides the plugin's kind.
type Plugin struct {
	// Name is the plugin's name within its kind: "local", "postgres".
	Name        string
	DisplayName string
	// Summary is one sentence for listings.
	Summary string
	// Version is the plugin's own version, semver without a leading v.
	Version string
	Schema  spec.Schema
	// Capabilities the SDK cannot derive from the implementation's interfaces.
	Capabilities []spec.Capability

	Database database.Database
	Storage  storage.Storage
	Notifier notification.Notifier
	OIDC     oidc.Provider

	// Logger receives the plugin's own log lines; Serve sends them to the core
	// as structured logs. Nil means Logger().
	Logger hclog.Logger
}

// Logger returns a logger whose lines reach the core's log as structured
// entries, attributed to the plugin. It may be called before or after Serve.
// Write nothing else to stdout: go-plugin owns it.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: processStderr, JSONFormat: true})
}

// processStderr is the process's stderr as it was before Serve: go-plugin
// replaces os.Stderr with a pipe that the core reads as plain text, which
// would flatten structured log lines written after Serve started.
var processStderr = os.Stderr

// Describe returns the plugin's description, with the capabilities derived
// from the optional interfaces its implementation satisfies.
func (p Plugin) Describe() (spec.Description, error) {
	impl, kind, err := p.impl()
	if err != nil {
		return spec.Description{}, err
	}
	caps := map[spec.Capability]bool{}
	for _, c := range p.Capabilities {
		caps[c] = true
	}
	if _, ok := impl.(storage.UsageReporter); ok && kind == spec.KindStorage {
		caps[spec.CapUsage] = true
	}
	if _, ok := impl.(database.Restorer); ok && kind == spec.KindDatabase {
		caps[spec.CapRestore] = true
	}
	if _, ok := impl.(database.RowCounter); ok && kind == spec.KindDatabase {
		caps[spec.CapRowCount] = true
	}
	if _, ok := impl.(spec.ConfigValidator); ok {
		caps[spec.CapConfigValidation] = true
	}
	list := make([]spec.Capability, 0, len(caps))
	for c := range caps {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	display := p.DisplayName
	if display == "" {
		display = p.Name
	}
	d := spec.Description{
		ID: string(kind) + "-" + p.Name, Kind: kind, Name: p.Name, DisplayName: display, Summary: p.Summary,
		Version: p.Version, SDKVersion: spec.SDKVersion, ProtocolMajor: spec.ProtocolMajor, ProtocolMinor: spec.ProtocolMinor,
		Capabilities: list, Schema: p.Schema,
	}
	return d, d.Validate()
}

func (p Plugin) impl() (any, spec.Kind, error) {
	var impl any
	var kind spec.Kind
	set := 0
	for _, c := range []struct {
		v    any
		ok   bool
		kind spec.Kind
	}{
		{p.Database, p.Database != nil, spec.KindDatabase},
		{p.Storage, p.Storage != nil, spec.KindStorage},
		{p.Notifier, p.Notifier != nil, spec.KindNotification},
		{p.OIDC, p.OIDC != nil, spec.KindOIDC},
	} {
		if c.ok {
			impl, kind = c.v, c.kind
			set++
		}
	}
	if set != 1 {
		return nil, "", fmt.Errorf("plugin %q: set exactly one of Database, Storage, Notifier and OIDC (%d set)", p.Name, set)
	}
	return impl, kind, nil
}

// server builds the wire-level server of p.
func (p Plugin) server() (*wire.Server, error) {
	d, err := p.Describe()
	if err != nil {
		return nil, err
	}
	logger := p.Logger
	if logger == nil {
		logger = Logger()
	}
	return &wire.Server{
		Desc: d, Database: p.Database, Storage: p.Storage, Notifier: p.Notifier, OIDC: p.OIDC,
		Logger: logger.Named(d.ID),
	}, nil
}

// Serve runs the plugin until the core disconnects. Run by hand as
// `dbkeep-<kind>-<name> describe`, it prints the description as JSON and exits;
// this is how `dbkeep plugins list` reads a plugin without starting it.
// Serve exits the process on a misconfigured Plugin.
func Serve(p Plugin) {
	if len(os.Args) == 2 && os.Args[1] == "describe" {
		if err := writeDescription(os.Stdout, p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	srv, err := p.server()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbkeep plugin:", err)
		os.Exit(1)
	}
	goplugin.Serve(serveConfig(srv, nil))
}

func writeDescription(w io.Writer, p Plugin) error {
	d, err := p.Describe()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func serveConfig(srv *wire.Server, test *goplugin.ServeTestConfig) *goplugin.ServeConfig {
	return &goplugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(srv),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, wire.ServerOptions(srv.Logger)...)...)
		},
		Logger: srv.Logger,
		Test:   test,
	}
}

// ServeInProcess serves p inside this process, as go-plugin's test mode does,
// until ctx is cancelled, and returns how to reattach to it. Conformance kits
// and benchmarks use it to run a plugin through the real gRPC boundary with
// the plugin's code in the test binary (coverage, debugger, race detector).
func ServeInProcess(ctx context.Context, p Plugin) (*goplugin.ReattachConfig, <-chan struct{}, error) {
	if p.Logger == nil {
		p.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr, Exclude: stoppedListener})
	}
	srv, err := p.server()
	if err != nil {
		return nil, nil, err
	}
	reattach := make(chan *goplugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go goplugin.Serve(serveConfig(srv, &goplugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}))
	select {
	case rc := <-reattach:
		return rc, closed, nil
	case <-closed:
		return nil, nil, fmt.Errorf("plugin %s stopped before it served", p.Name)
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// stoppedListener drops the error go-plugin logs when an in-process server is
// stopped on purpose: its listener closes under the accept loop.
func stoppedListener(_ hclog.Level, msg string, args ...any) bool {
	if msg != "grpc server" {
		return false
	}
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}
