package pbx3cx

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sharedTrackers returns two Trackers, each with its own sink, sharing
// one MemoryCallStore and one clock: two instances of a receiver.
func sharedTrackers(opts ...TrackerOption) ([2]*Tracker, [2]*trackerSink, *trackerClock, *MemoryCallStore) {
	clock, store := newTrackerClock(), NewMemoryCallStore()
	var trs [2]*Tracker
	var sinks [2]*trackerSink
	for i := range trs {
		sinks[i] = &trackerSink{}
		o := append([]TrackerOption{withClock(clock.Now), WithLate(sinks[i].lateEvent), WithCallStore(store)}, opts...)
		trs[i] = NewTracker(sinks[i].emit, o...)
	}
	return trs, sinks, clock, store
}

// TestTrackerSharedStoreFlows replays every flow through two Trackers
// sharing one store, as two instances behind a load balancer would get
// it: the events alternate between them, and some go to both (a retry
// that reached the other instance). Taken together they emit what one
// Tracker emits for the same events, each call once.
func TestTrackerSharedStoreFlows(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	type step struct {
		to    int  // the Tracker the event goes to
		both  bool // a copy goes to the other Tracker too
		sweep int  // -1, or the Tracker that sweeps after this event
	}
	tests := []struct {
		reason string
		plan   func(n int) []step
		final  []int // the Trackers that sweep at the settle time and at the quiet period
	}{
		{"alternating, every third event to both, both sweep", func(n int) []step {
			var s []step
			for i := range n {
				s = append(s, step{to: i % 2, both: i%3 == 0, sweep: -1})
			}
			return s
		}, []int{0, 1}},
		{"alternating, every event to both, only the second sweeps", func(n int) []step {
			var s []step
			for i := range n {
				s = append(s, step{to: i % 2, both: true, sweep: -1})
			}
			return s
		}, []int{1}},
		{"random Tracker, random copies, random sweeps by either", func(n int) []step {
			var s []step
			for range n {
				sw := -1
				if rng.IntN(3) == 0 {
					sw = rng.IntN(2)
				}
				s = append(s, step{to: rng.IntN(2), both: rng.IntN(2) == 0, sweep: sw})
			}
			return s
		}, []int{1, 0}},
	}
	for _, name := range trackerFlowNames(t) {
		evs := trackerFlow(t, name)
		want := withoutTimes(feedFlow(t, evs))
		for _, tt := range tests {
			t.Run(name+"/"+tt.reason, func(t *testing.T) {
				trs, sinks, clock, store := sharedTrackers()
				dups := 0
				for i, s := range tt.plan(len(evs)) {
					clock.Advance(time.Millisecond)
					trs[s.to].Add(evs[i])
					if s.both {
						dup := *evs[i] // an equal copy, not the same pointer
						trs[1-s.to].Add(&dup)
						dups++
					}
					if s.sweep >= 0 {
						trs[s.sweep].Sweep(clock.Now())
					}
				}
				if err := memoryStoreErr(store, trs[0].lim); err != nil {
					t.Fatal(err)
				}
				clock.Advance(defaultSettle)
				for _, i := range tt.final {
					trs[i].Sweep(clock.Now())
				}
				clock.Advance(defaultQuiet)
				for _, i := range tt.final {
					trs[i].Sweep(clock.Now())
				}
				var got []Call
				var stats TrackerStats
				for i, tr := range trs {
					got = append(got, sinks[i].take()...)
					s := tr.Stats()
					stats.Duplicates += s.Duplicates
					stats.Emitted += s.Emitted
					stats.Late += s.Late
					stats.Open = s.Open
				}
				sortCalls(got)
				if diff := cmp.Diff(want, withoutTimes(got)); diff != "" {
					t.Errorf("the two Trackers' calls differ from one Tracker's (-one +two):\n%s", diff)
				}
				if stats.Duplicates != int64(dups) || stats.Emitted != int64(len(want)) || stats.Late != 0 || stats.Open != 0 {
					t.Errorf("stats together %+v: want %d duplicates, %d emitted, none late or open", stats, dups, len(want))
				}
			})
		}
	}
}

func sortCalls(calls []Call) {
	slices.SortFunc(calls, func(a, b Call) int {
		if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// A Tracker that claims a call and dies before acknowledging its emission
// does not lose it: once the lease runs out, another Tracker sharing the
// store emits it.
func TestTrackerSharedStoreLease(t *testing.T) {
	trs, sinks, clock, store := sharedTrackers(WithLease(time.Minute))
	for _, ev := range trackerFlow(t, "05-ringgroup-answered") {
		trs[0].Add(ev)
	}
	now := clock.Advance(defaultSettle)
	_, due, _ := store.Due(context.Background(), now, false)
	if len(due) != 1 {
		t.Fatalf("want the call due: %+v", due)
	}
	dead, ok, _ := store.Claim(context.Background(), due[0].CallRef, now, trs[0].lim) // and then the instance dies
	if !ok {
		t.Fatal("claim refused")
	}
	trs[1].Sweep(clock.Advance(time.Minute - time.Nanosecond))
	if calls := sinks[1].take(); len(calls) != 0 {
		t.Fatalf("emitted while another Tracker's lease runs: %+v", calls)
	}
	trs[1].Sweep(clock.Advance(time.Nanosecond))
	calls := sinks[1].take()
	if len(calls) != 1 || !calls[0].Complete || calls[0].ID != "230307150805_46" {
		t.Fatalf("want the call emitted, Complete, once the lease ran out: %+v", calls)
	}
	if err := store.Ack(context.Background(), dead, clock.Now(), trs[0].lim); err != ErrClaimLost {
		t.Errorf("the dead claimer's Ack: %v, want ErrClaimLost", err)
	}
	trs[0].Sweep(clock.Advance(defaultQuiet))
	trs[1].Sweep(clock.Now())
	if n := len(sinks[0].take()) + len(sinks[1].take()); n != 0 || trs[1].Len() != 0 {
		t.Errorf("%d more calls emitted, %d open: want the call emitted once", n, trs[1].Len())
	}
}

// With a store given by WithCallStore, Run ends without Flush: the calls
// stay for the other instances. Flush on any of them emits them.
func TestTrackerSharedStoreRun(t *testing.T) {
	trs, sinks, _, _ := sharedTrackers()
	trs[0].Add(trackerFlow(t, "04-queue-missed")[0])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { trs[0].Run(ctx); close(done) }()
	cancel()
	<-done
	if calls := sinks[0].take(); len(calls) != 0 || trs[1].Len() != 1 {
		t.Fatalf("Run flushed a shared store: %d open, %+v", trs[1].Len(), calls)
	}
	trs[1].Flush()
	if calls := sinks[1].take(); len(calls) != 1 || calls[0].Complete {
		t.Fatalf("Flush of the other Tracker: %+v, want the open call, incomplete", calls)
	}
}
