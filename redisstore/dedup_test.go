package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
	"github.com/telhook/telhook/redisstore"
)

// run plays steps on two Deduplicators, "a" and "b", each on a client of
// its own (two instances of a receiver), sharing prefix, and returns the
// transcript: each step followed by " = " and what it returned. A step is
// "a claim", "b release handled", "a release failed", "a seen",
// "a forget" or "wait 100ms"; all work on one key.
func run(t *testing.T, steps []string, opts ...redisstore.Option) []string {
	t.Helper()
	c := newClient(t)
	opts = append([]redisstore.Option{redisstore.WithPrefix(newPrefix(t, c))}, opts...)
	ds := map[string]*redisstore.Deduplicator{
		"a": redisstore.NewDeduplicator(c, opts...),
		"b": redisstore.NewDeduplicator(newClient(t), opts...),
	}
	const key = "elks:3:sms33:sf8425555e5d8db61dda7a7b3f1b91bdb"
	ctx := context.Background()
	var got []string
	for _, s := range steps {
		s, _, _ = strings.Cut(s, " = ")
		f := strings.Fields(s)
		var res any
		var err error
		switch {
		case f[0] == "wait":
			d, perr := time.ParseDuration(f[1])
			if perr != nil {
				t.Fatalf("step %q: %v", s, perr)
			}
			time.Sleep(d)
			got = append(got, s)
			continue
		case f[1] == "claim":
			res, err = ds[f[0]].Claim(ctx, key)
		case f[1] == "release":
			err = ds[f[0]].Release(ctx, key, f[2] == "handled")
			res = "ok"
		case f[1] == "seen":
			res, err = ds[f[0]].Seen(ctx, key)
		case f[1] == "forget":
			err = ds[f[0]].Forget(ctx, key)
			res = "ok"
		default:
			t.Fatalf("unknown step %q", s)
		}
		if err != nil {
			res = err
		}
		got = append(got, fmt.Sprintf("%s = %v", s, res))
	}
	return got
}

func TestClaimer(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		steps  []string
	}{{
		name:   "free",
		reason: "a key nobody holds is claimed",
		steps:  []string{"a claim = claimed"},
	}, {
		name:   "in flight here",
		reason: "a claimed key is in flight for another delivery on the same instance",
		steps:  []string{"a claim = claimed", "a claim = in_flight"},
	}, {
		name:   "in flight elsewhere",
		reason: "a claimed key is in flight for the other instance: a retry racing its first delivery is never acknowledged",
		steps:  []string{"a claim = claimed", "b claim = in_flight", "b seen = true"},
	}, {
		name:   "handled",
		reason: "a key released as handled is a duplicate on both instances",
		steps:  []string{"a claim = claimed", "a release handled = ok", "b claim = duplicate", "a claim = duplicate", "b seen = true"},
	}, {
		name:   "failed",
		reason: "a key released as not handled is free again, so the provider's retry is handled",
		steps:  []string{"a claim = claimed", "a release failed = ok", "b claim = claimed", "b release handled = ok", "a claim = duplicate"},
	}, {
		name:   "release by another",
		reason: "only the instance holding a claim can release it: b holds none",
		steps:  []string{"a claim = claimed", "b release failed = ok", "b claim = in_flight"},
	}, {
		name:   "release twice",
		reason: "a second release finds no claim held and changes nothing",
		steps:  []string{"a claim = claimed", "a release handled = ok", "a release failed = ok", "b claim = duplicate"},
	}, {
		name:   "release without claim",
		reason: "a release without a claim does not free a key that was handled",
		steps:  []string{"a seen = false", "a release failed = ok", "a claim = duplicate"},
	}, {
		name:   "seen",
		reason: "Seen marks the key handled at once, for Claim too",
		steps:  []string{"a seen = false", "b seen = true", "b claim = duplicate"},
	}, {
		name:   "seen keeps a claim",
		reason: "Seen of a key in flight reports it seen without taking it from its claim, which still decides",
		steps:  []string{"a claim = claimed", "b seen = true", "a release failed = ok", "b claim = claimed"},
	}, {
		name:   "forget",
		reason: "Forget frees a handled key",
		steps:  []string{"a claim = claimed", "a release handled = ok", "b forget = ok", "b claim = claimed"},
	}, {
		name:   "lease lapses",
		reason: "a claim is a lease: the key of an instance that died is free after it",
		steps:  []string{"a claim = claimed", "wait 150ms", "b claim = claimed"},
	}, {
		name:   "lapsed release keeps the new claim",
		reason: "a's release after its lease lapsed must not free b's claim (compare-and-set on the claim's token)",
		steps:  []string{"a claim = claimed", "wait 150ms", "b claim = claimed", "a release failed = ok", "a claim = in_flight", "a release handled = ok", "a claim = in_flight", "b release handled = ok", "a claim = duplicate"},
	}, {
		name:   "lapsed handled release",
		reason: "a webhook handled after its lease lapsed is still marked done when nobody took the key",
		steps:  []string{"a claim = claimed", "wait 150ms", "a release handled = ok", "b claim = duplicate"},
	}, {
		name:   "reclaimed here",
		reason: "when a lease lapsed and the same instance claimed the key again, the oldest claim is released first and cannot touch the newer one",
		steps:  []string{"a claim = claimed", "wait 150ms", "a claim = claimed", "a release failed = ok", "b claim = in_flight", "a release failed = ok", "b claim = claimed"},
	}, {
		name:   "window",
		reason: "a handled key is forgotten when its window ends",
		steps:  []string{"a claim = claimed", "a release handled = ok", "wait 700ms", "b claim = claimed"},
	}, {
		name:   "window from the claim",
		reason: "the window is counted from the claim, as the memory Deduplicator counts it, not from the release",
		steps:  []string{"a claim = claimed", "wait 400ms", "a release handled = ok", "b claim = duplicate", "wait 300ms", "b claim = claimed"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, tt.steps, redisstore.WithLease(100*time.Millisecond), redisstore.WithTTL(600*time.Millisecond))
			if diff := cmp.Diff(tt.steps, got); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestKeys checks what is stored in Redis: the key under the prefix, its
// values, and how long each lasts.
func TestKeys(t *testing.T) {
	c := newClient(t)
	p := newPrefix(t, c)
	d := redisstore.NewDeduplicator(c, redisstore.WithPrefix(p), redisstore.WithLease(time.Minute), redisstore.WithTTL(time.Hour))
	ctx := context.Background()
	key := "elks:3:sms4:\x00\xff:*" // keys are length-prefixed and may hold any byte
	type state struct {
		Keys  []string
		Value string
		TTL   time.Duration // rounded to the minute; 0 without a key
	}
	read := func() state {
		keys, err := keysUnder(ctx, c, p)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := c.Get(ctx, p+"dedup:"+key).Result()
		if strings.HasPrefix(v, "inflight:") {
			v = "inflight:…"
		}
		ttl, _ := c.PTTL(ctx, p+"dedup:"+key).Result()
		return state{keys, v, max(ttl, 0).Round(time.Minute)}
	}
	tests := []struct {
		reason string
		step   func() error
		want   state
	}{{
		reason: "a claim holds the key as in flight for the lease",
		step:   func() error { _, err := d.Claim(ctx, key); return err },
		want:   state{[]string{p + "dedup:" + key}, "inflight:…", time.Minute},
	}, {
		reason: "a handled release keeps it as done for the window",
		step:   func() error { return d.Release(ctx, key, true) },
		want:   state{[]string{p + "dedup:" + key}, "done", time.Hour},
	}, {
		reason: "Forget deletes it",
		step:   func() error { return d.Forget(ctx, key) },
		want:   state{nil, "", 0},
	}, {
		reason: "Seen stores it as done for the window",
		step:   func() error { _, err := d.Seen(ctx, key); return err },
		want:   state{[]string{p + "dedup:" + key}, "done", time.Hour},
	}}
	for _, tt := range tests {
		if err := tt.step(); err != nil {
			t.Fatalf("%s: %v", tt.reason, err)
		}
		if diff := cmp.Diff(tt.want, read()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
		}
	}
}

// TestInstancesAgree has two instances see the same keys at once: each key
// is new to exactly one of them.
func TestInstancesAgree(t *testing.T) {
	c1, c2 := newClient(t), newClient(t)
	p := newPrefix(t, c1)
	ds := []*redisstore.Deduplicator{
		redisstore.NewDeduplicator(c1, redisstore.WithPrefix(p)),
		redisstore.NewDeduplicator(c2, redisstore.WithPrefix(p)),
	}
	const keys = 200
	var mu sync.Mutex
	newTo := make(map[int]int) // key → how many instances found it new
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() {
			for k := range keys {
				seen, err := d.Seen(context.Background(), fmt.Sprint("key-", k))
				if err != nil {
					t.Error(err)
					return
				}
				if !seen {
					mu.Lock()
					newTo[k]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	want := make(map[int]int)
	for k := range keys {
		want[k] = 1
	}
	if diff := cmp.Diff(want, newTo); diff != "" {
		t.Errorf("times each key was new (-want +got):\n%s", diff)
	}
}

// TestClaimRace has many goroutines on two instances claim the same key at
// once: exactly one gets it, every other one finds it in flight, and once
// it is released as handled all find it a duplicate.
func TestClaimRace(t *testing.T) {
	c1, c2 := newClient(t), newClient(t)
	p := newPrefix(t, c1)
	ds := []*redisstore.Deduplicator{
		redisstore.NewDeduplicator(c1, redisstore.WithPrefix(p)),
		redisstore.NewDeduplicator(c2, redisstore.WithPrefix(p)),
	}
	const goroutines = 64
	for round := range 10 {
		key := fmt.Sprint("race-", round)
		claims := make([]telhook.Claim, goroutines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				<-start
				c, err := ds[i%2].Claim(context.Background(), key)
				if err != nil {
					t.Error(err)
				}
				claims[i] = c
			})
		}
		close(start)
		wg.Wait()
		count := map[telhook.Claim]int{}
		holder := -1
		for i, c := range claims {
			count[c]++
			if c == telhook.Claimed {
				holder = i
			}
		}
		want := map[telhook.Claim]int{telhook.Claimed: 1, telhook.InFlight: goroutines - 1}
		if diff := cmp.Diff(want, count); diff != "" {
			t.Fatalf("round %d: answers (-want +got):\n%s", round, diff)
		}
		if err := ds[holder%2].Release(context.Background(), key, true); err != nil {
			t.Fatal(err)
		}
		for i, d := range ds {
			if c, err := d.Claim(context.Background(), key); c != telhook.Duplicate || err != nil {
				t.Errorf("round %d: instance %d: Claim after the handled release = %v, %v; want duplicate", round, i, c, err)
			}
		}
	}
}

// delivery is how a test's callback ends one delivery.
type delivery struct {
	hold bool // wait until the test lets it go first
	fail bool // return an error
}

var (
	succeed = delivery{}
	fail    = delivery{fail: true}
)

// calls counts the deliveries that reached a callback, of any receiver,
// and tells each how to end.
type calls struct {
	mu      sync.Mutex
	n       int
	plan    []delivery    // how the n-th delivery ends; succeed past its end
	entered chan struct{} // a held delivery reached its callback
	release chan struct{} // lets a held delivery go
}

func newCalls(plan ...delivery) *calls {
	return &calls{plan: plan, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (c *calls) sms(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
	c.mu.Lock()
	c.n++
	d := succeed
	if c.n <= len(c.plan) {
		d = c.plan[c.n-1]
	}
	c.mu.Unlock()
	if d.hold {
		c.entered <- struct{}{}
		<-c.release
	}
	if d.fail {
		return elks.Reply{}, errors.New("database down")
	}
	return elks.Reply{}, nil
}

func (c *calls) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// receiver is one instance of a receiver: an elks handler with the SMS
// callback of cs and a Deduplicator of its own on client c.
func receiver(c redis.UniversalClient, cs *calls, log *slog.Logger, opts ...redisstore.Option) http.Handler {
	return elks.NewHandler(elks.Callbacks{OnSMS: cs.sms},
		telhook.WithDeduplicator(redisstore.NewDeduplicator(c, opts...)), telhook.WithLogger(log))
}

// send delivers the sample SMS to h and returns the status and the
// Retry-After header.
func send(h http.Handler) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, elkstest.NewRequest(elkstest.SMS()))
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		return fmt.Sprintf("%d retry after %s", rec.Code, ra)
	}
	return fmt.Sprint(rec.Code)
}

// twoReceivers returns two instances of a receiver on one Redis, each with
// a client of its own, sharing cs.
func twoReceivers(t *testing.T, cs *calls) (http.Handler, http.Handler) {
	c := newClient(t)
	p := redisstore.WithPrefix(newPrefix(t, c))
	quiet := slog.New(slog.DiscardHandler)
	return receiver(c, cs, quiet, p), receiver(newClient(t), cs, quiet, p)
}

// TestHandler runs an SMS and its retries through two receivers on one
// Redis, each retry landing on the other instance than the delivery
// before it.
func TestHandler(t *testing.T) {
	tests := []struct {
		reason string
		plan   []delivery
		// the answers to the first delivery (instance 1), the retry
		// (instance 2), a second retry (instance 1), then the deliveries
		// that reached a callback
		want []string
	}{{
		reason: "a retry of a handled SMS on the other instance is acknowledged without reaching a callback",
		plan:   []delivery{succeed},
		want:   []string{"204", "204", "204", "1"},
	}, {
		reason: "after a failed first delivery the retry on the other instance is handled",
		plan:   []delivery{fail},
		want:   []string{"500", "204", "204", "2"},
	}, {
		reason: "after two failures the third delivery, on the first instance again, is handled",
		plan:   []delivery{fail, fail},
		want:   []string{"500", "500", "204", "3"},
	}}
	for _, tt := range tests {
		cs := newCalls(tt.plan...)
		r1, r2 := twoReceivers(t, cs)
		got := []string{send(r1), send(r2), send(r1), fmt.Sprint(cs.count())}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s\n[first, retry, retry, callbacks] (-want +got):\n%s", tt.reason, diff)
		}
	}
}

// TestHandlerRetryInFlight sends a retry while the first delivery's
// callback still runs on the other instance.
func TestHandlerRetryInFlight(t *testing.T) {
	tests := []struct {
		reason string
		first  delivery
		// the answers to the racing retry (instance 2), the first delivery
		// (instance 1), a later retry (instance 2), then the deliveries that
		// reached a callback
		want []string
	}{{
		reason: "the racing retry is answered 503, never acknowledged; once the first delivery is handled a retry is a duplicate",
		first:  delivery{hold: true},
		want:   []string{"503 retry after 5", "204", "204", "1"},
	}, {
		reason: "the racing retry is answered 503; the first delivery fails, and a later retry is handled",
		first:  delivery{hold: true, fail: true},
		want:   []string{"503 retry after 5", "500", "204", "2"},
	}}
	for _, tt := range tests {
		cs := newCalls(tt.first)
		r1, r2 := twoReceivers(t, cs)
		first := make(chan string)
		go func() { first <- send(r1) }()
		<-cs.entered
		racing := send(r2)
		close(cs.release)
		got := []string{racing, <-first, send(r2), fmt.Sprint(cs.count())}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s\n[racing retry, first, later retry, callbacks] (-want +got):\n%s", tt.reason, diff)
		}
	}
}

// TestFailOpen points the Deduplicator at a port where no Redis listens:
// the handler still handles every delivery, and logs why it could not
// de-duplicate. Needs no Redis.
func TestFailOpen(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t), ContextTimeoutEnabled: true})
	defer c.Close()
	cs := newCalls()
	r := receiver(c, cs, log, redisstore.WithCallTimeout(200*time.Millisecond))
	start := time.Now()
	got := []string{send(r), send(r), fmt.Sprint(cs.count())}
	took := time.Since(start)
	want := []string{"204", "204", "2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with Redis down every delivery is handled\n[first, retry, callbacks] (-want +got):\n%s", diff)
	}
	if n := strings.Count(logs.String(), "deduplicator failed; handling the webhook anyway"); n != 2 {
		t.Errorf("logged the failure %d times, want 2; log:\n%s", n, &logs)
	}
	if !strings.Contains(logs.String(), "redisstore: claim: ") {
		t.Errorf("the log does not name the failing call; log:\n%s", &logs)
	}
	// Each delivery waits at most the call timeout for Redis.
	if took > 2*200*time.Millisecond+300*time.Millisecond {
		t.Errorf("two deliveries took %v with Redis refused, want at most about 2×200ms", took)
	}
	t.Logf("two deliveries with Redis refused: %v", took)
}

// TestFailureTiming measures how long a Claim waits for a Redis that is
// hung (every client paused with CLIENT PAUSE, on the real server) or
// refuses connections, and checks that it fails (open) when the request's
// deadline or the call timeout comes, whichever is first. Its figures are
// the package doc's:
//
//	TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -run TestFailureTiming -v
func TestFailureTiming(t *testing.T) {
	admin := newClient(t)
	p := newPrefix(t, admin)
	// The pause ends by itself: a paused server blocks CLIENT UNPAUSE from
	// go-redis too. It outlasts every wait below.
	const paused = 700 * time.Millisecond
	tests := []struct {
		reason      string
		fault       string        // "hung" or "refused"
		request     time.Duration // the request's deadline; 0: none
		release     bool          // Release, with the context the handler gives it, instead of Claim
		callTimeout time.Duration
		noCTE       bool          // the client is built without ContextTimeoutEnabled
		readTimeout time.Duration // the client's ReadTimeout; 0: go-redis' default, 5s
		want        time.Duration
	}{{
		reason:      "a hung Redis: Claim gives up at the request's deadline",
		fault:       "hung",
		request:     100 * time.Millisecond,
		callTimeout: time.Second,
		want:        100 * time.Millisecond,
	}, {
		reason:      "a hung Redis and a request without deadline: Claim gives up after the call timeout",
		fault:       "hung",
		callTimeout: 200 * time.Millisecond,
		want:        200 * time.Millisecond,
	}, {
		reason:      "a hung Redis: Release, whose context has no deadline, gives up after the call timeout",
		fault:       "hung",
		release:     true,
		callTimeout: 200 * time.Millisecond,
		want:        200 * time.Millisecond,
	}, {
		reason:      "Redis refuses: Claim gives up at the request's deadline (go-redis redials until then)",
		fault:       "refused",
		request:     100 * time.Millisecond,
		callTimeout: time.Second,
		want:        100 * time.Millisecond,
	}, {
		reason:      "Redis refuses and the request has no deadline: Claim gives up after the call timeout",
		fault:       "refused",
		callTimeout: 200 * time.Millisecond,
		want:        200 * time.Millisecond,
	}, {
		reason:      "a client without ContextTimeoutEnabled ignores the request's deadline: a hung Redis holds the call for the ReadTimeout",
		fault:       "hung",
		request:     100 * time.Millisecond,
		callTimeout: time.Second,
		noCTE:       true,
		readTimeout: 400 * time.Millisecond,
		want:        400 * time.Millisecond,
	}}
	for i, tt := range tests {
		o := redisOptions(t)
		o.ContextTimeoutEnabled = !tt.noCTE
		o.ReadTimeout = tt.readTimeout
		if tt.fault == "refused" {
			o.Addr, o.Network = closedAddr(t), "tcp"
		}
		c := redis.NewClient(o)
		quiet := redisstore.WithLogger(slog.New(slog.DiscardHandler))
		d := redisstore.NewDeduplicator(c, redisstore.WithPrefix(p), redisstore.WithCallTimeout(tt.callTimeout), quiet)
		key := fmt.Sprint("timing-", i)
		if tt.fault == "hung" {
			// Connect c (with time to spare), and hold the key for the row
			// that releases it.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := c.Ping(ctx).Err()
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if c, err := d.Claim(context.Background(), key); c != telhook.Claimed || err != nil {
				t.Fatalf("%s: Claim before the pause = %v, %v", tt.reason, c, err)
			}
			if err := admin.Do(context.Background(), "CLIENT", "PAUSE", paused.Milliseconds(), "ALL").Err(); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if tt.request > 0 {
			ctx, cancel = context.WithTimeout(ctx, tt.request)
		}
		start := time.Now()
		var err error
		if tt.release {
			err = d.Release(context.WithoutCancel(ctx), key, true)
		} else {
			_, err = d.Claim(ctx, key)
		}
		took := time.Since(start)
		cancel()
		if tt.fault == "hung" { // wait for the pause to end
			ctx, cancel := context.WithTimeout(context.Background(), 2*paused)
			if err := admin.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		_ = c.Close()
		t.Logf("%s: %v: %v", tt.reason, took.Round(time.Millisecond), err)
		if err == nil || !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("%s: error %v, want one starting with \"redisstore: \"", tt.reason, err)
		}
		// The race detector and a busy machine add to every wait.
		if took < tt.want-5*time.Millisecond || took > tt.want+250*time.Millisecond {
			t.Errorf("%s: took %v, want about %v", tt.reason, took, tt.want)
		}
	}
	// Once Redis answers again, so does a client that timed out.
	d := redisstore.NewDeduplicator(admin, redisstore.WithPrefix(p))
	if c, err := d.Claim(context.Background(), "after"); c != telhook.Claimed || err != nil {
		t.Errorf("Claim after the faults = %v, %v; want claimed", c, err)
	}
}

// TestContextTimeoutWarning checks that NewDeduplicator warns about a
// client that ignores context deadlines, and only about one. Needs no
// Redis: the clients connect lazily.
func TestContextTimeoutWarning(t *testing.T) {
	addr := closedAddr(t)
	tests := []struct {
		reason string
		client redis.UniversalClient
		want   bool
	}{{
		reason: "a Client with ContextTimeoutEnabled",
		client: redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true}),
	}, {
		reason: "a Client without",
		client: redis.NewClient(&redis.Options{Addr: addr}),
		want:   true,
	}, {
		reason: "a ClusterClient with ContextTimeoutEnabled",
		client: redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true}),
	}, {
		reason: "a ClusterClient without",
		client: redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}}),
		want:   true,
	}, {
		reason: "a Ring without",
		client: redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": addr}}),
		want:   true,
	}, {
		reason: "a failover (Sentinel) client with ContextTimeoutEnabled, through NewUniversalClient",
		client: redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MasterName: "m", ContextTimeoutEnabled: true}),
	}, {
		reason: "a failover (Sentinel) client without, through NewUniversalClient",
		client: redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MasterName: "m"}),
		want:   true,
	}}
	for _, tt := range tests {
		var logs bytes.Buffer
		redisstore.NewDeduplicator(tt.client, redisstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		_ = tt.client.Close()
		if got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "ContextTimeoutEnabled"); got != tt.want {
			t.Errorf("%s: warned %v, want %v; log: %q", tt.reason, got, tt.want, &logs)
		}
	}
}
