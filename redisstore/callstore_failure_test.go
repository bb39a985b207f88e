package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// failureFlow is the call of the failure tests: two ringing events, the
// answer, the end and the recording, complete at its settle time.
const failureFlow = "05-ringgroup-answered"

// oneTracker replays evs through a Tracker on the memory store, sweeps it
// at the settle time and flushes it, and returns what it emitted.
func oneTracker(evs []*pbx3cx.Event, opts ...pbx3cx.TrackerOption) []pbx3cx.Call {
	var s sink
	tr := pbx3cx.NewTracker(s.emit, opts...)
	for _, ev := range evs {
		tr.Add(ev)
	}
	tr.Sweep(time.Now().Add(time.Hour))
	tr.Flush()
	return comparable(s.calls)
}

// startCall returns a Tracker on store and what it emits, after it took
// evs, the first events of a call.
func startCall(t *testing.T, store pbx3cx.CallStore, evs []*pbx3cx.Event, opts ...pbx3cx.TrackerOption) (*pbx3cx.Tracker, *sink) {
	t.Helper()
	got := new(sink)
	tr := pbx3cx.NewTracker(got.emit, append(opts, pbx3cx.WithCallStore(store))...)
	for _, ev := range evs {
		if err := tr.AddContext(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	return tr, got
}

// TestCallStoreFailureTiming measures what a Tracker on a CallStore does
// while Redis is down: refusing connections (its server killed) or hung
// (CLIENT PAUSE), with a request deadline of 100 ms and without one (then
// the call timeout bounds each call). AddContext fails with the store's
// error when the deadline comes, for the handler to answer 500 and the
// add-on to send the event again; a Sweep fails as soon, counts a store
// error and emits nothing. Once Redis is back (with its data: the server
// keeps an append-only file), the event sent again and the rest of the
// call make the whole call, emitted once. Its figures are the package
// doc's:
//
//	TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -run TestCallStoreFailureTiming -v
func TestCallStoreFailureTiming(t *testing.T) {
	const callTimeout = 300 * time.Millisecond
	// The pause ends by itself, after the AddContext and the Sweep below.
	const paused = time.Second
	evs := flowEvents(t, failureFlow)
	const half = 2 // the first event the fault meets
	opts := []pbx3cx.TrackerOption{pbx3cx.WithSettle(flowSettle), pbx3cx.WithQuietPeriod(time.Minute)}
	want := oneTracker(evs, opts...)
	if len(want) != 1 || !want[0].Complete {
		t.Fatalf("one Tracker on the memory store emitted %+v, want one complete call", want)
	}
	type row struct {
		reason  string
		fault   string        // "refused" or "hung"
		request time.Duration // the request's deadline; 0: none
		want    time.Duration // how long AddContext waits
	}
	var tests []row
	for _, fault := range []string{"refused", "hung"} {
		tests = append(tests,
			row{"Redis " + fault + ": AddContext fails at the request's deadline", fault, 100 * time.Millisecond, 100 * time.Millisecond},
			row{"Redis " + fault + ", no request deadline: AddContext fails after the call timeout", fault, 0, callTimeout})
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.fault, tt.request), func(t *testing.T) {
			srv := startServer(t, true)
			c := srv.client()
			store := redisstore.NewCallStore(c, redisstore.WithCallTimeout(callTimeout),
				redisstore.WithLogger(slog.New(slog.DiscardHandler)))
			tr, got := startCall(t, store, evs[:half], opts...)
			ctx := context.Background()

			admin := srv.client()
			switch tt.fault {
			case "refused":
				srv.kill()
			case "hung":
				if err := admin.Do(ctx, "CLIENT", "PAUSE", paused.Milliseconds(), "ALL").Err(); err != nil {
					t.Fatal(err)
				}
			}
			actx, cancel := ctx, context.CancelFunc(func() {})
			if tt.request > 0 {
				actx, cancel = context.WithTimeout(ctx, tt.request)
			}
			start := time.Now()
			err := tr.AddContext(actx, evs[half])
			took := time.Since(start)
			cancel()
			start = time.Now()
			tr.Sweep(time.Now().Add(time.Hour))
			sweepTook := time.Since(start)
			emitted := len(got.calls)

			switch tt.fault { // Redis is back, with its data
			case "refused":
				srv.start()
			case "hung":
				pctx, cancel := context.WithTimeout(ctx, 2*paused)
				if err := admin.Ping(pctx).Err(); err != nil {
					t.Fatal(err)
				}
				cancel()
			}
			t.Logf("%s: AddContext took %v: %v; Sweep took %v",
				tt.reason, took.Round(time.Millisecond), err, sweepTook.Round(time.Millisecond))
			if err == nil || !strings.HasPrefix(err.Error(), "redisstore: append: ") {
				t.Errorf("AddContext returned %v, want an error starting with \"redisstore: append: \"", err)
			}
			// The race detector and a busy machine add to every wait.
			if took < tt.want-5*time.Millisecond || took > tt.want+250*time.Millisecond {
				t.Errorf("AddContext took %v, want about %v", took, tt.want)
			}
			if sweepTook < callTimeout-5*time.Millisecond || sweepTook > callTimeout+250*time.Millisecond {
				t.Errorf("Sweep took %v, want about the call timeout, %v", sweepTook, callTimeout)
			}
			if emitted != 0 {
				t.Errorf("the Sweep while Redis was down emitted %d calls, want none", emitted)
			}

			// The add-on sends the event again (it was answered 500), then
			// the rest of the call.
			for _, ev := range evs[half:] {
				if err := tr.AddContext(ctx, ev); err != nil {
					t.Fatalf("AddContext once Redis is back: %v", err)
				}
			}
			time.Sleep(flowSettle + 50*time.Millisecond)
			tr.Sweep(time.Now())
			if diff := cmp.Diff(want, comparable(got.calls)); diff != "" {
				t.Errorf("the calls emitted once Redis is back (-one Tracker on the memory store +on Redis):\n%s", diff)
			}
			if s := tr.Stats(); s.StoreErrors != 2 || s.Open != 0 {
				t.Errorf("StoreErrors %d, Open %d; want 2 (AddContext and the Sweep's Due), none open", s.StoreErrors, s.Open)
			}
		})
	}
}

// TestCallStoreRestart kills Redis in the middle of a call and starts it
// again, with persistence off and with an append-only file fsynced on
// every write. With persistence off the call's first events are lost with
// the server: the rest of the call opens a new one, an orphan (its
// ringing is gone) that is emitted alone at the quiet period, not
// Complete; the versions still never repeat, so that no Tracker mistakes
// the new call for what it rebuilt before. With the append-only file the
// call survives and is emitted whole at its settle time.
func TestCallStoreRestart(t *testing.T) {
	evs := flowEvents(t, failureFlow)
	const half = 2
	const quiet = time.Second
	opts := []pbx3cx.TrackerOption{pbx3cx.WithSettle(flowSettle), pbx3cx.WithQuietPeriod(quiet)}
	whole, rest := oneTracker(evs, opts...), oneTracker(evs[half:], opts...)
	if len(rest) != 1 || rest[0].Complete || rest[0].Events != len(evs)-half {
		t.Fatalf("the rest of the call alone gives %+v, want one incomplete call", rest)
	}
	tests := []struct {
		reason string
		aof    bool
		want   []pbx3cx.Call
	}{{
		reason: "persistence off: the first events are lost, the rest is emitted alone, incomplete",
		want:   rest,
	}, {
		reason: "append-only file, fsync always: the call survives the restart, whole",
		aof:    true,
		want:   whole,
	}}
	for _, tt := range tests {
		t.Run(fmt.Sprint("aof ", tt.aof), func(t *testing.T) {
			srv := startServer(t, tt.aof)
			store := redisstore.NewCallStore(srv.client())
			tr, got := startCall(t, store, evs[:half], opts...)
			ctx := context.Background()
			// A Sweep at the settle time rebuilds the call (not complete) and
			// keeps it in the Tracker's cache.
			time.Sleep(flowSettle + 50*time.Millisecond)
			tr.Sweep(time.Now())
			before, _, err := store.Read(ctx, evs[0].CallID())
			if err != nil {
				t.Fatal(err)
			}

			start := time.Now()
			srv.restart()
			t.Logf("%s: Redis killed and answering again after %v", tt.reason, time.Since(start).Round(time.Millisecond))
			var after pbx3cx.CallRecord
			for i, ev := range evs[half:] {
				if err := tr.AddContext(ctx, ev); err != nil {
					t.Errorf("AddContext of event %d after the restart: %v", half+i, err)
				}
				rec, ok, err := store.Read(ctx, evs[0].CallID())
				if err != nil || !ok {
					t.Fatalf("Read after the restart: %v, %v", ok, err)
				}
				if rec.Version <= before.Version {
					t.Errorf("after event %d the call is at version %d, at %d before the restart: "+
						"a Tracker's cache could take the new call for the old", half+i, rec.Version, before.Version)
				}
				after = rec
			}
			time.Sleep(flowSettle + 50*time.Millisecond)
			tr.Sweep(time.Now())
			atSettle := len(got.calls)
			time.Sleep(quiet)
			tr.Sweep(time.Now())
			t.Logf("%s: %d of %d events kept, %d calls emitted at the settle time, %d in all: %+v",
				tt.reason, len(after.Events), len(evs), atSettle, len(got.calls), got.calls)
			if diff := cmp.Diff(tt.want, comparable(got.calls)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
			if s := tr.Stats(); s.StoreErrors != 0 || s.Open != 0 {
				t.Errorf("StoreErrors %d, Open %d; want none, none open", s.StoreErrors, s.Open)
			}
		})
	}
}
