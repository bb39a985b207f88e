package pbx3cx_test

import (
	"fmt"

	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

// Rebuild a call from its events without a Tracker: a Call is a function
// of the set of its events, in any order.
func ExampleBuildCall() {
	var events []pbx3cx.Event
	for _, ev := range pbx3cxtest.AttendedTransfer() {
		events = append([]pbx3cx.Event{*ev}, events...) // backwards
	}
	c := pbx3cx.BuildCall("230307142318_40", events)
	fmt.Println(c.Direction, c.CallerID, c.Complete, c.TalkTime)
	for _, t := range c.Transfers {
		fmt.Printf("%s transfer from %s to %s\n", t.Type, t.From, t.To)
	}
	// Output:
	// inbound 05552221133 true 20s
	// Attended transfer from 117 to 204
}

// Two Trackers, as on two instances of a receiver, share one store: each
// gets some of the events of a call, and the call is emitted once, whole.
// Across processes, use a shared store such as redisstore's, and
// de-duplicate on Call.ID: a call is emitted at least once.
func ExampleWithCallStore() {
	store := pbx3cx.NewMemoryCallStore()
	emit := func(instance string) func(pbx3cx.Call) {
		return func(c pbx3cx.Call) {
			fmt.Printf("%s: call %s, %d events, %d segments, complete: %t\n", instance, c.ID, c.Events, len(c.Segments), c.Complete)
		}
	}
	a := pbx3cx.NewTracker(emit("a"), pbx3cx.WithCallStore(store))
	b := pbx3cx.NewTracker(emit("b"), pbx3cx.WithCallStore(store))
	for i, ev := range pbx3cxtest.AttendedTransfer() {
		if i%2 == 0 {
			a.Add(ev)
		} else {
			b.Add(ev)
		}
	}
	b.Flush() // Run would emit it once the call has settled
	a.Flush()
	// Output:
	// b: call 230307142318_40, 10 events, 2 segments, complete: true
}
