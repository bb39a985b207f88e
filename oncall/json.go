package oncall

import "github.com/telhook/telhook/internal/jsonout"

// Events marshal to JSON for consumers in any language: the keys are Wavix's
// own names (snake_case where it has none), times are RFC 3339 in UTC,
// durations are seconds (a JSON number), and Extra is left out when empty.

// MarshalJSON writes the CallEvent with Wavix's key names, any times in
// UTC and any durations in seconds.
func (e CallEvent) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Payload with Wavix's key names, any times in
// UTC and any durations in seconds.
func (e Payload) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the PostCall with Wavix's key names, any times in
// UTC and any durations in seconds.
func (e PostCall) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Unknown with Wavix's key names, any times in
// UTC and any durations in seconds.
func (e Unknown) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }
