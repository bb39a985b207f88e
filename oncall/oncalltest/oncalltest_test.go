package oncalltest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/oncall/oncalltest"
)

var fixtures = testfix.Dir("oncall")

// TestRoundTrip: oncall.Parse of NewRequest(ev) is ev, for generated
// events of both kinds and every payload schema, canonical as the package
// documentation describes.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		gen    func(*gen) oncall.Event
	}{
		{"call event", "every event type, current and intermediate payloads, payload paths in Extra", func(g *gen) oncall.Event { return g.callEvent(false) }},
		{"legacy call event", "in_call_event with the 2024 payload, in_call_event_data paths in Extra", func(g *gen) oncall.Event { return g.callEvent(true) }},
		{"post call", "nulls for empty text, string money, whole-second durations", func(g *gen) oncall.Event { return g.postCall() }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gen{testfix.NewGen(uint64(i), 7, runes)}
			testfix.CheckGenerated(t, kitOf, tt.reason, 300, func() oncall.Event { return tt.gen(g) })
		})
	}
}

// TestRequest checks requests byte for byte.
func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		ev     oncall.Event
		body   string
	}{
		{
			name:   "call event",
			reason: "Wavix's members in its order, nulls for zero times, the current payload",
			ev:     oncalltest.CallEvent(),
			body: `{"uuid":"a6f1b2c3-4d5e-4f60-8a71-b2c3d4e5f607","event_type":"on_call_event","event_time":"2026-02-10T14:03:27.412Z",` +
				`"event_payload":{"type":"collect","payload":{"digits":"1234","status":"completed"}},"from":"+14155550123","to":"12125550198",` +
				`"call_started":"2026-02-10T14:02:51.030Z","call_answered":"2026-02-10T14:02:58.764Z","call_completed":null,"machine_detected":false,"tag":"","direction":"outbound"}`,
		},
		{
			name:   "legacy",
			reason: "in_call_event: the 2024 payload; a zone converted to UTC; Extra in and out of the payload",
			ev: &oncall.CallEvent{UUID: "u1", EventType: oncall.InCallEvent, EventTime: time.Date(2024, 5, 14, 15, 52, 48, 0, time.FixedZone("IST", 19800)),
				Payload: oncall.Payload{Type: oncall.PayloadCollectCompleted, Digits: "77#", Reason: "timeout"},
				Extra:   map[string]string{"event_payload.in_call_event_data.x": "1", "event_payload.y": "2", "z": "3"}},
			body: `{"uuid":"u1","event_type":"in_call_event","event_time":"2024-05-14T10:22:48.000Z",` +
				`"event_payload":{"in_call_event":"collect_completed","in_call_event_data":{"digits":"77#","reason":"timeout","x":"1"},"y":"2"},` +
				`"from":"","to":"","call_started":null,"call_answered":null,"call_completed":null,"machine_detected":false,"tag":"","z":"3"}`,
		},
		{
			name:   "post call",
			reason: "Wavix's documented example, duration a number, money strings",
			ev:     oncalltest.PostCall(),
			body: `{"direction":"outbound","uuid":"99df5ffd-962a-410f-bcce-d08f1f7f328c","destination":"France","duration":6,"charge":"0.822",` +
				`"date":"2023-08-21T06:43:36.000Z","disposition":"answered","from":"14302287001","to":"33170363950","per_minute":"0.027"}`,
		},
		{
			name:   "post call nulls",
			reason: "what Wavix does not know is null",
			ev:     &oncall.PostCall{UUID: "u2", Disposition: "noanswer"},
			body:   `{"direction":"","uuid":"u2","destination":null,"duration":0,"charge":null,"date":null,"disposition":"noanswer","from":null,"to":null,"per_minute":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := oncalltest.NewRequest(tt.ev)
			got := struct{ Method, Target, ContentType, Body string }{req.Method, req.RequestURI, req.Header.Get("Content-Type"), testfix.Peek(t, req)}
			want := struct{ Method, Target, ContentType, Body string }{"POST", "/", "application/json", tt.body}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: request differs (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestSamples: each sample equals what its fixture decodes to; is a new
// value each call; and round-trips.
func TestSamples(t *testing.T) {
	samples := []testfix.Sample[oncall.Event]{
		{Fixture: "docs-dtmf-collect.json", Reason: "a completed DTMF collect", Make: func() oncall.Event { return oncalltest.CallEvent() }},
		{Fixture: "docs-post-call.json", Reason: "the documented post-call webhook", Make: func() oncall.Event { return oncalltest.PostCall() }},
	}
	testfix.CheckSamples(t, kitOf, fixtures, samples)
}

// TestFixturesRoundTrip: every event decoded from a fixture, of every
// schema generation, can be sent again and decodes to itself.
func TestFixturesRoundTrip(t *testing.T) {
	testfix.CheckFixturesRoundTrip(t, kitOf, filepath.Join(fixtures, "*.json"), 30)
}

// TestPanics: what Wavix never sends is refused, naming the field.
func TestPanics(t *testing.T) {
	ev := func(extra map[string]string) *oncall.CallEvent {
		e := oncalltest.CallEvent()
		e.Extra = extra
		return e
	}
	tests := []struct {
		name   string
		reason string
		ev     oncall.Event
		want   string
	}{
		{"nil", "no event", nil, "oncalltest.NewRequest: <nil>: no event"},
		{"nil post call", "a typed nil", (*oncall.PostCall)(nil), "*oncall.PostCall: no event"},
		{"unknown", "no shape to build", &oncall.Unknown{}, "Wavix sends no such webhook"},
		{"no uuid", "every webhook has its call", &oncall.CallEvent{EventType: "ringing", EventTime: time.Now()}, "UUID is required"},
		{"no event time", "oncall needs it", &oncall.CallEvent{UUID: "u", EventType: "ringing"}, "EventTime is required"},
		{"negative duration", "Wavix never sends one", &oncall.PostCall{UUID: "u", Duration: -time.Second}, "Duration is -1s"},
		{"extra member", "Extra cannot overwrite a member", ev(map[string]string{"call_finished": "x"}), `Extra key "call_finished"`},
		{"extra payload member", "nor one of the payload's", ev(map[string]string{"event_payload.type": "x"}), `Extra key "event_payload.type"`},
		{"extra data member", "nor one of its inner object's", ev(map[string]string{"event_payload.payload.digits": "9"}), `Extra key "event_payload.payload.digits"`},
		{"post call extra event_type", "would make a call event", &oncall.PostCall{UUID: "u", Extra: map[string]string{"event_type": "x"}}, `Extra key "event_type"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testfix.PanicOf(func() { oncalltest.NewRequest(tt.ev) })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: panic = %v, want an error containing %q", tt.reason, err, tt.want)
			}
		})
	}
}

// TestCredentials: WithQueryToken makes the request telhook.QueryToken
// accepts, and only with the right secret.
func TestCredentials(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		token  string
		ok     bool
	}{
		{"right", "the callback URL's secret", "s3cret", true},
		{"wrong", "another secret is refused", "guess", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := oncalltest.WithQueryToken(oncalltest.NewRequest(oncalltest.PostCall()), "key", tt.token)
			if err := telhook.QueryToken("key", "s3cret").Verify(req); (err == nil) != tt.ok {
				t.Fatalf("%s: Verify = %v, want ok=%v", tt.reason, err, tt.ok)
			}
			if _, err := oncall.Parse(req); err != nil {
				t.Errorf("%s: the request no longer parses: %v", tt.reason, err)
			}
		})
	}
}

// gen makes canonical events: values Wavix sends and oncall keeps as they
// are (see the package documentation).
type gen struct{ testfix.Gen }

var runes = []rune("abcXYZ019 +&=%#?/:;.,-_åö€😀\"'<>\\{}[]\n\t\u2028")

// time is a UTC instant at Wavix's precision, the millisecond.
func (g *gen) time() time.Time {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(g.R.Int64N(int64(10 * 365 * 24 * time.Hour)))).Truncate(time.Millisecond)
}

func (g *gen) uuid() string {
	return g.Hex(8) + "-" + g.Hex(4) + "-" + g.Hex(4) + "-" + g.Hex(4) + "-" + g.Hex(12)
}

func (g *gen) number() string {
	return testfix.Pick(&g.Gen, "+18045961058", "17653889567", "sip:101@example.com", g.Text())
}

func (g *gen) callEvent(legacy bool) *oncall.CallEvent {
	ev := &oncall.CallEvent{
		UUID: g.uuid(), From: g.number(), To: g.number(), Tag: testfix.Maybe(&g.Gen, g.Text),
		Direction:       testfix.Maybe(&g.Gen, func() string { return testfix.Pick(&g.Gen, oncall.Inbound, oncall.Outbound, g.Word()) }),
		EventTime:       g.time(),
		CallStarted:     testfix.Maybe(&g.Gen, g.time),
		CallAnswered:    testfix.Maybe(&g.Gen, g.time),
		CallCompleted:   testfix.Maybe(&g.Gen, g.time),
		MachineDetected: g.R.IntN(2) == 0,
	}
	data := "payload"
	if legacy {
		ev.EventType, data = oncall.InCallEvent, "in_call_event_data"
		ev.Payload = testfix.Maybe(&g.Gen, func() oncall.Payload {
			return testfix.Pick(&g.Gen,
				oncall.Payload{Type: oncall.PayloadCollectCompleted, Digits: g.digits(), Reason: testfix.Pick(&g.Gen, "collected", "timeout")},
				oncall.Payload{Type: g.Word(), PlaybackID: g.uuid()})
		})
	} else {
		ev.EventType = testfix.Pick(&g.Gen, oncall.CallSetup, oncall.Ringing, oncall.EarlyMedia, oncall.Answered, oncall.Completed, oncall.Busy,
			oncall.Cancelled, oncall.Rejected, oncall.OnCallEvent, oncall.Failed, oncall.Transfer, g.Word())
		ev.Payload = testfix.Maybe(&g.Gen, func() oncall.Payload {
			return testfix.Pick(&g.Gen,
				oncall.Payload{Type: oncall.PayloadAudio, PlaybackID: g.uuid(), Status: testfix.Pick(&g.Gen, "started", "completed")},
				oncall.Payload{Type: oncall.PayloadCollect, Digits: g.digits(), Status: testfix.Pick(&g.Gen, "started", "completed", "failed")},
				oncall.Payload{Type: oncall.PayloadCollectCompleted, Digits: g.digits(), Reason: testfix.Pick(&g.Gen, "collected", "timeout")},
				oncall.Payload{Status: g.Word(), Reason: g.Word()}) // no type: the docs' start-call example
		})
	}
	for range g.R.IntN(4) {
		if ev.Extra == nil {
			ev.Extra = map[string]string{}
		}
		key := testfix.Pick(&g.Gen, "answered_by", "x_"+g.Hex(3), "event_payload.x_"+g.Hex(2), "event_payload."+data+".x_"+g.Hex(2))
		ev.Extra[key] = g.Text()
	}
	return ev
}

func (g *gen) digits() string {
	b := make([]byte, 1+g.R.IntN(6))
	for i := range b {
		b[i] = "0123456789*#"[g.R.IntN(12)]
	}
	return string(b)
}

func (g *gen) postCall() *oncall.PostCall {
	money := func() string { return fmt.Sprintf("%d.%03d", g.R.IntN(10), g.R.IntN(1000)) }
	pc := &oncall.PostCall{
		UUID:        g.uuid(),
		Direction:   testfix.Maybe(&g.Gen, func() string { return testfix.Pick(&g.Gen, oncall.Inbound, oncall.Outbound) }),
		Destination: testfix.Maybe(&g.Gen, func() string { return testfix.Pick(&g.Gen, "France", "sip:trunk-1", g.Text()) }),
		Disposition: testfix.Maybe(&g.Gen, func() string { return testfix.Pick(&g.Gen, "answered", "noanswer", "busy", "failed", "all", g.Word()) }),
		From:        testfix.Maybe(&g.Gen, g.number), To: testfix.Maybe(&g.Gen, g.number),
		Duration:  time.Duration(g.R.IntN(100000)) * time.Second,
		Charge:    testfix.Maybe(&g.Gen, money),
		PerMinute: testfix.Maybe(&g.Gen, money),
		Date:      testfix.Maybe(&g.Gen, g.time),
	}
	if g.R.IntN(2) == 0 {
		pc.Extra = map[string]string{"answered_by": testfix.Pick(&g.Gen, "human", "machine", g.Text())}
	}
	return pc
}

// kitOf is this kit as the shared checks see it.
var kitOf = testfix.Kit[oncall.Event]{Decode: oncall.Decode, Parse: oncall.Parse, NewRequest: oncalltest.NewRequest}
