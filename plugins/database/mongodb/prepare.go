package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// PrepareRestore checks, changing nothing, that the dump can be restored into
// the target: engine and format, server versions, the tool for an archive,
// and whether the target is empty (or drop=true allows replacing).
func (e *engine) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	ro, err := parseRestoreOptions(req.Options)
	if err != nil {
		return database.RestorePlan{}, err
	}
	target := targetName(req)
	if err := checkDatabaseName(target); err != nil {
		return database.RestorePlan{}, err
	}
	client, _, err := connect(ctx, withPrivileged(cfg, req.Privileged))
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer disconnect(client)
	srv, err := queryServer(ctx, client)
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan := database.RestorePlan{TargetServer: srv, Problems: sourceProblems(req.Source, srv)}
	existing, err := collectionNames(ctx, client.Database(target))
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan.TargetExists = len(existing) > 0
	switch {
	case plan.TargetExists && !ro.drop:
		plan.Problems = append(plan.Problems, fmt.Sprintf("database %q is not empty (it holds %s): choose an empty database, or restore with the option drop=true to replace the dump's collections", target, listNames(existing)))
	case plan.TargetExists:
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("database %q holds %s: the dump's collections and views are dropped and recreated; others are kept", target, listNames(existing)))
	}
	return plan, nil
}

// sourceProblems lists what forbids restoring a dump with header h into srv.
func sourceProblems(h database.DumpHeader, srv database.ServerInfo) []string {
	if h.Server.Engine != engineName {
		return []string{fmt.Sprintf("the dump comes from engine %q, not %q", h.Server.Engine, engineName)}
	}
	var problems []string
	switch h.Format {
	case formatNative:
		if v := h.Metadata[metaStreamVersion]; v != "" && v != "1" {
			problems = append(problems, fmt.Sprintf("the dump is a native stream of version %s; this plugin reads version 1", v))
		}
	case formatArchive:
		if _, err := exec.LookPath("mongorestore"); err != nil {
			problems = append(problems, "the dump is a mongodump archive and mongorestore is not installed beside the plugin")
		}
	default:
		problems = append(problems, fmt.Sprintf("the dump's format is %q; this plugin restores %q and %q", h.Format, formatNative, formatArchive))
	}
	dm, dok := versionMajor(h.Server.Version)
	tm, tok := versionMajor(srv.Version)
	switch {
	case !dok:
		problems = append(problems, fmt.Sprintf("the dump names no readable server version (%q)", h.Server.Version))
	case tok && dm > tm:
		problems = append(problems, fmt.Sprintf("the dump comes from MongoDB %s, newer than the target server (%s): its collection and index options may not exist there; restore into MongoDB %d or newer", h.Server.Version, srv.Version, dm))
	}
	return problems
}

// versionMajor reads the major of "7.0.14".
func versionMajor(v string) (int, bool) {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	return n, err == nil && n > 0
}
