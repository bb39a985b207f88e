package oncall

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/tolerant"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/oncall/decoded")

// fixture returns the body of testdata/oncall/<name>.json; the golden
// output of each is testdata/oncall/decoded/<name>.json, out of the glob.
func fixture(t testing.TB, name string) []byte { return testfix.Read(t, "oncall", name, ".json") }

func fixtureNames(t testing.TB) []string { return testfix.Names(t, "oncall", ".json") }

// TestGolden decodes every fixture and compares it with its golden file;
// a fixture without one fails. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	names := fixtureNames(t)
	if len(names) < 80 {
		t.Errorf("%d fixtures, want at least 80", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			testfix.Golden(t, filepath.Join(testfix.Dir("oncall"), "decoded", name+".json"), testfix.OutcomeOf(Decode(fixture(t, name))), *update)
		})
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// synthetic is the call most hand-made fixtures start from, changed by fn.
func synthetic(fn func(*CallEvent)) *CallEvent {
	ev := &CallEvent{
		UUID: "0b7c6f3e-8e2a-4d51-9a7e-2f1c5d9e4a10", EventType: Ringing,
		From: "+18045961058", To: "17653889567", Tag: "support-line", Direction: Outbound,
		EventTime: utc("2026-03-10T09:15:03.250Z"), CallStarted: utc("2026-03-10T09:15:02.120Z"),
	}
	if fn != nil {
		fn(ev)
	}
	return ev
}

// inCall is the answered call of the payload fixtures.
func inCall(p Payload, extra map[string]string) *CallEvent {
	return synthetic(func(ev *CallEvent) {
		ev.EventType, ev.EventTime, ev.CallAnswered = OnCallEvent, utc("2026-03-10T09:15:30Z"), utc("2026-03-10T09:15:08.431Z")
		ev.Payload, ev.Extra = p, extra
	})
}

// legacy is the 2024-schema call of the legacy fixtures.
func legacy(eventTime, tag string, p Payload) *CallEvent {
	return &CallEvent{
		UUID: "c5e0d1a2-7b3f-4e68-9d40-8a1b2c3d4e5f", EventType: InCallEvent, From: "+442071838750", To: "442079460018", Tag: tag,
		EventTime: utc(eventTime), CallStarted: utc("2024-05-14T10:22:02Z"), CallAnswered: utc("2024-05-14T10:22:07Z"), Payload: p,
	}
}

var docsPostCall = &PostCall{
	UUID: "99df5ffd-962a-410f-bcce-d08f1f7f328c", Direction: Outbound, Destination: "France", Disposition: "answered",
	From: "14302287001", To: "33170363950", Duration: 6 * time.Second, Charge: "0.822", PerMinute: "0.027",
	Date: utc("2023-08-21T06:43:36Z"),
}

func TestDecode(t *testing.T) {
	playback := "7d9b2e44-3c1a-4f0e-b6a8-1e2d3c4b5a69"
	qa := &CallEvent{
		UUID: "5dccb6b0-f35c-488c-867b-86fb012c4415", EventType: CallSetup, From: "+18045961058", To: "17653889567",
		Tag: "marketing-campaign", Direction: Inbound, EventTime: utc("2025-09-22T12:56:38.547Z"), CallStarted: utc("2025-09-22T12:56:38.547Z"),
		CallAnswered: utc("2023-11-07T05:31:56Z"), CallCompleted: utc("2023-11-07T05:31:56Z"),
		Payload: Payload{Type: PayloadAudio, Status: "completed", PlaybackID: "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
	}
	answered := func(fn func(*CallEvent)) *CallEvent {
		return synthetic(func(ev *CallEvent) {
			ev.EventType, ev.EventTime, ev.CallAnswered = Answered, utc("2026-03-10T09:15:08.431Z"), utc("2026-03-10T09:15:08.431Z")
			if fn != nil {
				fn(ev)
			}
		})
	}
	completed := synthetic(func(ev *CallEvent) {
		ev.EventType, ev.EventTime = Completed, utc("2026-03-10T09:17:41.006Z")
		ev.CallAnswered, ev.CallCompleted = utc("2026-03-10T09:15:08.431Z"), utc("2026-03-10T09:17:41.006Z")
	})
	tests := []struct {
		fixture string
		want    Event
		reason  string
	}{
		{"spec-oncallevent", qa,
			"the spec excerpt: an audio payload on call_setup, to without '+', answered two years before it started (never checked)"},
		{"docs-qa", qa, "PROVIDERS 4.9.1, the same example on one line"},
		{"docs-production", &CallEvent{UUID: "5dccb6b0-f35c-488c-867b-86fb012c4415", EventType: CallSetup, From: "+18045961058", To: "17653889567",
			EventTime: utc("2025-09-22T12:56:38.547Z"), CallStarted: utc("2025-09-22T12:56:38.547Z")},
			"production docs: call_finished and event_payload null, no direction, empty tag"},
		{"docs-dtmf-collect", &CallEvent{UUID: "a6f1b2c3-4d5e-4f60-8a71-b2c3d4e5f607", EventType: OnCallEvent, From: "+14155550123", To: "12125550198",
			Direction: Outbound, EventTime: utc("2026-02-10T14:03:27.412Z"), CallStarted: utc("2026-02-10T14:02:51.030Z"), CallAnswered: utc("2026-02-10T14:02:58.764Z"),
			Payload: Payload{Type: PayloadCollect, Status: "completed", Digits: "1234"}},
			"current DTMF collect: digits and status"},
		{"docs-post-call", docsPostCall, "the documented post-call webhook: charge and per_minute strings, duration seconds"},
		{"event-in-call-event", legacy("2024-05-14T10:22:31Z", "", Payload{Type: PayloadCollectCompleted, Digits: "2", Reason: "collected"}),
			"2024 schema: in_call_event kept as the event type, in_call_event the payload type, no direction, no completion time"},
		{"payload-legacy-digits", legacy("2024-05-14T10:22:48Z", "ivr", Payload{Type: PayloadCollectCompleted, Digits: "77#", Reason: "timeout"}),
			"legacy in_call_event_data with digits and reason"},
		{"payload-legacy-playback", legacy("2024-05-14T10:22:19Z", "ivr", Payload{Type: "playback_completed", PlaybackID: "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"}),
			"legacy in_call_event_data with a playback id"},
		{"payload-audio-started", inCall(Payload{Type: PayloadAudio, Status: "started", PlaybackID: playback}, nil), "current audio, started"},
		{"payload-audio-completed", inCall(Payload{Type: PayloadAudio, Status: "completed", PlaybackID: playback}, nil), "current audio, completed"},
		{"payload-collect-failed", inCall(Payload{Type: PayloadCollect, Status: "failed"}, nil), "current collect that failed: empty digits"},
		{"payload-intermediate-collected", inCall(Payload{Type: PayloadCollectCompleted, Digits: "4821", Reason: "collected"}, nil),
			"intermediate schema: type collect_completed with a reason, no status"},
		{"payload-intermediate-timeout", inCall(Payload{Type: PayloadCollectCompleted, Reason: "timeout"}, nil), "intermediate schema, timed out"},
		{"payload-digits-number", inCall(Payload{Type: PayloadCollect, Status: "completed", Digits: "1234"}, nil), "digits sent as a JSON number keep their text"},
		{"payload-mixed-generations", inCall(Payload{Type: PayloadCollectCompleted, Digits: "12", Reason: "collected"}, nil),
			"type and in_call_event both sent and equal: one value"},
		{"payload-type-only", inCall(Payload{Type: PayloadAudio}, nil), "a type without a payload object"},
		{"payload-extra-fields", inCall(Payload{Type: PayloadAudio, Status: "completed", PlaybackID: playback}, map[string]string{
			"event_payload.source": "tts", "event_payload.payload.duration_ms": "5230", "event_payload.payload.voice": `{"lang":"en-US"}`}),
			"unknown payload members kept in Extra under their path"},
		{"payload-empty-object", answered(nil), "event_payload {} is the zero Payload"},
		{"payload-null", answered(nil), "event_payload null is the zero Payload"},
		{"payload-absent", answered(nil), "no event_payload at all is the zero Payload"},
		{"machine-detected-string", answered(func(ev *CallEvent) { ev.MachineDetected = true }), `machine_detected "true" as a string`},
		{"event-future", synthetic(func(ev *CallEvent) {
			ev.EventType, ev.EventTime, ev.CallAnswered = "voicemail_left", utc("2026-06-01T08:00:00.001Z"), utc("2026-03-10T09:15:08.431Z")
			ev.Payload = Payload{Type: "voicemail", Status: "completed"}
			ev.Extra = map[string]string{"event_payload.payload.recording_url": "https://api.wavix.com/v1/recordings/88231.mp3", "event_payload.payload.duration": "12"}
		}), "an event type and a payload type nobody has documented yet: kept, never rejected"},
		{"event-failed", synthetic(func(ev *CallEvent) {
			ev.EventType, ev.EventTime, ev.CallCompleted = Failed, utc("2026-03-10T09:15:02.980Z"), utc("2026-03-10T09:15:02.980Z")
		}), "failed: beyond the documented enum (node SDK)"},
		{"event-transfer", synthetic(func(ev *CallEvent) {
			ev.EventType, ev.EventTime, ev.CallAnswered = Transfer, utc("2026-03-10T09:16:20.300Z"), utc("2026-03-10T09:15:08.431Z")
		}), "transfer: beyond the documented enum (node SDK)"},
		{"event-completed", synthetic(func(ev *CallEvent) {
			*ev = *completed
			ev.MachineDetected = true
		}), "completed, answered by a machine"},
		{"call-finished-only", completed, "the production docs' call_finished is CallCompleted"},
		{"completed-and-finished", completed, "both names sent, the same instant in two zones: one value"},
		{"direction-absent", synthetic(func(ev *CallEvent) { ev.Direction = "" }), "direction is optional"},
		{"to-without-plus", synthetic(func(ev *CallEvent) { ev.From, ev.To = "+4915112345678", "4930901820" }), "numbers kept exactly as sent, no '+' invented"},
		{"numbers-as-numbers", synthetic(func(ev *CallEvent) { ev.From = "18045961058" }), "numbers sent as JSON numbers keep their digits"},
		{"time-no-fraction", synthetic(func(ev *CallEvent) {
			ev.EventTime, ev.CallStarted = utc("2026-03-10T09:15:03Z"), utc("2026-03-10T09:15:02Z")
		}),
			"RFC 3339 without a fraction"},
		{"extra-fields", synthetic(func(ev *CallEvent) {
			ev.Extra = map[string]string{"account_id": "48213", "recording": `{"url":"https://api.wavix.com/v1/recordings/1.mp3","format":"mp3"}`,
				"labels": `["a","b"]`, "note": "", "trace": "x-9f2", "machine_detection": "true"}
		}), "unknown top-level members kept: strings unquoted, numbers and booleans as sent, objects as compact JSON, null as empty"},
		{"repaired-trailing-comma", &CallEvent{UUID: "0b7c6f3e-8e2a-4d51-9a7e-2f1c5d9e4a10", EventType: Ringing, From: "+18045961058", To: "17653889567",
			EventTime: utc("2026-03-10T09:15:03.250Z"), Payload: Payload{Type: PayloadAudio, Status: "started", PlaybackID: playback}},
			"trailing commas: invalid JSON, repaired and read"},
		{"repaired-bom", synthetic(nil), "a byte order mark before the object"},
		{"duplicate-same-value", &CallEvent{UUID: "0b7c6f3e-8e2a-4d51-9a7e-2f1c5d9e4a10", EventType: Ringing, From: "+18045961058", To: "17653889567",
			EventTime: utc("2026-03-10T09:15:03.250Z")}, "a key repeated with the same value is harmless"},
		{"post-call-charge-number", func() *PostCall { pc := *docsPostCall; pc.PerMinute = "0.0270"; return &pc }(),
			"money sent as JSON numbers keeps its exact text, trailing zero included"},
		{"post-call-nulls", func() *PostCall { pc := *docsPostCall; pc.Destination, pc.From, pc.To = "", "", ""; return &pc }(),
			"destination, from and to may be null"},
		{"post-call-duration-string", docsPostCall, `duration "6" as a string`},
		{"post-call-answered-by", func() *PostCall {
			pc := *docsPostCall
			pc.Extra = map[string]string{"answered_by": "machine"}
			return &pc
		}(),
			"the undocumented answered_by is kept in Extra"},
		{"post-call-inbound-all", func() *PostCall {
			pc := *docsPostCall
			pc.Direction, pc.Disposition, pc.Destination, pc.Duration, pc.Charge, pc.PerMinute = Inbound, "all", "sip:trunk-7@sip.example.com", 0, "0", "0.004"
			return &pc
		}(), `inbound to a SIP URI, with the documented (odd) disposition "all"`},
		{"unknown-object", &Unknown{Fields: map[string]string{"uuid": "5dccb6b0-f35c-488c-867b-86fb012c4415", "status": "queued", "meta": `{"retries":2}`, "flags": "[1,2]"}},
			"neither kind: returned whole, with ErrUnknownEvent"},
		{"unknown-empty", &Unknown{}, "an empty object is no webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := Decode(fixture(t, tt.fixture))
			_, unknown := tt.want.(*Unknown)
			if unknown != errors.Is(err, telhook.ErrUnknownEvent) || (!unknown && err != nil) {
				t.Fatalf("Decode error = %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got) — %s:\n%s", tt.reason, diff)
			}
		})
	}
}

// TestDecodeKeepsZones: a timestamp with an offset keeps it (cmp compares
// instants only).
func TestDecodeKeepsZones(t *testing.T) {
	ev, err := Decode(fixture(t, "time-offset"))
	if err != nil {
		t.Fatal(err)
	}
	ce := ev.(*CallEvent)
	if _, off := ce.EventTime.Zone(); off != 2*3600 || !ce.EventTime.Equal(utc("2026-03-10T09:15:03.25Z")) {
		t.Errorf("EventTime = %v, want 11:15:03.25+02:00", ce.EventTime)
	}
	if ce.CallStarted.Location() == time.UTC || !ce.CallStarted.Equal(utc("2026-03-10T09:15:02Z")) {
		t.Errorf("CallStarted = %v, want 11:15:02+02:00", ce.CallStarted)
	}
	if qa, _ := Decode(fixture(t, "docs-qa")); qa.(*CallEvent).EventTime.Location() != time.UTC {
		t.Errorf("a Z timestamp is not UTC: %v", qa.(*CallEvent).EventTime.Location())
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		fixture string
		field   string
		cause   error // nil: any
		reason  string
	}{
		{"bad-truncated", "", nil, "a body cut short is neither JSON nor repairable"},
		{"bad-unrepairable", "", nil, "a missing value is never invented"},
		{"bad-not-json", "", nil, "an HTML error page"},
		{"bad-empty", "", field.ErrEmpty, "nothing posted"},
		{"bad-array", "", field.ErrNotObject, "an array of events is not one event"},
		{"bad-null", "", field.ErrNotObject, "null is JSON but no webhook"},
		{"bad-event-time-number", "event_time", errNotTime, "event_time: 5"},
		{"bad-event-time-syntax", "event_time", tolerant.ErrTimeSyntax, "a date that is not RFC 3339"},
		{"bad-huge-event-time", "event_time", errNotTime, "a 10,000-digit number where a timestamp belongs"},
		{"bad-call-started-range", "call_started", tolerant.ErrTimeRange, "month 13"},
		{"bad-call-answered-bool", "call_answered", errNotTime, "a boolean where a timestamp belongs"},
		{"bad-missing-uuid", "uuid", field.ErrMissing, "every call event names its call"},
		{"bad-blank-uuid", "uuid", field.ErrMissing, "a uuid of spaces is none"},
		{"bad-missing-event-type", "event_type", field.ErrMissing, "event_time alone makes a call event, which needs its type"},
		{"bad-missing-event-time", "event_time", field.ErrMissing, "event_time is required"},
		{"bad-null-event-time", "event_time", field.ErrMissing, "a null event_time is a missing one"},
		{"bad-invalid-utf8", "tag", field.ErrUTF8, "bytes that are not text: refused, never replaced"},
		{"bad-deep-payload", "event_payload", field.ErrTooDeep, "100 levels inside the payload"},
		{"bad-deeper-than-json", "", nil, "deeper than encoding/json reads, and than repair allows"},
		{"bad-payload-string", "event_payload", field.ErrNotObject, "a payload that is a word"},
		{"bad-payload-inner-array", "event_payload.payload", field.ErrNotObject, "the inner payload is an array"},
		{"bad-digits-object", "event_payload.payload.digits", errNotString, "an object where digits belong: the path is named"},
		{"bad-machine-detected", "machine_detected", field.ErrNotBool, `"yes" is not a boolean`},
		{"bad-from-bool", "from", errNotString, "a boolean where a number belongs"},
		{"bad-duplicate-uuid", "uuid", field.ErrRepeated, "two different uuids: refused, not the last one silently"},
		{"bad-aliases-disagree", "event_payload.in_call_event", nil, "type and the legacy in_call_event disagree"},
		{"bad-completed-finished-disagree", "call_finished", nil, "call_completed and call_finished disagree"},
		{"bad-post-call-missing-uuid", "uuid", field.ErrMissing, "a post-call webhook names its call"},
		{"bad-huge-duration", "duration", tolerant.ErrRange, "a 10,000-digit duration"},
		{"bad-duration-fraction", "duration", tolerant.ErrNotInteger, "whole seconds only"},
		{"bad-duration-negative", "duration", tolerant.ErrRange, "a negative duration"},
		{"bad-date", "date", tolerant.ErrTimeSyntax, "a date that is a word"},
		{"bad-charge-object", "charge", errNotString, "money as an object"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ev, err := Decode(fixture(t, tt.fixture))
			if ev != nil {
				t.Errorf("Decode returned %#v with error %v; want no event (%s)", ev, err, tt.reason)
			}
			if !errors.Is(err, telhook.ErrMalformed) {
				t.Fatalf("Decode error = %v, want one matching ErrMalformed (%s)", err, tt.reason)
			}
			var de *telhook.DecodeError
			if !errors.As(err, &de) || de.Provider != "oncall" || de.Field != tt.field {
				t.Errorf("Decode error = %#v, want provider oncall, field %q (%s)", err, tt.field, tt.reason)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("Decode error = %v, want one matching %v (%s)", err, tt.cause, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "oncall: ") || len(de.Value) > 70 {
				t.Errorf("error %q: provider not first, or value not bounded", err)
			}
		})
	}
}

// The spec file's pretty-printed example and its one-line copy in
// PROVIDERS.md are the same webhook.
func TestDecodeSpecCopiesAgree(t *testing.T) {
	a, errA := Decode(fixture(t, "spec-oncallevent"))
	b, errB := Decode(fixture(t, "docs-qa"))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("the two copies differ (-spec +providers):\n%s", diff)
	}
}

// The handler reuses its read buffer: Decode must keep nothing of body.
func TestDecodeKeepsNoReference(t *testing.T) {
	for _, name := range []string{"docs-qa", "payload-legacy-digits", "extra-fields", "docs-post-call", "unknown-object", "repaired-trailing-comma"} {
		body := fixture(t, name)
		ev, _ := Decode(body)
		want, _ := Decode(fixture(t, name))
		for i := range body {
			body[i] = 'X'
		}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("%s: the event changed with its body (-want +got):\n%s", name, diff)
		}
	}
}

func TestDecodeHostile(t *testing.T) {
	huge := strings.Repeat("A", 60<<10)
	tests := []struct {
		name   string
		body   string
		check  func(Event, error) string
		reason string
	}{
		{"huge tag", `{"uuid":"u","event_type":"ringing","event_time":"2026-03-10T09:15:03Z","tag":"` + huge + `"}`,
			func(ev Event, err error) string {
				if ce, ok := ev.(*CallEvent); !ok || err != nil || len(ce.Tag) != len(huge) {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "a long value under the body limit is delivered whole"},
		{"huge bad value", `{"uuid":"u","event_type":"ringing","event_time":"` + huge + `"}`,
			func(_ Event, err error) string {
				var de *telhook.DecodeError
				if !errors.As(err, &de) || len(de.Value) > 70 || len(err.Error()) > 200 {
					return fmt.Sprintf("error not bounded: %d bytes", len(fmt.Sprint(err)))
				}
				return ""
			}, "an error never repeats a hostile value in full"},
		{"huge charge", string(fixture(t, "hostile-huge-charge")),
			func(ev Event, err error) string {
				if pc, ok := ev.(*PostCall); !ok || err != nil || len(pc.Charge) != 10002 || !strings.HasPrefix(pc.Charge, "0.999") {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "a 10,000-digit amount is valid JSON and kept to the last digit, never rounded through a float"},
		{"64 levels", `{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z","z":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`,
			func(ev Event, err error) string {
				if _, ok := ev.(*CallEvent); !ok || err != nil {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "64 levels, the top-level object included, are allowed"},
		{"65 levels", `{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z","z":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`,
			func(ev Event, err error) string {
				var de *telhook.DecodeError
				if ev != nil || !errors.As(err, &de) || de.Field != "z" || !errors.Is(err, field.ErrTooDeep) {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "one level more is refused, naming the member"},
		{"duplicate inside payload", `{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z","event_payload":{"type":"collect","payload":{"digits":"1","digits":"2"}}}`,
			func(ev Event, err error) string {
				var de *telhook.DecodeError
				if ev != nil || !errors.As(err, &de) || de.Field != "event_payload.payload.digits" || !errors.Is(err, field.ErrRepeated) {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "conflicting repeats are refused at any level, by path"},
		{"escaped strings", `{"uuid":"u\"1","event_type":"ringing","event_time":"2026-03-10T09:15:03Z","tag":"a\\b \u00e9 \"q\" ,}{","x":"{\"y\":1}"}`,
			func(ev Event, err error) string {
				ce, ok := ev.(*CallEvent)
				if !ok || err != nil || ce.UUID != `u"1` || ce.Tag != `a\b é "q" ,}{` || ce.Extra["x"] != `{"y":1}` {
					return fmt.Sprintf("got %#v, %v", ev, err)
				}
				return ""
			}, "escapes undone; braces and commas inside strings do not count as structure"},
		{"10000 members", `{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z"` + strings.Repeat(`,"k":1`, 10000) + `}`,
			func(ev Event, err error) string {
				if ce, ok := ev.(*CallEvent); !ok || err != nil || ce.Extra["k"] != "1" {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "one key repeated 10,000 times with the same value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.check(Decode([]byte(tt.body))); msg != "" {
				t.Errorf("%s: %s", tt.reason, msg)
			}
		})
	}
}

func TestParse(t *testing.T) {
	ev, err := Parse(httptest.NewRequest(http.MethodPost, "/wavix", bytes.NewReader(fixture(t, "docs-post-call"))))
	if diff := cmp.Diff(Event(docsPostCall), ev); err != nil || diff != "" {
		t.Errorf("Parse: %v (-want +got):\n%s", err, diff)
	}
	big := bytes.Repeat([]byte(" "), telhook.DefaultMaxBodyBytes+1)
	if _, err := Parse(httptest.NewRequest(http.MethodPost, "/wavix", bytes.NewReader(big))); !errors.Is(err, telhook.ErrTooLarge) {
		t.Errorf("Parse of %d bytes: %v, want ErrTooLarge", len(big), err)
	}
	if _, err := Parse(httptest.NewRequest(http.MethodPost, "/wavix", nil)); !errors.Is(err, field.ErrEmpty) {
		t.Errorf("Parse of no body: %v, want an empty-body DecodeError", err)
	}
}

// TestDecodeValues reads single members in every shape they may come in.
func TestDecodeValues(t *testing.T) {
	const call = `{"uuid":"u","event_type":"x","event_time":"2026-03-10T09:15:03Z"`
	const postCall = `{"uuid":"u","disposition":"answered"`
	tests := []struct {
		body   string
		want   func(Event) any
		value  any    // what want returns, when no error
		field  string // the field of the error, when one
		reason string
	}{
		{call + `,"machine_detected":"FALSE"}`, machine, false, "", `"FALSE" in any case`},
		{call + `,"machine_detected":" true "}`, machine, true, "", "spaces around"},
		{call + `,"machine_detected":null}`, machine, false, "", "null is false"},
		{call + `,"machine_detected":""}`, machine, false, "", `"" is false`},
		{call + `,"machine_detected":1}`, nil, nil, "machine_detected", "1 is not a boolean: never guessed"},
		{call + `,"machine_detected":{}}`, nil, nil, "machine_detected", "an object is not a boolean"},
		{call + `,"call_started":""}`, started, time.Time{}, "", `"" is the zero time`},
		{call + `,"call_started":"2026-03-10T09:15:02.123456789Z"}`, started, utc("2026-03-10T09:15:02.123456789Z"), "", "nanoseconds"},
		{call + `,"call_started":"2026-03-10T09:15:02"}`, started, utc("2026-03-10T09:15:02Z"), "", "no zone: UTC"},
		{call + `,"tag":" spaced "}`, tag, " spaced ", "", "the tag is kept exactly"},
		{call + `,"tag":"a\u00e9\n"}`, tag, "a\u00e9\n", "", "escapes undone"},
		{call + `,"direction":" inbound "}`, direction, Inbound, "", "enum words trimmed"},
		{call + `,"event_payload":{"payload":{"digits":" 12# "}}}`, digits, "12#", "", "digits trimmed"},
		{call + `,"event_payload":{"type":null,"in_call_event":"collect_completed"}}`, ptype, PayloadCollectCompleted, "", "a null type leaves the legacy name"},
		{call + `,"event_payload":{"payload":null,"in_call_event_data":{"digits":"5"}}}`, digits, "5", "", "a null payload leaves the legacy data"},
		{call + `,"event_payload":{"payload":{"digits":"5"},"in_call_event_data":{ "digits" : "5" }}}`, digits, "5", "", "both data objects, the same"},
		{call + `,"event_payload":{"payload":{"digits":"5"},"in_call_event_data":{"digits":"6"}}}`, nil, nil, "event_payload.in_call_event_data", "both data objects, different"},
		{call + `,"event_payload":{"payload":{"digits":true}}}`, nil, nil, "event_payload.payload.digits", "a boolean for digits"},
		{call + `,"event_payload":{"type":"audio","type":"collect"}}`, nil, nil, "event_payload.type", "a conflicting repeat inside event_payload"},
		{call + `,"call_completed":null,"call_finished":"2026-03-10T09:17:41Z"}`, completedAt, utc("2026-03-10T09:17:41Z"), "", "null call_completed, set call_finished"},
		{call + `,"call_completed":"2026-03-10T09:17:41Z","call_finished":null}`, completedAt, utc("2026-03-10T09:17:41Z"), "", "set call_completed, null call_finished"},
		{call + `,"uuid":"u"}`, uuid, "u", "", "an identical repeat"},
		{call + `,"\u0075uid":"v"}`, nil, nil, "uuid", "an escaped key is the same key"},
		{call + `,"uuid":"\u0075"}`, uuid, "u", "", "a repeat equal to the first once unescaped is the same value"},
		{call + `,"event_payload":{"type":"audio","in_call_event":"\u0061udio"}}`, ptype, PayloadAudio, "", "type and in_call_event equal once unescaped agree"},
		{postCall + `,"duration":""}`, duration, time.Duration(0), "", `"" seconds is none`},
		{postCall + `,"duration":null}`, duration, time.Duration(0), "", "null is none"},
		{postCall + `,"duration":" 42 "}`, duration, 42 * time.Second, "", "spaces around a numeric string"},
		{postCall + `,"duration":true}`, nil, nil, "duration", "a boolean is no duration"},
		{postCall + `,"duration":6e1}`, nil, nil, "duration", "an exponent is refused, not rounded"},
		{postCall + `,"charge":" 0.822 "}`, charge, " 0.822 ", "", "money kept exactly"},
		{postCall + `,"charge":-1.50E+2}`, charge, "-1.50E+2", "", "any JSON number, as sent"},
		{postCall + `,"charge":null}`, charge, "", "", "null money is none"},
		{`{"uuid":"u","per_minute":"0.01"}`, charge, "", "", "per_minute alone makes a post-call"},
		{`{"uuid":"u","event_time":"2026-03-10T09:15:03Z","disposition":"answered"}`, nil, nil, "event_type", "event_time wins: a call event, which needs its type"},
		{`{"event_type":"x","event_time":"2026-03-10T09:15:03Z","uuid":12345678901234567890}`, uuid, "12345678901234567890", "", "a numeric uuid keeps all its digits"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			ev, err := Decode([]byte(tt.body))
			if tt.field != "" {
				var de *telhook.DecodeError
				if ev != nil || !errors.As(err, &de) || de.Field != tt.field {
					t.Errorf("Decode(%s) = %v, %v; want an error for field %q", tt.body, ev, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.value, tt.want(ev)); diff != "" {
				t.Errorf("Decode(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func machine(ev Event) any     { return ev.(*CallEvent).MachineDetected }
func started(ev Event) any     { return ev.(*CallEvent).CallStarted }
func completedAt(ev Event) any { return ev.(*CallEvent).CallCompleted }
func tag(ev Event) any         { return ev.(*CallEvent).Tag }
func direction(ev Event) any   { return ev.(*CallEvent).Direction }
func uuid(ev Event) any        { return ev.(*CallEvent).UUID }
func digits(ev Event) any      { return ev.(*CallEvent).Payload.Digits }
func ptype(ev Event) any       { return ev.(*CallEvent).Payload.Type }
func duration(ev Event) any    { return ev.(*PostCall).Duration }
func charge(ev Event) any      { return ev.(*PostCall).Charge }

// FuzzDecode: no input panics; every failure is a DecodeError from oncall
// (with a bounded value) or an unknown event that comes with its fields;
// every event returned holds only valid UTF-8; decoding is deterministic.
func FuzzDecode(f *testing.F) {
	for _, name := range fixtureNames(f) {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("{\"uuid\":\"u\",\"event_type\":\"answered\",\"event_time\":\"2026-03-10T09:15:08Z\",\"\xff\":1}"))
	f.Add([]byte(`{"uuid":"u","disposition":"answered","note":"\udc00\ud800",}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		switch {
		case err == nil && ev == nil:
			t.Fatal("nil event without error")
		case errors.Is(err, telhook.ErrUnknownEvent):
			if _, ok := ev.(*Unknown); !ok {
				t.Fatalf("ErrUnknownEvent with %T", ev)
			}
		case err != nil:
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || de.Provider != "oncall" || len(de.Value) > 70 {
				t.Fatalf("error %v (%T) with event %T", err, err, ev)
			}
		}
		if ev != nil {
			testfix.CheckUTF8(t, ev)
		}
		switch ev := ev.(type) {
		case *CallEvent:
			if ev.UUID == "" || ev.EventType == "" {
				t.Fatalf("call event without its required fields: %+v", ev)
			}
		case *PostCall:
			if ev.UUID == "" {
				t.Fatalf("post-call without uuid: %+v", ev)
			}
		}
		ev2, err2 := Decode(bytes.Clone(body))
		if !cmp.Equal(ev, ev2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("not deterministic: %v / %v", err, err2)
		}
	})
}

// qaBody is the QA-docs example, the typical webhook.
var qaBody = []byte(`{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"call_setup","event_time":"2025-09-22T12:56:38.547Z","event_payload":{"type":"audio","payload":{"status":"completed","playback_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}},"from":"+18045961058","to":"17653889567","call_started":"2025-09-22T12:56:38.547Z","call_answered":"2023-11-07T05:31:56Z","call_completed":"2023-11-07T05:31:56Z","machine_detected":false,"tag":"marketing-campaign","direction":"inbound"}`)

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(qaBody)))
	for b.Loop() {
		if _, err := Decode(qaBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is the floor Decode is measured against:
// encoding/json decoding the same bytes into an equivalent plain struct,
// strictly, with no tolerance, no unknown fields kept and no validation.
func BenchmarkDecodeBaseline(b *testing.B) {
	type plain struct {
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
	b.ReportAllocs()
	b.SetBytes(int64(len(qaBody)))
	for b.Loop() {
		var v plain
		if err := json.Unmarshal(qaBody, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRepair is the QA example with trailing commas: the strict
// read fails, the repair runs, the repaired bytes are read.
func BenchmarkDecodeRepair(b *testing.B) {
	body := bytes.Replace(qaBody, []byte(`"}},`), []byte(`",},},`), 1)
	if _, err := Decode(body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePostCall(b *testing.B) {
	body := fixture(b, "docs-post-call")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePostCallBaseline is BenchmarkDecodeBaseline's floor for
// the post-call webhook: encoding/json into a plain struct.
func BenchmarkDecodePostCallBaseline(b *testing.B) {
	type plain struct {
		UUID        string    `json:"uuid"`
		Direction   string    `json:"direction"`
		Destination string    `json:"destination"`
		Disposition string    `json:"disposition"`
		From        string    `json:"from"`
		To          string    `json:"to"`
		Duration    int       `json:"duration"`
		Charge      string    `json:"charge"`
		PerMinute   string    `json:"per_minute"`
		Date        time.Time `json:"date"`
	}
	body := fixture(b, "docs-post-call")
	b.ReportAllocs()
	for b.Loop() {
		var v plain
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
