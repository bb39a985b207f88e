package pbx3cx_test

// The handler tests that send webhooks built with pbx3cxtest, as the 3CX
// add-on sends them. They are in package pbx3cx_test because pbx3cxtest
// imports pbx3cx: the tests in package pbx3cx cannot import it.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

// handlerRecorder keeps the events that reach OnEvent and OnUnknown.
type handlerRecorder struct {
	mu      sync.Mutex
	events  []*pbx3cx.Event
	unknown []*pbx3cx.Event
}

func (rec *handlerRecorder) callbacks() pbx3cx.Callbacks {
	keep := func(list *[]*pbx3cx.Event) func(context.Context, *pbx3cx.Event) error {
		return func(_ context.Context, ev *pbx3cx.Event) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			*list = append(*list, ev)
			return nil
		}
	}
	return pbx3cx.Callbacks{OnEvent: keep(&rec.events), OnUnknown: keep(&rec.unknown)}
}

// newServer serves a handler with cb and opts, logging nothing, until the
// test ends.
func newServer(t *testing.T, cb pbx3cx.Callbacks, opts ...telhook.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(pbx3cx.NewHandler(cb, append([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...))
	t.Cleanup(srv.Close)
	return srv
}

// sendTo sends r to target and returns the status, the body and the
// headers.
func sendTo(t *testing.T, target string, r *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(testfix.At(target, r))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// raw is a request of bytes no dialect of the add-on writes, and no
// Content-Type, for a target of "/" and a query.
func raw(method, target, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return httptest.NewRequest(method, target, rd)
}

func TestHandlerAnswers(t *testing.T) {
	put := pbx3cxtest.NewRequest(pbx3cxtest.Ringing())
	put.Method = http.MethodPut
	tests := []struct {
		name            string
		req             *http.Request // sent to /3cx, its query kept
		opts            []telhook.Option
		status          int
		respBody        string
		events, unknown int
		reason          string
	}{
		{"PUT", put, nil, 405, "", 0, 0, "the add-on only GETs and POSTs"},
		{"GET with raw + and colon", raw("GET", "/?event=ringing&callerid=+420774852629&user=800&title=a:b&id=1_1-0", ""), nil, 200, "", 1, 0, "GET scheme"},
		{"unknown type", pbx3cxtest.NewRequest(&pbx3cx.Event{Type: "parked", ID: "1_1-1"}), nil, 200, "", 0, 1, "a newer event type reaches OnUnknown"},
		{"malformed", raw("POST", "/", `{"Event":"incoming","Id":"1_1-1","Duration":"ten"}`), nil, 400,
			"pbx3cx: field \"Duration\": not a duration (\"mm:ss\", \"m:ss\", \"h:mm:ss\" or seconds)\n", 0, 0, "the field is named"},
		{"neither", raw("POST", "/", "hello world"), nil, 400, "pbx3cx: neither JSON, a query string nor a recording URL\n", 0, 0, "not guessed"},
		{"empty GET", raw("GET", "/", ""), nil, 400, "pbx3cx: empty query string\n", 0, 0, "a GET with no query carries no event"},
		{"secret refused", pbx3cxtest.WithQueryToken(pbx3cxtest.NewLegacyRequest(&pbx3cx.Event{Type: pbx3cx.Ringing, ID: "1_1-0"}), "key", "nope"),
			[]telhook.Option{telhook.WithVerifier(telhook.QueryToken("key", "s3cret"))}, 401, "", 0, 0, "wrong secret"},
		{"too large", raw("POST", "/", `{"Event":"ringing","Id":"1_1-0","pad":"`+strings.Repeat("x", 70<<10)+`"}`), nil, 413, "", 0, 0, "over 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &handlerRecorder{}
			srv := newServer(t, rec.callbacks(), tt.opts...)
			status, respBody, header := sendTo(t, srv.URL+"/3cx", tt.req)
			if status != tt.status || respBody != tt.respBody {
				t.Errorf("answer %d %q, want %d %q (%s)", status, respBody, tt.status, tt.respBody, tt.reason)
			}
			if status == 405 && header.Get("Allow") != "GET, POST" {
				t.Errorf("Allow = %q", header.Get("Allow"))
			}
			if len(rec.events) != tt.events || len(rec.unknown) != tt.unknown {
				t.Errorf("%d events, %d unknown; want %d, %d (%s)", len(rec.events), len(rec.unknown), tt.events, tt.unknown, tt.reason)
			}
		})
	}
}

// The recommended setup puts a secret in WEBHOOK_URL; with the GET scheme
// it shares the query with the event's fields. It must never reach the
// event.
func TestHandlerSecretNeverReachesEvent(t *testing.T) {
	rec := &handlerRecorder{}
	srv := newServer(t, rec.callbacks(), telhook.WithVerifier(telhook.QueryToken("key", "s3cret")))
	want := &pbx3cx.Event{Type: pbx3cx.Dialing, CallerID: "420774852629", User: "102", ID: "230102184431_17-0"}
	// WEBHOOK_URL is .../3cx?key=s3cret: the add-on's fields follow the key.
	if status, _, _ := sendTo(t, srv.URL+"/3cx?key=s3cret", pbx3cxtest.NewLegacyRequest(want)); status != 200 || len(rec.events) != 1 {
		t.Fatalf("status %d, %d events", status, len(rec.events))
	}
	if diff := cmp.Diff(want, rec.events[0]); diff != "" {
		t.Errorf("event (-want +got), the key must not be in Extra:\n%s", diff)
	}
}

func TestHandlerDeduplicates(t *testing.T) {
	rec := &handlerRecorder{}
	srv := newServer(t, rec.callbacks())
	ended := pbx3cx.Event{Type: pbx3cx.Incoming, CallerID: "05552221133", User: "202", FinishType: pbx3cx.FinishOk,
		Duration: 6 * time.Second, ID: "230307140234_35-1"}
	for range 3 {
		sendTo(t, srv.URL, pbx3cxtest.NewRequest(&ended))
	}
	longer := ended
	longer.Duration = 7 * time.Second
	sendTo(t, srv.URL, pbx3cxtest.NewRequest(&longer))
	if len(rec.events) != 2 {
		t.Errorf("%d events reached OnEvent, want 2: a resend once, a different event again", len(rec.events))
	}
}

func TestHandlerCallbackError(t *testing.T) {
	srv := newServer(t, pbx3cx.Callbacks{OnEvent: func(context.Context, *pbx3cx.Event) error { return errors.New("crm down") }})
	if status, _, _ := sendTo(t, srv.URL, pbx3cxtest.NewRequest(pbx3cxtest.Ringing())); status != 500 {
		t.Errorf("status %d, want 500", status)
	}
}
