package pbx3cx_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/telhook/telhook/pbx3cx"
)

// Rebuild one call from its webhooks: an inbound call answered by 117 and
// handed over to 204 by an attended transfer. In a server, Add every event
// OnEvent receives and run the Tracker with go tracker.Run(ctx).
func ExampleTracker() {
	tracker := pbx3cx.NewTracker(func(c pbx3cx.Call) {
		fmt.Printf("%s call %s from %s, complete: %t\n", c.Direction, c.ID, c.CallerID, c.Complete)
		var path []string
		for _, h := range c.Path {
			path = append(path, h.User+" ("+h.UserType+")")
		}
		fmt.Println("rang:", strings.Join(path, ", "))
		for _, s := range c.Segments {
			fmt.Printf("segment %d: %s talked %v, transferred away: %t\n", s.Number, s.Agent, s.Duration, s.Transfer)
		}
		for _, t := range c.Transfers {
			fmt.Printf("%s transfer from %s to %s\n", t.Type, t.From, t.To)
		}
		fmt.Printf("talk time %v, %d recordings\n", c.TalkTime, len(c.RecordingURLs))
	})

	body, err := os.ReadFile("../testdata/pbx3cx/flows/02-attended-transfer.txt")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		ev, err := pbx3cx.Decode([]byte(line))
		if err != nil {
			panic(err)
		}
		tracker.Add(ev)
	}
	tracker.Flush() // Run would emit it once the call has settled
	// Output:
	// inbound call 230307142318_40 from 05552221133, complete: true
	// rang: 800 (other), 820 (queue), 117 (ext)
	// segment 1: 117 talked 14s, transferred away: true
	// segment 2: 204 talked 6s, transferred away: false
	// Attended transfer from 117 to 204
	// talk time 20s, 2 recordings
}
