package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// batchKeys is how many keys travel per pipeline: memory holds at most this
// many DUMP payloads at once (and a single huge key whole).
const batchKeys = 256

// copier moves keys from the staging server into the target with DUMP and
// RESTORE: the payload is the server's own serialisation of the value, so
// every type the staging server loaded (strings, lists, hashes, sets, sorted
// sets, streams with their consumer groups) arrives as it was.
type copier struct {
	st     *staging
	conn   conn
	target target
	rep    spec.Reporter
	total  int64
	copied int64
}

// functions copies the Redis 7 function libraries (FUNCTION DUMP/RESTORE).
// Servers before 7.0 have none; a dump without libraries needs nothing.
func (c *copier) functions(ctx context.Context) error {
	if !c.st.majorAtLeast7() {
		return nil
	}
	src := c.st.client(0)
	defer src.Close()
	libs, err := src.FunctionList(ctx, redis.FunctionListQuery{}).Result()
	if err != nil || len(libs) == 0 {
		return nil
	}
	if !c.target.whole() {
		// Libraries belong to the instance, not to a logical database.
		c.rep.Log(spec.LevelWarn, fmt.Sprintf("the dump holds %d function libraries; they are restored only into a whole instance, not into %s", len(libs), c.target))
		return nil
	}
	payload, err := src.FunctionDump(ctx).Result()
	if err != nil {
		return fmt.Errorf("temporary redis-server: FUNCTION DUMP: %w", err)
	}
	dst, err := open(ctx, c.conn, 0)
	if err != nil {
		return err
	}
	defer dst.Close()
	policy := "APPEND"
	if c.target.flush || c.target.replace {
		policy = "REPLACE"
	}
	if err := dst.Do(ctx, "FUNCTION", "RESTORE", payload, policy).Err(); err != nil {
		return classify("restore the function libraries", err)
	}
	c.rep.Log(spec.LevelInfo, fmt.Sprintf("restored %d function libraries", len(libs)))
	return nil
}

// database copies every key of the staging server's logical database db.
func (c *copier) database(ctx context.Context, db int) error {
	src := c.st.client(db)
	defer src.Close()
	to := db
	if !c.target.whole() {
		to = c.target.db
	}
	dst, err := open(ctx, c.conn, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	var cursor uint64
	for {
		keys, next, err := src.Scan(ctx, cursor, "", batchKeys).Result()
		if err != nil {
			return fmt.Errorf("temporary redis-server: SCAN db%d: %w", db, err)
		}
		for len(keys) > 0 {
			n := min(len(keys), batchKeys)
			if err := c.batch(ctx, src, dst, keys[:n], to); err != nil {
				return err
			}
			keys = keys[n:]
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// batch copies keys: one pipeline of DUMP and expiry reads, one of RESTOREs.
func (c *copier) batch(ctx context.Context, src, dst *redis.Client, keys []string, to int) error {
	dumps := make([]*redis.StringCmd, len(keys))
	expiries := make([]*redis.Cmd, len(keys))
	absolute := c.st.majorAtLeast7()
	_, err := src.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			dumps[i] = p.Dump(ctx, k)
			if absolute {
				expiries[i] = p.Do(ctx, "PEXPIRETIME", k)
			} else {
				expiries[i] = p.Do(ctx, "PTTL", k)
			}
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return fmt.Errorf("temporary redis-server: DUMP: %w", err)
	}
	_, err = dst.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			payload, err := dumps[i].Result()
			if isNil(err) {
				continue // expired since SCAN saw it
			}
			expiry, err := expiries[i].Int64()
			if err != nil {
				return fmt.Errorf("temporary redis-server: expiry of a key: %w", err)
			}
			args := []any{"RESTORE", k, ttlArg(expiry), payload}
			if absolute {
				args = append(args, "ABSTTL")
			}
			if c.target.replace {
				args = append(args, "REPLACE")
			}
			p.Do(ctx, args...)
		}
		return nil
	})
	if err != nil {
		if strings.HasPrefix(err.Error(), "BUSYKEY") {
			return fmt.Errorf("a key of the dump already exists in the target db%d (set the restore option %s=true to overwrite): %w", to, optReplace, spec.ErrInvalidArgument)
		}
		return classify(fmt.Sprintf("RESTORE into db%d", to), err)
	}
	c.copied += int64(len(keys))
	if c.copied%(batchKeys*64) < int64(len(keys)) {
		c.rep.Log(spec.LevelInfo, fmt.Sprintf("restored %d of %d keys", c.copied, c.total))
	}
	return nil
}

// ttlArg turns a PEXPIRETIME (or PTTL) answer into RESTORE's ttl: 0 for no
// expiry (-1), and for a key gone meanwhile (-2) a time already past, so that
// RESTORE creates nothing.
func ttlArg(v int64) int64 {
	switch {
	case v == -1:
		return 0
	case v < 0:
		return 1 // 1 ms after the epoch (ABSTTL) or 1 ms from now (PTTL)
	}
	return v
}
