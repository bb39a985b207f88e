package normalize

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/obd/obdtest"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/oncall/oncalltest"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

var quiet = WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler)))

type collector struct {
	mu     sync.Mutex
	events []Event
	fail   error
}

func (c *collector) fn(_ context.Context, ev Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	return c.fail
}

// readSpy fails the test when the body is read.
type readSpy struct{ t *testing.T }

func (r readSpy) Read([]byte) (int, error) {
	r.t.Error("the body was read before verification")
	return 0, io.EOF
}

// on puts r, which a kit builds for "/", at path (its query kept), as the
// provider sends it to the mux's path for it.
func on(path string, r *http.Request) *http.Request {
	r.URL.Path = path
	r.RequestURI = r.URL.RequestURI()
	return r
}

// raw is a POST of body to path with no Content-Type: for the bytes no kit
// writes.
func raw(path, body string) *http.Request {
	return httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
}

// toServer addresses r to the test server at base, for an http.Client.
func toServer(base string, r *http.Request) *http.Request {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	r.Host, r.RequestURI = "", ""
	return r
}

func TestMux(t *testing.T) {
	sms := func() *http.Request {
		return elkstest.NewRequest(&elks.SMS{ID: "s1", From: "+46706861004", To: "+46706860000", Message: "Hej"})
	}
	answered := func() *http.Request {
		return oncalltest.NewRequest(&oncall.CallEvent{UUID: "u1", EventType: oncall.Answered, EventTime: time.Date(2025, 9, 22, 12, 56, 38, 0, time.UTC)})
	}
	tests := []struct {
		name     string
		opts     []MuxOption
		req      *http.Request // as the provider sends it, at the mux's path for it
		header   [2]string
		status   int
		respBody string
		events   int
		reason   string
	}{
		{"elks", nil, on("/elks", sms()), [2]string{}, 204, "", 1, "46elks at /elks: 204, no reply"},
		{"elks below", nil, on("/elks/sms", sms()), [2]string{}, 204, "", 1, "and below it"},
		{"obd exact 200", nil, raw("/obd", `{"to": 91886713XXXX, "status": "ANSWER",}`), [2]string{}, 200, "", 1, "Mobtexting gets exactly 200"},
		{"obd compose", nil, on("/obd/compose", obdtest.NewComposedRequest(http.MethodGet, obd.Fields{}, &obd.Report{ID: "c1", To: "918867131234", Status: "BUSY"})),
			[2]string{}, 200, "", 1, "composed GET"},
		{"obd challenge", []MuxOption{WithOptions(OBD, obd.WithChallengeKey("k"))}, on("/obd", obdtest.NewRequest(&obd.Challenge{ValidationKey: "k", Challenge: "c1"})), [2]string{},
			200, `{"challenge":"c1"}`, 0, "the challenge is answered by the obd handler, no event"},
		{"pbx3cx GET", nil, on("/pbx3cx", pbx3cxtest.NewLegacyRequest(&pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: "420774852629", User: "800", ID: "230102104542_15-0"})),
			[2]string{}, 200, "", 1, "legacy GET"},
		{"oncall", nil, on("/oncall", answered()), [2]string{}, 200, "", 1, "Wavix"},
		{"elks verifier", []MuxOption{WithOptions(Elks, telhook.WithVerifier(telhook.QueryToken("key", "s")))}, on("/elks", sms()), [2]string{},
			401, "", 0, "each path has its own verifier"},
		{"other path unaffected", []MuxOption{WithOptions(Elks, telhook.WithVerifier(telhook.QueryToken("key", "s")))}, on("/oncall", answered()),
			[2]string{}, 200, "", 1, "46elks' secret does not guard Wavix"},
		{"auto elks", nil, on("/auto", sms()), [2]string{}, 204, "", 1, "auto: a 46elks form, answered as 46elks"},
		{"auto obd", nil, raw("/auto", `{"bridge": 91806828XXXX, "to": 91886713XXXX, "status": "ANSWER",}`), [2]string{}, 200, "", 1, "auto: the Mobtexting excerpt"},
		{"auto pbx3cx url", nil, on("/auto", pbx3cxtest.NewRecordingURLRequest("https://pbx:5001/webapi/recording/230102185935_18-1-1.mp3")),
			[2]string{}, 200, "", 1, "auto: a bare recording URL"},
		{"auto unknown", nil, raw("/auto", `{"hello":"world"}`), [2]string{}, 400,
			"auto: normalize: cannot tell which provider sent this request: telhook: unknown event\n", 0, "auto: nobody's webhook"},
		{"auto verifier", []MuxOption{WithOptions(Auto, telhook.WithVerifier(telhook.BearerToken("a")))}, on("/auto", sms()),
			[2]string{"Authorization", "Bearer a"}, 204, "", 1, "auto: its own verifier (46elks has none here)"},
		{"auto refused", []MuxOption{WithOptions(Auto, telhook.WithVerifier(telhook.BearerToken("a")))}, on("/auto", sms()),
			[2]string{}, 401, "", 0, "auto: refused"},
		{"elks call action", []MuxOption{WithElksCalls(func(context.Context, *elks.CallEvent) (elks.Action, error) {
			return elks.Connect{To: "+46704508449"}, nil
		})}, on("/elks", elkstest.NewRequest(&elks.CallEvent{CallID: "c1", Result: "newincoming", From: "+46706861004", To: "+46706860000", Direction: "incoming"})),
			[2]string{}, 200, `{"connect":"+46704508449"}`, 1, "46elks call hooks still get actions"},
		{"elks call no action", nil, on("/elks", elkstest.NewRequest(&elks.CallEvent{CallID: "c1", Result: "newincoming"})), [2]string{},
			204, "", 1, "no WithElksCalls: 204, the call ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &collector{}
			srv := httptest.NewServer(NewMux(c.fn, append(tt.opts, quiet)...))
			defer srv.Close()
			req := toServer(srv.URL, tt.req)
			if tt.header[0] != "" {
				req.Header.Set(tt.header[0], tt.header[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.respBody {
				t.Errorf("answer %d %q, want %d %q (%s)", resp.StatusCode, b, tt.status, tt.respBody, tt.reason)
			}
			if len(c.events) != tt.events {
				t.Errorf("%d events, want %d (%s)", len(c.events), tt.events, tt.reason)
			}
		})
	}
}

func TestMuxAutoVerifiesBeforeReading(t *testing.T) {
	h := NewMux(func(context.Context, Event) error { return nil }, quiet, WithOptions(Auto, telhook.WithVerifier(telhook.BearerToken("a"))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/auto", readSpy{t}))
	if rec.Code != 401 {
		t.Errorf("status %d, want 401", rec.Code)
	}
}

func TestMuxCallbackError(t *testing.T) {
	c := &collector{fail: errors.New("queue full")}
	h := NewMux(c.fn, quiet)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, on("/oncall", oncalltest.NewRequest(&oncall.CallEvent{UUID: "u1", EventType: oncall.Answered, EventTime: time.Date(2025, 9, 22, 12, 56, 38, 0, time.UTC)})))
	if rec.Code != 500 {
		t.Errorf("a failing callback answered %d, want 500 so that the provider retries", rec.Code)
	}
}

func TestMuxTracker(t *testing.T) {
	var calls []pbx3cx.Call
	tr := pbx3cx.NewTracker(func(c pbx3cx.Call) { calls = append(calls, c) })
	h := NewMux(func(context.Context, Event) error { return nil }, quiet, WithTracker(tr))
	for _, ev := range []*pbx3cx.Event{
		{Type: pbx3cx.Dialing, CallerID: "420774852629", User: "102", ID: "230102184431_17-0"},
		{Type: pbx3cx.Outgoing, CallerID: "420774852629", User: "102", FinishType: pbx3cx.FinishMissed, Title: "Unanswered call to 420774852629", ID: "230102184431_17-0"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, on("/pbx3cx", pbx3cxtest.NewLegacyRequest(ev)))
	}
	tr.Flush()
	if len(calls) != 1 || !calls[0].Missed {
		t.Fatalf("tracked %+v, want one missed call", calls)
	}
	ev, err := From(calls[0])
	if err != nil || ev.Call.State != Missed || ev.Call.From != "102" || ev.Call.To != "+420774852629" {
		t.Errorf("normalized tracked call %+v, %v", ev.Call, err)
	}
}

// TestMuxWithTracking: whole 3CX calls reach the mux's own callback,
// normalized with its own Normalizer, with no second Normalizer to keep in
// step.
func TestMuxWithTracking(t *testing.T) {
	c := &collector{}
	var tr *pbx3cx.Tracker
	h := NewMux(c.fn, quiet, WithNormalizer(Normalizer{Region: "CZ"}),
		WithTracking(func(t *pbx3cx.Tracker) { tr = t }, pbx3cx.WithExpectRecordings(false)))
	if tr == nil {
		t.Fatal("start was not called with the tracker")
	}
	for _, ev := range []*pbx3cx.Event{
		{Type: pbx3cx.Dialing, CallerID: "774852629", User: "102", ID: "230102184431_17-0"},
		{Type: pbx3cx.Outgoing, CallerID: "774852629", User: "102", FinishType: pbx3cx.FinishMissed, Title: "Unanswered call", ID: "230102184431_17-0"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, on("/pbx3cx", pbx3cxtest.NewLegacyRequest(ev)))
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	tr.Flush()
	var calls []Event
	for _, ev := range c.events {
		if _, ok := ev.Source.(*pbx3cx.Call); ok {
			calls = append(calls, ev)
		}
	}
	if len(calls) != 1 || calls[0].Kind != KindCall || calls[0].Call.State != Missed || calls[0].Call.To != "+420774852629" {
		t.Fatalf("tracked calls through the callback: %+v; want one missed call to +420774852629 (the mux's region CZ)", calls)
	}
}

// failingStore is a CallStore that cannot record events.
type failingStore struct{ *pbx3cx.MemoryCallStore }

func (failingStore) Append(context.Context, *pbx3cx.Event, time.Time, pbx3cx.StoreLimits) (pbx3cx.AppendResult, error) {
	return pbx3cx.AppendResult{}, errors.New("store unreachable")
}

// TestMuxTrackerStoreFailure: when the tracker's store cannot record a 3CX
// event, the mux answers 500 (the add-on sends it again) and hands nothing
// on: it never tracks half a call.
func TestMuxTrackerStoreFailure(t *testing.T) {
	c := &collector{}
	h := NewMux(c.fn, quiet, WithTracking(nil, pbx3cx.WithCallStore(failingStore{pbx3cx.NewMemoryCallStore()})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/pbx3cx?event=ringing&callerid=420774852629&user=800&id=230102104542_15-0", nil))
	if rec.Code != 500 || len(c.events) != 0 {
		t.Errorf("status %d, %d events; want 500 and none", rec.Code, len(c.events))
	}
}
