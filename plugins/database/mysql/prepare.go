package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// optAllowCrossFlavour is the RestoreRequest option that turns a MySQL to
// MariaDB (or back) restore from a problem into a warning.
const optAllowCrossFlavour = "allow-cross-flavour"

// PrepareRestore checks what Restore will need and changes nothing.
func (e *engine) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	c, err := parseConfig(withPrivileged(cfg, req.Privileged))
	if err != nil {
		return database.RestorePlan{}, err
	}
	db, err := open(ctx, c, "")
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer db.Close()
	srv, err := serverInfo(ctx, c, db)
	if err != nil {
		return database.RestorePlan{}, err
	}
	chk, err := checkRestore(ctx, c, db, srv, req)
	if err != nil {
		return database.RestorePlan{}, err
	}
	return database.RestorePlan{TargetServer: srv, TargetExists: chk.exists, Problems: chk.problems, Warnings: chk.warnings}, nil
}

// restoreCheck is what PrepareRestore reports and Restore refuses on.
type restoreCheck struct {
	target             string
	exists             bool
	problems, warnings []string
}

// targetOf is the database a request restores into: the source's name when
// no mapping is given.
func targetOf(req database.RestoreRequest) string {
	if req.TargetDatabase != "" {
		return req.TargetDatabase
	}
	return req.Source.Database
}

func checkRestore(ctx context.Context, c conn, db *sql.DB, srv database.ServerInfo, req database.RestoreRequest) (restoreCheck, error) {
	chk := restoreCheck{target: targetOf(req)}
	src := req.Source
	if err := checkName("database", chk.target); err != nil {
		chk.problems = append(chk.problems, err.Error())
		return chk, nil
	}
	if src.Format != "" && src.Format != formatSQL {
		chk.problems = append(chk.problems, fmt.Sprintf("the dump's format is %q, not this plugin's %q", src.Format, formatSQL))
	}
	// MySQL and MariaDB dumps each use syntax and collations the other lacks
	// (utf8mb4_0900_ai_ci, sequences, JSON as LONGTEXT...): such a restore
	// typically fails half-way, so it is refused unless asked for.
	if src.Server.Engine != "" && src.Server.Engine != srv.Engine {
		msg := fmt.Sprintf("the dump comes from %s %s, the target is %s %s", src.Server.Engine, src.Server.Version, srv.Engine, srv.Version)
		if req.Options[optAllowCrossFlavour] == "true" {
			chk.warnings = append(chk.warnings, msg+": objects the target does not know will make the restore fail")
		} else if src.Server.Engine == engineMySQL || src.Server.Engine == engineMariaDB {
			chk.problems = append(chk.problems, msg+fmt.Sprintf(": set restore option %s=true to try anyway", optAllowCrossFlavour))
		} else {
			chk.problems = append(chk.problems, msg)
		}
	}
	// Never a newer dump into an older server: a newer minor release may
	// write syntax the older one rejects. A newer patch release does not.
	if src.Server.Version != "" && src.Server.Engine == srv.Engine {
		switch cmpVersion(src.Server.Version, srv.Version, 2) {
		case 1:
			chk.problems = append(chk.problems, fmt.Sprintf("the dump comes from %s %s, newer than the target's %s", srv.Engine, src.Server.Version, srv.Version))
		case 0:
			if cmpVersion(src.Server.Version, srv.Version, 3) > 0 {
				chk.warnings = append(chk.warnings, fmt.Sprintf("the dump comes from %s %s, a newer patch release than the target's %s", srv.Engine, src.Server.Version, srv.Version))
			}
		}
	}
	if _, err := lookupSchema(ctx, c, db, chk.target); err == nil {
		chk.exists = true
		chk.warnings = append(chk.warnings, fmt.Sprintf("database %q exists: its tables, views, routines, triggers and events named in the dump are replaced; its other objects are kept", chk.target))
	} else if !isNotFound(err) {
		return chk, err
	}
	ok, err := canCreate(ctx, c, db, chk.target)
	if err != nil {
		return chk, err
	}
	if !ok {
		chk.problems = append(chk.problems, fmt.Sprintf("user %q has no CREATE privilege on database %q: give privileged credentials or grant it", c.user, chk.target))
	}
	return chk, nil
}

// canCreate reports whether the connected account holds CREATE globally or
// on the target database (directly, by a wildcard grant or through its
// current role). It reads information_schema, which shows an account its own
// grants.
func canCreate(ctx context.Context, c conn, db *sql.DB, target string) (bool, error) {
	const grantee = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`
	var role sql.NullString
	_ = db.QueryRowContext(ctx, "SELECT CURRENT_ROLE()").Scan(&role) // MySQL < 8 has no roles
	roleGrantee := "'" + strings.Trim(role.String, "`'") + "'"
	if i := strings.Index(role.String, "@"); i >= 0 { // MySQL 8: `r`@`%`
		roleGrantee = "'" + strings.Trim(role.String[:i], "`'") + "'@'" + strings.Trim(role.String[i+1:], "`'") + "'"
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
			WHERE PRIVILEGE_TYPE = 'CREATE' AND GRANTEE IN (`+grantee+`, ?)) +
		(SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES
			WHERE PRIVILEGE_TYPE = 'CREATE' AND GRANTEE IN (`+grantee+`, ?) AND ? LIKE TABLE_SCHEMA)`,
		roleGrantee, roleGrantee, target).Scan(&n)
	if err != nil {
		return false, classify(c, err)
	}
	return n > 0, nil
}

// cmpVersion compares the first parts of two dotted versions: -1, 0 or 1.
func cmpVersion(a, b string, parts int) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < parts; i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		switch {
		case x > y:
			return 1
		case x < y:
			return -1
		}
	}
	return 0
}
