// Package oncalltest builds the requests Wavix sends, for testing the code
// that receives them, as net/http/httptest does for handlers in general.
//
// [NewRequest] returns the webhook Wavix sends for an event, a POST to "/"
// with an application/json body in Wavix's own keys, ready for
// handler.ServeHTTP or oncall.Parse:
//
//	event              JSON members
//	*oncall.CallEvent  uuid event_type event_time event_payload from to call_started
//	                   call_answered call_completed machine_detected tag direction
//	*oncall.PostCall   direction uuid destination duration charge date disposition
//	                   from to per_minute
//
// The rules, in the order they are applied:
//
//  1. The event is checked as Wavix would have sent it, and NewRequest
//     panics with an error naming the field when it could not have been
//     (see NewRequest).
//  2. Members come in the order above, then Extra, sorted. Every member is
//     sent, as Wavix sends them: a zero time, an empty Destination, From,
//     To, Charge or PerMinute is null; direction is left out of a CallEvent
//     when empty, as older schemas do.
//  3. Times are RFC 3339 in UTC to the millisecond, as Wavix writes them
//     ("2025-09-22T12:56:38.547Z"); a post-call duration is whole seconds.
//     Anything finer is dropped.
//  4. The payload is written in the current schema, {"type":…,"payload":
//     {"playback_id":…,"digits":…,"status":…,"reason":…}} (empty members
//     left out), or in the legacy one, {"in_call_event":…,
//     "in_call_event_data":{…}}, when EventType is oncall.InCallEvent, the
//     2024 name that came with it. A zero Payload is null.
//  5. Extra values are JSON strings. An Extra key of a CallEvent that
//     starts with "event_payload." goes inside the payload, where
//     oncall.Parse found it: "event_payload.x" in event_payload,
//     "event_payload.payload.x" (legacy: "event_payload.in_call_event_data.x")
//     in its inner object.
//
// oncall.Parse of the request gives back an event equal to the one given,
// provided its values are ones Wavix sends and oncall keeps as they are:
// times at millisecond precision, durations in whole seconds, UUID,
// EventType, Direction, Disposition and the Payload's fields without
// surrounding spaces (oncall trims them; From, To, Tag, Charge and the
// others are kept exactly), Extra nil when empty, and text that is valid
// UTF-8.
//
// [CallEvent] and [PostCall] return examples of Wavix's documentation,
// decoded: ready-made events to send or to compare with. [WithQueryToken]
// adds the secret of a callback URL that telhook.QueryToken checks.
package oncalltest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/telhook/telhook/internal/kit"
	"github.com/telhook/telhook/oncall"
)

// layout is Wavix's timestamp, always in UTC.
const layout = "2006-01-02T15:04:05.000Z07:00"

var checker = kit.NewChecker(
	kit.Rules{Type: oncall.CallEvent{}, Fields: map[string]string{"UUID": "required", "EventType": "required", "EventTime": "required"}},
	kit.Rules{Type: oncall.PostCall{}, Fields: map[string]string{"UUID": "required", "Duration": "gte=0"}},
)

// The members oncall reads; an Extra key may not be one of them.
var (
	callKeys    = kit.Set("uuid", "event_type", "event_time", "event_payload", "from", "to", "call_started", "call_answered", "call_completed", "call_finished", "machine_detected", "tag", "direction")
	payloadKeys = kit.Set("type", "payload", "in_call_event", "in_call_event_data")
	dataKeys    = kit.Set("status", "playback_id", "digits", "reason")
	postKeys    = kit.Set("uuid", "direction", "destination", "disposition", "from", "to", "duration", "charge", "per_minute", "date", "event_type", "event_time")
)

// NewRequest returns the request Wavix sends for ev (see the package
// documentation for its shape). It panics, as httptest.NewRequest does on
// a bad target, when ev is not a webhook Wavix sends or could not be read
// back as the same event:
//
//   - a nil event or an *oncall.Unknown;
//   - a CallEvent without UUID, EventType or EventTime; a PostCall without
//     UUID or with a negative Duration;
//   - an Extra key that is one of Wavix's members (for a PostCall, also
//     event_type or event_time, which make a CallEvent), or a payload path
//     to one of the payload's members ("event_payload.type",
//     "event_payload.payload.digits", …).
func NewRequest(ev oncall.Event) *http.Request {
	const fn = "oncalltest.NewRequest"
	var o kit.Object
	switch e := ev.(type) {
	case *oncall.CallEvent:
		checker.Check(fn, e)
		top, inPayload, inData := split(fn, e)
		o.Set("uuid", e.UUID)
		o.Set("event_type", e.EventType)
		o.Set("event_time", stamp(e.EventTime))
		o.Set("event_payload", payload(e, inPayload, inData))
		o.Set("from", e.From)
		o.Set("to", e.To)
		o.Set("call_started", stamp(e.CallStarted))
		o.Set("call_answered", stamp(e.CallAnswered))
		o.Set("call_completed", stamp(e.CallCompleted))
		o.Set("machine_detected", e.MachineDetected)
		o.Set("tag", e.Tag)
		if e.Direction != "" {
			o.Set("direction", e.Direction)
		}
		for _, k := range kit.SortedKeys(top) {
			o.Set(k, top[k])
		}
	case *oncall.PostCall:
		checker.Check(fn, e)
		o.Set("direction", e.Direction)
		o.Set("uuid", e.UUID)
		o.Set("destination", orNull(e.Destination))
		o.Set("duration", int64(e.Duration/time.Second))
		o.Set("charge", orNull(e.Charge))
		o.Set("date", stamp(e.Date))
		o.Set("disposition", e.Disposition) // always sent: it makes the webhook a post-call one
		o.Set("from", orNull(e.From))
		o.Set("to", orNull(e.To))
		o.Set("per_minute", orNull(e.PerMinute))
		for _, k := range kit.SortedKeys(e.Extra) {
			if postKeys[k] {
				kit.Fail(fn, e, "Extra key %q is one Wavix uses for a field", k)
			}
			o.Set(k, e.Extra[k])
		}
	case nil:
		kit.Fail(fn, ev, "no event")
	default:
		kit.Fail(fn, ev, "Wavix sends no such webhook; build it with httptest.NewRequest")
	}
	return kit.NewRequest(http.MethodPost, "/", "application/json", o.Bytes())
}

// split sorts a CallEvent's Extra into top-level members, members of
// event_payload and members of its inner object, refusing keys oncall
// reads as fields.
func split(fn string, e *oncall.CallEvent) (top, inPayload, inData map[string]string) {
	dataKey := dataKey(e)
	add := func(m *map[string]string, k, v string) {
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[k] = v
	}
	for _, k := range kit.SortedKeys(e.Extra) {
		v := e.Extra[k]
		rest, nested := strings.CutPrefix(k, "event_payload.")
		inner, deeper := strings.CutPrefix(rest, dataKey+".")
		switch {
		case !nested && callKeys[k], nested && !deeper && payloadKeys[rest], deeper && dataKeys[inner]:
			kit.Fail(fn, e, "Extra key %q is one Wavix uses for a field", k)
		case deeper:
			add(&inData, inner, v)
		case nested:
			add(&inPayload, rest, v)
		default:
			add(&top, k, v)
		}
	}
	return top, inPayload, inData
}

// dataKey is the name of the payload's inner object in e's schema.
func dataKey(e *oncall.CallEvent) string {
	if e.EventType == oncall.InCallEvent {
		return "in_call_event_data"
	}
	return "payload"
}

// payload writes event_payload, or null when there is nothing to write.
func payload(e *oncall.CallEvent, inPayload, inData map[string]string) json.RawMessage {
	p := e.Payload
	var data kit.Object
	for _, m := range [...]struct{ key, v string }{{"playback_id", p.PlaybackID}, {"digits", p.Digits}, {"status", p.Status}, {"reason", p.Reason}} {
		if m.v != "" {
			data.Set(m.key, m.v)
		}
	}
	for _, k := range kit.SortedKeys(inData) {
		data.Set(k, inData[k])
	}
	var o kit.Object
	typeKey := "type"
	if e.EventType == oncall.InCallEvent {
		typeKey = "in_call_event"
	}
	if p.Type != "" {
		o.Set(typeKey, p.Type)
	}
	if data.Len() > 0 {
		o.Set(dataKey(e), json.RawMessage(data.Bytes()))
	}
	for _, k := range kit.SortedKeys(inPayload) {
		o.Set(k, inPayload[k])
	}
	if o.Len() == 0 {
		return json.RawMessage("null")
	}
	return o.Bytes()
}

// stamp writes t as Wavix does, or null for the zero time.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(layout)
}

// orNull writes "" as null, as Wavix sends what it does not know.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// WithQueryToken sets the query parameter param of r's URL to token, as a
// secret put in the webhook's or the call's callback URL
// (https://example.com/wavix?key=…) arrives, and returns r.
// telhook.QueryToken(param, token) accepts the request.
func WithQueryToken(r *http.Request, param, token string) *http.Request {
	return kit.SetQueryToken(r, param, token, false)
}
