package oncall

// The oncall decoder as it was before internal/field: jsonobj.Parse into
// members, its own sticky reader, keySet maps for Extra and wire.Validate
// for the required fields. It is the reference FuzzDecodeMatchesReference
// holds Decode to: the same event, or the same error text, for every input.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
)

// refMaxDepth bounds the nesting of a body, the top-level object included.
const refMaxDepth = 64

// refDecode is the reference of Decode.
func refDecode(body []byte) (Event, error) {
	o, err := refReadObject(body)
	if err != nil {
		return nil, err
	}
	switch {
	case o.has("event_type") || o.has("event_time"):
		return refDecodeCallEvent(o)
	case o.has("disposition") || o.has("charge") || o.has("per_minute"):
		return refDecodePostCall(o)
	}
	r := refReader{o: o}
	return &Unknown{Fields: r.extra(nil, nil)}, fmt.Errorf("oncall: neither a call event nor a post-call webhook: %w", telhook.ErrUnknownEvent)
}

// refWireCallEvent and refWirePostCall hold the required members, as text, for
// wire.Validate.
type refWireCallEvent struct {
	UUID      string `json:"uuid" validate:"required"`
	EventType string `json:"event_type" validate:"required"`
	EventTime string `json:"event_time" validate:"required"`
}

type refWirePostCall struct {
	UUID string `json:"uuid" validate:"required"`
}

// The members each kind knows; the rest goes to Extra.
var (
	refCallKeys    = refKeySet("uuid", "event_type", "event_time", "event_payload", "from", "to", "call_started", "call_answered", "call_completed", "call_finished", "machine_detected", "tag", "direction")
	refPayloadKeys = refKeySet("type", "payload", "in_call_event", "in_call_event_data")
	refDataKeys    = refKeySet("status", "playback_id", "digits", "reason")
	refPostKeys    = refKeySet("uuid", "direction", "destination", "disposition", "from", "to", "duration", "charge", "per_minute", "date")
)

func refKeySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func refDecodeCallEvent(o refObject) (Event, error) {
	r := refReader{o: o}
	ev := &CallEvent{
		UUID:      r.word("uuid"),
		EventType: r.word("event_type"),
	}
	eventTime := r.stampText("event_time")
	ev.From = r.text("from")
	ev.To = r.text("to")
	ev.Tag = r.text("tag")
	ev.Direction = r.word("direction")
	if r.err != nil {
		return nil, r.err
	}
	if err := wire.Validate(provider, &refWireCallEvent{UUID: ev.UUID, EventType: ev.EventType, EventTime: eventTime}); err != nil {
		return nil, err
	}
	ev.EventTime = r.parseTime("event_time", eventTime)
	ev.CallStarted = r.time("call_started")
	ev.CallAnswered = r.time("call_answered")
	ev.CallCompleted = r.completed()
	ev.MachineDetected = r.flag("machine_detected")
	ev.Extra = r.extra(refCallKeys, nil)
	ev.Payload, ev.Extra = r.payload(ev.Extra)
	if r.err != nil {
		return nil, r.err
	}
	return ev, nil
}

func refDecodePostCall(o refObject) (Event, error) {
	r := refReader{o: o}
	pc := &PostCall{
		UUID:        r.word("uuid"),
		Direction:   r.word("direction"),
		Destination: r.text("destination"),
		Disposition: r.word("disposition"),
		From:        r.text("from"),
		To:          r.text("to"),
		Charge:      r.text("charge"),
		PerMinute:   r.text("per_minute"),
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := wire.Validate(provider, &refWirePostCall{UUID: pc.UUID}); err != nil {
		return nil, err
	}
	pc.Duration = r.seconds("duration")
	pc.Date = r.time("date")
	pc.Extra = r.extra(refPostKeys, nil)
	if r.err != nil {
		return nil, r.err
	}
	return pc, nil
}

// Errors wrapped in DecodeErrors by this package.
var (
	errRefNotObject = jsonobj.ErrNotObject
	errRefNotString = errors.New("not a string or number")
	errRefNotTime   = errors.New("not a timestamp string")
	errRefNotBool   = errors.New(`not a boolean (true, false, "true", "false")`)
	errRefTooDeep   = fmt.Errorf("nested deeper than %d levels", refMaxDepth)
)

// refObject is the members of one JSON object, in the order sent.
type refObject []jsonobj.Member

// get returns the value of the first member named k.
func (o refObject) get(k string) ([]byte, bool) {
	for i := range o {
		if string(o[i].Key) == k {
			return o[i].Value, true
		}
	}
	return nil, false
}

func (o refObject) has(k string) bool { _, ok := o.get(k); return ok }

// refReadObject reads the top-level object (jsonobj.Parse: strict, repaired
// only when that fails, split into members) and refuses members nested too
// deeply and keys repeated with different values.
func refReadObject(body []byte) (refObject, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, wire.Error(provider, "", "", wire.ErrEmpty)
	}
	members, err := jsonobj.Parse(body)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	o := refObject(members)
	for _, m := range o {
		if m.Depth >= refMaxDepth { // with the top-level object, one level more
			return nil, wire.Error(provider, string(m.Key), "", errRefTooDeep)
		}
	}
	return o, o.duplicate("")
}

// duplicate refuses the first key repeated with a different value. A key
// repeated with the same value is harmless: get reads the first.
func (o refObject) duplicate(path string) error {
	conflict := func(i, j int) error {
		if jsonobj.Same(o[i].Value, o[j].Value) {
			return nil
		}
		s, _ := refScalar(o[j].Value)
		return wire.Error(provider, path+string(o[j].Key), s, wire.ErrRepeated)
	}
	if len(o) <= 32 {
		for j := 1; j < len(o); j++ {
			for i := range j {
				if bytes.Equal(o[i].Key, o[j].Key) {
					if err := conflict(i, j); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
	}
	first := make(map[string]int, len(o))
	for j, m := range o {
		if i, ok := first[string(m.Key)]; ok {
			if err := conflict(i, j); err != nil {
				return err
			}
			continue
		}
		first[string(m.Key)] = j
	}
	return nil
}

// JSON value kinds, as scalar reports them: the first byte of the value.
const (
	refKindString = '"'
	refKindNull   = 'n'
	refKindBool   = 't'
	refKindNumber = '0'
	refKindObject = '{'
)

// refScalar returns a valid JSON value as text, and its kind: a string
// unquoted, a number or boolean as sent, null as "", an object or array as
// compact JSON.
func refScalar(v []byte) (string, byte) {
	if len(v) == 0 {
		return "", refKindNull
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 { // no escape to undo
			return string(v[1 : len(v)-1]), refKindString
		}
		var s string
		_ = json.Unmarshal(v, &s) // valid JSON: cannot fail
		return s, refKindString
	case 'n':
		return "", refKindNull
	case 't', 'f':
		return string(v), refKindBool
	case '{', '[':
		var buf bytes.Buffer
		_ = json.Compact(&buf, v)
		return buf.String(), refKindObject
	}
	return string(v), refKindNumber
}

// refReader reads the members of one object into Go values. The first
// failure is kept in err and turns every later read into a no-op, so that
// a decoder reads its fields in order and checks err once.
type refReader struct {
	o    refObject
	path string // "" for the top level, "event_payload." below it
	err  error
}

func (r *refReader) fail(key, value string, err error) {
	if r.err == nil {
		r.err = wire.Error(provider, r.path+key, value, err)
	}
}

// text reads a string, or a number kept as its text; null and absent are
// "". The text is returned exactly as sent.
func (r *refReader) text(key string) string {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return ""
	}
	s, kind := refScalar(v)
	switch kind {
	case refKindString, refKindNumber, refKindNull:
		return s
	}
	r.fail(key, s, errRefNotString)
	return ""
}

// word is text with surrounding spaces dropped: ids and enum values.
func (r *refReader) word(key string) string { return strings.TrimSpace(r.text(key)) }

// stampText reads a timestamp member as text: a string, or "" for null and
// absent.
func (r *refReader) stampText(key string) string {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return ""
	}
	s, kind := refScalar(v)
	switch kind {
	case refKindString:
		return strings.TrimSpace(s)
	case refKindNull:
		return ""
	}
	r.fail(key, s, errRefNotTime)
	return ""
}

// parseTime reads RFC 3339 with or without a fraction (and the other forms
// tolerant.ParseTime knows, a zone-less one as UTC); "" is the zero time.
func (r *refReader) parseTime(key, s string) time.Time {
	if s == "" || r.err != nil {
		return time.Time{}
	}
	t, err := tolerant.ParseTime(s, time.UTC)
	if err != nil {
		r.fail(key, s, err)
	}
	return t
}

func (r *refReader) time(key string) time.Time { return r.parseTime(key, r.stampText(key)) }

// completed reads call_completed, or its production-docs name
// call_finished. When both are set they must agree.
func (r *refReader) completed() time.Time {
	c, f := r.time("call_completed"), r.time("call_finished")
	switch {
	case c.IsZero():
		return f
	case !f.IsZero() && !f.Equal(c):
		v, _ := r.o.get("call_finished")
		s, _ := refScalar(v)
		r.fail("call_finished", s, errors.New(`disagrees with "call_completed"`))
	}
	return c
}

// flag reads true, false, "true" or "false" (any case); null, "" and
// absent are false.
func (r *refReader) flag(key string) bool {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return false
	}
	s, kind := refScalar(v)
	switch kind {
	case refKindBool:
		return s == "true"
	case refKindNull:
		return false
	case refKindString:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true
		case "false", "":
			return false
		}
	}
	r.fail(key, s, errRefNotBool)
	return false
}

// seconds reads whole seconds, as a number or a numeric string; null, ""
// and absent are zero.
func (r *refReader) seconds(key string) time.Duration {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return 0
	}
	s, kind := refScalar(v)
	switch kind {
	case refKindNull:
		return 0
	case refKindString:
		if s = strings.TrimSpace(s); s == "" {
			return 0
		}
	case refKindNumber:
	default:
		r.fail(key, s, tolerant.ErrNotInteger)
		return 0
	}
	d, err := tolerant.Seconds(s)
	if err != nil {
		r.fail(key, s, err)
	}
	return d
}

// object reads a member that must be an object; absent, null and {} give
// a reader of no members.
func (r *refReader) object(key string) refReader {
	v, ok := r.o.get(key)
	if !ok || r.err != nil || v[0] == 'n' {
		return refReader{path: r.path + key + "."}
	}
	if v[0] != '{' {
		s, _ := refScalar(v)
		r.fail(key, s, errRefNotObject)
		return refReader{path: r.path + key + "."}
	}
	o := refObject(jsonobj.Split(v))
	if err := o.duplicate(r.path + key + "."); err != nil && r.err == nil {
		r.err = err
	}
	return refReader{o: o, path: r.path + key + "."}
}

// alias returns which of two names of one member to read: legacy when only
// it is set (not null), else primary. When both are set they must agree.
func (r *refReader) alias(primary, legacy string) string {
	a, aok := r.o.get(primary)
	b, bok := r.o.get(legacy)
	aok = aok && a[0] != 'n'
	bok = bok && b[0] != 'n'
	switch {
	case aok && bok:
		if !jsonobj.Same(a, b) {
			s, _ := refScalar(b)
			r.fail(legacy, s, fmt.Errorf("disagrees with %q", primary))
		}
	case bok:
		return legacy
	}
	return primary
}

// payload reads event_payload in any generation. Members it does not know
// go to extra, by their path.
func (r *refReader) payload(extra map[string]string) (Payload, map[string]string) {
	p := r.object("event_payload")
	if p.o == nil || r.err != nil {
		return Payload{}, extra
	}
	typ := p.word(p.alias("type", "in_call_event"))
	d := p.object(p.alias("payload", "in_call_event_data"))
	pl := Payload{
		Type:       typ,
		Status:     d.word("status"),
		PlaybackID: d.word("playback_id"),
		Digits:     d.word("digits"),
		Reason:     d.word("reason"),
	}
	extra = p.extra(refPayloadKeys, extra)
	extra = d.extra(refDataKeys, extra)
	for _, e := range []error{p.err, d.err} {
		if e != nil && r.err == nil {
			r.err = e
		}
	}
	return pl, extra
}

// extra adds every member not in known to into, by its path, and returns
// into (allocated on first use).
func (r *refReader) extra(known map[string]bool, into map[string]string) map[string]string {
	for _, m := range r.o {
		if known[string(m.Key)] {
			continue
		}
		if into == nil {
			into = make(map[string]string, len(r.o))
		}
		into[r.path+string(m.Key)], _ = refScalar(m.Value)
	}
	return into
}

// FuzzDecodeMatchesReference holds Decode to the decoder it replaced: for
// every body, the same event (cmp.Diff) or the same error text. The
// differences that are deliberate are skipped by knownDifference.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, name := range fixtureNames(f) {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z","event_payload":{"type":"audio","payload":{"a":[1, 2],"digits":1},"b":{ "c" : true }},"d":[ null ]}`))
	f.Add([]byte(`{"uuid":"u","event_time":"2026-03-10T09:15:03Z","call_completed":"2026-03-10T09:15:03Z","call_finished":" 2026-03-10T11:15:04+02:00 "}`))
	f.Add([]byte(`{"uuid":"u","disposition":"x","duration":" 7 ","charge":1.50,"date":null,"per_minute":true}`))
	f.Add([]byte(`{"uuid":"u","uuid":"\u0075","event_time":"2026-03-10T09:15:03Z","event_payload":{"type":"a","in_call_event":"\u0061","payload":{"a":"b","a":"\u0062"}}}`))
	f.Add([]byte(`{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z","event_payload.type":"q","event_payload":{"payload.x":1,"payload":{"x":2},"in_call_event_data":{ "x" : 2 }}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := refDecode(body)
		got, err := Decode(body)
		if reason := knownDifference(body, err, wantErr); reason != "" {
			t.Skip(reason)
		}
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("Decode error %v, reference error %v", err, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("event (-reference +Decode):\n%s", diff)
		}
	})
}

// knownDifference names why Decode, failing with err, deliberately
// differs from the reference on body, which failed with refErr; or
// returns "".
func knownDifference(body []byte, err, refErr error) string {
	if errors.Is(err, field.ErrTooMany) && !errors.Is(refErr, field.ErrTooMany) {
		// The reference read any number of members; field.JSON refuses
		// more than field.MaxFields distinct keys (and a multiple of that
		// in members, repeats included): the bound that keeps a hostile
		// body's cost small, the same for every provider.
		return "too many members for field.JSON, read by the reference"
	}
	if sameOnceUnescaped(body, refErr) {
		// The reference compared strings as sent, so "u" and "\u0075"
		// were two values; field compares them unescaped, as it reads
		// them: a repeat (at any level) or the legacy in_call_event with
		// the value of type, escaped otherwise, is one value.
		return "a repeat or alias that differs only in its escapes: refused by the reference, one value to field"
	}
	return ""
}

// sameOnceUnescaped reports whether refErr refuses a member repeated with
// another value, or an in_call_event that disagrees with type, when every
// value involved is a JSON string and all are equal once unescaped.
func sameOnceUnescaped(body []byte, refErr error) bool {
	var de *telhook.DecodeError
	if !errors.As(refErr, &de) {
		return false
	}
	repeat := errors.Is(refErr, wire.ErrRepeated)
	if !repeat && de.Field != "event_payload.in_call_event" {
		return false
	}
	top, err := jsonobj.Parse(body)
	if err != nil {
		return false
	}
	objects := map[string]refObject{"": top}
	if v, ok := refObject(top).get("event_payload"); ok && v[0] == '{' {
		p := refObject(jsonobj.Split(v))
		objects["event_payload."] = p
		for _, k := range []string{"payload", "in_call_event_data"} {
			if v, ok := p.get(k); ok && v[0] == '{' {
				objects["event_payload."+k+"."] = refObject(jsonobj.Split(v))
			}
		}
	}
	for path, o := range objects {
		key, ok := strings.CutPrefix(de.Field, path)
		if !ok {
			continue
		}
		keys := []string{key}
		if !repeat {
			if path != "event_payload." {
				continue
			}
			keys = append(keys, "type")
		}
		var values []string
		for _, m := range o {
			if !slices.Contains(keys, string(m.Key)) {
				continue
			}
			s, kind := refScalar(m.Value)
			if kind != refKindString {
				values = nil
				break
			}
			values = append(values, s)
		}
		if len(values) > 1 && !slices.ContainsFunc(values, func(s string) bool { return s != values[0] }) {
			return true
		}
	}
	return false
}

// BenchmarkDecodeReference is BenchmarkDecode with the decoder Decode
// replaced.
func BenchmarkDecodeReference(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(qaBody)))
	for b.Loop() {
		if _, err := refDecode(qaBody); err != nil {
			b.Fatal(err)
		}
	}
}
