package pluginhost

import (
	"context"
	"io"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// databaseClient reaches a database plugin through the Host's supervision.
type databaseClient struct {
	h  *Host
	id string
}

var _ host.DatabaseClient = databaseClient{}

func (c databaseClient) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (database.ServerInfo, error) {
		return i.conn.Database().Test(ctx, cfg)
	})
}

func (c databaseClient) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) ([]database.DatabaseInfo, error) {
		return i.conn.Database().ListDatabases(ctx, cfg)
	})
}

func (c databaseClient) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	return c.h.do(ctx, c.id, func(ctx context.Context, i *instance) error {
		return i.conn.Database().Dump(ctx, cfg, req, w)
	})
}

func (c databaseClient) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (database.RestorePlan, error) {
		return i.conn.Database().PrepareRestore(ctx, cfg, req)
	})
}

func (c databaseClient) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (database.RestoreResult, error) {
		return i.conn.Database().Restore(ctx, cfg, req, r, rep)
	})
}

func (c databaseClient) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) ([]database.TableRows, error) {
		return i.conn.Database().CountRows(ctx, cfg, req)
	})
}
