package main

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

const engineName = "mongodb"

// systemDatabases hold the server's own state; a backup never selects them.
var systemDatabases = map[string]bool{"admin": true, "local": true, "config": true}

// queryServer reads buildInfo. Version is MongoDB's version (FerretDB reports
// the MongoDB version it speaks); Edition says whose server it is:
// "MongoDB Community", "MongoDB Enterprise" or "FerretDB <version>".
func queryServer(ctx context.Context, client *mongo.Client) (database.ServerInfo, error) {
	var bi struct {
		Version         string   `bson:"version"`
		Modules         []string `bson:"modules"`
		FerretDBVersion string   `bson:"ferretdbVersion"`
	}
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&bi); err != nil {
		return database.ServerInfo{}, classify(ctx, "server version (buildInfo)", err)
	}
	edition := "MongoDB Community"
	switch {
	case bi.FerretDBVersion != "":
		edition = "FerretDB " + bi.FerretDBVersion
	case contains(bi.Modules, "enterprise"):
		edition = "MongoDB Enterprise"
	}
	return database.ServerInfo{Engine: engineName, Version: bi.Version, Edition: edition}, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Test connects, authenticates and reports the server.
func (e *engine) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	client, _, err := connect(ctx, cfg)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer disconnect(client)
	return queryServer(ctx, client)
}

// ListDatabases lists the databases with their size on disk, without admin,
// local and config.
func (e *engine) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	client, _, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer disconnect(client)
	res, err := client.ListDatabases(ctx, bson.D{})
	if err != nil {
		return nil, classify(ctx, "list databases", err)
	}
	var out []database.DatabaseInfo
	for _, d := range res.Databases {
		if systemDatabases[d.Name] {
			continue
		}
		out = append(out, database.DatabaseInfo{Name: d.Name, SizeBytes: d.SizeOnDisk})
	}
	return out, nil
}

// databaseExists reports whether the server lists name (a database exists in
// MongoDB once it holds a collection).
func databaseExists(ctx context.Context, client *mongo.Client, name string) (bool, error) {
	names, err := client.ListDatabaseNames(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return false, classify(ctx, "list databases", err)
	}
	return len(names) > 0, nil
}

// checkDatabaseName refuses names MongoDB cannot hold, with the reason.
func checkDatabaseName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty database name: %w", spec.ErrInvalidArgument)
	case len(name) > 63:
		return fmt.Errorf("database name %q is longer than 63 bytes: %w", name, spec.ErrInvalidArgument)
	case strings.ContainsAny(name, "/\\. \"$*<>:|?\x00"):
		return fmt.Errorf("database name %q contains a character MongoDB forbids (/\\. \"$*<>:|? or NUL): %w", name, spec.ErrInvalidArgument)
	}
	return nil
}
