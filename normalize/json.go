package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The JSON of the model is for consumers in any language: durations are
// seconds, a JSON number (fractions allowed), and times are RFC 3339 in
// UTC. The Go fields keep their types.

// seconds is a time.Duration written as seconds.
type seconds time.Duration

// MarshalJSON writes the seconds as a number: 20, 1.5.
func (s seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(s).Seconds(), 'f', -1, 64), nil
}

// UnmarshalJSON reads a number of seconds.
func (s *seconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("normalize: duration %s: not a number of seconds", b)
	}
	*s = seconds(time.Duration(f * float64(time.Second)))
	return nil
}

// utc writes a time in UTC; the zero time stays zero (and is left out).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

type plainCall Call

type callJSON struct {
	plainCall
	StartedAt  time.Time `json:"started_at,omitzero"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	Duration   seconds   `json:"duration,omitempty"`
}

// MarshalJSON writes c with its duration in seconds and its times in UTC.
func (c Call) MarshalJSON() ([]byte, error) {
	return json.Marshal(callJSON{plainCall(c), utc(c.StartedAt), utc(c.AnsweredAt), utc(c.EndedAt), seconds(c.Duration)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Call) UnmarshalJSON(b []byte) error {
	var j callJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Call(j.plainCall)
	c.StartedAt, c.AnsweredAt, c.EndedAt, c.Duration = j.StartedAt, j.AnsweredAt, j.EndedAt, time.Duration(j.Duration)
	return nil
}

type plainRecording Recording

type recordingJSON struct {
	plainRecording
	Duration seconds   `json:"duration,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// MarshalJSON writes r with its duration in seconds and its time in UTC.
func (r Recording) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordingJSON{plainRecording(r), seconds(r.Duration), utc(r.At)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Recording) UnmarshalJSON(b []byte) error {
	var j recordingJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Recording(j.plainRecording)
	r.Duration, r.At = time.Duration(j.Duration), j.At
	return nil
}

type plainMessage Message

type messageJSON struct {
	plainMessage
	At time.Time `json:"at,omitzero"`
}

// MarshalJSON writes m with its time in UTC.
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(messageJSON{plainMessage(m), utc(m.At)})
}
