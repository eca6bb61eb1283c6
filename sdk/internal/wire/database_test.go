package wire_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// echoRestorer reports back, as restore problems, the request it received.
type echoRestorer struct{}

func (echoRestorer) Test(context.Context, spec.Config) (database.ServerInfo, error) {
	return database.ServerInfo{Engine: "echo"}, nil
}
func (echoRestorer) ListDatabases(context.Context, spec.Config) ([]database.DatabaseInfo, error) {
	return nil, nil
}
func (echoRestorer) Dump(context.Context, spec.Config, database.DumpRequest, database.DumpWriter) error {
	return spec.ErrUnsupported
}
func (echoRestorer) PrepareRestore(_ context.Context, _ spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	return database.RestorePlan{Problems: []string{req.TargetDatabase, req.Source.Format, req.Options["mode"], req.Privileged["user"]}}, nil
}
func (echoRestorer) Restore(context.Context, spec.Config, database.RestoreRequest, io.Reader, spec.Reporter) (database.RestoreResult, error) {
	return database.RestoreResult{}, spec.ErrUnsupported
}

func TestPrepareRestoreCarriesTheWholeRequest(t *testing.T) {
	conn := sdktest.Start(t, sdk.Plugin{Name: "echo", Version: "0.0.1", Database: echoRestorer{},
		Schema: spec.Schema{Fields: []spec.Field{{Name: "user", Label: "User", Type: spec.String}}}})
	plan, err := conn.Database().PrepareRestore(context.Background(), spec.Config{}, database.RestoreRequest{
		Source: database.DumpHeader{Format: "sql"}, TargetDatabase: "copy",
		Options: map[string]string{"mode": "fast"}, Privileged: spec.Config{"user": "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"copy", "sql", "fast", "admin"}, plan.Problems); diff != "" {
		t.Errorf("request as the plugin saw it (-want +got):\n%s", diff)
	}
}

// counter is echoRestorer that also counts rows: it answers the request back
// as one table, and restores with a warning.
type counter struct{ echoRestorer }

func (counter) CountRows(_ context.Context, _ spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	if req.Database == "missing" {
		return nil, spec.ErrNotFound
	}
	return []database.TableRows{
		{Schema: "s ✓", Table: req.Database, Rows: 1 << 40, Exact: !req.Estimate},
		{Table: "empty", Rows: 0, Exact: true},
	}, nil
}

func (counter) Restore(_ context.Context, _ spec.Config, req database.RestoreRequest, r io.Reader, _ spec.Reporter) (database.RestoreResult, error) {
	io.Copy(io.Discard, r)
	return database.RestoreResult{TargetDatabase: req.TargetDatabase, Warnings: []string{"skipped one ✓", ""}}, nil
}

func TestCountRowsCrossesTheBoundary(t *testing.T) {
	conn := sdktest.Start(t, sdk.Plugin{Name: "counter", Version: "0.0.1", Database: counter{}})
	desc, err := conn.Describe(context.Background())
	if err != nil || !desc.Has(spec.CapRowCount) {
		t.Fatalf("Describe: capabilities %v (%v), want %q", desc.Capabilities, err, spec.CapRowCount)
	}
	for _, estimate := range []bool{false, true} {
		got, err := conn.Database().CountRows(context.Background(), spec.Config{}, database.CountRowsRequest{Database: "db", Estimate: estimate})
		if err != nil {
			t.Fatal(err)
		}
		want := []database.TableRows{{Schema: "s ✓", Table: "db", Rows: 1 << 40, Exact: !estimate}, {Table: "empty", Exact: true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CountRows (estimate %v) (-want +got):\n%s", estimate, diff)
		}
	}
	if _, err := conn.Database().CountRows(context.Background(), spec.Config{}, database.CountRowsRequest{Database: "missing"}); !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("CountRows of a missing database = %v, want spec.ErrNotFound", err)
	}
	res, err := conn.Database().Restore(context.Background(), spec.Config{}, database.RestoreRequest{TargetDatabase: "t"}, strings.NewReader("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"skipped one ✓", ""}, res.Warnings); diff != "" {
		t.Errorf("restore warnings (-want +got):\n%s", diff)
	}
}

func TestCountRowsUnsupported(t *testing.T) {
	conn := sdktest.Start(t, sdk.Plugin{Name: "echo", Version: "0.0.1", Database: echoRestorer{}})
	desc, err := conn.Describe(context.Background())
	if err != nil || desc.Has(spec.CapRowCount) {
		t.Fatalf("Describe: capabilities %v (%v), want no %q", desc.Capabilities, err, spec.CapRowCount)
	}
	_, err = conn.Database().CountRows(context.Background(), spec.Config{}, database.CountRowsRequest{Database: "db"})
	if !errors.Is(err, spec.ErrUnsupported) {
		t.Errorf("CountRows of a plugin without it = %v, want spec.ErrUnsupported", err)
	}
}
