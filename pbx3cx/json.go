package pbx3cx

import (
	"encoding/json"
	"time"

	"github.com/telhook/telhook/internal/jsonout"
)

// Events marshal to JSON for consumers in any language: the keys are the
// add-on's own names in lower case (snake_case where it has none), times
// are RFC 3339 in UTC, durations are seconds (a JSON number), and Extra is
// left out when empty.

// MarshalJSON writes the Event with the add-on's key names and its
// duration in seconds.
func (e Event) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// UnmarshalJSON reads what MarshalJSON writes, so that an Event can be
// stored as JSON and read back as it was.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	j := struct {
		*plain
		Duration float64 `json:"duration"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	e.Duration = time.Duration(j.Duration * float64(time.Second))
	return nil
}

// MarshalJSON writes the Call with the add-on's key names in lower case,
// times in UTC and durations in seconds.
func (c Call) MarshalJSON() ([]byte, error) { return jsonout.Object(c) }

// MarshalJSON writes the Segment as Call's MarshalJSON does.
func (s Segment) MarshalJSON() ([]byte, error) { return jsonout.Object(s) }
