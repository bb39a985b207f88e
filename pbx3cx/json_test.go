package pbx3cx

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEventJSONRoundTrip: an Event written as JSON (the add-on's key
// names, the duration in seconds) reads back as it was, so a store can
// keep events as JSON.
func TestEventJSONRoundTrip(t *testing.T) {
	for _, name := range []string{"k2m-end-transfer", "k2m-recording", "creomate-lowercase", "get-end-title"} {
		ev, err := Decode([]byte(strings.TrimSpace(string(fixture(t, name)))))
		if err != nil {
			ev, err = DecodeQuery(strings.TrimSpace(string(fixture(t, name))))
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(*ev, back); diff != "" {
			t.Errorf("%s: %s read back (-sent +read):\n%s", name, b, diff)
		}
	}
	b, _ := json.Marshal(Event{Type: Incoming, ID: "1_1-1", Duration: 14 * time.Second})
	if !strings.Contains(string(b), `"duration":14`) || !strings.Contains(string(b), `"event":"incoming"`) {
		t.Errorf("JSON %s: want the add-on's lower-case keys and seconds", b)
	}
}
