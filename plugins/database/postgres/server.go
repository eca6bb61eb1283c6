package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

const engineName = "postgres"

// serverInfo is what a connected server says of itself.
type serverInfo struct {
	database.ServerInfo
	// num is server_version_num (150020 for 15.20); num/10000 is the major.
	num int
}

func (s serverInfo) major() int { return s.num / 10000 }

// queryServer reads the server's version. Version is the number alone
// ("15.20"); Edition is the build the server names in parentheses ("Debian
// 15.20-0+deb12u1"), or "PostgreSQL" when it names none: PostgreSQL has no
// editions, but distributions and forks say who built them.
func queryServer(ctx context.Context, conn *pgx.Conn) (serverInfo, error) {
	var full string
	var num int
	err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int`).Scan(&full, &num)
	if err != nil {
		return serverInfo{}, classify(ctx, "server version", err)
	}
	version, edition, _ := strings.Cut(full, " ")
	edition = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(edition), "("), ")")
	if edition == "" {
		edition = "PostgreSQL"
	}
	return serverInfo{ServerInfo: database.ServerInfo{Engine: engineName, Version: version, Edition: edition}, num: num}, nil
}

// Test connects to the maintenance database and reports the server.
func (e *engine) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	s, err := newSession(cfg)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer s.Close()
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	info, err := queryServer(ctx, conn)
	return info.ServerInfo, err
}

// ListDatabases lists the databases that are neither templates nor closed to
// connections (datallowconn false: pg_dump could not connect to them). A
// database the user may not connect to is listed with size -1, because
// pg_database_size refuses it.
func (e *engine) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	conn, err := s.connect(ctx, s.maintenance)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `
		SELECT datname,
		       CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid) ELSE -1 END
		FROM pg_database
		WHERE NOT datistemplate AND datallowconn
		ORDER BY datname`)
	if err != nil {
		return nil, classify(ctx, "list databases", err)
	}
	dbs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (database.DatabaseInfo, error) {
		var d database.DatabaseInfo
		return d, r.Scan(&d.Name, &d.SizeBytes)
	})
	if err != nil {
		return nil, classify(ctx, "list databases", err)
	}
	if includeGlobals(cfg) {
		return globalsEntry(dbs)
	}
	return dbs, nil
}

// dbInfo is what a dump records of its database so that a restore can
// recreate it alike.
type dbInfo struct {
	encoding, collate, ctype string
}

// lookupDatabase reads name's catalogue entry; a missing database is
// spec.ErrNotFound.
func lookupDatabase(ctx context.Context, conn *pgx.Conn, name string) (dbInfo, error) {
	var d dbInfo
	var allow bool
	err := conn.QueryRow(ctx, `
		SELECT pg_encoding_to_char(encoding), datcollate, datctype, datallowconn
		FROM pg_database WHERE datname = $1`, name).Scan(&d.encoding, &d.collate, &d.ctype, &allow)
	switch {
	case err == pgx.ErrNoRows:
		return d, fmt.Errorf("database %q does not exist: %w", name, spec.ErrNotFound)
	case err != nil:
		return d, classify(ctx, fmt.Sprintf("database %q", name), err)
	case !allow:
		return d, fmt.Errorf("database %q does not allow connections (datallowconn is false)", name)
	}
	return d, nil
}
