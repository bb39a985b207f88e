package pbx3cx

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// BuildCall of a flow's events gives the Call a Tracker emits for them at
// Flush (which, like BuildCall, expects recordings), whatever the order of
// the events and however many duplicates come with them.
func TestBuildCallFlows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 14))
	for _, name := range trackerFlowNames(t) {
		t.Run(name, func(t *testing.T) {
			evs := trackerFlow(t, name)
			tr, clock, sink := newTestTracker()
			for _, ev := range evs {
				clock.Advance(time.Millisecond)
				tr.Add(ev)
			}
			tr.Flush()
			tracked := withoutTimes(sink.take())
			if len(tracked) != 1 {
				t.Fatalf("the Tracker emitted %d calls, want 1", len(tracked))
			}
			want := tracked[0]
			in := make([]Event, len(evs))
			for i, ev := range evs {
				in[i] = *ev
			}
			if diff := cmp.Diff(want, BuildCall(want.ID, in)); diff != "" {
				t.Errorf("BuildCall differs from the Tracker's call (-Tracker +BuildCall):\n%s", diff)
			}
			for i := range 20 {
				var feed []Event
				for _, ev := range in {
					feed = append(feed, ev)
					for rng.IntN(3) == 0 {
						feed = append(feed, cloneEvent(&ev))
					}
				}
				rng.Shuffle(len(feed), func(i, j int) { feed[i], feed[j] = feed[j], feed[i] })
				if diff := cmp.Diff(want, BuildCall(want.ID, feed)); diff != "" {
					t.Fatalf("permutation %d (%d events) differs (-in order +shuffled, with duplicates):\n%s", i, len(feed), diff)
				}
			}
		})
	}
}

func TestBuildCall(t *testing.T) {
	dial := Event{Type: Dialing, CallerID: "05552221133", User: "117", ID: "a_1-0"}
	end := Event{Type: Outgoing, CallerID: "05552221133", User: "117", FinishType: FinishMissed, ID: "b_2-0"}
	tests := []struct {
		reason string
		id     string
		events []Event
		want   Call
	}{
		{"no events: an inbound call with nothing else", "a_1", nil,
			Call{ID: "a_1", Direction: "inbound"}},
		{"an event and its duplicate count once", "a_1", []Event{dial, dial},
			Call{ID: "a_1", Direction: "outbound", CallerID: "05552221133", Dialer: "117", Events: 1}},
		{"an event of another call id is an alias; the ended call is Complete", "a_1", []Event{end, dial},
			Call{ID: "a_1", Aliases: []string{"b_2"}, Direction: "outbound", CallerID: "05552221133", Dialer: "117",
				Missed: true, Complete: true, Events: 2}},
		{"an orphan is never Complete", "b_2", []Event{end},
			Call{ID: "b_2", Direction: "outbound", CallerID: "05552221133", Missed: true, Events: 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, BuildCall(tt.id, tt.events)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
		}
	}
}
