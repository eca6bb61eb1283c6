package wire_test

import (
	"context"
	"io"
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
