package oncall

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// recorder keeps what reached each callback.
type recorder struct {
	mu      sync.Mutex
	calls   []*CallEvent
	posts   []*PostCall
	unknown []*Unknown
}

func (rec *recorder) callbacks() Callbacks {
	return Callbacks{
		OnCallEvent: func(_ context.Context, ev *CallEvent) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.calls = append(rec.calls, ev)
			return nil
		},
		OnPostCall: func(_ context.Context, pc *PostCall) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.posts = append(rec.posts, pc)
			return nil
		},
		OnUnknown: func(_ context.Context, u *Unknown) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.unknown = append(rec.unknown, u)
			return nil
		},
	}
}

// events returns everything the callbacks got, in one list.
func (rec *recorder) events() []Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var all []Event
	for _, ev := range rec.calls {
		all = append(all, ev)
	}
	for _, ev := range rec.posts {
		all = append(all, ev)
	}
	for _, ev := range rec.unknown {
		all = append(all, ev)
	}
	return all
}

func serve(t *testing.T, cb Callbacks, opts ...telhook.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(cb, append([]telhook.Option{quiet}, opts...)...))
	t.Cleanup(srv.Close)
	return srv
}

// do sends req and returns the status, the body and the headers.
func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// post sends body as Wavix does: a JSON POST.
func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	status, respBody, _ := do(t, jsonRequest(url, body))
	return status, respBody
}

func jsonRequest(url string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// TestHandlerDelivers posts each kind of webhook through real HTTP: each is
// answered 200 with no body and reaches its callback as Decode reads it.
func TestHandlerDelivers(t *testing.T) {
	tests := []struct {
		fixture string
		kind    string
		reason  string
	}{
		{"docs-qa", "call", "the QA-docs OnCallEvent"},
		{"docs-production", "call", "the production-docs OnCallEvent, nulls and call_finished"},
		{"docs-dtmf-collect", "call", "current DTMF payload"},
		{"payload-legacy-digits", "call", "legacy payload"},
		{"event-future", "call", "an event type nobody documented still reaches OnCallEvent"},
		{"repaired-trailing-comma", "call", "repaired JSON is handled like valid JSON"},
		{"docs-post-call", "post", "the post-call webhook"},
		{"post-call-charge-number", "post", "money as numbers"},
		{"unknown-object", "unknown", "a well-formed object of no known kind reaches OnUnknown, answered 200"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			rec := &recorder{}
			srv := serve(t, rec.callbacks())
			body := fixture(t, tt.fixture)
			if status, respBody := post(t, srv.URL, body); status != 200 || respBody != "" {
				t.Errorf("answer %d %q, want 200 and no body (%s)", status, respBody, tt.reason)
			}
			want, _ := Decode(body)
			if diff := cmp.Diff([]Event{want}, rec.events()); diff != "" {
				t.Errorf("callback events (-want +got) — %s:\n%s", tt.reason, diff)
			}
			got := map[string]int{"call": len(rec.calls), "post": len(rec.posts), "unknown": len(rec.unknown)}
			if got[tt.kind] != 1 {
				t.Errorf("callbacks %v, want one %s (%s)", got, tt.kind, tt.reason)
			}
		})
	}
}

func TestHandlerDeduplicates(t *testing.T) {
	tests := []struct {
		fixtures []string
		opts     []telhook.Option
		calls    int
		reason   string
	}{
		{[]string{"docs-qa", "docs-qa", "docs-qa"}, nil, 1, "a resent call event reaches the callback once"},
		{[]string{"spec-oncallevent", "docs-qa"}, nil, 1, "the same webhook in other bytes is the same webhook"},
		{[]string{"event-ringing", "time-offset"}, nil, 1, "the same event_time in another zone is the same instant"},
		{[]string{"payload-audio-started", "payload-audio-completed"}, nil, 2, "one playback started, then completed: two events"},
		{[]string{"payload-intermediate-collected", "payload-intermediate-timeout"}, nil, 2, "same time, other digits and reason: two events"},
		{[]string{"payload-collect-completed", "payload-digits-number"}, nil, 1, "digits as a string or a number: one event"},
		{[]string{"event-ringing", "event-early-media", "event-answered", "event-completed"}, nil, 4, "the steps of one call"},
		{[]string{"docs-post-call", "docs-post-call"}, nil, 1, "a resent post-call"},
		{[]string{"docs-post-call", "post-call-duration-string"}, nil, 1, "a post-call is one per uuid and date"},
		{[]string{"unknown-object", "unknown-object"}, nil, 2, "unknown webhooks have no identity: never de-duplicated"},
		{[]string{"docs-qa", "docs-qa"}, []telhook.Option{telhook.WithDeduplicator(nil)}, 2, "WithDeduplicator(nil) turns it off"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.fixtures, "+"), func(t *testing.T) {
			rec := &recorder{}
			srv := serve(t, rec.callbacks(), tt.opts...)
			for _, f := range tt.fixtures {
				if status, _ := post(t, srv.URL, fixture(t, f)); status != 200 {
					t.Errorf("%s answered %d, want 200 (a duplicate too)", f, status)
				}
			}
			if n := len(rec.events()); n != tt.calls {
				t.Errorf("callbacks ran %d times, want %d (%s)", n, tt.calls, tt.reason)
			}
		})
	}
}

func TestHandlerCallbackFailures(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		cb      Callbacks
		reason  string
	}{
		{"call event error", "docs-qa", Callbacks{OnCallEvent: func(context.Context, *CallEvent) error { return errors.New("db down") }},
			"an error answers 500 so that Wavix may retry"},
		{"post-call error", "docs-post-call", Callbacks{OnPostCall: func(context.Context, *PostCall) error { return errors.New("billing down") }},
			"the same for post-call"},
		{"unknown error", "unknown-object", Callbacks{OnUnknown: func(context.Context, *Unknown) error { return errors.New("no") }},
			"and for OnUnknown"},
		{"panic", "docs-qa", Callbacks{OnCallEvent: func(context.Context, *CallEvent) error { panic("nil map") }},
			"a panic is recovered and answers 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.cb)
			if status, body := post(t, srv.URL, fixture(t, tt.fixture)); status != 500 || body != "" {
				t.Errorf("answer %d %q, want 500 and no body (%s)", status, body, tt.reason)
			}
		})
	}
}

// A failed callback must not leave its webhook marked as seen.
func TestHandlerRetryAfterFailure(t *testing.T) {
	var calls atomic.Int32
	srv := serve(t, Callbacks{OnCallEvent: func(context.Context, *CallEvent) error {
		if calls.Add(1) == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	}})
	var statuses []int
	for range 3 {
		status, _ := post(t, srv.URL, fixture(t, "docs-dtmf-collect"))
		statuses = append(statuses, status)
	}
	if diff := cmp.Diff([]int{500, 200, 200}, statuses); diff != "" || calls.Load() != 2 {
		t.Errorf("statuses (-want +got):\n%s; callback ran %d times, want 2 (fail, succeed, then duplicate)", diff, calls.Load())
	}
}

// Without a callback for its kind a webhook is acknowledged, not refused.
func TestHandlerNoCallback(t *testing.T) {
	srv := serve(t, Callbacks{})
	for _, f := range []string{"docs-qa", "docs-post-call", "unknown-object"} {
		if status, _ := post(t, srv.URL, fixture(t, f)); status != 200 {
			t.Errorf("%s without a callback answered %d, want 200", f, status)
		}
	}
}

func TestHandlerErrorHandlerAndContext(t *testing.T) {
	var gotErr error
	var sawServerCtx atomic.Bool
	srv := serve(t, Callbacks{OnPostCall: func(ctx context.Context, _ *PostCall) error {
		sawServerCtx.Store(ctx.Value(http.ServerContextKey) != nil)
		return nil
	}}, telhook.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		gotErr = err
		w.WriteHeader(http.StatusTeapot)
	}))
	if status, _ := post(t, srv.URL, fixture(t, "bad-post-call-missing-uuid")); status != http.StatusTeapot {
		t.Errorf("custom error handler not used: %d", status)
	}
	var de *telhook.DecodeError
	if !errors.As(gotErr, &de) || de.Field != "uuid" || de.Provider != "oncall" {
		t.Errorf("error handler got %v, want a DecodeError for field uuid", gotErr)
	}
	post(t, srv.URL, fixture(t, "docs-post-call"))
	if !sawServerCtx.Load() {
		t.Error("callback did not get the request's context")
	}
}

// BenchmarkHandler is one in-process round trip of the QA example, with
// de-duplication off (every request would be a duplicate otherwise).
func BenchmarkHandler(b *testing.B) {
	h := NewHandler(Callbacks{OnCallEvent: func(context.Context, *CallEvent) error { return nil }}, quiet, telhook.WithDeduplicator(nil))
	testfix.BenchHandler(b, h, http.StatusOK, qaRequest)
}

// BenchmarkHandlerBaseline is the floor: a bare net/http handler that reads
// the body and answers 200.
func BenchmarkHandlerBaseline(b *testing.B) {
	testfix.BenchHandler(b, testfix.Bare(http.StatusOK), http.StatusOK, qaRequest)
}

func qaRequest(int) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/wavix", bytes.NewReader(qaBody))
	req.Header.Set("Content-Type", "application/json")
	return req
}
