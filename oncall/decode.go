package oncall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/tolerant"
)

const provider = "oncall"

// Parse reads r's body (bounded by telhook.DefaultMaxBodyBytes) and decodes
// it with Decode. It does not check the method, the Content-Type or the
// sender: NewHandler checks the method and runs the verifier; the body alone
// decides what it is.
func Parse(r *http.Request) (Event, error) {
	body, err := core.ReadBody(r, provider)
	if err != nil {
		return nil, err
	}
	return Decode(body)
}

// Decode reads one Wavix webhook body, a JSON object.
//
// The kind is told from the keys: event_type or event_time make a
// *CallEvent; otherwise disposition, charge or per_minute make a *PostCall;
// any other object is returned as *Unknown together with an error matching
// telhook.ErrUnknownEvent.
//
// The body is read strictly, by the JSON grammar, first; only when that
// fails is it repaired (trailing commas, bare keys and tokens, typographic
// quotes, a BOM) and read again. Bytes that are not UTF-8 are refused,
// never replaced. More than 1000 distinct keys in one object, a key
// repeated with a different value, nesting deeper than 64 levels, a
// missing uuid (both kinds), event_type or event_time (CallEvent), a value
// of the wrong type and a timestamp that is not RFC 3339 are refused too. Every refusal is a
// *telhook.DecodeError with Provider "oncall" and Field naming the member,
// as a path for members of event_payload ("event_payload.payload.digits").
//
// Decode keeps no reference to body.
func Decode(body []byte) (Event, error) {
	fields, err := field.JSON(provider, body, make([]field.Field, 0, 16))
	if err != nil {
		return nil, err
	}
	r := field.NewReader(provider, fields)
	switch {
	case r.Has("event_type") || r.Has("event_time"):
		return decodeCallEvent(r)
	case r.Has("disposition") || r.Has("charge") || r.Has("per_minute"):
		return decodePostCall(r)
	}
	return &Unknown{Fields: extra(r, "", nil)}, fmt.Errorf("oncall: neither a call event nor a post-call webhook: %w", telhook.ErrUnknownEvent)
}

// Each decoder reads its members in a fixed order, the order in which a
// failure is reported: the text members, then the required ones (checked
// with the Reader), then timestamps and the rest, then event_payload.

func decodeCallEvent(r *field.Reader) (Event, error) {
	ev := &CallEvent{
		UUID:      word(r, "uuid"),
		EventType: word(r, "event_type"),
	}
	eventTime := stampText(r, "event_time")
	ev.From = text(r, "from")
	ev.To = text(r, "to")
	ev.Tag = text(r, "tag")
	ev.Direction = word(r, "direction")
	r.Require("uuid", ev.UUID, "event_type", ev.EventType, "event_time", eventTime)
	ev.EventTime = parseTime(r, "event_time", eventTime)
	ev.CallStarted = stamp(r, "call_started")
	ev.CallAnswered = stamp(r, "call_answered")
	ev.CallCompleted = completed(r)
	ev.MachineDetected = boolean(r, "machine_detected")
	ev.Payload, ev.Extra = payload(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return ev, nil
}

func decodePostCall(r *field.Reader) (Event, error) {
	pc := &PostCall{
		UUID:        word(r, "uuid"),
		Direction:   word(r, "direction"),
		Destination: text(r, "destination"),
		Disposition: word(r, "disposition"),
		From:        text(r, "from"),
		To:          text(r, "to"),
		Charge:      text(r, "charge"),
		PerMinute:   text(r, "per_minute"),
	}
	r.Require("uuid", pc.UUID)
	pc.Duration = seconds(r, "duration")
	pc.Date = stamp(r, "date")
	pc.Extra = extra(r, "", nil)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return pc, nil
}

// Errors wrapped in DecodeErrors by this package, narrower than field's
// ErrNotScalar; every other refusal is field's own sentinel (ErrNotObject,
// ErrNotBool, ErrTooDeep, ...).
var (
	errNotString = errors.New("not a string or number")
	errNotTime   = errors.New("not a timestamp string")
)

// shown is f's value as an error or Extra repeats it: scalars as read,
// objects and arrays as compact JSON.
func shown(f field.Field) string {
	if f.Kind.Scalar() || !strings.ContainsAny(f.Value, " \t\r\n") {
		return f.Value
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(f.Value)) != nil {
		return f.Value
	}
	return b.String()
}

// text reads a string, or a number kept as its text; null and absent are
// "". The text is returned exactly as sent. A boolean, object or array is
// refused with errNotString.
func text(r *field.Reader, key string) string {
	f, ok := r.Field(key)
	if !ok {
		return ""
	}
	switch f.Kind {
	case field.Text, field.Number, field.Null:
		return f.Value
	}
	r.Fail(key, shown(f), errNotString)
	return ""
}

// word is text with surrounding spaces dropped: ids and enum values.
func word(r *field.Reader, key string) string { return strings.TrimSpace(text(r, key)) }

// stampText reads a timestamp member as text, trimmed: a string, or "" for
// null and absent. Anything else is refused with errNotTime.
func stampText(r *field.Reader, key string) string {
	f, ok := r.Field(key)
	if !ok {
		return ""
	}
	switch f.Kind {
	case field.Text:
		return strings.TrimSpace(f.Value)
	case field.Null:
		return ""
	}
	r.Fail(key, shown(f), errNotTime)
	return ""
}

// parseTime reads RFC 3339 with or without a fraction (and the other forms
// tolerant.ParseTime knows, a zone-less one as UTC); "" is the zero time.
func parseTime(r *field.Reader, key, s string) time.Time {
	if s == "" || r.Err() != nil {
		return time.Time{}
	}
	t, err := tolerant.ParseTime(s, time.UTC)
	if err != nil {
		r.Fail(key, s, err)
	}
	return t
}

// stamp reads a timestamp member with stampText and parseTime.
func stamp(r *field.Reader, key string) time.Time {
	return parseTime(r, key, stampText(r, key))
}

// completed reads call_completed, or its production-docs name
// call_finished. When both are set they must agree.
func completed(r *field.Reader) time.Time {
	c, f := stamp(r, "call_completed"), stamp(r, "call_finished")
	switch {
	case c.IsZero():
		return f
	case !f.IsZero() && !f.Equal(c):
		v, _ := r.Field("call_finished")
		r.Fail("call_finished", v.Value, errors.New(`disagrees with "call_completed"`))
	}
	return c
}

// boolean reads true, false, "true" or "false" (any case, spaces around);
// null, "" and absent are false. Anything else is refused with
// field.ErrNotBool.
func boolean(r *field.Reader, key string) bool {
	f, ok := r.Field(key)
	if !ok {
		return false
	}
	switch f.Kind {
	case field.Bool:
		return f.Value == "true"
	case field.Null:
		return false
	case field.Text:
		switch s := strings.TrimSpace(f.Value); {
		case strings.EqualFold(s, "true"):
			return true
		case strings.EqualFold(s, "false"), s == "":
			return false
		}
	}
	r.Fail(key, shown(f), field.ErrNotBool)
	return false
}

// seconds reads whole seconds, as a number or a numeric string; null, ""
// and absent are zero.
func seconds(r *field.Reader, key string) time.Duration {
	f, ok := r.Field(key)
	if !ok {
		return 0
	}
	s := f.Value
	switch f.Kind {
	case field.Null:
		return 0
	case field.Text:
		if s = strings.TrimSpace(s); s == "" {
			return 0
		}
	case field.Number:
	default:
		r.Fail(key, shown(f), tolerant.ErrNotInteger)
		return 0
	}
	d, err := tolerant.Seconds(s)
	if err != nil {
		r.Fail(key, s, err)
	}
	return d
}

// object reads a member that must be an object; absent and null give a
// Reader of no members. A value of any other kind is refused with
// field.ErrNotObject, naming the value (field's Object names none).
func object(r *field.Reader, key string) *field.Reader {
	if f, ok := r.Field(key); ok && f.Kind != field.Object && f.Kind != field.Null {
		r.Fail(key, shown(f), field.ErrNotObject)
	}
	return r.Object(key)
}

// alias returns which of two names of one member to read: legacy when only
// it is set (not null), else primary. When both are set they must agree.
// Both are marked read.
func alias(r *field.Reader, primary, legacy string) string {
	a, aok := r.Field(primary)
	b, bok := r.Field(legacy)
	aok = aok && a.Kind != field.Null
	bok = bok && b.Kind != field.Null
	switch {
	case aok && bok:
		if a.Kind != b.Kind || shown(a) != shown(b) {
			r.Fail(legacy, shown(b), fmt.Errorf("disagrees with %q", primary))
		}
	case bok:
		return legacy
	}
	return primary
}

// payload reads event_payload in any generation, and returns it with the
// call's Extra: the top-level members not read, then those of
// event_payload and of its data object, by their path.
func payload(r *field.Reader) (Payload, map[string]string) {
	if r.Err() != nil {
		return Payload{}, nil
	}
	p := object(r, "event_payload")
	typ := word(p, alias(p, "type", "in_call_event"))
	dataKey := alias(p, "payload", "in_call_event_data")
	d := object(p, dataKey)
	pl := Payload{
		Type:       typ,
		Status:     word(d, "status"),
		PlaybackID: word(d, "playback_id"),
		Digits:     word(d, "digits"),
		Reason:     word(d, "reason"),
	}
	if r.Err() != nil {
		return Payload{}, nil
	}
	x := extra(r, "", nil)
	x = extra(p, "event_payload.", x)
	x = extra(d, "event_payload."+dataKey+".", x)
	return pl, x
}

// extra adds every member r did not read to into, under path+key, objects
// and arrays compact, and returns into (allocated on first use; at the top
// level, the map of r.Extra itself).
func extra(r *field.Reader, path string, into map[string]string) map[string]string {
	x := r.Extra()
	if len(x) == 0 {
		return into
	}
	for _, f := range r.Fields() {
		if v, ok := x[f.Key]; ok && !f.Kind.Scalar() && v == f.Value {
			x[f.Key] = shown(f)
		}
	}
	if into == nil && path == "" {
		return x
	}
	if into == nil {
		into = make(map[string]string, len(x))
	}
	for k, v := range x {
		into[path+k] = v
	}
	return into
}
