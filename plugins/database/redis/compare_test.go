package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// compareDatabases fails t unless the two logical databases hold the same
// keys with the same types, values, expiries (to the millisecond) and, for
// streams, the same consumer groups and pending entries.
func compareDatabases(t testing.TB, src, dst *redis.Client) {
	t.Helper()
	ctx := context.Background()
	ns, err := src.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	nd, err := dst.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ns != nd {
		t.Errorf("source holds %d keys, target %d", ns, nd)
	}
	var cursor uint64
	seen := 0
	for {
		keys, next, err := src.Scan(ctx, cursor, "", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		a, b := describeKeys(t, src, keys), describeKeys(t, dst, keys)
		for i, k := range keys {
			if a[i] != b[i] {
				seen++
				if seen <= 5 {
					t.Errorf("key %q differs:\nsource %.300s\ntarget %.300s", k, a[i], b[i])
				}
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if seen > 5 {
		t.Errorf("... and %d more keys differ", seen-5)
	}
}

// describeKeys renders each key's type, expiry and value as a string.
func describeKeys(t testing.TB, c *redis.Client, keys []string) []string {
	t.Helper()
	ctx := context.Background()
	types := make([]*redis.StatusCmd, len(keys))
	exp := make([]*redis.Cmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
			exp[i] = p.Do(ctx, "PEXPIRETIME", k)
		}
		return nil
	}); err != nil {
		t.Fatalf("describe keys: %v", err)
	}
	vals := make([][]redis.Cmder, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			switch types[i].Val() {
			case "string":
				vals[i] = []redis.Cmder{p.Get(ctx, k)}
			case "hash":
				vals[i] = []redis.Cmder{p.HGetAll(ctx, k)}
			case "list":
				vals[i] = []redis.Cmder{p.LRange(ctx, k, 0, -1)}
			case "set":
				vals[i] = []redis.Cmder{p.Do(ctx, "SORT", k, "ALPHA")}
			case "zset":
				vals[i] = []redis.Cmder{p.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES")}
			case "stream":
				vals[i] = []redis.Cmder{p.Do(ctx, "XINFO", "STREAM", k, "FULL")}
			}
		}
		return nil
	}); err != nil && err != redis.Nil {
		t.Fatalf("read values: %v", err)
	}
	out := make([]string, len(keys))
	for i := range keys {
		s := fmt.Sprintf("%s exp=%v", types[i].Val(), exp[i].Val())
		for _, v := range vals[i] {
			if c, ok := v.(*redis.Cmd); ok {
				s += fmt.Sprintf(" %q", fmt.Sprint(c.Val()))
			} else {
				s += " " + fmt.Sprint(v)
			}
		}
		out[i] = s
	}
	return out
}
