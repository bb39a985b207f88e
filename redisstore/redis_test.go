package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The tests of this package run against a real Redis, at the address in
// TELHOOK_REDIS_ADDR (host:port, or the path of a unix socket). Without
// it they skip, except under CI=true, where they fail: CI must never skip
// them silently. Start one with
//
//	redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
//	TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -race ./...
//
// Each test works under a prefix of its own and deletes its keys when it
// ends, so tests never see each other's keys.

// redisOptions returns the options of a client on TELHOOK_REDIS_ADDR, or
// skips t (fails it under CI=true) when it is not set.
func redisOptions(t testing.TB) *redis.Options {
	t.Helper()
	addr := os.Getenv("TELHOOK_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TELHOOK_REDIS_ADDR is not set, and CI=true: CI must run the Redis tests (.ci/run starts redis-server)")
		}
		t.Skip("TELHOOK_REDIS_ADDR is not set: no Redis to test against")
	}
	o := &redis.Options{Addr: addr, ContextTimeoutEnabled: true}
	if strings.HasPrefix(addr, "/") {
		o.Network = "unix"
	}
	return o
}

// newClient returns a client on TELHOOK_REDIS_ADDR that t closes when it
// ends; it fails t when Redis does not answer.
func newClient(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(redisOptions(t))
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at TELHOOK_REDIS_ADDR=%s does not answer: %v", os.Getenv("TELHOOK_REDIS_ADDR"), err)
	}
	return c
}

// newPrefix returns a prefix no other test uses, and deletes every key
// under it when t ends.
func newPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := "telhook-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := keysUnder(ctx, c, p)
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("deleting the keys under %s: %v", p, err)
		}
	})
	return p
}

// keysUnder returns every key that starts with p.
func keysUnder(ctx context.Context, c *redis.Client, p string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, escapeGlob(p)+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// escapeGlob escapes the characters special in a SCAN MATCH pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// closedAddr returns a localhost address that refuses connections: a port
// that was just free.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
