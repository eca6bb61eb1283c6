package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// withPrivileged returns cfg with the privileged credentials, when given.
func withPrivileged(cfg, priv spec.Config) spec.Config {
	if len(priv) == 0 {
		return cfg
	}
	out := spec.Config{}
	for k, v := range cfg {
		out[k] = v
	}
	for _, f := range []string{fieldUsername, fieldPassword} {
		if v, ok := priv[f]; ok {
			out[f] = v
		}
	}
	return out
}

// PrepareRestore checks the dump's format and versions against the local
// redis-server (which loads it) and the target (which receives its DUMP
// payloads), and whether the target holds keys. It changes nothing.
func (e *engine) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	c, err := parseConfig(withPrivileged(cfg, req.Privileged))
	if err != nil {
		return database.RestorePlan{}, err
	}
	client, err := open(ctx, c, 0)
	if err != nil {
		return database.RestorePlan{}, err
	}
	defer client.Close()
	in, err := readInfo(ctx, client, "server")
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan := database.RestorePlan{TargetServer: serverInfo(in)}
	t, err := parseTarget(req.TargetDatabase, req.Options)
	if err != nil {
		plan.Problems = append(plan.Problems, err.Error())
		return plan, nil
	}
	ks, err := readInfo(ctx, client, "keyspace")
	if err != nil {
		return plan, err
	}
	keys := t.keysIn(keyspace(ks))
	plan.TargetExists = keys > 0
	if why := t.refusal(keys); why != "" {
		plan.Problems = append(plan.Problems, why)
	} else if keys > 0 && t.flush {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the target %s holds %d keys, which %s=true deletes first", t, keys, optFlush))
	}
	plan.Problems = append(plan.Problems, versionProblems(ctx, req.Source, plan.TargetServer)...)
	return plan, nil
}

// versionProblems refuses another format, a dump the local redis-server
// cannot load and a target older than the local redis-server's payloads.
func versionProblems(ctx context.Context, src database.DumpHeader, tgt database.ServerInfo) []string {
	var out []string
	if src.Format != "" && src.Format != formatRDB {
		out = append(out, fmt.Sprintf("the dump's format is %q, not a Redis snapshot (%q)", src.Format, formatRDB))
	}
	if src.Server.Engine != "" && src.Server.Engine != engineName {
		out = append(out, fmt.Sprintf("the dump comes from engine %q, not %q", src.Server.Engine, engineName))
	}
	_, localFlavour, local, err := localServer(ctx)
	if err != nil {
		return append(out, err.Error())
	}
	localRDB := rdbVersionOf(localFlavour, local)
	if srcRDB, err := strconv.Atoi(src.Metadata[metaRDB]); err == nil && localRDB > 0 && srcRDB > localRDB {
		out = append(out, fmt.Sprintf("the dump is RDB version %d (%s %s), newer than the local redis-server %s loads (RDB %d): install a newer redis-server beside the plugin",
			srcRDB, src.Server.Edition, src.Server.Version, local, localRDB))
	}
	tgtRDB := rdbVersionOf(flavourOf(tgt), tgt.Version)
	if localRDB > 0 && tgtRDB > 0 && tgtRDB < localRDB {
		out = append(out, fmt.Sprintf("the target (%s %s, RDB %d) is older than the local redis-server %s (RDB %d) whose DUMP payloads it would receive",
			tgt.Edition, tgt.Version, tgtRDB, local, localRDB))
	}
	return out
}

// Restore writes the dump to a private directory, loads it into a staging
// redis-server and copies every key into the target.
func (e *engine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	res := database.RestoreResult{TargetDatabase: req.TargetDatabase}
	c, err := parseConfig(withPrivileged(cfg, req.Privileged))
	if err != nil {
		return res, err
	}
	t, err := parseTarget(req.TargetDatabase, req.Options)
	if err != nil {
		return res, err
	}
	res.TargetDatabase = t.String()
	if p := versionProblems(ctx, req.Source, database.ServerInfo{}); len(p) > 0 {
		return res, fmt.Errorf("%s: %w", strings.Join(p, "; "), spec.ErrInvalidArgument)
	}
	// Refuse a non-empty target before reading a byte of the dump.
	if err := checkTarget(ctx, c, t); err != nil {
		return res, err
	}

	dir, err := os.MkdirTemp("", "dbkeep-redis-restore-")
	if err != nil {
		return res, fmt.Errorf("private directory: %w", err)
	}
	defer os.RemoveAll(dir)
	res.BytesRead, err = saveDump(filepath.Join(dir, "dump.rdb"), r, rep)
	if err != nil {
		return res, err
	}
	dbs, _ := strconv.Atoi(req.Source.Metadata[metaDBs])
	rep.Log(spec.LevelInfo, fmt.Sprintf("loading the %d-byte snapshot into a temporary redis-server", res.BytesRead))
	st, err := startStaging(ctx, dir, dbs, rep)
	if err != nil {
		return res, err
	}
	defer st.stop()

	src := st.client(0)
	defer src.Close()
	ks, err := readInfo(ctx, src, "keyspace")
	if err != nil {
		return res, fmt.Errorf("temporary redis-server: %w", err)
	}
	space := keyspace(ks)
	if !t.whole() && len(space) > 1 {
		return res, fmt.Errorf("the dump holds keys in %d logical databases, which cannot all go into %s: restore it as %q: %w",
			len(space), t, instanceName, spec.ErrInvalidArgument)
	}
	var total int64
	for _, n := range space {
		total += n
	}
	// Checked again now: the target may have changed during the download.
	if err := checkTarget(ctx, c, t); err != nil {
		return res, err
	}
	if t.flush {
		if err := flush(ctx, c, t); err != nil {
			return res, err
		}
	}
	cp := &copier{st: st, conn: c, target: t, rep: rep, total: total}
	if err := cp.functions(ctx); err != nil {
		return res, err
	}
	for db := range space {
		if err := cp.database(ctx, db); err != nil {
			return res, err
		}
	}
	rep.Progress(spec.Progress{DoneBytes: res.BytesRead, TotalBytes: res.BytesRead, Stage: "restore"})
	rep.Log(spec.LevelInfo, fmt.Sprintf("restored %d keys into %s", cp.copied, t))
	return res, nil
}

// checkTarget refuses a target that holds keys unless flush or replace is set.
func checkTarget(ctx context.Context, c conn, t target) error {
	client, err := open(ctx, c, 0)
	if err != nil {
		return err
	}
	defer client.Close()
	ks, err := readInfo(ctx, client, "keyspace")
	if err != nil {
		return err
	}
	if why := t.refusal(t.keysIn(keyspace(ks))); why != "" {
		return fmt.Errorf("%s: %w", why, spec.ErrInvalidArgument)
	}
	return nil
}

// flush empties the target: the whole instance or its one database.
func flush(ctx context.Context, c conn, t target) error {
	client, err := open(ctx, c, max(t.db, 0))
	if err != nil {
		return err
	}
	defer client.Close()
	if t.whole() {
		err = client.FlushAll(ctx).Err()
	} else {
		err = client.FlushDB(ctx).Err()
	}
	return classify("empty the target "+t.String(), err)
}

// saveDump writes r to a 0600 file, counting its bytes. The reader's error
// is returned as it is (wrapped), so the caller sees a failed download.
func saveDump(path string, r io.Reader, rep spec.Reporter) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	pw := &progressWriter{w: f, rep: rep, stage: "download"}
	n, err := io.CopyBuffer(pw, onlyReader{r}, make([]byte, spec.ChunkSize))
	if err != nil {
		f.Close()
		return n, fmt.Errorf("read the dump: %w", err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("write the dump: %w", err)
	}
	if n < rdbMagicLen {
		return n, fmt.Errorf("the dump has %d bytes: not an RDB snapshot: %w", n, spec.ErrInvalidArgument)
	}
	return n, nil
}

// isNil reports a reply that says "no such key".
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
