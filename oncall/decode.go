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
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
)

const provider = "oncall"

// maxDepth bounds the nesting of a body, the top-level object included:
// the same bound jsonfix.Repair has, so that a body is refused for its
// depth whether it was valid JSON or repaired.
const maxDepth = 64

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
// The body is checked strictly with encoding/json (json.Valid) first, and
// split into its members by a reader that relies on that check; only when
// the body is not valid JSON is it repaired with the rules of
// internal/jsonfix (trailing commas, bare keys and tokens, typographic
// quotes, a BOM) and checked again. Bytes that are not UTF-8 are refused,
// never replaced. A key repeated with a different value, nesting deeper
// than 64 levels, a missing uuid (both kinds), event_type or event_time
// (CallEvent), a value of the wrong type and a timestamp that is not RFC
// 3339 are refused too. Every refusal is a *telhook.DecodeError with
// Provider "oncall" and Field naming the member, as a path for members of
// event_payload ("event_payload.payload.digits").
//
// Decode keeps no reference to body.
func Decode(body []byte) (Event, error) {
	o, err := readObject(body)
	if err != nil {
		return nil, err
	}
	switch {
	case o.has("event_type") || o.has("event_time"):
		return decodeCallEvent(o)
	case o.has("disposition") || o.has("charge") || o.has("per_minute"):
		return decodePostCall(o)
	}
	r := reader{o: o}
	return &Unknown{Fields: r.extra(nil, nil)}, fmt.Errorf("oncall: neither a call event nor a post-call webhook: %w", telhook.ErrUnknownEvent)
}

// wireCallEvent and wirePostCall hold the required members, as text, for
// wire.Validate.
type wireCallEvent struct {
	UUID      string `json:"uuid" validate:"required"`
	EventType string `json:"event_type" validate:"required"`
	EventTime string `json:"event_time" validate:"required"`
}

type wirePostCall struct {
	UUID string `json:"uuid" validate:"required"`
}

// The members each kind knows; the rest goes to Extra.
var (
	callKeys    = keySet("uuid", "event_type", "event_time", "event_payload", "from", "to", "call_started", "call_answered", "call_completed", "call_finished", "machine_detected", "tag", "direction")
	payloadKeys = keySet("type", "payload", "in_call_event", "in_call_event_data")
	dataKeys    = keySet("status", "playback_id", "digits", "reason")
	postKeys    = keySet("uuid", "direction", "destination", "disposition", "from", "to", "duration", "charge", "per_minute", "date")
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func decodeCallEvent(o object) (Event, error) {
	r := reader{o: o}
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
	if err := wire.Validate(provider, &wireCallEvent{UUID: ev.UUID, EventType: ev.EventType, EventTime: eventTime}); err != nil {
		return nil, err
	}
	ev.EventTime = r.parseTime("event_time", eventTime)
	ev.CallStarted = r.time("call_started")
	ev.CallAnswered = r.time("call_answered")
	ev.CallCompleted = r.completed()
	ev.MachineDetected = r.flag("machine_detected")
	ev.Extra = r.extra(callKeys, nil)
	ev.Payload, ev.Extra = r.payload(ev.Extra)
	if r.err != nil {
		return nil, r.err
	}
	return ev, nil
}

func decodePostCall(o object) (Event, error) {
	r := reader{o: o}
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
	if err := wire.Validate(provider, &wirePostCall{UUID: pc.UUID}); err != nil {
		return nil, err
	}
	pc.Duration = r.seconds("duration")
	pc.Date = r.time("date")
	pc.Extra = r.extra(postKeys, nil)
	if r.err != nil {
		return nil, r.err
	}
	return pc, nil
}

// Errors wrapped in DecodeErrors by this package.
var (
	errNotObject = jsonobj.ErrNotObject
	errNotString = errors.New("not a string or number")
	errNotTime   = errors.New("not a timestamp string")
	errNotBool   = errors.New(`not a boolean (true, false, "true", "false")`)
	errTooDeep   = fmt.Errorf("nested deeper than %d levels", maxDepth)
)

// object is the members of one JSON object, in the order sent.
type object []jsonobj.Member

// get returns the value of the first member named k.
func (o object) get(k string) ([]byte, bool) {
	for i := range o {
		if string(o[i].Key) == k {
			return o[i].Value, true
		}
	}
	return nil, false
}

func (o object) has(k string) bool { _, ok := o.get(k); return ok }

// readObject reads the top-level object (jsonobj.Parse: strict, repaired
// only when that fails, split into members) and refuses members nested too
// deeply and keys repeated with different values.
func readObject(body []byte) (object, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, wire.Error(provider, "", "", wire.ErrEmpty)
	}
	members, err := jsonobj.Parse(body)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	o := object(members)
	for _, m := range o {
		if m.Depth >= maxDepth { // with the top-level object, one level more
			return nil, wire.Error(provider, string(m.Key), "", errTooDeep)
		}
	}
	return o, o.duplicate("")
}

// duplicate refuses the first key repeated with a different value. A key
// repeated with the same value is harmless: get reads the first.
func (o object) duplicate(path string) error {
	conflict := func(i, j int) error {
		if jsonobj.Same(o[i].Value, o[j].Value) {
			return nil
		}
		s, _ := scalar(o[j].Value)
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
	kindString = '"'
	kindNull   = 'n'
	kindBool   = 't'
	kindNumber = '0'
	kindObject = '{'
)

// scalar returns a valid JSON value as text, and its kind: a string
// unquoted, a number or boolean as sent, null as "", an object or array as
// compact JSON.
func scalar(v []byte) (string, byte) {
	if len(v) == 0 {
		return "", kindNull
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 { // no escape to undo
			return string(v[1 : len(v)-1]), kindString
		}
		var s string
		_ = json.Unmarshal(v, &s) // valid JSON: cannot fail
		return s, kindString
	case 'n':
		return "", kindNull
	case 't', 'f':
		return string(v), kindBool
	case '{', '[':
		var buf bytes.Buffer
		_ = json.Compact(&buf, v)
		return buf.String(), kindObject
	}
	return string(v), kindNumber
}

// reader reads the members of one object into Go values. The first
// failure is kept in err and turns every later read into a no-op, so that
// a decoder reads its fields in order and checks err once.
type reader struct {
	o    object
	path string // "" for the top level, "event_payload." below it
	err  error
}

func (r *reader) fail(key, value string, err error) {
	if r.err == nil {
		r.err = wire.Error(provider, r.path+key, value, err)
	}
}

// text reads a string, or a number kept as its text; null and absent are
// "". The text is returned exactly as sent.
func (r *reader) text(key string) string {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return ""
	}
	s, kind := scalar(v)
	switch kind {
	case kindString, kindNumber, kindNull:
		return s
	}
	r.fail(key, s, errNotString)
	return ""
}

// word is text with surrounding spaces dropped: ids and enum values.
func (r *reader) word(key string) string { return strings.TrimSpace(r.text(key)) }

// stampText reads a timestamp member as text: a string, or "" for null and
// absent.
func (r *reader) stampText(key string) string {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return ""
	}
	s, kind := scalar(v)
	switch kind {
	case kindString:
		return strings.TrimSpace(s)
	case kindNull:
		return ""
	}
	r.fail(key, s, errNotTime)
	return ""
}

// parseTime reads RFC 3339 with or without a fraction (and the other forms
// tolerant.ParseTime knows, a zone-less one as UTC); "" is the zero time.
func (r *reader) parseTime(key, s string) time.Time {
	if s == "" || r.err != nil {
		return time.Time{}
	}
	t, err := tolerant.ParseTime(s, time.UTC)
	if err != nil {
		r.fail(key, s, err)
	}
	return t
}

func (r *reader) time(key string) time.Time { return r.parseTime(key, r.stampText(key)) }

// completed reads call_completed, or its production-docs name
// call_finished. When both are set they must agree.
func (r *reader) completed() time.Time {
	c, f := r.time("call_completed"), r.time("call_finished")
	switch {
	case c.IsZero():
		return f
	case !f.IsZero() && !f.Equal(c):
		v, _ := r.o.get("call_finished")
		s, _ := scalar(v)
		r.fail("call_finished", s, errors.New(`disagrees with "call_completed"`))
	}
	return c
}

// flag reads true, false, "true" or "false" (any case); null, "" and
// absent are false.
func (r *reader) flag(key string) bool {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return false
	}
	s, kind := scalar(v)
	switch kind {
	case kindBool:
		return s == "true"
	case kindNull:
		return false
	case kindString:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true
		case "false", "":
			return false
		}
	}
	r.fail(key, s, errNotBool)
	return false
}

// seconds reads whole seconds, as a number or a numeric string; null, ""
// and absent are zero.
func (r *reader) seconds(key string) time.Duration {
	v, ok := r.o.get(key)
	if !ok || r.err != nil {
		return 0
	}
	s, kind := scalar(v)
	switch kind {
	case kindNull:
		return 0
	case kindString:
		if s = strings.TrimSpace(s); s == "" {
			return 0
		}
	case kindNumber:
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
func (r *reader) object(key string) reader {
	v, ok := r.o.get(key)
	if !ok || r.err != nil || v[0] == 'n' {
		return reader{path: r.path + key + "."}
	}
	if v[0] != '{' {
		s, _ := scalar(v)
		r.fail(key, s, errNotObject)
		return reader{path: r.path + key + "."}
	}
	o := object(jsonobj.Split(v))
	if err := o.duplicate(r.path + key + "."); err != nil && r.err == nil {
		r.err = err
	}
	return reader{o: o, path: r.path + key + "."}
}

// alias returns which of two names of one member to read: legacy when only
// it is set (not null), else primary. When both are set they must agree.
func (r *reader) alias(primary, legacy string) string {
	a, aok := r.o.get(primary)
	b, bok := r.o.get(legacy)
	aok = aok && a[0] != 'n'
	bok = bok && b[0] != 'n'
	switch {
	case aok && bok:
		if !jsonobj.Same(a, b) {
			s, _ := scalar(b)
			r.fail(legacy, s, fmt.Errorf("disagrees with %q", primary))
		}
	case bok:
		return legacy
	}
	return primary
}

// payload reads event_payload in any generation. Members it does not know
// go to extra, by their path.
func (r *reader) payload(extra map[string]string) (Payload, map[string]string) {
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
	extra = p.extra(payloadKeys, extra)
	extra = d.extra(dataKeys, extra)
	for _, e := range []error{p.err, d.err} {
		if e != nil && r.err == nil {
			r.err = e
		}
	}
	return pl, extra
}

// extra adds every member not in known to into, by its path, and returns
// into (allocated on first use).
func (r *reader) extra(known map[string]bool, into map[string]string) map[string]string {
	for _, m := range r.o {
		if known[string(m.Key)] {
			continue
		}
		if into == nil {
			into = make(map[string]string, len(r.o))
		}
		into[r.path+string(m.Key)], _ = scalar(m.Value)
	}
	return into
}
