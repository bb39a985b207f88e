package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// The tests in this file run the receiver against a real Redis, at the
// address in TELHOOK_REDIS_ADDR (host:port). Without it they skip, except
// under CI=true, where they fail: CI must never skip them silently
// (.ci/run starts a redis-server).

// redisPrefix returns the address of the test Redis and a key prefix no
// other test uses; every key under it is deleted when t ends.
func redisPrefix(t *testing.T) (addr, prefix string, c *redis.Client) {
	t.Helper()
	addr = os.Getenv("TELHOOK_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TELHOOK_REDIS_ADDR is not set, and CI=true: CI must run the Redis tests (.ci/run starts redis-server)")
		}
		t.Skip("TELHOOK_REDIS_ADDR is not set: no Redis to test against")
	}
	c = redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix = "telhook-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator() // hex and ':' need no escaping
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		err := iter.Err()
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("deleting the keys under %s: %v", prefix, err)
		}
	})
	return addr, prefix, c
}

// post sends req to the receiver at base and returns the status.
func post(t *testing.T, base string, req replay.Request) int {
	t.Helper()
	hr, err := req.HTTP(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(hr.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %v", req.Fixture, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// printed is what receivers printed, split into single events and whole
// 3CX calls (see lines), each sorted: a line printed twice shows as a
// difference.
func printed(t *testing.T, outs ...*syncBuffer) (events, calls []string) {
	t.Helper()
	for _, out := range outs {
		ev, c := lines(t, out)
		events, calls = append(events, ev...), append(calls, c...)
	}
	slices.Sort(events)
	slices.Sort(calls)
	return events, calls
}

// TestTwoReceiversOneRedis runs two instances of the receiver with -redis
// on one Redis, as behind a load balancer, and holds them to what one
// receiver alone, in memory, prints for the same webhooks: every webhook
// handled once whichever instance its deliveries reach, and each whole
// 3CX call printed once, by one of them, equal to the one receiver's.
func TestTwoReceiversOneRedis(t *testing.T) {
	addr, prefix, c := redisPrefix(t)
	const quiet = "3s" // calls that never end are printed 3 s after their last event

	t.Run("3CX flows, alternating, each event again on the other", func(t *testing.T) {
		reqs, err := replay.Load(filepath.Join("..", "..", "testdata"), "pbx3cx/flows")
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) < 50 {
			t.Fatalf("only %d 3CX flow events in testdata", len(reqs))
		}
		prefix := prefix + "flows:"
		one, oneOut, stopOne := start(t, "-pbx3cx-quiet", quiet)
		var bases [2]string
		var outs [2]*syncBuffer
		var stops [2]func()
		for i := range bases {
			bases[i], outs[i], stops[i] = start(t, "-pbx3cx-quiet", quiet, "-redis", addr, "-redis-prefix", prefix)
		}
		for i, req := range reqs {
			want := post(t, one, req)
			if got := post(t, bases[i%2], req); got != want {
				t.Errorf("%s: answered %d, one receiver %d", req.Fixture, got, want)
			}
			if got := post(t, bases[1-i%2], req); got != want {
				t.Errorf("%s sent again, to the other receiver: answered %d, one receiver %d the first time", req.Fixture, got, want)
			}
		}
		// Every receiver prints its calls when they are due, the last 3 s
		// after their last event (the one receiver would print its open
		// calls when it stops, Complete as computed then; the two leave
		// theirs in Redis): wait until none is open in Redis and the one
		// receiver printed as many calls as the two.
		store := redisstore.NewCallStore(c, redisstore.WithPrefix(prefix))
		deadline := time.Now().Add(30 * time.Second)
		for {
			u, err := store.Usage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, want := printed(t, oneOut)
			_, got := printed(t, outs[0], outs[1])
			if u == (pbx3cx.StoreUsage{}) && len(got) == len(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("30 s after the last event: %+v open in Redis, %d calls printed by the two, %d by the one", u, len(got), len(want))
			}
			time.Sleep(100 * time.Millisecond)
		}
		stopOne()
		for _, stop := range stops {
			stop()
		}

		wantEvents, wantCalls := printed(t, oneOut)
		gotEvents, gotCalls := printed(t, outs[0], outs[1])
		if len(wantCalls) == 0 || len(wantEvents) == 0 {
			t.Fatalf("one receiver printed %d events and %d whole calls", len(wantEvents), len(wantCalls))
		}
		if diff := cmp.Diff(wantCalls, gotCalls); diff != "" {
			t.Errorf("whole calls printed by the two receivers together differ from one receiver's (-one +two):\n%s", diff)
		}
		if diff := cmp.Diff(wantEvents, gotEvents); diff != "" {
			t.Errorf("events printed by the two receivers together differ from one receiver's (-one +two):\n%s", diff)
		}
		for i, out := range outs {
			if _, calls := printed(t, out); len(calls) == 0 {
				t.Logf("receiver %d printed no whole call (the other printed them all)", i)
			}
		}
		t.Logf("%d webhooks, each sent to both receivers: %d events and %d whole calls printed", len(reqs), len(gotEvents), len(gotCalls))
	})

	t.Run("SMS retried on the other receiver", func(t *testing.T) {
		sms, err := replay.Load(filepath.Join("..", "..", "testdata"), "elks/sms-docs.form")
		if err != nil || len(sms) != 1 {
			t.Fatalf("elks/sms-docs.form: %d requests, %v; want 1", len(sms), err)
		}
		prefix := prefix + "sms:"
		a, outA, _ := start(t, "-redis", addr, "-redis-prefix", prefix)
		b, outB, _ := start(t, "-redis", addr, "-redis-prefix", prefix)
		if got := post(t, a, sms[0]); got/100 != 2 {
			t.Fatalf("first delivery, to A: %d", got)
		}
		if got := post(t, b, sms[0]); got/100 != 2 {
			t.Errorf("the retry, to B: %d, want it acknowledged", got)
		}
		evA, _ := printed(t, outA)
		evB, _ := printed(t, outB)
		if len(evA) != 1 || len(evB) != 0 {
			t.Errorf("printed: A %d, B %d lines; want the SMS printed by A only", len(evA), len(evB))
		}
	})
}

// TestRedisRefusedAtStart: the receiver does not start on a Redis that
// does not answer, and says which address it tried; the error does not
// repeat a password given in the URL.
func TestRedisRefusedAtStart(t *testing.T) {
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, tc := range []struct{ arg, want string }{
		{closed, "-redis: Redis at " + closed + " does not answer"},
		{"redis://:hunter2@" + closed + "/0", "-redis: Redis at " + closed + " does not answer"},
		{"redis://:hunter2@" + closed + "/notadb", "-redis: "},
	} {
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-redis", tc.arg}, io.Discard, io.Discard, func(string) { t.Errorf("-redis %s: the receiver started", tc.arg) })
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("-redis %s: %v, want an error starting %q without the password", tc.arg, err, tc.want)
		}
	}
}

// TestReceiverRedisHung: while Redis does not answer (every client paused),
// the receiver answers within its call timeouts (1 s per Redis call, the
// requests having no deadline of their own): a 3CX event it cannot record
// gets 500, so that it is sent again, and is tracked once Redis answers;
// an SMS is handled without de-duplication, and the log says so.
func TestReceiverRedisHung(t *testing.T) {
	addr, prefix, admin := redisPrefix(t)
	load := func(pattern string) replay.Request {
		reqs, err := replay.Load(filepath.Join("..", "..", "testdata"), pattern)
		if err != nil || len(reqs) == 0 {
			t.Fatalf("%s: %d requests, %v", pattern, len(reqs), err)
		}
		return reqs[0]
	}
	pbx, sms := load("pbx3cx/flows/01-queue-answered.txt"), load("elks/sms-docs.form")
	logs := &syncBuffer{}
	base, out, _ := startLogging(t, logs, "-redis", addr, "-redis-prefix", prefix)

	const paused = 5 * time.Second
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", paused.Milliseconds(), "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	timed := func(req replay.Request) (int, time.Duration) {
		start := time.Now()
		status := post(t, base, req)
		return status, time.Since(start)
	}
	pbxStatus, pbxTook := timed(pbx)
	smsStatus, smsTook := timed(sms)
	t.Logf("Redis hung: 3CX event %d after %v; SMS %d after %v", pbxStatus, pbxTook.Round(time.Millisecond), smsStatus, smsTook.Round(time.Millisecond))
	if pbxStatus != http.StatusInternalServerError {
		t.Errorf("3CX event while Redis hangs: %d, want 500", pbxStatus)
	}
	if smsStatus/100 != 2 {
		t.Errorf("SMS while Redis hangs: %d, want it handled (de-duplication fails open)", smsStatus)
	}
	// Each waits out a call timeout for its de-duplication claim, which
	// fails (so there is no claim to release); the 3CX event then one more
	// for the tracker's append. The race detector and a busy machine add to
	// every wait.
	for _, c := range []struct {
		what       string
		took, want time.Duration
	}{{"3CX event", pbxTook, 2 * time.Second}, {"SMS", smsTook, time.Second}} {
		if c.took < c.want-50*time.Millisecond || c.took > c.want+700*time.Millisecond {
			t.Errorf("%s while Redis hangs: answered after %v, want about %v", c.what, c.took, c.want)
		}
	}
	if !strings.Contains(logs.String(), "deduplicator failed; handling the webhook anyway") {
		t.Errorf("the log does not say that de-duplication failed:\n%s", logs)
	}
	if ev, _ := printed(t, out); len(ev) != 1 || !strings.Contains(ev[0], `"provider":"elks"`) {
		t.Errorf("printed while Redis hangs: %q, want the SMS only", ev)
	}

	// Once Redis answers, the 3CX event sent again is tracked.
	ctx, cancel := context.WithTimeout(t.Context(), 2*paused)
	defer cancel()
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := post(t, base, pbx); got != http.StatusOK {
		t.Errorf("the 3CX event sent again once Redis answers: %d, want 200", got)
	}
	u, err := redisstore.NewCallStore(admin, redisstore.WithPrefix(prefix)).Usage(ctx)
	if err != nil || u.Open != 1 {
		t.Errorf("open calls in Redis after the 3CX event was sent again: %+v, %v; want 1", u, err)
	}
}

// TestRedisLog: go-redis' own lines reach the receiver's log as warnings,
// one record each.
func TestRedisLog(t *testing.T) {
	var buf bytes.Buffer
	l := redisLog{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))}
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v\n", 5, "connection refused")
	want := `level=WARN msg="redis: connection pool: failed to dial after 5 attempts: connection refused" from=go-redis` + "\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}
