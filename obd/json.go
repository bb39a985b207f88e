package obd

import "github.com/telhook/telhook/internal/jsonout"

// Events marshal to JSON for consumers in any language: the keys are Mobtexting's
// own names (snake_case where it has none), times are RFC 3339 in UTC,
// durations are seconds (a JSON number), and Extra is left out when empty.

// MarshalJSON writes the Report with Mobtexting's key names, any times in
// UTC and any durations in seconds.
func (e Report) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Challenge with Mobtexting's key names, any times in
// UTC and any durations in seconds.
func (e Challenge) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Unknown with Mobtexting's key names, any times in
// UTC and any durations in seconds.
func (e Unknown) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }
