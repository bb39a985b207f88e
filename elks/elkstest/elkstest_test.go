package elkstest_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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

const fixtures = "../../testdata/elks"

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
			g := &gen{rand.New(rand.NewPCG(uint64(i), 46))}
			for n := range 300 {
				ev := tt.gen(g)
				req := elkstest.NewRequest(ev)
				body := peek(t, req)
				got, err := elks.Parse(req)
				if err != nil {
					t.Fatalf("event %d (%s): Parse: %v\nevent: %#v\nbody: %s", n, tt.reason, err, ev, body)
				}
				if diff := cmp.Diff(ev, got); diff != "" {
					t.Fatalf("event %d (%s): Parse(NewRequest(ev)) differs (-sent +parsed):\n%s\nbody: %s", n, tt.reason, diff, body)
				}
			}
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
			got := struct{ Method, Target, ContentType, Body string }{req.Method, req.RequestURI, req.Header.Get("Content-Type"), peek(t, req)}
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
			err := panicOf(func() { elkstest.NewRequest(tt.ev) })
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
			if err := panicOf(func() { elkstest.NewRequest(&elks.SMS{}) }); !strings.Contains(err.Error(), "ID is required") {
				t.Errorf("an SMS without ID: %v", err)
			}
		})
	}
	wg.Wait()
}

// peek returns req's body and puts it back.
func peek(t *testing.T, req *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b)
}

func panicOf(f func()) (err error) {
	defer func() {
		switch p := recover().(type) {
		case nil:
		case error:
			err = p
		default:
			err = fmt.Errorf("panic with a %T, not an error: %v", p, p)
		}
	}()
	f()
	return errors.New("no panic")
}

// gen makes canonical events: values 46elks sends and elks.Parse keeps as
// they are (see the package documentation).
type gen struct{ r *rand.Rand }

var runes = []rune("abcXYZ019 +&=%#?/:;.,-_åö€😀\"'<>\\{}[]\n\t")

// text is any text, possibly empty, possibly with spaces around it.
func (g *gen) text() string {
	n := g.r.IntN(12)
	b := make([]rune, n)
	for i := range b {
		b[i] = runes[g.r.IntN(len(runes))]
	}
	s := string(b)
	if lostPlus(s) { // " 4670…" is read as "+4670…"
		s = "x" + s
	}
	return s
}

// word is non-empty text without surrounding spaces.
func (g *gen) word() string {
	if s := strings.TrimSpace(g.text()); s != "" {
		return s
	}
	return fmt.Sprintf("w%d", g.r.IntN(1000))
}

// maybe returns f() or the zero value, half the time each.
func maybe[T any](g *gen, f func() T) T {
	var zero T
	if g.r.IntN(2) == 0 {
		return zero
	}
	return f()
}

func lostPlus(s string) bool {
	if len(s) < 2 || s[0] != ' ' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) phone() string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("+467%08d", g.r.IntN(1e8))
	case 1:
		return "TestElk"
	case 2:
		return fmt.Sprintf("467%08d", g.r.IntN(1e8))
	}
	return g.text() + "x" // any text, never empty
}

// time is a UTC instant at 46elks' precision, the microsecond.
func (g *gen) time() time.Time {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(g.r.Int64N(int64(30 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)
}

func (g *gen) seconds() time.Duration { return time.Duration(g.r.IntN(100000)) * time.Second }

func (g *gen) url() string {
	return "https://api.46elks.com/a1/" + g.hex(8) + "?q=" + g.hex(2) + "&x=" + g.text()
}

// extra returns nil or up to three fields whose keys 46elks does not use.
func (g *gen) extra() map[string]string {
	n := g.r.IntN(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		m["x_"+g.hex(1+g.r.IntN(4))+g.text()] = g.text()
	}
	return m
}

func (g *gen) sms() *elks.SMS {
	id := g.text() + "1"
	if strings.HasPrefix(id, "m") {
		id = "s" + id
	}
	return &elks.SMS{
		ID: id, From: g.phone(), To: g.phone(), Message: g.text(),
		Direction: maybe(g, g.text), Created: maybe(g, g.time), Extra: g.extra(),
	}
}

func (g *gen) mms() *elks.MMS {
	images := make([]string, g.r.IntN(6)) // elks.Parse returns [] for none
	for i := range images {
		images[i] = g.url()
	}
	id := "m" + g.hex(32)
	if len(images) > 0 && g.r.IntN(2) == 0 {
		id = "s" + g.hex(32) // the docs' MMS example has an SMS-style id
	}
	return &elks.MMS{
		ID: id, From: g.phone(), To: g.phone(), Message: maybe(g, g.text),
		Direction: maybe(g, g.text), Images: images, Created: maybe(g, g.time), Extra: g.extra(),
	}
}

func (g *gen) dlr() *elks.DeliveryReport {
	return &elks.DeliveryReport{ID: "s" + g.hex(32), Status: g.word(), Delivered: maybe(g, g.time), Extra: g.extra()}
}

func (g *gen) call() *elks.CallEvent {
	ev := &elks.CallEvent{
		CallID: "c" + g.hex(32), From: maybe(g, g.phone), To: maybe(g, g.phone), Direction: maybe(g, g.text),
		Result: maybe(g, g.word), Created: maybe(g, g.time), Extra: g.extra(),
	}
	if g.r.IntN(3) == 0 {
		ev.WAV, ev.Result = g.url(), g.word()
	}
	if g.r.IntN(4) == 0 { // the handle-client-call example sends "id" too
		if ev.Extra == nil {
			ev.Extra = map[string]string{}
		}
		ev.Extra["id"] = g.word()
	}
	return ev
}

func (g *gen) recording() *elks.Recording {
	return &elks.Recording{
		CallID: "c" + g.hex(32), From: maybe(g, g.phone), To: maybe(g, g.phone), Direction: maybe(g, g.text),
		WAV: g.url(), Duration: maybe(g, g.seconds), Created: maybe(g, g.time), Extra: g.extra(),
	}
}

func (g *gen) callEnd() *elks.CallEnd {
	ev := &elks.CallEnd{
		ID: "c" + g.hex(32), From: maybe(g, g.phone), To: maybe(g, g.phone), Direction: maybe(g, g.text),
		State: maybe(g, g.word), Created: maybe(g, g.time), Start: maybe(g, g.time), Duration: maybe(g, g.seconds),
		Cost: g.r.IntN(20001) - 10000, Extra: g.extra(),
	}
	for range g.r.IntN(4) {
		ev.Actions = append(ev.Actions, g.action(2))
	}
	for range g.r.IntN(4) {
		ev.Legs = append(ev.Legs, elks.Leg{From: g.phone(), To: g.phone(), State: g.text(), Duration: g.seconds()})
	}
	if ev.Actions == nil && g.r.IntN(3) == 0 { // 46elks' Swagger example is cut short
		if ev.Extra == nil {
			ev.Extra = map[string]string{}
		}
		ev.Extra["actions"] = `[{"connect": "+46` + g.hex(4)
	}
	return ev
}

// action is a JSON object as encoding/json decodes it: float64 numbers,
// nested objects down to depth.
func (g *gen) action(depth int) map[string]any {
	m := map[string]any{"connect": g.phone(), "result": g.word()}
	for range g.r.IntN(4) {
		var v any
		switch g.r.IntN(6) {
		case 0:
			v = float64(g.r.IntN(100))
		case 1:
			v = g.r.Float64()
		case 2:
			v = g.r.IntN(2) == 0
		case 3:
			v = nil
		case 4:
			v = []any{g.text(), float64(1), map[string]any{"a": g.text()}}
		default:
			if depth > 0 {
				v = g.action(depth - 1)
			} else {
				v = g.text()
			}
		}
		m[g.text()] = v
	}
	return m
}

// kitOf is this kit as the shared checks see it.
var kitOf = testfix.Kit[elks.Event]{Decode: elks.Decode, Parse: elks.Parse, NewRequest: elkstest.NewRequest}
