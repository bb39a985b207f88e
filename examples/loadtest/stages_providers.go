package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

func newBufPool() *sync.Pool {
	return &sync.Pool{New: func() any { return new(bytes.Buffer) }}
}

// stagesFor returns t's stages in the order the handler runs them.
func stagesFor(t *target, n int, errs *stageErr) ([]stage, error) {
	var mid []stage
	var ev any
	var err error
	switch t.name {
	case "elks":
		mid, ev, err = elksStages(t, errs)
	case "obd":
		mid, ev, err = obdStages(t, errs)
	case "pbx3cx":
		mid, ev, err = pbx3cxStages(t, errs)
	case "oncall":
		mid, ev, err = oncallStages(t, errs)
	default:
		return nil, fmt.Errorf("no stages for %q", t.name)
	}
	if err != nil {
		return nil, err
	}
	list := []stage{bodyReadStage(t, errs)}
	list = append(list, mid...)
	list = append(list, dedupStage(t.name, errs), callbackStage(ev, t.status, errs), answerStage(t.status))
	return append(list, wholeStages(t, n, errs)...), nil
}

// request returns a request as the handler sees it, body already read.
func stageRequest(t *target) *http.Request {
	req := httptest.NewRequest(http.MethodPost, t.path, nil)
	req.Header.Set("Content-Type", t.contentType)
	return req
}

// methodAllowed mirrors the core's method check.
func methodAllowed(methods []string, m string) bool {
	for _, a := range methods {
		if m == a {
			return true
		}
	}
	return false
}

// 46elks: a form body, gorilla/schema into wire structs, validator/v10.

// Mirrors of elks's wire struct and its tolerant field types, decoded by a
// gorilla/schema decoder configured as internal/wire's and validated by
// internal/wire's own validator.
type (
	elksPhone string
	elksStamp time.Time
	elksSMS   struct {
		ID        string    `form:"id" validate:"required"`
		From      elksPhone `form:"from" validate:"required"`
		To        elksPhone `form:"to" validate:"required"`
		Message   string    `form:"message"`
		Direction string    `form:"direction"`
		Created   elksStamp `form:"created"`
	}
)

func (p *elksPhone) UnmarshalText(b []byte) error {
	*p = elksPhone(tolerant.Phone(string(b)))
	return nil
}

func (s *elksStamp) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = elksStamp{}
		return nil
	}
	t, err := tolerant.ParseTime(string(b), time.UTC)
	*s = elksStamp(t)
	return err
}

const elksTimeLayout = "2006-01-02T15:04:05.999999"

func elksStages(t *target, errs *stageErr) ([]stage, any, error) {
	body := t.body(1)
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, err
	}
	ev, err := elks.Decode(body)
	if err != nil {
		return nil, nil, err
	}
	sms, ok := ev.(*elks.SMS)
	if !ok {
		return nil, nil, fmt.Errorf("decoded %T, want *elks.SMS", ev)
	}
	req := stageRequest(t)
	methods := []string{http.MethodPost}
	known := wire.Fields(elksSMS{})
	var decoded elksSMS
	errs.check(wire.Decode(t.name, &decoded, values))
	provider, kindSMS := t.name, "sms"
	return []stage{
		{
			name: "detection",
			impl: "≈ method, Content-Type, kind switch on the fields",
			fn: func(int) {
				ok := methodAllowed(methods, req.Method)
				ct := req.Header.Get("Content-Type")
				mt, _, _ := strings.Cut(ct, ";")
				ok = ok && strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
				errs.sinkBool = ok && elksKind(values) == "sms"
			},
			floor: "nothing",
		},
		{
			name:    "decode",
			impl:    "elks.Decode(body)",
			fn:      func(int) { ev, err := elks.Decode(body); errs.check(err); errs.sinkAny = ev },
			floor:   "url.ParseQuery + hand copy + time.Parse",
			floorFn: func(int) { errs.sinkAny, _ = elksFloor(body) },
		},
		{
			name:    "form parse",
			impl:    "wire.Form: ParseQuery + UTF-8/repeat check",
			fn:      func(int) { v, err := wire.Form(provider, body); errs.check(err); errs.sinkAny = v },
			floor:   "url.ParseQuery(string(body))",
			floorFn: func(int) { v, err := url.ParseQuery(string(body)); errs.check(err); errs.sinkAny = v },
			sub:     true,
		},
		{
			name: "field decode",
			impl: "wire.Decode: exact keys, gorilla/schema, validator",
			fn: func(int) {
				var w elksSMS
				errs.check(wire.Decode(provider, &w, values))
				errs.sinkAny = &w
			},
			floor: "values.Get ×5 + time.Parse + 3 checks",
			floorFn: func(int) {
				created, err := time.Parse(elksTimeLayout, values.Get("created"))
				errs.check(err)
				sms := &elks.SMS{ID: values.Get("id"), From: values.Get("from"), To: values.Get("to"),
					Message: values.Get("message"), Direction: values.Get("direction"), Created: created}
				errs.sinkBool = sms.ID != "" && sms.From != "" && sms.To != ""
				errs.sinkAny = sms
			},
			sub:  true,
			note: "into a mirror of elks's wire struct; gorilla/schema: reflection per field, a converter lookup, UnmarshalText through an interface; wire.Decode first copies the known keys into a new url.Values",
		},
		{
			name:    "validation",
			impl:    "  of which wire.Validate (validator/v10)",
			fn:      func(int) { errs.check(wire.Validate(provider, &decoded)) },
			floor:   "id, from, to != \"\"",
			floorFn: func(int) { errs.sinkBool = decoded.ID != "" && decoded.From != "" && decoded.To != "" },
			sub:     true,
		},
		{
			name: "event + Extra",
			impl: "≈ wire.Extra + the event",
			fn: func(int) {
				errs.sinkAny = &elks.SMS{ID: decoded.ID, From: string(decoded.From), To: string(decoded.To),
					Message: decoded.Message, Direction: decoded.Direction, Created: time.Time(decoded.Created),
					Extra: wire.Extra(values, known, nil)}
			},
			floor: "the event",
			floorFn: func(int) {
				errs.sinkAny = &elks.SMS{ID: decoded.ID, From: string(decoded.From), To: string(decoded.To),
					Message: decoded.Message, Direction: decoded.Direction, Created: time.Time(decoded.Created)}
			},
			sub: true,
		},
		{
			name:  "dedupe key",
			impl:  "≈ core.Key(\"sms\", id), then provider+\":\"+key",
			fn:    func(int) { errs.sinkString = provider + ":" + core.Key(kindSMS, sms.ID) },
			floor: "nothing",
		},
	}, sms, nil
}

// elksKind mirrors the kind switch of elks's decode, for an SMS.
func elksKind(v url.Values) string {
	has := func(k string) bool { _, ok := v[k]; return ok }
	for k := range v {
		if rest, ok := strings.CutPrefix(k, "image"); ok && (rest == "" || rest[0] >= '0' && rest[0] <= '9') {
			return "mms"
		}
	}
	switch {
	case has("message") && strings.HasPrefix(v.Get("id"), "m"):
		return "mms"
	case has("message"):
		return "sms"
	}
	return "other"
}

// elksFloor is elks's BenchmarkDecodeBaseline: url.ParseQuery and a hand
// copy with one time layout and no checks.
func elksFloor(body []byte) (*elks.SMS, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	created, err := time.Parse(elksTimeLayout, v.Get("created"))
	if err != nil {
		return nil, err
	}
	return &elks.SMS{ID: v.Get("id"), From: v.Get("from"), To: v.Get("to"), Message: v.Get("message"),
		Direction: v.Get("direction"), Created: created}, nil
}

// Mobtexting: JSON into map[string]json.RawMessage, then flat values.

// obdPlain is the report as encoding/json would read it with no tolerance.
type obdPlain struct {
	Bridge       json.Number `json:"bridge"`
	From         json.Number `json:"from"`
	To           json.Number `json:"to"`
	Source       string      `json:"source"`
	MID          string      `json:"mid"`
	FlowID       int         `json:"flow_id"`
	StartAt      string      `json:"start_at"`
	EndAt        string      `json:"end_at"`
	Duration     string      `json:"duration"`
	Status       string      `json:"status"`
	RecordingURL string      `json:"recording_url"`
	WebhookID    string      `json:"webhook_id"`
}

const obdTimeLayout = "2006-01-02 15:04:05"

func obdStages(t *target, errs *stageErr) ([]stage, any, error) {
	body := t.body(1)
	values, err := obdValues(body)
	if err != nil {
		return nil, nil, err
	}
	ev, err := obd.Decode(body)
	if err != nil {
		return nil, nil, err
	}
	rep, ok := ev.(*obd.Report)
	if !ok {
		return nil, nil, fmt.Errorf("decoded %T, want *obd.Report", ev)
	}
	req := stageRequest(t)
	methods := []string{http.MethodPost}
	var dec obd.Decoder
	provider := t.name
	return []stage{
		{
			name: "detection",
			impl: "≈ method, mime.ParseMediaType, body's first byte",
			fn: func(int) {
				ok := methodAllowed(methods, req.Method)
				b := bytes.TrimSpace(body)
				mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
				errs.sinkAny = params
				errs.sinkBool = ok && len(b) > 0 && b[0] == '{' && mt != "" && req.URL.RawQuery == ""
			},
			floor: "nothing",
			note:  "mime.ParseMediaType runs for every request, JSON or not, and allocates its params map",
		},
		{
			name:    "decode",
			impl:    "obd.Decode(body)",
			fn:      func(int) { ev, err := obd.Decode(body); errs.check(err); errs.sinkAny = ev },
			floor:   "json.Unmarshal into a struct",
			floorFn: func(int) { var p obdPlain; errs.check(json.Unmarshal(body, &p)); errs.sinkAny = &p },
		},
		{
			name:    "JSON → values",
			impl:    "≈ jsonobj.Parse, Scalar per member, into a map",
			fn:      func(int) { v, err := obdValues(body); errs.check(err); errs.sinkAny = v },
			floor:   "json.Valid (a member reader's check)",
			floorFn: func(int) { errs.sinkBool = json.Valid(body) },
			sub:     true,
			note:    "json.Valid, then jsonobj.Split: a []Member, a string per key, then a string per value and a map of them",
		},
		{
			name:  "values → Report",
			impl:  "Decoder.DecodeValues: kind, trims, times, Extra",
			fn:    func(int) { ev, err := dec.DecodeValues(values); errs.check(err); errs.sinkAny = ev },
			floor: "map lookups, 2 ParseInLocation, 2 Atoi",
			floorFn: func(int) {
				r := &obd.Report{Source: values["source"], Bridge: values["bridge"], From: values["from"], To: values["to"],
					MID: values["mid"], Status: values["status"], RecordingURL: values["recording_url"], WebhookID: values["webhook_id"]}
				var err error
				r.StartAt, err = time.ParseInLocation(obdTimeLayout, values["start_at"], obd.India())
				errs.check(err)
				r.EndAt, err = time.ParseInLocation(obdTimeLayout, values["end_at"], obd.India())
				errs.check(err)
				r.FlowID, err = strconv.Atoi(values["flow_id"])
				errs.check(err)
				s, err := strconv.Atoi(values["duration"])
				errs.check(err)
				r.Duration = time.Duration(s) * time.Second
				errs.sinkAny = r
			},
			sub:  true,
			note: "Fields.keys() and list() build pointer slices per call; every value is scanned for {{ }}",
		},
		{
			name:  "validation",
			impl:  "inside DecodeValues: status required, numbers ≤ 64 chars",
			floor: "(no validator/v10 on this path)",
			sub:   true,
		},
		{
			name: "dedupe key",
			impl: "≈ core.Key of 7 fields with core.Instant(StartAt)",
			fn: func(int) {
				key := core.Key(rep.Source, rep.MID, rep.WebhookID, rep.ID, rep.To, core.Instant(rep.StartAt), rep.Status)
				errs.sinkString = provider + ":" + key
			},
			floor: "nothing",
		},
	}, rep, nil
}

// obdValues mirrors obd's jsonValues.
func obdValues(body []byte) (map[string]string, error) {
	members, err := jsonobj.Parse(body)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(members))
	for _, m := range members {
		key := string(m.Key)
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, fmt.Errorf("%s: not a scalar", key)
		}
		if prev, dup := values[key]; dup && prev != s {
			return nil, fmt.Errorf("%s: repeated", key)
		}
		values[key] = s
	}
	return values, nil
}

// 3CX: JSON into map[string]json.RawMessage, lowercased, then the event.

// pbxWireEvent mirrors pbx3cx's wireEvent, validated by internal/wire.
type pbxWireEvent struct {
	Type string `json:"event" validate:"required"`
	ID   string `json:"id" validate:"required"`
}

type pbxPlain struct{ Event, Callerid, User, Finishtype, Transfer, Did, Duration, Id string }

func pbx3cxStages(t *target, errs *stageErr) ([]stage, any, error) {
	body := t.body(1)
	ev, err := pbx3cx.Decode(body)
	if err != nil {
		return nil, nil, err
	}
	req := stageRequest(t)
	methods := []string{http.MethodGet, http.MethodPost}
	provider := t.name
	bom := []byte("\xef\xbb\xbf")
	return []stage{
		{
			name: "detection",
			impl: "≈ method, GET?, BOM + TrimSpace, first byte",
			fn: func(int) {
				ok := methodAllowed(methods, req.Method) && req.Method != http.MethodGet
				b := bytes.TrimSpace(bytes.TrimPrefix(body, bom))
				errs.sinkBool = ok && len(b) > 0 && b[0] == '{'
			},
			floor: "nothing",
		},
		{
			name:    "decode",
			impl:    "pbx3cx.Decode(body)",
			fn:      func(int) { ev, err := pbx3cx.Decode(body); errs.check(err); errs.sinkAny = ev },
			floor:   "json.Unmarshal into a struct",
			floorFn: func(int) { var p pbxPlain; errs.check(json.Unmarshal(body, &p)); errs.sinkAny = &p },
		},
		{
			name: "JSON → fields",
			impl: "≈ jsonobj.Parse, ToLower, Scalar, two maps",
			fn: func(int) {
				f, n, err := pbxFields(body)
				errs.check(err)
				errs.sinkAny, errs.sinkMap = f, n
			},
			floor:   "json.Valid (a member reader's check)",
			floorFn: func(int) { errs.sinkBool = json.Valid(body) },
			sub:     true,
			note:    "json.Valid, jsonobj.Split (a string per key), then a string per value into two maps (fields, names as sent)",
		},
		{
			name:    "validation",
			impl:    "≈ wire.Validate (validator/v10) on {event, id}",
			fn:      func(int) { errs.check(wire.Validate(provider, &pbxWireEvent{Type: ev.Type, ID: ev.ID})) },
			floor:   "event, id != \"\"",
			floorFn: func(int) { errs.sinkBool = ev.Type != "" && ev.ID != "" },
			sub:     true,
			note:    "validator/v10 for two required strings: a struct cache lookup, reflection and a pooled state per call",
		},
		{
			name: "dedupe key",
			impl: "≈ core.Key of 6 fields + FormatInt",
			fn: func(int) {
				parts := append([]string{ev.Type, ev.ID, ev.User, ev.FinishType, ev.TransferType, strconv.FormatInt(int64(ev.Duration), 10)}, ev.RecordingURLs...)
				errs.sinkString = provider + ":" + core.Key(parts...)
			},
			floor: "nothing",
		},
	}, ev, nil
}

// pbxFields mirrors the first half of pbx3cx's decodeJSON (no file URLs
// in this body).
func pbxFields(b []byte) (fields, names map[string]string, err error) {
	members, err := jsonobj.Parse(b)
	if err != nil {
		return nil, nil, err
	}
	fields = make(map[string]string, len(members))
	names = make(map[string]string, len(members))
	for _, m := range members {
		key := string(m.Key)
		k := strings.ToLower(key)
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, nil, fmt.Errorf("%s: not a scalar", key)
		}
		if prev, dup := fields[k]; dup && prev != s {
			return nil, nil, fmt.Errorf("%s: repeated", key)
		}
		fields[k], names[k] = s, key
	}
	return fields, names, nil
}

// Wavix: a member reader over the body, checked with json.Valid.

// oncallMembers mirrors oncall's readObject on valid JSON: the checks, the
// split, the depth and duplicate checks.
func oncallMembers(body []byte) ([]jsonobj.Member, error) {
	b := bytes.TrimSpace(body)
	if !utf8.Valid(b) || !json.Valid(b) || len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a valid JSON object")
	}
	o := jsonobj.Split(b)
	for j := 1; j < len(o); j++ {
		if o[j].Depth >= 64 {
			return nil, errors.New("too deep")
		}
		for i := range j {
			if bytes.Equal(o[i].Key, o[j].Key) && !jsonobj.Same(o[i].Value, o[j].Value) {
				return nil, errors.New("repeated")
			}
		}
	}
	return o, nil
}

// oncallWire mirrors oncall's wireCallEvent.
type oncallWire struct {
	UUID      string `json:"uuid" validate:"required"`
	EventType string `json:"event_type" validate:"required"`
	EventTime string `json:"event_time" validate:"required"`
}

// oncallPlain is oncall's BenchmarkDecodeBaseline struct.
type oncallPlain struct {
	UUID         string    `json:"uuid"`
	EventType    string    `json:"event_type"`
	EventTime    time.Time `json:"event_time"`
	EventPayload *struct {
		Type    string `json:"type"`
		Payload struct {
			Status     string `json:"status"`
			PlaybackID string `json:"playback_id"`
			Digits     string `json:"digits"`
			Reason     string `json:"reason"`
		} `json:"payload"`
	} `json:"event_payload"`
	From            string     `json:"from"`
	To              string     `json:"to"`
	CallStarted     time.Time  `json:"call_started"`
	CallAnswered    *time.Time `json:"call_answered"`
	CallCompleted   *time.Time `json:"call_completed"`
	MachineDetected bool       `json:"machine_detected"`
	Tag             string     `json:"tag"`
	Direction       string     `json:"direction"`
}

func oncallStages(t *target, errs *stageErr) ([]stage, any, error) {
	body := t.body(1)
	ev, err := oncall.Decode(body)
	if err != nil {
		return nil, nil, err
	}
	ce, ok := ev.(*oncall.CallEvent)
	if !ok {
		return nil, nil, fmt.Errorf("decoded %T, want *oncall.CallEvent", ev)
	}
	req := stageRequest(t)
	methods := []string{http.MethodPost}
	provider := t.name
	stamps := []string{"2025-09-22T12:56:38.547Z", "2025-09-22T12:56:38.547Z", "2023-11-07T05:31:56Z", "2023-11-07T05:31:56Z"}
	timeText := ce.EventTime.Format(time.RFC3339Nano)
	return []stage{
		{
			name:  "detection",
			impl:  "≈ method; the kind is 2 member lookups inside Decode",
			fn:    func(int) { errs.sinkBool = methodAllowed(methods, req.Method) },
			floor: "nothing",
		},
		{
			name:    "decode",
			impl:    "oncall.Decode(body)",
			fn:      func(int) { ev, err := oncall.Decode(body); errs.check(err); errs.sinkAny = ev },
			floor:   "json.Unmarshal into a struct",
			floorFn: func(int) { var p oncallPlain; errs.check(json.Unmarshal(body, &p)); errs.sinkAny = &p },
		},
		{
			name:    "JSON → members",
			impl:    "≈ readObject: utf8.Valid, json.Valid, jsonobj.Split",
			fn:      func(int) { o, err := oncallMembers(body); errs.check(err); errs.sinkAny = o },
			floor:   "json.Valid (a member reader's check)",
			floorFn: func(int) { errs.sinkBool = json.Valid(body) },
			sub:     true,
			note:    "jsonobj.Split makes a string of every key; the values stay in the body",
		},
		{
			name: "timestamps",
			impl: "4 × tolerant.ParseTime",
			fn: func(int) {
				for _, s := range stamps {
					tm, err := tolerant.ParseTime(s, time.UTC)
					errs.check(err)
					errs.sinkInt = tm.Nanosecond()
				}
			},
			floor: "4 × time.Parse(RFC3339)",
			floorFn: func(int) {
				for _, s := range stamps {
					tm, err := time.Parse(time.RFC3339, s)
					errs.check(err)
					errs.sinkInt = tm.Nanosecond()
				}
			},
			sub: true,
		},
		{
			name: "validation",
			impl: "≈ wire.Validate (validator/v10) on 3 strings",
			fn: func(int) {
				errs.check(wire.Validate(provider, &oncallWire{UUID: ce.UUID, EventType: ce.EventType, EventTime: timeText}))
			},
			floor:   "uuid, event_type, event_time != \"\"",
			floorFn: func(int) { errs.sinkBool = ce.UUID != "" && ce.EventType != "" && timeText != "" },
			sub:     true,
		},
		{
			name: "dedupe key",
			impl: "≈ callKey: core.Key of 8 parts + core.Instant",
			fn: func(int) {
				p := ce.Payload
				errs.sinkString = provider + ":" + core.Key("call", ce.UUID, ce.EventType, p.Type, p.Status, p.Reason, p.PlaybackID, p.Digits, core.Instant(ce.EventTime))
			},
			floor: "nothing",
		},
	}, ce, nil
}
