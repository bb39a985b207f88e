package obdtest_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/obd/obdtest"
)

var fixtures = testfix.Dir("obd")

// TestRoundTrip: obd.Parse of NewRequest(ev) is ev, for generated events
// of both kinds, canonical as the package documentation describes.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		gen    func(*gen) obd.Event
	}{
		{"report", "OBD and C2C reports: masked numbers, IVR flows, every time and duration, Extra", func(g *gen) obd.Event { return g.report() }},
		{"challenge", "with and without the ?token= query parameter", func(g *gen) obd.Event { return g.challenge() }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gen{testfix.NewGen(uint64(i), 91, runes)}
			testfix.CheckGenerated(t, kitOf, tt.reason, 300, func() obd.Event { return tt.gen(g) })
		})
	}
}

// TestComposedRoundTrip: a Decoder with the same Fields reads back what
// NewComposedRequest sends, with every method and random key names.
func TestComposedRoundTrip(t *testing.T) {
	tests := []struct {
		method string
		reason string
	}{
		{http.MethodGet, "every field in the query string, escaped"},
		{http.MethodPost, "a JSON body of text values"},
		{http.MethodPut, "the same body under PUT"},
	}
	for i, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			g := &gen{testfix.NewGen(uint64(i), 1001, runes)}
			for n := range 300 {
				f, r := g.fields(), g.report()
				req := obdtest.NewComposedRequest(tt.method, f, r)
				body := testfix.Peek(t, req)
				if req.Method != tt.method {
					t.Fatalf("%s: method %s", tt.reason, req.Method)
				}
				d := obd.Decoder{Fields: f}
				got, err := d.Parse(req)
				if err != nil {
					t.Fatalf("report %d (%s): Parse: %v\nfields: %+v\nrequest: %s %s", n, tt.reason, err, f, req.URL, body)
				}
				if diff := cmp.Diff(obd.Event(r), got); diff != "" {
					t.Fatalf("report %d (%s): differs (-sent +parsed):\n%s\nfields: %+v\nrequest: %s %s", n, tt.reason, diff, f, req.URL, body)
				}
			}
		})
	}
}

// TestRequest checks requests byte for byte.
func TestRequest(t *testing.T) {
	type request struct{ Method, Target, ContentType, Body string }
	tests := []struct {
		name   string
		reason string
		req    *http.Request
		want   request
	}{
		{
			name:   "report",
			reason: "Mobtexting's key order, flow_id a number, the rest strings, times in India's zone",
			req:    obdtest.NewRequest(obdtest.Report()),
			want: request{"POST", "/", "application/json",
				`{"bridge":"91806828XXXX","from":"91891952XXXX","to":"91886713XXXX","source":"OBD","mid":"1234-1333-XXXXX","flow_id":123,` +
					`"start_at":"2021-04-09 16:27:39","end_at":"2021-04-09 16:27:55","duration":"23","status":"ANSWER","recording_url":"https://youraudiofilelocation/"}`},
		},
		{
			name:   "report in UTC",
			reason: "a time in another zone is written in India's",
			req:    obdtest.NewRequest(&obd.Report{Status: "BUSY", StartAt: time.Date(2021, 4, 9, 10, 57, 39, 0, time.UTC), Extra: map[string]string{"z": "1", "a": ""}}),
			want:   request{"POST", "/", "application/json", `{"start_at":"2021-04-09 16:27:39","duration":"0","status":"BUSY","a":"","z":"1"}`},
		},
		{
			name:   "challenge with token",
			reason: "the key goes in ?token= too, as Mobtexting sends it",
			req:    obdtest.NewRequest(&obd.Challenge{ValidationKey: "9012XXXX", Challenge: "a234qwe", Token: "9012XXXX"}),
			want:   request{"POST", "/?token=9012XXXX", "application/json", `{"validation_key":"9012XXXX","challenge":"a234qwe"}`},
		},
		{
			name:   "composed get",
			reason: "your keys, in Mobtexting's order, every value text, '+' escaped",
			req:    obdtest.NewComposedRequest("GET", obd.Fields{ID: "call_id", Status: "message_status"}, &obd.Report{ID: "c-1001", To: "+918867131234", Status: "ANSWER", FlowID: 7}),
			want:   request{"GET", "/?to=%2B918867131234&flow_id=7&duration=0&message_status=ANSWER&call_id=c-1001", "", ""},
		},
		{
			name:   "composed put",
			reason: "a JSON body of text values",
			req:    obdtest.NewComposedRequest("PUT", obd.Fields{}, &obd.Report{ID: "c-1002", Status: "NOANSWER", FlowID: 7}),
			want:   request{"PUT", "/", "application/json", `{"flow_id":"7","duration":"0","status":"NOANSWER","id":"c-1002"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := request{tt.req.Method, tt.req.RequestURI, tt.req.Header.Get("Content-Type"), testfix.Peek(t, tt.req)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: request differs (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestSamples: each sample equals what its fixture, the documentation's
// example, decodes to; is a new value each call; and round-trips.
func TestSamples(t *testing.T) {
	samples := []testfix.Sample[obd.Event]{
		{Fixture: "spec-obd.json", Reason: "the documented report, invalid JSON as published", Make: func() obd.Event { return obdtest.Report() }},
		{Fixture: "c2c.json", Reason: "a Click2Call report with every C2C field", Make: func() obd.Event { return obdtest.C2CReport() }},
		{Fixture: "challenge.json", Reason: "the documented challenge, with its trailing comma", Make: func() obd.Event { return obdtest.Challenge() }},
	}
	testfix.CheckSamples(t, kitOf, fixtures, samples)
}

// TestFixturesRoundTrip: every standard report or challenge decoded from a
// fixture can be sent again and decodes to itself.
func TestFixturesRoundTrip(t *testing.T) {
	testfix.CheckFixturesRoundTrip(t, kitOf, filepath.Join(fixtures, "*.json"), 5)
}

// TestPanics: what Mobtexting never sends is refused, naming the field.
func TestPanics(t *testing.T) {
	ok := func() *obd.Report { return &obd.Report{Status: "ANSWER"} }
	with := func(f func(*obd.Report)) *obd.Report { r := ok(); f(r); return r }
	tests := []struct {
		name   string
		reason string
		build  func()
		want   string
	}{
		{"nil", "no event", func() { obdtest.NewRequest(nil) }, "obdtest.NewRequest: <nil>: no event"},
		{"nil report", "a typed nil", func() { obdtest.NewRequest((*obd.Report)(nil)) }, "*obd.Report: no event"},
		{"unknown", "no shape to build", func() { obdtest.NewRequest(&obd.Unknown{}) }, "Mobtexting sends no such webhook"},
		{"no status", "obd needs the status", func() { obdtest.NewRequest(&obd.Report{To: "91"}) }, "Status is required"},
		{"long number", "no phone number has 65 characters", func() { obdtest.NewRequest(with(func(r *obd.Report) { r.To = strings.Repeat("9", 65) })) }, "To is longer than 64 characters"},
		{"negative billing", "Mobtexting never sends one", func() { obdtest.NewRequest(with(func(r *obd.Report) { r.Billing = -time.Second })) }, "Billing is -1s; it must be at least 0"},
		{"unixtime before 1970", "unixtime counts from 1970", func() {
			obdtest.NewRequest(with(func(r *obd.Report) { r.UnixTime = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }))
		}, "UnixTime"},
		{"template", "an unfilled placeholder", func() { obdtest.NewRequest(with(func(r *obd.Report) { r.MID = "{{mid}}" })) }, `"{{mid}}" holds template text`},
		{"template in extra", "Extra too", func() { obdtest.NewRequest(with(func(r *obd.Report) { r.Extra = map[string]string{"x": "@{{x}}"} })) }, "holds template text"},
		{"extra own key", "Extra cannot overwrite a field", func() { obdtest.NewRequest(with(func(r *obd.Report) { r.Extra = map[string]string{"flow_id": "1"} })) }, `Extra key "flow_id"`},
		{"extra challenge", "would make a challenge", func() {
			obdtest.NewRequest(with(func(r *obd.Report) { r.Extra = map[string]string{"challenge": "1"} }))
		}, `Extra key "challenge"`},
		{"challenge without key", "the key is the point", func() { obdtest.NewRequest(&obd.Challenge{Challenge: "a"}) }, "ValidationKey is required"},
		{"composed method", "a composed webhook is GET, POST or PUT", func() { obdtest.NewComposedRequest("PATCH", obd.Fields{}, ok()) }, `method "PATCH"`},
		{"composed same key", "two fields, one key", func() { obdtest.NewComposedRequest("POST", obd.Fields{ID: "to"}, ok()) }, `Fields gives ID and To the same key "to"`},
		{"composed get key", "a GET key must be a plain word", func() { obdtest.NewComposedRequest("GET", obd.Fields{Status: "call status"}, ok()) }, `Status key "call status"`},
		{"composed extra key", "Extra keys as well", func() {
			obdtest.NewComposedRequest("GET", obd.Fields{}, with(func(r *obd.Report) { r.Extra = map[string]string{"a&b": "1"} }))
		}, `Extra["a&b"] key "a&b"`},
		{"composed extra your key", "Extra cannot use one of your keys", func() {
			obdtest.NewComposedRequest("POST", obd.Fields{ID: "call_id"}, with(func(r *obd.Report) { r.Extra = map[string]string{"call_id": "1"} }))
		}, `Extra key "call_id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testfix.PanicOf(tt.build)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: panic = %v, want an error containing %q", tt.reason, err, tt.want)
			}
		})
	}
}

// TestCredentials: WithBearerToken makes the request telhook.BearerToken
// accepts, and only with the right secret.
func TestCredentials(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		token  string
		ok     bool
	}{
		{"right", "the webhook's secret", "s3cret", true},
		{"wrong", "another secret is refused", "guess", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := obdtest.WithBearerToken(obdtest.NewRequest(obdtest.Report()), tt.token)
			if err := telhook.BearerToken("s3cret").Verify(req); (err == nil) != tt.ok {
				t.Fatalf("%s: Verify = %v, want ok=%v", tt.reason, err, tt.ok)
			}
			if _, err := obd.Parse(req); err != nil {
				t.Errorf("%s: the request no longer parses: %v", tt.reason, err)
			}
		})
	}
}

// gen makes canonical events: values Mobtexting sends and obd keeps as
// they are (see the package documentation).
type gen struct{ testfix.Gen }

// runes has no '{' or '}': "{{…}}" is template text, refused by obd.
var runes = []rune("abcXYZ019 +&=%#?/:;.,-_åö€😀\"'<>\\[]@\n\t")

func (g *gen) number() string {
	switch g.R.IntN(5) {
	case 0:
		return fmt.Sprintf("918068%02dXXXX", g.R.IntN(100))
	case 1:
		return fmt.Sprintf("91%010d", g.R.Int64N(1e10))
	case 2:
		return fmt.Sprintf("+91%010d", g.R.Int64N(1e10))
	case 3:
		return fmt.Sprintf("flow:%d", g.R.IntN(1000))
	}
	return g.Word()
}

// time is an instant at Mobtexting's precision, the second, in India.
func (g *gen) time() time.Time {
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(g.R.Int64N(20*365*24*3600)) * time.Second).In(obd.India())
}

func (g *gen) seconds() time.Duration { return time.Duration(g.R.IntN(100000)) * time.Second }

// extra returns nil or up to three fields with keys no report uses,
// plain enough for a GET's query string.
func (g *gen) extra() map[string]string {
	n := g.R.IntN(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		m["x_"+g.Hex(1+g.R.IntN(4))] = g.Text()
	}
	return m
}

func (g *gen) report() *obd.Report {
	word := func() string { return g.Word() }
	return &obd.Report{
		Source: testfix.Maybe(&g.Gen, func() string { return []string{"OBD", "C2C", g.Word()}[g.R.IntN(3)] }),
		Bridge: testfix.Maybe(&g.Gen, g.number), From: testfix.Maybe(&g.Gen, g.number), To: testfix.Maybe(&g.Gen, g.number),
		MID: testfix.Maybe(&g.Gen, word), WebhookID: testfix.Maybe(&g.Gen, word), ID: testfix.Maybe(&g.Gen, word),
		Status: g.Word(), Status1: testfix.Maybe(&g.Gen, word), Status2: testfix.Maybe(&g.Gen, word), HangupBy: testfix.Maybe(&g.Gen, word),
		FlowID:  testfix.Maybe(&g.Gen, func() int { return g.R.IntN(100000) - 100 }),
		StartAt: testfix.Maybe(&g.Gen, g.time), EndAt: testfix.Maybe(&g.Gen, g.time), Date: testfix.Maybe(&g.Gen, g.time),
		UnixTime:     testfix.Maybe(&g.Gen, func() time.Time { return time.Unix(g.R.Int64N(4e9), 0).UTC() }),
		Duration:     testfix.Maybe(&g.Gen, g.seconds),
		Billing:      testfix.Maybe(&g.Gen, g.seconds),
		RecordingURL: testfix.Maybe(&g.Gen, func() string { return "https://rec.example.com/" + g.Hex(8) + ".mp3?a=1&b=" + g.Hex(2) }),
		Extra:        g.extra(),
	}
}

func (g *gen) challenge() *obd.Challenge {
	return &obd.Challenge{ValidationKey: g.Text() + "k", Challenge: g.Text() + "c", Token: testfix.Maybe(&g.Gen, g.Text)}
}

// fields renames some of a report's keys, sometimes by swapping two of
// Mobtexting's own names.
func (g *gen) fields() obd.Fields {
	var f obd.Fields
	rename := func(p *string, name string) {
		if g.R.IntN(3) == 0 {
			*p = "my_" + name
		}
	}
	rename(&f.ID, "id")
	rename(&f.Status, "status")
	rename(&f.To, "to")
	rename(&f.StartAt, "start")
	rename(&f.Duration, "secs")
	rename(&f.FlowID, "flow")
	rename(&f.UnixTime, "epoch")
	rename(&f.RecordingURL, "rec")
	if g.R.IntN(4) == 0 {
		f.From, f.Bridge = "bridge", "from"
	}
	return f
}

// kitOf is this kit as the shared checks see it.
var kitOf = testfix.Kit[obd.Event]{Decode: obd.Decode, Parse: obd.Parse, NewRequest: obdtest.NewRequest}
