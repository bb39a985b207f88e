package pbx3cxtest_test

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

var fixtures = testfix.Dir("pbx3cx")

// TestRoundTrip: pbx3cx.Parse of a request is the event it was built
// from, for generated events of every type, in both event dialects.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		kit    testfix.Kit[*pbx3cx.Event]
		gen    func(*gen) *pbx3cx.Event
	}{
		{"json", "K2M's JSON: every type, recordings, end events with and without a talk time, Extra", jsonKit, (*gen).event},
		{"json unknown type", "a type pbx3cx does not know comes back whole, with ErrUnknownEvent", unknownKit, (*gen).unknown},
		{"legacy", "the GET scheme: the talk time in the title, hangupincoming for a start", legacyKit, (*gen).legacy},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gen{testfix.NewGen(uint64(i), 3, runes)}
			testfix.CheckGenerated(t, tt.kit, tt.reason, 300, func() *pbx3cx.Event { return tt.gen(g) })
		})
	}
}

// TestRecordingURL: the bare URL is read as a recording of the segment
// its file name holds.
func TestRecordingURL(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		url    string
		want   *pbx3cx.Event
	}{
		{"segment", "the file name holds the segment id and the recording index",
			"https://3CXDQDN:5001/webapi/recording/230102185935_18-1-1.mp3",
			&pbx3cx.Event{Type: pbx3cx.Recording, ID: "230102185935_18-1", RecordingURLs: []string{"https://3CXDQDN:5001/webapi/recording/230102185935_18-1-1.mp3"}}},
		{"no segment", "a file name of another shape gives no id",
			"http://pbx.example.com/rec/latest.wav?x=1&y=2",
			&pbx3cx.Event{Type: pbx3cx.Recording, RecordingURLs: []string{"http://pbx.example.com/rec/latest.wav?x=1&y=2"}}},
		{"escaped", "escapes in the path stay as sent in the URL",
			"https://pbx/recording/230307142318_40-2-3.mp3?name=J%C3%B6rg%20S",
			&pbx3cx.Event{Type: pbx3cx.Recording, ID: "230307142318_40-2", RecordingURLs: []string{"https://pbx/recording/230307142318_40-2-3.mp3?name=J%C3%B6rg%20S"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := pbx3cxtest.NewRecordingURLRequest(tt.url)
			if body := testfix.Peek(t, req); body != tt.url || req.Method != "POST" || req.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("%s: request %s %q %q", tt.reason, req.Method, req.Header.Get("Content-Type"), body)
			}
			got, err := pbx3cx.Parse(req)
			if err != nil {
				t.Fatalf("%s: Parse: %v", tt.reason, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: differs (-want +got):\n%s", tt.reason, diff)
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
			name:   "end",
			reason: "K2M's keys; Transfer and Duration on an end event; Did always",
			req:    pbx3cxtest.NewRequest(pbx3cxtest.Ended()),
			want: request{"POST", "/", "application/json",
				`{"Event":"incoming","Callerid":"05552221133","User":"117","Finishtype":"Ok","Transfer":"True","Did":"","Duration":"00:14","Id":"230307142318_40-1"}`},
		},
		{
			name:   "missed",
			reason: "a missed call's Duration is \"\"",
			req:    pbx3cxtest.NewRequest(&pbx3cx.Event{Type: pbx3cx.Outgoing, FinishType: pbx3cx.FinishMissed, ID: "1_1-0", Extra: map[string]string{"chid": "00-1"}}),
			want:   request{"POST", "/", "application/json", `{"Event":"outgoing","Finishtype":"Missed","Transfer":"False","Did":"","Duration":"","Id":"1_1-0","chid":"00-1"}`},
		},
		{
			name:   "recording",
			reason: "FileUrls a list; no Did",
			req:    pbx3cxtest.NewRequest(pbx3cxtest.Recording()),
			want: request{"POST", "/", "application/json",
				`{"Event":"recording","FileUrls":["https://FQDN:5001/webapi/recording/230307142318_40-2-1.mp3"],"Callerid":"05552221133","User":"204","Id":"230307142318_40-2"}`},
		},
		{
			name:   "legacy start",
			reason: "the legacy name of the start of a talk, lowercase keys",
			req:    pbx3cxtest.NewLegacyRequest(pbx3cxtest.AttendedTransfer()[4]),
			want:   request{"GET", "/?event=hangupincoming&callerid=05552221133&user=204&did=&trtype=Attended&id=230307142318_40-2", "", ""},
		},
		{
			name:   "legacy end",
			reason: "the title percent-encoded, the talk time in it",
			req: pbx3cxtest.NewLegacyRequest(&pbx3cx.Event{Type: pbx3cx.Incoming, CallerID: "420774852629", User: "102", FinishType: pbx3cx.FinishOk,
				DID: "DID-420222000320", Title: "DID-420222000320:Answered call from 420774852629 (0:07)", Duration: 7 * time.Second, ID: "230102104542_15-1"}),
			want: request{"GET", "/?event=incoming&callerid=420774852629&user=102&did=DID-420222000320&finishtype=Ok&transfer=False" +
				"&title=DID-420222000320%3AAnswered+call+from+420774852629+%280%3A07%29&id=230102104542_15-1", "", ""},
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

// TestSamples: each sample equals what its fixture, K2M's example, decodes
// to; is a new value each call; and round-trips in both event dialects
// where the dialect can carry it.
func TestSamples(t *testing.T) {
	ringing := testfix.Sample[*pbx3cx.Event]{Fixture: "k2m-ringing-queue.txt", Reason: "a queue rings", Make: pbx3cxtest.Ringing}
	t.Run("json", func(t *testing.T) {
		testfix.CheckSamples(t, jsonKit, fixtures, []testfix.Sample[*pbx3cx.Event]{
			ringing,
			{Fixture: "k2m-end-transfer.txt", Reason: "an end by transfer", Make: pbx3cxtest.Ended},
			{Fixture: "k2m-recording.txt", Reason: "a recording", Make: pbx3cxtest.Recording},
		})
	})
	t.Run("legacy", func(t *testing.T) {
		testfix.CheckSamples(t, legacyKit, fixtures, []testfix.Sample[*pbx3cx.Event]{ringing})
	})
}

// TestAttendedTransfer: the sample is its flow's events, line by line, new
// values each call, and round-trips in both event dialects where the
// dialect can carry the event.
func TestAttendedTransfer(t *testing.T) {
	const reason = "one call, line by line"
	var want []*pbx3cx.Event
	for i, line := range strings.Split(strings.TrimSpace(string(testfix.Read(t, "pbx3cx", "flows/02-attended-transfer", ".txt"))), "\n") {
		ev, err := pbx3cx.Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %d: decoding the fixture: %v", i+1, err)
		}
		want = append(want, ev)
	}
	if diff := cmp.Diff(want, pbx3cxtest.AttendedTransfer()); diff != "" {
		t.Errorf("%s: sample differs from the fixture (-fixture +sample):\n%s", reason, diff)
	}
	if a, b := pbx3cxtest.AttendedTransfer(), pbx3cxtest.AttendedTransfer(); a[0] == b[0] {
		t.Errorf("%s: two calls return the same pointer", reason)
	}
	for _, tt := range []struct {
		name    string
		kit     testfix.Kit[*pbx3cx.Event]
		carries func(*pbx3cx.Event) bool
	}{
		{"json", jsonKit, func(*pbx3cx.Event) bool { return true }},
		{"legacy", legacyKit, legacyCarries},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs := slices.DeleteFunc(pbx3cxtest.AttendedTransfer(), func(ev *pbx3cx.Event) bool { return !tt.carries(ev) })
			testfix.CheckGenerated(t, tt.kit, reason, len(evs), func() *pbx3cx.Event {
				ev := evs[0]
				evs = evs[1:]
				return ev
			})
		})
	}
}

// TestFixturesRoundTrip: every event decoded from a fixture, in any
// dialect, can be sent again as K2M's JSON, and as the legacy scheme when
// it can carry it, and decodes to itself.
func TestFixturesRoundTrip(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		testfix.CheckFixturesRoundTrip(t, jsonKit, filepath.Join(fixtures, "*.txt"), 15)
	})
	t.Run("legacy", func(t *testing.T) {
		k := legacyKit
		k.Decode = func(body []byte) (*pbx3cx.Event, error) {
			ev, err := pbx3cx.Decode(body)
			if err == nil && !legacyCarries(ev) {
				err = errors.New("the legacy scheme cannot carry it")
			}
			return ev, err
		}
		testfix.CheckFixturesRoundTrip(t, k, filepath.Join(fixtures, "*.txt"), 10)
	})
}

// TestPanics: what the add-on never sends is refused, naming the field.
func TestPanics(t *testing.T) {
	ring := func() *pbx3cx.Event { return pbx3cxtest.Ringing() }
	with := func(f func(*pbx3cx.Event)) *pbx3cx.Event { ev := ring(); f(ev); return ev }
	tests := []struct {
		name   string
		reason string
		build  func()
		want   string
	}{
		{"nil", "no event", func() { pbx3cxtest.NewRequest(nil) }, "pbx3cxtest.NewRequest: *pbx3cx.Event: no event"},
		{"no type", "every webhook has its event", func() { pbx3cxtest.NewRequest(&pbx3cx.Event{ID: "1"}) }, "Type is required"},
		{"no id", "every webhook has its id", func() { pbx3cxtest.NewLegacyRequest(&pbx3cx.Event{Type: pbx3cx.Ringing}) }, "NewLegacyRequest: *pbx3cx.Event: ID is required"},
		{"recording without url", "a recording is its URLs", func() { pbx3cxtest.NewRequest(&pbx3cx.Event{Type: pbx3cx.Recording, ID: "1"}) }, `RecordingURLs is required when Type is "recording"`},
		{"empty url", "a URL is never empty", func() {
			pbx3cxtest.NewRequest(with(func(e *pbx3cx.Event) { e.RecordingURLs = []string{"https://x", ""} }))
		}, "RecordingURLs[1] is required"},
		{"negative duration", "the add-on never sends one", func() { pbx3cxtest.NewRequest(with(func(e *pbx3cx.Event) { e.Duration = -time.Second })) }, "Duration is -1s"},
		{"extra known key", "in any case", func() {
			pbx3cxtest.NewRequest(with(func(e *pbx3cx.Event) { e.Extra = map[string]string{"FILES": "x"} }))
		}, `Extra key "FILES"`},
		{"extra case twins", "pbx3cx matches keys in any case", func() {
			pbx3cxtest.NewRequest(with(func(e *pbx3cx.Event) { e.Extra = map[string]string{"Chid": "1", "chid": "2"} }))
		}, `Extra keys "Chid" and "chid" differ only in case`},
		{"legacy recording", "the legacy scheme sends a bare URL", func() { pbx3cxtest.NewLegacyRequest(pbx3cxtest.Recording()) }, "use NewRecordingURLRequest"},
		{"legacy duration without title", "the talk time lives in the title", func() { pbx3cxtest.NewLegacyRequest(pbx3cxtest.Ended()) }, `Duration is 14s but Title "" says 0s`},
		{"legacy duration on ringing", "only end events carry one", func() { pbx3cxtest.NewLegacyRequest(with(func(e *pbx3cx.Event) { e.Duration = time.Second })) }, "Duration is 1s"},
		{"legacy title disagrees", "a title that says another time", func() {
			pbx3cxtest.NewLegacyRequest(&pbx3cx.Event{Type: pbx3cx.Incoming, ID: "1-1", Title: "Answered (0:07)"})
		}, `Duration is 0s but Title "Answered (0:07)" says 7s`},
		{"legacy extra key", "a key the loose query string cannot carry", func() {
			pbx3cxtest.NewLegacyRequest(with(func(e *pbx3cx.Event) { e.Extra = map[string]string{"a b": "1"} }))
		}, `Extra key "a b" cannot be a key`},
		{"url not http", "a recording URL is http(s)", func() { pbx3cxtest.NewRecordingURLRequest("ftp://pbx/r.mp3") }, "not http or https"},
		{"url spaces", "a URL has no white space", func() { pbx3cxtest.NewRecordingURLRequest("https://pbx/a b.mp3") }, "white space"},
		{"url no host", "a URL has a host", func() { pbx3cxtest.NewRecordingURLRequest("https:///r.mp3") }, "no host"},
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

// TestCredentials: WithQueryToken makes the request telhook.QueryToken
// accepts, only with the right secret; once accepted (and stripped of the
// token) the request reads as before, in both dialects.
func TestCredentials(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		build  func(*pbx3cx.Event) *http.Request
		token  string
		ok     bool
	}{
		{"json", "a secret in WEBHOOK_URL", pbx3cxtest.NewRequest, "s3cret", true},
		{"legacy", "the token follows the legacy query string", pbx3cxtest.NewLegacyRequest, "s3cret", true},
		{"wrong", "another token is refused", pbx3cxtest.NewLegacyRequest, "guess", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := pbx3cxtest.WithQueryToken(tt.build(pbx3cxtest.Ringing()), "key", tt.token)
			if err := telhook.QueryToken("key", "s3cret").Verify(req); (err == nil) != tt.ok {
				t.Fatalf("%s: Verify = %v, want ok=%v", tt.reason, err, tt.ok)
			}
			got, err := pbx3cx.Parse(req)
			if err != nil {
				t.Fatalf("%s: Parse: %v", tt.reason, err)
			}
			if diff := cmp.Diff(pbx3cxtest.Ringing(), got); diff != "" {
				t.Errorf("%s: differs (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// gen makes canonical events: values the add-on sends and pbx3cx keeps as
// they are (see the package documentation).
type gen struct{ testfix.Gen }

var runes = []rune("abcXYZ019 +&=%#?/:;.,-_åö€😀\"'<>\\{}[]\n\t“”")

func (g *gen) caller() string {
	return testfix.Pick(&g.Gen, "05552221133", "420774852629", "MAKECALL", "+905552221133", g.Word())
}

func (g *gen) seconds() time.Duration { return time.Duration(1+g.R.IntN(20000)) * time.Second }

func (g *gen) extra() map[string]string {
	n := g.R.IntN(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		m[fmt.Sprintf("x_%d.%d", len(m), g.R.IntN(1000))] = g.Text()
	}
	return m
}

// base is an event of type typ with the fields every type may carry.
func (g *gen) base(typ string) *pbx3cx.Event {
	return &pbx3cx.Event{
		Type: typ, CallerID: testfix.Maybe(&g.Gen, g.caller), User: testfix.Maybe(&g.Gen, func() string { return fmt.Sprint(100 + g.R.IntN(900)) }),
		DID: testfix.Maybe(&g.Gen, func() string {
			return testfix.Pick(&g.Gen, "DID-420222000320", "DID Serbia 021 3220 030", "empty", g.Word())
		}),
		ID:    fmt.Sprintf("2303071%05d_%d-%d", g.R.IntN(100000), g.R.IntN(100), g.R.IntN(4)),
		Extra: g.extra(),
	}
}

func (g *gen) event() *pbx3cx.Event {
	ev := g.base(testfix.Pick(&g.Gen, pbx3cx.Ringing, pbx3cx.Dialing, pbx3cx.IncomingStarted, pbx3cx.OutgoingStarted, pbx3cx.Incoming, pbx3cx.Outgoing, pbx3cx.Recording))
	switch {
	case ev.Type == pbx3cx.Ringing:
		ev.UserType = testfix.Maybe(&g.Gen, func() string { return testfix.Pick(&g.Gen, "ext", "queue", "other") })
	case ev.IsStart():
		ev.TransferType = testfix.Pick(&g.Gen, pbx3cx.NotTransferred, pbx3cx.Blind, pbx3cx.Attended, "")
	case ev.IsEnd():
		ev.FinishType = testfix.Pick(&g.Gen, pbx3cx.FinishOk, pbx3cx.FinishMissed)
		ev.Transfer = g.R.IntN(3) == 0
		ev.Duration = testfix.Maybe(&g.Gen, g.seconds)
		ev.Title = testfix.Maybe(&g.Gen, g.Word)
		if g.R.IntN(4) == 0 { // Creomate's FILES on the final event
			ev.RecordingURLs = g.urls()
		}
	case ev.Type == pbx3cx.Recording:
		ev.RecordingURLs = g.urls()
	}
	return ev
}

func (g *gen) urls() []string {
	urls := make([]string, 1+g.R.IntN(3))
	for i := range urls {
		urls[i] = fmt.Sprintf("https://FQDN:5001/webapi/recording/230307142318_40-%d-%d.mp3", g.R.IntN(3), i+1)
	}
	return urls
}

func (g *gen) unknown() *pbx3cx.Event {
	ev := g.base(testfix.Pick(&g.Gen, "transfer_started", "pickupqueue", "x"+g.Word()))
	ev.Title = testfix.Maybe(&g.Gen, g.Word)
	return ev
}

// legacy is an event the GET scheme can carry: no recordings, and an end
// event's talk time at the end of its title.
func (g *gen) legacy() *pbx3cx.Event {
	ev := g.event()
	for ev.Type == pbx3cx.Recording {
		ev = g.event()
	}
	ev.RecordingURLs = nil
	if ev.IsEnd() {
		ev.Title = strings.NewReplacer("(", "[", ")", "]").Replace(ev.Title)
		if ev.Duration != 0 {
			s := int(ev.Duration / time.Second)
			ev.Title = fmt.Sprintf("%s:Answered call from %s (%d:%02d)", ev.DID, ev.CallerID, s/60, s%60)
			ev.Title = strings.TrimSpace(ev.Title)
		}
	}
	return ev
}

// The kit as the shared checks see it, in each dialect of an event.
var (
	jsonKit    = testfix.Kit[*pbx3cx.Event]{Decode: pbx3cx.Decode, Parse: pbx3cx.Parse, NewRequest: pbx3cxtest.NewRequest}
	legacyKit  = testfix.Kit[*pbx3cx.Event]{Decode: pbx3cx.Decode, Parse: pbx3cx.Parse, NewRequest: pbx3cxtest.NewLegacyRequest}
	unknownKit = testfix.Kit[*pbx3cx.Event]{Decode: pbx3cx.Decode, Parse: parseUnknown, NewRequest: pbx3cxtest.NewRequest}
)

// parseUnknown is pbx3cx.Parse of an event of a type pbx3cx does not
// know: the event comes back whole with an error matching
// telhook.ErrUnknownEvent, and any other answer is a failure.
func parseUnknown(r *http.Request) (*pbx3cx.Event, error) {
	ev, err := pbx3cx.Parse(r)
	if !errors.Is(err, telhook.ErrUnknownEvent) {
		return ev, fmt.Errorf("want an error matching telhook.ErrUnknownEvent, got %v", err)
	}
	return ev, nil
}

// legacyCarries reports whether the legacy GET scheme can carry ev: no
// recording, and an end event's talk time in its title.
func legacyCarries(ev *pbx3cx.Event) bool {
	return ev.Type != pbx3cx.Recording && len(ev.RecordingURLs) == 0 && (!ev.IsEnd() || ev.Title != "")
}
