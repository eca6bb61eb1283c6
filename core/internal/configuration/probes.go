package configuration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Probes reach outside through a plugin with a stored configuration: each
// runs under the service's probe timeout, and its errors say which
// connection and plugin failed, wrapping the plugin's error so the API maps
// spec.ErrUnauthenticated and the like to the right answer.

// SourceTest is what testing a source found.
type SourceTest struct {
	Engine  string `json:"engine"`
	Version string `json:"version"`
	Edition string `json:"edition,omitempty"`
}

// Database is one database a source lists.
type Database struct {
	Name      string `json:"name"`
	SizeBytes int64  `json:"sizeBytes"`
}

// DestinationTest is what testing a destination found.
type DestinationTest struct {
	// Message is the plugin's description of what it reached ("directory
	// /srv/backups, 12 GiB free").
	Message string `json:"message"`
}

// Usage is a destination's space.
type Usage struct {
	UsedBytes  int64 `json:"usedBytes"`
	FreeBytes  int64 `json:"freeBytes"`
	TotalBytes int64 `json:"totalBytes"`
}

// TestSource connects to source id's server and reports its version.
func (c *Connections) TestSource(ctx context.Context, id int64) (SourceTest, error) {
	if c.kind != spec.KindDatabase {
		return SourceTest{}, fmt.Errorf("test: not a source")
	}
	conn, err := c.opened(ctx, id)
	if err != nil {
		return SourceTest{}, err
	}
	db, err := c.s.plugins.Database(conn.PluginID)
	if err != nil {
		return SourceTest{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	info, err := db.Test(ctx, conn.Config)
	if err != nil {
		return SourceTest{}, c.probeError("could not connect to", conn.Name, conn.PluginID, err)
	}
	return SourceTest{Engine: info.Engine, Version: info.Version, Edition: info.Edition}, nil
}

// Databases lists the databases on source id's server, with their sizes.
func (c *Connections) Databases(ctx context.Context, id int64) ([]Database, error) {
	if c.kind != spec.KindDatabase {
		return nil, fmt.Errorf("databases: not a source")
	}
	conn, err := c.opened(ctx, id)
	if err != nil {
		return nil, err
	}
	db, err := c.s.plugins.Database(conn.PluginID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	list, err := db.ListDatabases(ctx, conn.Config)
	if err != nil {
		return nil, c.probeError("could not list the databases of", conn.Name, conn.PluginID, err)
	}
	out := make([]Database, len(list))
	for i, d := range list {
		out[i] = Database{Name: d.Name, SizeBytes: d.SizeBytes}
	}
	return out, nil
}

// TestDestination checks that destination id is reachable and writable as
// its plugin defines it.
func (c *Connections) TestDestination(ctx context.Context, id int64) (DestinationTest, error) {
	if c.kind != spec.KindStorage {
		return DestinationTest{}, fmt.Errorf("test: not a destination")
	}
	conn, err := c.opened(ctx, id)
	if err != nil {
		return DestinationTest{}, err
	}
	st, err := c.s.plugins.Storage(conn.PluginID)
	if err != nil {
		return DestinationTest{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	msg, err := st.Test(ctx, conn.Config)
	if err != nil {
		return DestinationTest{}, c.probeError("could not use", conn.Name, conn.PluginID, err)
	}
	return DestinationTest{Message: msg}, nil
}

// Usage reports destination id's used and free space; a plugin that cannot
// tell answers an error matching spec.ErrUnsupported.
func (c *Connections) Usage(ctx context.Context, id int64) (Usage, error) {
	if c.kind != spec.KindStorage {
		return Usage{}, fmt.Errorf("usage: not a destination")
	}
	conn, err := c.opened(ctx, id)
	if err != nil {
		return Usage{}, err
	}
	st, err := c.s.plugins.Storage(conn.PluginID)
	if err != nil {
		return Usage{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	u, err := st.Usage(ctx, conn.Config)
	if errors.Is(err, spec.ErrUnsupported) {
		return Usage{}, fmt.Errorf("plugin %s cannot report the space of a destination: %w", conn.PluginID, spec.ErrUnsupported)
	}
	if err != nil {
		return Usage{}, c.probeError("could not read the space of", conn.Name, conn.PluginID, err)
	}
	return Usage{UsedBytes: u.UsedBytes, FreeBytes: u.FreeBytes, TotalBytes: u.TotalBytes}, nil
}

// SendTest sends a test notification through channel id.
func (c *Connections) SendTest(ctx context.Context, id int64) error {
	if c.kind != spec.KindNotification {
		return fmt.Errorf("send test: not a notification channel")
	}
	conn, err := c.opened(ctx, id)
	if err != nil {
		return err
	}
	n, err := c.s.plugins.Notifier(conn.PluginID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	ev := notification.Event{
		Type:     "test",
		Severity: notification.SeverityInfo,
		Title:    "dbkeep test notification",
		Text:     fmt.Sprintf("This is a test sent from dbkeep's notification channel %q. If you read it, the channel works.", conn.Name),
		Fields:   map[string]string{"channel": conn.Name},
		Time:     c.s.now().UTC(),
	}
	if err := n.Send(ctx, conn.Config, ev); err != nil {
		return c.probeError("could not send through", conn.Name, conn.PluginID, err)
	}
	return nil
}

// probeError says which connection failed through which plugin, in words,
// keeping err matchable.
func (c *Connections) probeError(what, name, pluginID string, err error) error {
	err = timeoutWords(err, c.s.probeTimeout)
	return &wordedError{
		msg: fmt.Sprintf("%s %s %q (plugin %s): %s", what, c.noun, name, pluginID, withoutSentinel(err)),
		err: err,
	}
}

// wordedError is an error whose message was rewritten for people and whose
// chain is the original's, so the API still maps it by its sentinel.
type wordedError struct {
	msg string
	err error
}

func (e *wordedError) Error() string { return e.msg }
func (e *wordedError) Unwrap() error { return e.err }

// pluginSentinels are the errors a plugin's answer wraps; the SDK appends
// their text ("…: connection refused: unavailable"), which says nothing
// more to a person than the sentence before it.
var pluginSentinels = []error{
	spec.ErrNotFound, spec.ErrAlreadyExists, spec.ErrPermission, spec.ErrUnauthenticated,
	spec.ErrNoSpace, spec.ErrUnavailable, spec.ErrUnsupported, spec.ErrInvalidArgument,
}

// withoutSentinel is err's text without a trailing sentinel's words.
func withoutSentinel(err error) string {
	text := err.Error()
	for _, s := range pluginSentinels {
		if errors.Is(err, s) {
			if t, found := strings.CutSuffix(text, ": "+s.Error()); found && t != "" {
				return t
			}
		}
	}
	return text
}

// timeoutWords replaces the bare "context deadline exceeded" of a call that
// ran out of time with a sentence, keeping it matchable.
func timeoutWords(err error, limit time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s: %w", limit, context.DeadlineExceeded)
	}
	return err
}
