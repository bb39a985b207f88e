package normalize

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestModelJSON: durations are seconds as JSON numbers, times RFC 3339 in
// UTC, for consumers in any language; Go reads them back as they were.
func TestModelJSON(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	start := time.Date(2021, 4, 9, 16, 27, 39, 0, ist)
	call := Call{ID: "c1", Direction: Inbound, From: "+918919520000", To: "+918867131234", State: Completed,
		ProviderState: "ANSWER", StartedAt: start, EndedAt: start.Add(16 * time.Second), Duration: 1500 * time.Millisecond,
		Recordings: []Recording{{CallID: "c1", URL: "https://x/r.mp3", Duration: 20 * time.Second, At: start}}}
	tests := []struct {
		v      any
		want   []string // substrings of the JSON
		reason string
	}{
		{call, []string{`"duration":1.5`, `"started_at":"2021-04-09T10:57:39Z"`, `"ended_at":"2021-04-09T10:57:55Z"`,
			`"recordings":[{"call_id":"c1","url":"https://x/r.mp3","duration":20,"at":"2021-04-09T10:57:39Z"}]`},
			"a call: seconds, UTC, its recordings alike"},
		{Call{ID: "c2"}, []string{`{"id":"c2","direction":"","from":"","to":"","state":"","provider_state":""}`},
			"zero times and durations are left out"},
		{Message{ID: "s1", State: Received, At: start}, []string{`"at":"2021-04-09T10:57:39Z"`}, "a message's time in UTC"},
		{Event{Provider: OBD, Kind: KindCall, Call: &call}, []string{`"call":{"id":"c1"`, `"duration":1.5`}, "inside an Event"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s: %s lacks %s", tt.reason, b, w)
			}
		}
	}
	b, _ := json.Marshal(call)
	var back Call
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(call, back, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("round trip (-sent +read):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"duration":"20s"}`), &back); err == nil {
		t.Error("a duration that is no number was read")
	}
}
