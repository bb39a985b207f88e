package redisstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// instance is one instance of the receiver examples/server runs by
// default, behind an httptest.Server: its callback records every event
// it is handed as a compact JSON line, whole 3CX calls apart.
type instance struct {
	srv     *httptest.Server
	tracker *pbx3cx.Tracker
	store   *redisstore.CallStore // nil on the memory stores

	mu     sync.Mutex
	events []string // every event but the whole 3CX calls, in order
	calls  []string // the whole 3CX calls, first_seen and last_seen removed
}

// newInstance builds a receiver configured as examples/server is with no
// flags. With a client, its de-duplication and its 3CX calls are kept in
// Redis under prefix (each receiver with stores of its own, as on another
// instance); without one, in memory. hook, when not nil, runs in the
// callback before the event is recorded, and may block it.
func newInstance(t *testing.T, c *redis.Client, prefix string, hook func(normalize.Event)) *instance {
	t.Helper()
	r := &instance{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var answer elks.Action = elks.Hangup{Reason: "reject"}
	var trackerOpts []pbx3cx.TrackerOption
	opts := []normalize.MuxOption{
		normalize.WithNormalizer(normalize.Normalizer{}),
		normalize.WithSharedOptions(telhook.WithLogger(logger)),
		normalize.WithOptions(normalize.Elks, elks.WithFallback(elks.Hangup{Reason: "busy"})),
		normalize.WithElksCalls(func(context.Context, *elks.CallEvent) (elks.Action, error) { return answer, nil }),
	}
	if c != nil {
		r.store = redisstore.NewCallStore(c, redisstore.WithPrefix(prefix))
		trackerOpts = append(trackerOpts, pbx3cx.WithCallStore(r.store))
		opts = append(opts, normalize.WithSharedOptions(
			telhook.WithDeduplicator(redisstore.NewDeduplicator(c, redisstore.WithPrefix(prefix)))))
	}
	// The tracker is not run: the test flushes it when every event is in.
	opts = append(opts, normalize.WithTracking(func(tr *pbx3cx.Tracker) { r.tracker = tr }, trackerOpts...))
	h := normalize.NewMux(func(_ context.Context, ev normalize.Event) error {
		if hook != nil {
			hook(ev)
		}
		line, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, whole := ev.Source.(*pbx3cx.Call)
		r.mu.Lock()
		defer r.mu.Unlock()
		if whole {
			r.calls = append(r.calls, withoutSeen(t, line))
		} else {
			r.events = append(r.events, compactJSON(t, line))
		}
		return nil
	}, opts...)
	if r.tracker == nil {
		t.Fatal("WithTracking did not hand over its tracker")
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

// send sends req to r and returns the status of the answer.
func (r *instance) send(t *testing.T, req replay.Request) int {
	t.Helper()
	hr, err := req.HTTP(r.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := r.srv.Client().Do(hr.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %v", req.Fixture, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// recorded returns copies of what r's callback recorded so far.
func (r *instance) recorded() (events, calls []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), slices.Clone(r.calls)
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %q: %v", b, err)
	}
	return buf.String()
}

// withoutSeen returns a whole call's line, compact, without the arrival
// times of its source, which differ from receiver to receiver (as in
// examples/server's TestReceiverEndToEnd).
func withoutSeen(t *testing.T, line []byte) string {
	t.Helper()
	var ev, src map[string]json.RawMessage
	if json.Unmarshal(line, &ev) != nil || json.Unmarshal(ev["source"], &src) != nil {
		t.Fatalf("bad tracked call %q", line)
	}
	delete(src, "first_seen")
	delete(src, "last_seen")
	var err error
	if ev["source"], err = json.Marshal(src); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return compactJSON(t, b)
}

// loadFixtures loads the requests the fixtures patterns select make,
// as their providers send them.
func loadFixtures(t *testing.T, patterns ...string) []replay.Request {
	t.Helper()
	reqs, err := replay.Load(filepath.Join("..", "testdata"), patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestTwoReceiversOneRedis runs two instances of the receiver of
// examples/server on one Redis (de-duplication and 3CX calls shared), as
// behind a load balancer, and holds them to what one receiver on the
// memory stores does: every webhook handled once whichever instance
// its deliveries reach, and each whole 3CX call printed once, by one of
// them, equal to the one receiver's.
func TestTwoReceiversOneRedis(t *testing.T) {
	c := newClient(t)

	t.Run("3CX flows, alternating, each event again on the other", func(t *testing.T) {
		reqs := loadFixtures(t, "pbx3cx/flows")
		if len(reqs) < 50 {
			t.Fatalf("only %d 3CX flow events in testdata", len(reqs))
		}
		one := newInstance(t, nil, "", nil)
		prefix := newPrefix(t, c)
		// Two clients, as two processes would have.
		two := [2]*instance{
			newInstance(t, c, prefix, nil),
			newInstance(t, newClient(t), prefix, nil),
		}
		for i, req := range reqs {
			want := one.send(t, req)
			first, second := two[i%2], two[1-i%2]
			if got := first.send(t, req); got != want {
				t.Errorf("%s: answered %d, one receiver %d", req.Fixture, got, want)
			}
			if got := second.send(t, req); got != want {
				t.Errorf("%s sent again, to the other receiver: answered %d, one receiver %d the first time", req.Fixture, got, want)
			}
		}
		// Every event is in: the settle time is over for all of them.
		one.tracker.Flush()
		for _, r := range two {
			r.tracker.Flush()
		}
		for _, r := range two { // nothing is left to emit
			r.tracker.Sweep(time.Now().Add(time.Hour))
		}

		wantEvents, wantCalls := one.recorded()
		if len(wantCalls) == 0 {
			t.Fatal("one receiver printed no whole call")
		}
		var gotEvents, gotCalls []string
		for _, r := range two {
			ev, calls := r.recorded()
			gotEvents = append(gotEvents, ev...)
			gotCalls = append(gotCalls, calls...)
		}
		// Sorted, not as sets: a call printed twice shows as a difference.
		slices.Sort(wantCalls)
		slices.Sort(gotCalls)
		if diff := cmp.Diff(wantCalls, gotCalls); diff != "" {
			t.Errorf("whole calls printed by the two receivers together differ from one receiver's (-one +two):\n%s", diff)
		}
		if len(wantEvents) == 0 {
			t.Error("one receiver printed no 3CX event")
		}
		slices.Sort(wantEvents)
		slices.Sort(gotEvents)
		if diff := cmp.Diff(wantEvents, gotEvents); diff != "" {
			t.Errorf("events printed by the two receivers together differ from one receiver's (-one +two):\n%s", diff)
		}
		u, err := two[0].store.Usage(context.Background())
		if err != nil || u != (pbx3cx.StoreUsage{}) {
			t.Errorf("Usage after the flush: %+v, %v; want nothing open", u, err)
		}
		t.Logf("%d webhooks, each sent to both receivers: %d events and %d whole calls printed", len(reqs), len(gotEvents), len(gotCalls))
	})

	sms := loadFixtures(t, "elks/sms-docs.form")
	if len(sms) != 1 {
		t.Fatalf("elks/sms-docs.form makes %d requests, want 1", len(sms))
	}

	t.Run("SMS retried on the other receiver", func(t *testing.T) {
		prefix := newPrefix(t, c)
		a := newInstance(t, c, prefix, nil)
		b := newInstance(t, newClient(t), prefix, nil)
		if got := a.send(t, sms[0]); got/100 != 2 {
			t.Fatalf("first delivery, to A: %d", got)
		}
		if got := b.send(t, sms[0]); got/100 != 2 {
			t.Errorf("the retry, to B: %d, want it acknowledged", got)
		}
		evA, _ := a.recorded()
		evB, _ := b.recorded()
		if len(evA) != 1 || len(evB) != 0 {
			t.Errorf("callbacks: A %d, B %d; want the SMS handed to A's only", len(evA), len(evB))
		}
	})

	t.Run("SMS retried on the other receiver while the first is handled", func(t *testing.T) {
		prefix := newPrefix(t, c)
		entered := make(chan struct{})
		release := make(chan struct{})
		var once sync.Once
		a := newInstance(t, c, prefix, func(normalize.Event) {
			once.Do(func() { close(entered) })
			<-release
		})
		b := newInstance(t, newClient(t), prefix, nil)
		first := make(chan int, 1)
		go func() {
			hr, err := sms[0].HTTP(a.srv.URL)
			if err != nil {
				first <- -1
				return
			}
			resp, err := a.srv.Client().Do(hr)
			if err != nil {
				first <- -1
				return
			}
			resp.Body.Close()
			first <- resp.StatusCode
		}()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			close(release)
			t.Fatal("A's callback was never called")
		}
		if got := b.send(t, sms[0]); got != http.StatusServiceUnavailable {
			t.Errorf("the retry on B while A handles the first delivery: %d, want 503", got)
		}
		close(release)
		if got := <-first; got/100 != 2 {
			t.Errorf("the first delivery, on A: %d", got)
		}
		if got := b.send(t, sms[0]); got/100 != 2 {
			t.Errorf("the retry on B once A handled it: %d, want it acknowledged", got)
		}
		evA, _ := a.recorded()
		evB, _ := b.recorded()
		if len(evA) != 1 || len(evB) != 0 {
			t.Errorf("callbacks: A %d, B %d; want the SMS handed to A's only", len(evA), len(evB))
		}
	})
}
