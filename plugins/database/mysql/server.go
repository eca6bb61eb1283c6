package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Engines, as ServerInfo.Engine and the dump header name them. MySQL and
// MariaDB are told apart because their dumps are not interchangeable (see
// restore checks).
const (
	engineMySQL   = "mysql"
	engineMariaDB = "mariadb"
)

// systemSchemas are never listed: they belong to the server, not to users.
var systemSchemas = []string{"information_schema", "performance_schema", "mysql", "sys"}

// Test connects and reports the server's flavour, version and edition.
func (e *engine) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	c, err := parseConfig(cfg)
	if err != nil {
		return database.ServerInfo{}, err
	}
	db, err := open(ctx, c, "")
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer db.Close()
	return serverInfo(ctx, c, db)
}

var versionNumber = regexp.MustCompile(`^\d+(\.\d+)*`)

// serverInfo reads the flavour from VERSION() and @@version_comment: MariaDB
// always says "MariaDB" in one of them, MySQL never does.
func serverInfo(ctx context.Context, c conn, db *sql.DB) (database.ServerInfo, error) {
	var version, comment string
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@version_comment").Scan(&version, &comment); err != nil {
		return database.ServerInfo{}, classify(c, err)
	}
	return parseServer(version, comment), nil
}

// parseServer turns VERSION() ("10.11.19-MariaDB-0+deb12u1", "8.0.36") and
// @@version_comment ("Debian 12", "MySQL Community Server - GPL") into a
// ServerInfo whose Version is only the dotted number.
func parseServer(version, comment string) database.ServerInfo {
	info := database.ServerInfo{Engine: engineMySQL, Version: versionNumber.FindString(version)}
	if info.Version == "" {
		info.Version = version
	}
	lv, lc := strings.ToLower(version), strings.ToLower(comment)
	if strings.Contains(lv, "mariadb") || strings.Contains(lc, "mariadb") {
		info.Engine = engineMariaDB
	}
	switch {
	case strings.Contains(lv, "enterprise") || strings.Contains(lc, "enterprise"):
		info.Edition = "Enterprise"
	case strings.Contains(lc, "percona"):
		info.Edition = "Percona Server"
	default:
		info.Edition = "Community"
	}
	if comment != "" {
		info.Edition += " (" + comment + ")"
	}
	return info
}

// ListDatabases lists the user schemas with the data and index sizes
// information_schema reports (InnoDB's are estimates, close enough to plan
// storage).
func (e *engine) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	c, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, c, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	q := `SELECT s.SCHEMA_NAME, COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0)
		FROM information_schema.SCHEMATA s
		LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
		WHERE s.SCHEMA_NAME NOT IN (?, ?, ?, ?)
		GROUP BY s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME`
	rows, err := db.QueryContext(ctx, q, systemSchemas[0], systemSchemas[1], systemSchemas[2], systemSchemas[3])
	if err != nil {
		return nil, classify(c, err)
	}
	defer rows.Close()
	var out []database.DatabaseInfo
	for rows.Next() {
		var d database.DatabaseInfo
		if err := rows.Scan(&d.Name, &d.SizeBytes); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(c, err)
	}
	return out, nil
}

// schemaInfo is what the dump records of a database and the restore needs to
// create its target alike.
type schemaInfo struct {
	charset, collation string
}

// lookupSchema returns the database's defaults, or spec.ErrNotFound.
func lookupSchema(ctx context.Context, c conn, db *sql.DB, name string) (schemaInfo, error) {
	var s schemaInfo
	err := db.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, name).Scan(&s.charset, &s.collation)
	if err == sql.ErrNoRows {
		return s, fmt.Errorf("database %q does not exist on %s: %w", name, c.addr(), spec.ErrNotFound)
	}
	if err != nil {
		return s, classify(c, err)
	}
	return s, nil
}
