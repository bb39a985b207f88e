package redisstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// boundLimits are the default limits of a Tracker, with a settle time
// short enough for every call to be due at once.
func boundLimits() pbx3cx.StoreLimits {
	return pbx3cx.StoreLimits{
		Settle: time.Millisecond, Quiet: time.Hour, Lease: time.Minute, MaxOpenCalls: 10000,
		MaxCallEvents: 256, MaxCallBytes: 64 << 10, MaxBytes: 64 << 20,
	}
}

// openCalls opens n calls in s, "b_0" to "b_<n-1>", each a ringing event
// from one caller to one user, and returns their ids, sorted.
func openCalls(t *testing.T, s pbx3cx.CallStore, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				ids[i] = fmt.Sprint("b_", i)
				ev := &pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: "05552221133", User: "800", UserType: "queue", ID: ids[i] + "-0"}
				if res, err := s.Append(context.Background(), ev, time.Now(), boundLimits()); err != nil || res.Outcome != pbx3cx.AppendKept || len(res.Evict) != 0 {
					t.Errorf("Append(%s) = %+v, %v; want it kept, nothing evicted", ev.ID, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(ids)
	return ids
}

func dueIDs(due []pbx3cx.DueCall) []string {
	var ids []string
	for _, d := range due {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestDueBatches checks that Due, which reads the calls in batches of 500
// wakes, one script each, returns every due call once however the wakes
// fall: all different, all equal (ties beyond a batch, as when one Append
// claims many calls to make room), or in groups across the batches.
func TestDueBatches(t *testing.T) {
	c := newClient(t)
	const n = 1234
	tests := []struct {
		reason string
		wake   func(i int) int // the wake of call i, in µs after the first, or -1: as Append set it
	}{
		{"every wake different, as Append sets them", func(int) int { return -1 }},
		{"every wake equal: ties across every batch", func(int) int { return 0 }},
		{"groups of 300 equal wakes, across the batch boundaries", func(i int) int { return i / 300 }},
		{"groups of 2", func(i int) int { return i / 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			p := newPrefix(t, c)
			s := redisstore.NewCallStore(c, redisstore.WithPrefix(p))
			ids := openCalls(t, s, n)
			if tt.wake(0) >= 0 {
				// Set the wakes as the scripts keep them: Unix µs in the past.
				base := time.Now().Add(-time.Second).UnixMicro()
				zs := make([]redis.Z, n)
				for i, id := range ids {
					zs[i] = redis.Z{Score: float64(base + int64(tt.wake(i))), Member: id}
				}
				if err := c.ZAdd(context.Background(), p+"{tracker}:wake", zs...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(5 * time.Millisecond) // past every call's settle time
			for _, all := range []bool{false, true} {
				_, due, err := s.Due(context.Background(), time.Now(), all)
				if err != nil {
					t.Fatal(err)
				}
				if len(due) != n {
					t.Errorf("Due(all %v) returned %d calls, want %d", all, len(due), n)
				}
				if diff := cmp.Diff(ids, dueIDs(due)); diff != "" {
					t.Errorf("Due(all %v) (-want +got):\n%s", all, diff)
				}
			}
		})
	}
}

// TestScriptsBounded opens the default WithMaxOpenCalls, 10,000 calls,
// all due and all ringing from one caller to one queue, on a Redis of its
// own, and measures on the server (SLOWLOG) how long each script of Due,
// of Due for every call (Flush) and of Candidates for that caller and
// queue runs: Redis runs one script at a time, so the longest is how long
// every other client of the Redis, every instance, waits. One script over
// all of them took 35 to 45 ms; in batches of 500 calls each takes about
// 2 ms, well under maxScript. Its figures are the package doc's:
//
//	TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -run TestScriptsBounded -v
func TestScriptsBounded(t *testing.T) {
	const (
		n         = 10000
		maxScript = 10 * time.Millisecond
	)
	c := startServer(t, false).client()
	ctx := context.Background()
	s := redisstore.NewCallStore(c)
	ids := openCalls(t, s, n)
	time.Sleep(5 * time.Millisecond) // past every call's settle time
	// Log every command, the scripts' own included (the scripts are
	// told apart by their name), and keep them all.
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "0"}, {"slowlog-max-len", "1000000"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		call func() ([]string, error)
	}{
		{"Due", func() ([]string, error) {
			_, due, err := s.Due(ctx, time.Now(), false)
			return dueIDs(due), err
		}},
		{"Due, every call", func() ([]string, error) {
			_, due, err := s.Due(ctx, time.Now(), true)
			return dueIDs(due), err
		}},
		{"Candidates", func() ([]string, error) {
			refs, err := s.Candidates(ctx, "05552221133", "800")
			var ids []string
			for _, r := range refs {
				ids = append(ids, r.ID)
			}
			slices.Sort(ids)
			return ids, err
		}},
	}
	for _, tt := range tests {
		if err := c.SlowLogReset(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got, err := tt.call()
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("%s: the calls (-want +got):\n%s", tt.name, diff)
		}
		log, err := c.SlowLogGet(ctx, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		var scripts []time.Duration
		for _, e := range log {
			if len(e.Args) > 0 && (strings.EqualFold(e.Args[0], "evalsha") || strings.EqualFold(e.Args[0], "eval")) {
				scripts = append(scripts, e.Duration)
			}
		}
		slices.Sort(scripts)
		if len(scripts) == 0 {
			t.Fatalf("%s: no script in the slow log", tt.name)
		}
		longest, median := scripts[len(scripts)-1], scripts[len(scripts)/2]
		t.Logf("%s of %d calls: %d scripts, the longest %v on the server (median %v); %v in all, on the client",
			tt.name, n, len(scripts), longest, median, took.Round(time.Millisecond))
		if longest > maxScript {
			t.Errorf("%s: a script ran %v on the server, holding every client of the Redis; want at most %v", tt.name, longest, maxScript)
		}
	}
}
