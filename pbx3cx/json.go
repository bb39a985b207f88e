package pbx3cx

import "github.com/telhook/telhook/internal/jsonout"

// Events marshal to JSON for consumers in any language: the keys are the
// add-on's own names in lower case (snake_case where it has none), times
// are RFC 3339 in UTC, durations are seconds (a JSON number), and Extra is
// left out when empty.

// MarshalJSON writes the Event with the add-on's key names and its
// duration in seconds.
func (e Event) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }
