package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// bulkKeys is the size of the seeded key space: with 100-byte random values
// its snapshot is about 12 MB, more than the transport holds in flight, so
// the kit's cancellation checks see a tool that outlives its dump.
const bulkKeys = 100_000

// awkwardKeys are names a careless implementation would mangle.
var awkwardKeys = []string{
	"clé 🔑 ключ 鍵", "emoji:😀🎉", "--looks-like-an-option", "-", "spaces in name ", "$(touch /tmp/pwned)",
	"'quoted'\"", "\x00binary\xffkey\r\n", "",
}

// seedAwkward fills logical database db of the client's server with every
// value type and encoding Redis has, unicode and binary names and values,
// expiries, and bulk keys.
func seedAwkward(t testing.TB, client *redis.Client, bulk int) {
	t.Helper()
	ctx := context.Background()
	allBytes := make([]byte, 1024)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	rand.Read(big)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range awkwardKeys {
			p.Set(ctx, k, fmt.Sprintf("value %d ✓ värde", i), 0)
		}
		p.Set(ctx, "str:empty", "", 0)
		p.Set(ctx, "str:int", 1234567, 0)
		p.Set(ctx, "str:bytes", allBytes, 0)
		p.Set(ctx, "str:big", big, 0)
		p.Set(ctx, "str:unicode", "Grüße, 世界, مرحبا, 🚀", 0)
		p.HSet(ctx, "hash:small", "f1", "v1", "ünï", "😀", "bin\x00", "\xff\x00", "empty", "")
		for i := 0; i < 1000; i++ {
			p.HSet(ctx, "hash:large", fmt.Sprintf("field-%04d", i), fmt.Sprintf("value-%d", i*i))
			p.RPush(ctx, "list:large", fmt.Sprintf("item-%d", i))
			p.SAdd(ctx, "set:large", fmt.Sprintf("member-%d", i))
			p.ZAdd(ctx, "zset:large", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("m-%d", i)})
		}
		p.RPush(ctx, "list:small", "a", "", "ü", "\x00\x01")
		p.SAdd(ctx, "set:ints", 1, 2, 3, -7, 1<<40)
		p.SAdd(ctx, "set:small", "x", "y", "🍕")
		p.ZAdd(ctx, "zset:small",
			redis.Z{Score: math.Inf(-1), Member: "minus-inf"}, redis.Z{Score: math.Inf(1), Member: "plus-inf"},
			redis.Z{Score: 0.1, Member: "tenth"}, redis.Z{Score: -2.5e-300, Member: "tiny"}, redis.Z{Score: 1e300, Member: "huge"})
		for i := 0; i < 200; i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:events", ID: fmt.Sprintf("%d-%d", 1700000000000+i, i%3),
				Values: []any{"n", i, "who", "ü😀", "bin", "\x00\xff"}})
		}
		p.XGroupCreate(ctx, "stream:events", "workers", "0")
		p.XGroupCreate(ctx, "stream:events", "auditors", "$")
		p.XAdd(ctx, &redis.XAddArgs{Stream: "stream:empty", ID: "1-1", Values: []any{"k", "v"}})
		p.XDel(ctx, "stream:empty", "1-1")
		p.Set(ctx, "ttl:hour", "expires in an hour", time.Hour)
		p.HSet(ctx, "ttl:hash", "a", "b")
		p.PExpire(ctx, "ttl:hash", 36*time.Hour+123*time.Millisecond)
		return nil
	})
	must(err)
	// Pending entries: read some with a consumer, acknowledge part of them.
	res, err := client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "c1", Streams: []string{"stream:events", ">"}, Count: 20}).Result()
	must(err)
	must(client.XAck(ctx, "stream:events", "workers", res[0].Messages[0].ID, res[0].Messages[1].ID).Err())
	seedBulk(t, client, "bulk", bulk)
}

// seedBulk adds n keys of 100 random bytes, one in ten with an expiry.
func seedBulk(t testing.TB, client *redis.Client, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	val := make([]byte, 100)
	for start := 0; start < n; start += 5000 {
		_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(n, start+5000); i++ {
				rand.Read(val)
				ttl := time.Duration(0)
				if i%10 == 0 {
					ttl = 2*time.Hour + time.Duration(i)*time.Millisecond
				}
				p.Set(ctx, fmt.Sprintf("%s:%07d", prefix, i), string(val), ttl)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed bulk keys: %v", err)
		}
	}
}
