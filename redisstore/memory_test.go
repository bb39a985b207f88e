package redisstore_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// memoryUnder returns how many keys start with p and the bytes they take
// in Redis, by MEMORY USAGE (every element counted: SAMPLES 0).
func memoryUnder(ctx context.Context, t testing.TB, c *redis.Client, p string) (keys []string, bytes int64) {
	t.Helper()
	keys, err := keysUnder(ctx, c, p)
	if err != nil {
		t.Fatal(err)
	}
	pipe := c.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.MemoryUsage(ctx, k, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range cmds {
		bytes += cmd.Val()
	}
	slices.Sort(keys)
	return keys, bytes
}

// usedMemory returns used_memory of INFO memory.
func usedMemory(ctx context.Context, t testing.TB, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no used_memory in INFO memory:\n%s", info)
	return 0
}

// heapAlloc returns the bytes of the Go heap still in use after a
// collection.
func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestMemoryPerOpenCall opens many calls of a flow of testdata through a
// Tracker on a CallStore and measures what each open call takes in Redis
// (a server of its own, that nothing else uses): used_memory and the
// MEMORY USAGE of every key of the store, each at most maxRedisPerEvent
// per event plus maxRedisPerCall. It compares them with
// the EventSize the budgets count and with the Go heap the memory store
// takes for the same calls. Then it flushes the calls and checks that
// the store keeps nothing of them but the ids of emitted calls, which go
// at the quiet period. It opens 1,000 calls of a typical call (a ring
// group answered: 5 events); with TELHOOK_LONG set, the default
// WithMaxOpenCalls, 10,000 calls, of that one, the largest flow (an
// attended transfer, 10 events) and the smallest (2). Its figures are the
// package doc's:
//
//	TELHOOK_LONG=1 TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -run TestMemoryPerOpenCall -v
func TestMemoryPerOpenCall(t *testing.T) {
	// The ceilings: Redis 7.0 takes about 1,700 bytes a call and 240 an
	// event (see the package doc); these leave a third to a half again, so
	// that only a real regression fails.
	const (
		maxRedisPerEvent = 400 // bytes
		maxRedisPerCall  = 2600
	)
	n, flows := 1000, []string{"05-ringgroup-answered"}
	if testfix.Long() {
		n, flows = 10000, append(flows, "02-attended-transfer", "10-outbound-unanswered")
	}
	c := startServer(t, false).client()
	ctx := context.Background()
	const quiet = time.Second
	opts := []pbx3cx.TrackerOption{pbx3cx.WithSettle(time.Hour), pbx3cx.WithQuietPeriod(quiet)}
	for _, flow := range flows {
		t.Run(flow, func(t *testing.T) {
			evs := flowEvents(t, flow)
			p := newPrefix(t, c)
			store := redisstore.NewCallStore(c, redisstore.WithPrefix(p))
			var emitted sink
			tr := pbx3cx.NewTracker(emitted.emit, append(opts, pbx3cx.WithCallStore(store))...)
			mem := pbx3cx.NewTracker(nil, opts...)

			heapBefore := heapAlloc()
			for i := range n {
				for _, ev := range renamed(evs, i) {
					mem.Add(&ev)
				}
			}
			heapPerCall := float64(heapAlloc()-heapBefore) / float64(n)
			memStats := mem.Stats()
			runtime.KeepAlive(mem)

			usedBefore := usedMemory(ctx, t, c)
			for i := range n {
				for _, ev := range renamed(evs, i) {
					if err := tr.AddContext(ctx, &ev); err != nil {
						t.Fatal(err)
					}
				}
			}
			usedPerCall := float64(usedMemory(ctx, t, c)-usedBefore) / float64(n)
			keys, bytes := memoryUnder(ctx, t, c, p)
			perCall := float64(bytes) / float64(n)
			stats := tr.Stats()
			if stats.Open != n || memStats.Open != n || stats.Bytes != memStats.Bytes {
				t.Fatalf("open calls %d on Redis, %d in memory, bytes %d and %d: want %d open and the same bytes",
					stats.Open, memStats.Open, stats.Bytes, memStats.Bytes, n)
			}
			eventSize := float64(stats.Bytes) / float64(n)
			t.Logf("%s: %d open calls of %d events, EventSize %.0f bytes a call: Redis MEMORY USAGE %.0f bytes a call "+
				"(%.2f× EventSize; used_memory %.0f), %.1f keys a call; the memory store: Go heap %.0f bytes a call (%.2f× EventSize)",
				flow, n, len(evs), eventSize, perCall, perCall/eventSize, usedPerCall,
				float64(len(keys))/float64(n), heapPerCall, heapPerCall/eventSize)
			ceiling := float64(maxRedisPerEvent*len(evs) + maxRedisPerCall)
			if perCall > ceiling || usedPerCall > ceiling {
				t.Errorf("an open call of %d events takes %.0f bytes in Redis (used_memory: %.0f), over the ceiling of %.0f",
					len(evs), perCall, usedPerCall, ceiling)
			}

			tr.Flush()
			if len(emitted.calls) != n {
				t.Fatalf("Flush emitted %d calls, want %d", len(emitted.calls), n)
			}
			keys, bytes = memoryUnder(ctx, t, c, p)
			want := []string{p + "{tracker}:gone", p + "{tracker}:seq", p + "{tracker}:stat"}
			if !slices.Equal(keys, want) {
				t.Fatalf("keys after Flush: %d (%.10q…), want only %q", len(keys), keys, want)
			}
			t.Logf("%s: after Flush, %d bytes: the ids of the emitted calls, %.0f bytes each, kept for the quiet period",
				flow, bytes, float64(bytes)/float64(n))
			time.Sleep(quiet)
			tr.Sweep(time.Now()) // forgets the ids whose quiet period is over
			if keys, bytes = memoryUnder(ctx, t, c, p); len(keys) != 2 || bytes > 500 {
				t.Errorf("after the quiet period, %d keys of %d bytes (%q), want only the counter and the (empty) stats", len(keys), bytes, keys)
			}
			if u, err := store.Usage(ctx); err != nil || u != (pbx3cx.StoreUsage{}) {
				t.Errorf("Usage after Flush: %+v, %v; want nothing open", u, err)
			}
		})
	}
}
