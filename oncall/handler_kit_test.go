package oncall_test

// The handler tests that send webhooks built with oncalltest, as Wavix
// sends them. They are in package oncall_test because oncalltest imports
// oncall: the tests in package oncall cannot import it.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/oncall/oncalltest"
)

// newServer serves a handler with cb and opts, logging nothing, until the
// test ends.
func newServer(t *testing.T, cb oncall.Callbacks, opts ...telhook.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(oncall.NewHandler(cb, append([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...))
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

// counted returns callbacks for every kind of webhook that count, in n,
// the webhooks reaching them.
func counted(n *atomic.Int32) oncall.Callbacks {
	return oncall.Callbacks{
		OnCallEvent: func(context.Context, *oncall.CallEvent) error { n.Add(1); return nil },
		OnPostCall:  func(context.Context, *oncall.PostCall) error { n.Add(1); return nil },
		OnUnknown:   func(context.Context, *oncall.Unknown) error { n.Add(1); return nil },
	}
}

// jsonPost is a JSON POST of body, as no Wavix webhook is: for the bytes
// the kit does not write.
func jsonPost(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestHandlerRefusals(t *testing.T) {
	call := func() *http.Request { return oncalltest.NewRequest(oncalltest.CallEvent()) }
	fixture := func(name string) *http.Request { return jsonPost(testfix.Read(t, "oncall", name, ".json")) }
	secret := telhook.WithVerifier(telhook.QueryToken("token", "s3cret"))
	put := call()
	put.Method = http.MethodPut
	chunked := call()
	chunked.Body = io.NopCloser(io.MultiReader(chunked.Body, strings.NewReader(strings.Repeat(" ", 2000))))
	chunked.ContentLength = -1
	tests := []struct {
		name   string
		target string        // the path and query the request is sent to, "" for the root
		req    *http.Request // its own query follows target's
		opts   []telhook.Option
		status int
		body   string
		reason string
	}{
		{"GET", "", httptest.NewRequest(http.MethodGet, "/", nil), nil,
			405, "", "Wavix only posts"},
		{"PUT", "", put, nil,
			405, "", "Wavix only posts"},
		{"token missing", "", call(), []telhook.Option{secret},
			401, "", "the recommended setup refuses a URL without the token"},
		{"token wrong", "", oncalltest.WithQueryToken(call(), "token", "guess"), []telhook.Option{secret},
			401, "", "a wrong token, with no detail in the body"},
		{"token repeated", "?token=s3cret&token=guess", call(), []telhook.Option{secret},
			401, "", "every value of a repeated token must match"},
		{"declared too large", "", jsonPost(bytes.Repeat([]byte(" "), 70<<10)), nil,
			413, "", "over the 64 KiB default"},
		{"chunked too large", "", chunked, []telhook.Option{telhook.WithMaxBodyBytes(1024)},
			413, "", "no length declared: the read itself is bounded"},
		{"bad event_time", "", fixture("bad-event-time-number"), nil,
			400, "oncall: field \"event_time\": not a timestamp string\n", "the field is named, the value not repeated"},
		{"missing uuid", "", fixture("bad-missing-uuid"), nil,
			400, "oncall: field \"uuid\": required field is missing\n", "a required field"},
		{"payload path", "", fixture("bad-digits-object"), nil,
			400, "oncall: field \"event_payload.payload.digits\": not a string or number\n", "a payload member is named by its path"},
		{"not JSON", "", fixture("bad-not-json"), nil,
			400, "oncall: invalid JSON, and not repairable: jsonfix: top-level value is not an object or array at byte 0\n", "an HTML page"},
		{"empty", "", jsonPost(nil), nil,
			400, "oncall: empty body\n", "nothing posted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := newServer(t, counted(&calls), tt.opts...)
			status, body, header := do(t, testfix.At(srv.URL+tt.target, tt.req))
			if status != tt.status || body != tt.body {
				t.Errorf("answer %d %q, want %d %q (%s)", status, body, tt.status, tt.body, tt.reason)
			}
			if status == 405 && header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", header.Get("Allow"))
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("%d callbacks for a refused request (%s)", n, tt.reason)
			}
		})
	}
}

// The recommended setup: the token is checked, then removed from the
// request, so that nothing after the verifier (logs, other handlers) sees it.
func TestHandlerQueryToken(t *testing.T) {
	var calls atomic.Int32
	h := oncall.NewHandler(oncall.Callbacks{OnCallEvent: func(context.Context, *oncall.CallEvent) error { calls.Add(1); return nil }},
		telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithVerifier(telhook.QueryToken("token", "s3cret")))
	var after string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		after = r.URL.RawQuery
	}))
	defer srv.Close()
	req := oncalltest.WithQueryToken(oncalltest.NewRequest(oncalltest.CallEvent()), "token", "s3cret")
	status, _, _ := do(t, testfix.At(srv.URL+"/wavix?campaign=spring", req))
	if status != 200 || calls.Load() != 1 {
		t.Fatalf("status %d, %d call events; want 200 and 1", status, calls.Load())
	}
	if after != "campaign=spring" {
		t.Errorf("query after the handler = %q, want the token removed and the rest kept", after)
	}
}

// TestHandlerConcurrent: many senders at once (go test -race), each event
// sent by several of them: every distinct event reaches the callback once.
func TestHandlerConcurrent(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := newServer(t, oncall.Callbacks{OnCallEvent: func(_ context.Context, ev *oncall.CallEvent) error {
		mu.Lock()
		seen[ev.UUID+" "+ev.Payload.Digits]++
		mu.Unlock()
		return nil
	}})
	const senders, events = 8, 40
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range events {
				n := (i + s) % events
				// Two events a call, told apart by their digits.
				ev := &oncall.CallEvent{
					UUID:      fmt.Sprintf("call-%d", n/2),
					EventType: oncall.OnCallEvent,
					EventTime: time.Date(2026, 3, 10, 9, 15, 30, 0, time.UTC),
					Payload:   oncall.Payload{Type: oncall.PayloadCollect, Digits: fmt.Sprint(n), Status: "completed"},
				}
				status, err := testfix.PostRequestRetrying(srv.URL, oncalltest.NewRequest(ev))
				if err != nil {
					t.Error(err)
					return
				}
				if status != 200 {
					t.Errorf("status %d", status)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != events {
		t.Errorf("%d distinct events reached the callback, want %d", len(seen), events)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("event %s reached the callback %d times", k, n)
		}
	}
}
