package elks

import "github.com/telhook/telhook/internal/jsonout"

// Events marshal to JSON for consumers in any language: the keys are 46elks's
// own names (snake_case where it has none), times are RFC 3339 in UTC,
// durations are seconds (a JSON number), and Extra is left out when empty.

// MarshalJSON writes the SMS with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e SMS) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the MMS with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e MMS) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the DeliveryReport with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e DeliveryReport) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the CallEvent with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e CallEvent) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Recording with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e Recording) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the CallEnd with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e CallEnd) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Leg with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e Leg) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }

// MarshalJSON writes the Unknown with 46elks's key names, any times in
// UTC and any durations in seconds.
func (e Unknown) MarshalJSON() ([]byte, error) { return jsonout.Object(e) }
