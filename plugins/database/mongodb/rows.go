package main

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// CountRows counts the documents of every collection of one database (the
// collections a dump holds: no views, no system.* collections): exactly with
// countDocuments on an empty filter, or with req.Estimate from the
// collection's metadata (estimatedDocumentCount). Table is the collection's
// name; Schema is empty.
func (e *engine) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	if err := checkDatabaseName(req.Database); err != nil {
		return nil, err
	}
	client, _, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer disconnect(client)
	exists, err := databaseExists(ctx, client, req.Database)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("database %q does not exist: %w", req.Database, spec.ErrNotFound)
	}
	db := client.Database(req.Database)
	colls, _, err := listNamespaces(ctx, db)
	if err != nil {
		return nil, err
	}
	out := make([]database.TableRows, len(colls))
	for i, c := range colls {
		coll := db.Collection(c.Name)
		out[i] = database.TableRows{Table: c.Name, Exact: !req.Estimate}
		if req.Estimate {
			out[i].Rows, err = coll.EstimatedDocumentCount(ctx)
		} else {
			out[i].Rows, err = coll.CountDocuments(ctx, bson.D{})
		}
		if err != nil {
			return nil, classify(ctx, fmt.Sprintf("count the documents of %q", c.Name), err)
		}
	}
	return out, nil
}
