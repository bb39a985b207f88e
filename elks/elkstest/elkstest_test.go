package elkstest_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
	"github.com/telhook/telhook/internal/testfix"
)

var fixtures = testfix.Dir("elks")

// TestRoundTrip: elks.Parse of NewRequest(ev) is ev, for generated events
// of every kind, canonical as the package documentation describes.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		gen    func(*gen) elks.Event
	}{
		{"sms", "every field, any text, alphanumeric senders, Extra", func(g *gen) elks.Event { return g.sms() }},
		{"mms", "zero to five images (image, image2, …), Extra", func(g *gen) elks.Event { return g.mms() }},
		{"dlr", "with and without a delivered time", func(g *gen) elks.Event { return g.dlr() }},
		{"call", "first hooks, IVR digits, results with a wav, an id beside the callid", func(g *gen) elks.Event { return g.call() }},
		{"recording", "whole-second durations, optional numbers", func(g *gen) elks.Event { return g.recording() }},
		{"callend", "actions and legs as JSON, cut-short text kept in Extra, costs of any sign", func(g *gen) elks.Event { return g.callEnd() }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(uint64(i))
			testfix.CheckGenerated(t, kitOf, tt.reason, 300, func() elks.Event { return tt.gen(g) })
		})
	}
}

// TestRequest checks the request itself: what 46elks sends, byte for byte.
func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		ev     elks.Event
		body   string
	}{
		{
			name:   "sms",
			reason: "46elks' keys and order, '+' escaped, the time in 46elks' layout",
			ev:     elkstest.SMS(),
			body:   "id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000&direction=incoming&created=2018-07-13+13%3A57%3A23.741000&message=Hello+how+are+you%3F",
		},
		{
			name:   "mms",
			reason: "images as image, image2 (46elks sends no image1); an empty message is still sent",
			ev:     elkstest.MMS(),
			body: "id=m84af96809ff8989f3668c93aaaedb69c&from=%2B46706861004&to=%2B46706860000&direction=incoming&created=2016-11-03+12%3A30%3A18.937464&message=" +
				"&image=https%3A%2F%2Fapi.46elks.com%2Fa1%2Fimages%2Fm84af96809ff8989f3668c93aaaedb69c-i0.jpg&image2=https%3A%2F%2Fexample.com%2Ftest2.jpg",
		},
		{
			name:   "conversations reply",
			reason: "no to: a reply to a Conversations question has none, and none is sent",
			ev:     &elks.SMS{ID: "s1", From: "+46706861004", Message: "Yes"},
			body:   "id=s1&from=%2B46706861004&message=Yes",
		},
		{
			name:   "dlr sent",
			reason: "no delivered time: the key is left out",
			ev:     &elks.DeliveryReport{ID: "s1", Status: "sent"},
			body:   "id=s1&status=sent",
		},
		{
			name:   "call end",
			reason: "actions and legs as JSON in form fields; whole seconds; state always sent",
			ev:     &elks.CallEnd{ID: "c1", Duration: 8500 * time.Millisecond, Legs: []elks.Leg{{From: "+461", To: "+462", Duration: 7 * time.Second}}},
			body:   "id=c1&state=&duration=8&legs=%5B%7B%22duration%22%3A7%2C%22to%22%3A%22%2B462%22%2C%22state%22%3A%22%22%2C%22from%22%3A%22%2B461%22%7D%5D",
		},
		{
			name:   "extra",
			reason: "an Extra field 46elks knows takes its place in 46elks' order, the others follow sorted",
			ev:     &elks.CallEvent{CallID: "c1", Result: "1", Extra: map[string]string{"owner": "u1", "id": "c1", "b": ""}},
			body:   "id=c1&callid=c1&result=1&b=&owner=u1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := elkstest.NewRequest(tt.ev)
			got := struct{ Method, Target, ContentType, Body string }{req.Method, req.RequestURI, req.Header.Get("Content-Type"), testfix.Peek(t, req)}
			want := struct{ Method, Target, ContentType, Body string }{"POST", "/", "application/x-www-form-urlencoded", tt.body}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: request differs (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestSamples: each sample equals what its fixture, the documentation's
// example, decodes to; is a new value each call; and round-trips.
func TestSamples(t *testing.T) {
	samples := []testfix.Sample[elks.Event]{
		{Fixture: "sms-docs.form", Reason: "receive-sms example", Make: func() elks.Event { return elkstest.SMS() }},
		{Fixture: "mms-docs.form", Reason: "receive-mms example, two images", Make: func() elks.Event { return elkstest.MMS() }},
		{Fixture: "spec-dlr.form", Reason: "Swagger delivery report, its odd time read", Make: func() elks.Event { return elkstest.DeliveryReport() }},
		{Fixture: "spec-call-incoming.form", Reason: "Swagger incoming call", Make: func() elks.Event { return elkstest.CallEvent() }},
		{Fixture: "recording-swagger.form", Reason: "Swagger recording, whole URL", Make: func() elks.Event { return elkstest.Recording() }},
		{Fixture: "hangup-swagger.form", Reason: "Swagger whenhangup with actions and legs", Make: func() elks.Event { return elkstest.CallEnd() }},
	}
	testfix.CheckSamples(t, kitOf, fixtures, samples)
}

// TestFixturesRoundTrip: every event decoded from a fixture can be sent
// again by NewRequest and decodes to itself: the kit covers what 46elks
// really sends, not only what the generators make.
func TestFixturesRoundTrip(t *testing.T) {
	testfix.CheckFixturesRoundTrip(t, kitOf, filepath.Join(fixtures, "*.form"), 20)
}

// TestPanics: what 46elks never sends is refused, naming the field.
func TestPanics(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		ev     elks.Event
		want   string
	}{
		{"nil", "no event at all", nil, "elkstest.NewRequest: <nil>: no event"},
		{"nil pointer", "a typed nil", (*elks.SMS)(nil), "*elks.SMS: no event"},
		{"unknown", "an unknown webhook has no shape to build", &elks.Unknown{}, "46elks sends no such webhook"},
		{"sms without from", "46elks always sends from", &elks.SMS{ID: "s1", To: "+46"}, "*elks.SMS: From is required"},
		{"sms with m id", "would be read as an MMS", &elks.SMS{ID: "m1", From: "+1", To: "+2"}, `ID "m1" must not start with "m"`},
		{"mms without images", "without images only an m id makes an MMS", &elks.MMS{ID: "s1", From: "+1", To: "+2"}, `does not start with "m"`},
		{"mms empty image", "an image URL is never empty", &elks.MMS{ID: "m1", From: "+1", To: "+2", Images: []string{"https://x/1.jpg", ""}}, "Images[1] is required"},
		{"dlr without status", "status is what a report is", &elks.DeliveryReport{ID: "s1"}, "Status is required"},
		{"call without id", "a call hook always has its call id", &elks.CallEvent{From: "+1"}, "CallID is required"},
		{"call wav without result", "would be read as a Recording", &elks.CallEvent{CallID: "c1", WAV: "https://x/r.wav"}, "Result is required when WAV is set"},
		{"recording without wav", "a recording is its URL", &elks.Recording{CallID: "c1"}, "WAV is required"},
		{"negative duration", "46elks never sends one", &elks.Recording{CallID: "c1", WAV: "https://x", Duration: -time.Second}, "Duration is -1s; it must be at least 0"},
		{"negative leg", "the leg is named by its index", &elks.CallEnd{ID: "c1", Legs: []elks.Leg{{}, {Duration: -time.Second}}}, "Legs[1].Duration is -1s"},
		{"extra own key", "Extra cannot overwrite a field", &elks.SMS{ID: "s1", From: "+1", To: "+2", Extra: map[string]string{"from": "x"}}, `Extra key "from"`},
		{"extra image", "an image key makes an SMS an MMS", &elks.SMS{ID: "s1", From: "+1", To: "+2", Extra: map[string]string{"image3": "x"}}, `Extra key "image3"`},
		{"extra message on a call", "a message key makes a call hook a message", &elks.CallEvent{CallID: "c1", Extra: map[string]string{"message": "x"}}, `Extra key "message"`},
		{"extra status on a call end", "a status key makes a call end a delivery report", &elks.CallEnd{ID: "c1", Extra: map[string]string{"status": "x"}}, `Extra key "status"`},
		{"verbatim actions beside actions", "Extra[actions] only stands in for an empty list", &elks.CallEnd{ID: "c1", Actions: []map[string]any{{"a": "b"}}, Extra: map[string]string{"actions": "[{"}}, `Extra["actions"] is only for text that is not JSON`},
		{"verbatim legs that are JSON", "JSON would be read into Legs", &elks.CallEnd{ID: "c1", Extra: map[string]string{"legs": "[]"}}, `Extra["legs"] is only for text`},
		{"verbatim empty legs", "an empty field is no text to keep", &elks.CallEnd{ID: "c1", Extra: map[string]string{"legs": ""}}, `Extra["legs"] is only for text`},
		{"actions not JSON", "a value JSON cannot hold", &elks.CallEnd{ID: "c1", Actions: []map[string]any{{"f": func() {}}}}, "Actions is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testfix.PanicOf(func() { elkstest.NewRequest(tt.ev) })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: panic = %v, want an error containing %q", tt.reason, err, tt.want)
			}
		})
	}
}

// TestCredentials: each helper makes the request its verifier accepts,
// and only with the right secret.
func TestCredentials(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		req      *http.Request
		verifier telhook.Verifier
		ok       bool
	}{
		{"basic", "the URL's user information as 46elks sends it", elkstest.WithBasicAuth(elkstest.NewRequest(elkstest.SMS()), "elks", "s3cret"), telhook.BasicAuth("elks", "s3cret"), true},
		{"basic wrong", "another password is refused", elkstest.WithBasicAuth(elkstest.NewRequest(elkstest.SMS()), "elks", "guess"), telhook.BasicAuth("elks", "s3cret"), false},
		{"query", "?key= on the webhook URL", elkstest.WithQueryToken(elkstest.NewRequest(elkstest.SMS()), "key", "s3 cr&t"), telhook.QueryToken("key", "s3 cr&t"), true},
		{"query replaced", "a second call replaces the value", elkstest.WithQueryToken(elkstest.WithQueryToken(elkstest.NewRequest(elkstest.SMS()), "key", "old"), "key", "new"), telhook.QueryToken("key", "new"), true},
		{"query wrong", "another token is refused", elkstest.WithQueryToken(elkstest.NewRequest(elkstest.SMS()), "key", "guess"), telhook.QueryToken("key", "s3cret"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.verifier.Verify(tt.req)
			if (err == nil) != tt.ok {
				t.Fatalf("%s: Verify = %v, want ok=%v", tt.reason, err, tt.ok)
			}
			if _, err := elks.Parse(tt.req); err != nil {
				t.Errorf("%s: the request no longer parses: %v", tt.reason, err)
			}
		})
	}
}

// TestConcurrentUse: tests running in parallel share the kit's encoder
// and validator (run with -race).
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, ev := range []elks.Event{elkstest.SMS(), elkstest.MMS(), elkstest.CallEnd()} {
				if _, err := elks.Parse(elkstest.NewRequest(ev)); err != nil {
					t.Error(err)
				}
			}
			if err := testfix.PanicOf(func() { elkstest.NewRequest(&elks.SMS{}) }); !strings.Contains(err.Error(), "ID is required") {
				t.Errorf("an SMS without ID: %v", err)
			}
		})
	}
	wg.Wait()
}

// gen makes canonical events: values 46elks sends and elks.Parse keeps as
// they are (see the package documentation).
type gen struct{ testfix.Gen }

var runes = []rune("abcXYZ019 +&=%#?/:;.,-_åö€😀\"'<>\\{}[]\n\t")

func newGen(seed uint64) *gen {
	g := &gen{testfix.NewGen(seed, 46, runes)}
	g.Fix = func(s string) string {
		if lostPlus(s) { // " 4670…" is read as "+4670…"
			return "x" + s
		}
		return s
	}
	return g
}

// lostPlus reports whether s is a space and digits, which elks.Parse
// reads as a number whose '+' was sent raw (and so decoded as a space).
func lostPlus(s string) bool {
	if len(s) < 2 || s[0] != ' ' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

func (g *gen) phone() string {
	switch g.R.IntN(4) {
	case 0:
		return fmt.Sprintf("+467%08d", g.R.IntN(1e8))
	case 1:
		return "TestElk"
	case 2:
		return fmt.Sprintf("467%08d", g.R.IntN(1e8))
	}
	return g.Text() + "x" // any text, never empty
}

// time is a UTC instant at 46elks' precision, the microsecond.
func (g *gen) time() time.Time {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(g.R.Int64N(int64(30 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)
}

func (g *gen) seconds() time.Duration { return time.Duration(g.R.IntN(100000)) * time.Second }

func (g *gen) url() string {
	return "https://api.46elks.com/a1/" + g.Hex(8) + "?q=" + g.Hex(2) + "&x=" + g.Text()
}

// extra returns nil or up to three fields whose keys 46elks does not use.
func (g *gen) extra() map[string]string {
	n := g.R.IntN(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		m["x_"+g.Hex(1+g.R.IntN(4))+g.Text()] = g.Text()
	}
	return m
}

func (g *gen) sms() *elks.SMS {
	id := g.Text() + "1"
	if strings.HasPrefix(id, "m") {
		id = "s" + id
	}
	return &elks.SMS{
		ID: id, From: g.phone(), To: g.phone(), Message: g.Text(),
		Direction: testfix.Maybe(&g.Gen, g.Text), Created: testfix.Maybe(&g.Gen, g.time), Extra: g.extra(),
	}
}

func (g *gen) mms() *elks.MMS {
	images := make([]string, g.R.IntN(6)) // elks.Parse returns [] for none
	for i := range images {
		images[i] = g.url()
	}
	id := "m" + g.Hex(32)
	if len(images) > 0 && g.R.IntN(2) == 0 {
		id = "s" + g.Hex(32) // the docs' MMS example has an SMS-style id
	}
	return &elks.MMS{
		ID: id, From: g.phone(), To: g.phone(), Message: testfix.Maybe(&g.Gen, g.Text),
		Direction: testfix.Maybe(&g.Gen, g.Text), Images: images, Created: testfix.Maybe(&g.Gen, g.time), Extra: g.extra(),
	}
}

func (g *gen) dlr() *elks.DeliveryReport {
	return &elks.DeliveryReport{ID: "s" + g.Hex(32), Status: g.Word(), Delivered: testfix.Maybe(&g.Gen, g.time), Extra: g.extra()}
}

func (g *gen) call() *elks.CallEvent {
	ev := &elks.CallEvent{
		CallID: "c" + g.Hex(32), From: testfix.Maybe(&g.Gen, g.phone), To: testfix.Maybe(&g.Gen, g.phone), Direction: testfix.Maybe(&g.Gen, g.Text),
		Result: testfix.Maybe(&g.Gen, g.Word), Created: testfix.Maybe(&g.Gen, g.time), Extra: g.extra(),
	}
	if g.R.IntN(3) == 0 {
		ev.WAV, ev.Result = g.url(), g.Word()
	}
	if g.R.IntN(4) == 0 { // the handle-client-call example sends "id" too
		if ev.Extra == nil {
			ev.Extra = map[string]string{}
		}
		ev.Extra["id"] = g.Word()
	}
	return ev
}

func (g *gen) recording() *elks.Recording {
	return &elks.Recording{
		CallID: "c" + g.Hex(32), From: testfix.Maybe(&g.Gen, g.phone), To: testfix.Maybe(&g.Gen, g.phone), Direction: testfix.Maybe(&g.Gen, g.Text),
		WAV: g.url(), Duration: testfix.Maybe(&g.Gen, g.seconds), Created: testfix.Maybe(&g.Gen, g.time), Extra: g.extra(),
	}
}

func (g *gen) callEnd() *elks.CallEnd {
	ev := &elks.CallEnd{
		ID: "c" + g.Hex(32), From: testfix.Maybe(&g.Gen, g.phone), To: testfix.Maybe(&g.Gen, g.phone), Direction: testfix.Maybe(&g.Gen, g.Text),
		State: testfix.Maybe(&g.Gen, g.Word), Created: testfix.Maybe(&g.Gen, g.time), Start: testfix.Maybe(&g.Gen, g.time), Duration: testfix.Maybe(&g.Gen, g.seconds),
		Cost: g.R.IntN(20001) - 10000, Extra: g.extra(),
	}
	for range g.R.IntN(4) {
		ev.Actions = append(ev.Actions, g.action(2))
	}
	for range g.R.IntN(4) {
		ev.Legs = append(ev.Legs, elks.Leg{From: g.phone(), To: g.phone(), State: g.Text(), Duration: g.seconds()})
	}
	if ev.Actions == nil && g.R.IntN(3) == 0 { // 46elks' Swagger example is cut short
		if ev.Extra == nil {
			ev.Extra = map[string]string{}
		}
		ev.Extra["actions"] = `[{"connect": "+46` + g.Hex(4)
	}
	return ev
}

// action is a JSON object as encoding/json decodes it: float64 numbers,
// nested objects down to depth.
func (g *gen) action(depth int) map[string]any {
	m := map[string]any{"connect": g.phone(), "result": g.Word()}
	for range g.R.IntN(4) {
		var v any
		switch g.R.IntN(6) {
		case 0:
			v = float64(g.R.IntN(100))
		case 1:
			v = g.R.Float64()
		case 2:
			v = g.R.IntN(2) == 0
		case 3:
			v = nil
		case 4:
			v = []any{g.Text(), float64(1), map[string]any{"a": g.Text()}}
		default:
			if depth > 0 {
				v = g.action(depth - 1)
			} else {
				v = g.Text()
			}
		}
		m[g.Text()] = v
	}
	return m
}

// kitOf is this kit as the shared checks see it.
var kitOf = testfix.Kit[elks.Event]{Decode: elks.Decode, Parse: elks.Parse, NewRequest: elkstest.NewRequest}
