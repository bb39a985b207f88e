package elks_test

// The handler tests that send webhooks built with elkstest, as 46elks sends
// them. They are in package elks_test because elkstest imports elks: the
// tests in package elks cannot import it.

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

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
	"github.com/telhook/telhook/internal/testfix"
)

// newServer serves a handler with cb and opts, logging nothing, until the
// test ends.
func newServer(t *testing.T, cb elks.Callbacks, opts ...telhook.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(elks.NewHandler(cb, append([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...))
	t.Cleanup(srv.Close)
	return srv
}

// form is a form POST of body, as no 46elks webhook is: for the bytes the
// kit does not write.
func form(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestHandlerRefusals(t *testing.T) {
	sms := func() *http.Request { return elkstest.NewRequest(elkstest.SMS()) }
	user, pass := "elks", "s3cret"
	basic := []telhook.Option{telhook.WithVerifier(telhook.BasicAuth(user, pass))}
	sourceIP, err := telhook.SourceIP(elks.SourceIPs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	chunked := sms()
	chunked.Body = io.NopCloser(io.MultiReader(chunked.Body, strings.NewReader("&x="+strings.Repeat("a", 2000))))
	chunked.ContentLength = -1
	notForm := form([]byte(`{"id":"s1"}`))
	notForm.Header.Set("Content-Type", "application/json")
	tests := []struct {
		name   string
		req    *http.Request // sent to the handler's server, at its root
		opts   []telhook.Option
		status int
		body   string
		header [2]string
		reason string
	}{
		{"GET", httptest.NewRequest(http.MethodGet, "/", nil), nil,
			405, "", [2]string{"Allow", "POST"}, "46elks only posts"},
		{"no credentials", sms(), basic, 401, "", [2]string{}, "verification refuses, body carries no detail"},
		{"wrong password", elkstest.WithBasicAuth(sms(), user, "guess"), basic, 401, "", [2]string{}, "wrong password"},
		{"query key missing", elkstest.WithQueryToken(sms(), "key", "nope"),
			[]telhook.Option{telhook.WithVerifier(telhook.QueryToken("key", "k3y"))}, 401, "", [2]string{}, "the Swagger's key parameter"},
		{"not from 46elks", sms(), []telhook.Option{telhook.WithVerifier(sourceIP)}, 401, "", [2]string{}, "loopback is not a 46elks address"},
		{"declared too large", form(bytes.Repeat([]byte("a"), 70<<10)), nil,
			413, "", [2]string{}, "over the 64 KiB default"},
		{"chunked too large", chunked, []telhook.Option{telhook.WithMaxBodyBytes(1024)},
			413, "", [2]string{}, "no length declared: the read itself is bounded"},
		{"JSON", notForm, nil, 400, "elks: field \"Content-Type\": 46elks sends application/x-www-form-urlencoded\n", [2]string{}, "not a form"},
		{"malformed", form(testfix.Read(t, "elks", "bad-created", ".form")), nil,
			400, "elks: field \"created\": not a timestamp\n", [2]string{}, "a short reason names provider and field"},
		{"empty", form(nil), nil, 400, "elks: empty body\n", [2]string{}, "nothing posted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := newServer(t, elks.Callbacks{OnSMS: func(context.Context, *elks.SMS) (elks.Reply, error) { calls.Add(1); return elks.Reply{}, nil }}, tt.opts...)
			resp, err := http.DefaultClient.Do(testfix.At(srv.URL, tt.req))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.body {
				t.Errorf("answer = %d %q, want %d %q (%s)", resp.StatusCode, b, tt.status, tt.body, tt.reason)
			}
			if tt.header[0] != "" && resp.Header.Get(tt.header[0]) != tt.header[1] {
				t.Errorf("header %s = %q, want %q", tt.header[0], resp.Header.Get(tt.header[0]), tt.header[1])
			}
			if calls.Load() != 0 {
				t.Errorf("callback called %d times for a refused request (%s)", calls.Load(), tt.reason)
			}
		})
	}
}

func TestHandlerAcceptsVerified(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, elks.Callbacks{OnSMS: func(context.Context, *elks.SMS) (elks.Reply, error) { calls.Add(1); return elks.Reply{}, nil }},
		telhook.WithVerifier(telhook.AllOf(telhook.BasicAuth("elks", "s3cret"), telhook.QueryToken("key", "k3y"))))
	req := elkstest.WithBasicAuth(elkstest.WithQueryToken(elkstest.NewRequest(elkstest.SMS()), "key", "k3y"), "elks", "s3cret")
	resp, err := http.DefaultClient.Do(testfix.At(srv.URL+"/sms", req))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || calls.Load() != 1 {
		t.Errorf("status %d, %d calls; want 204 and 1 call", resp.StatusCode, calls.Load())
	}
}

// TestHandlerConcurrent runs many senders at once (go test -race): every
// distinct SMS reaches the callback exactly once, duplicates never.
func TestHandlerConcurrent(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := newServer(t, elks.Callbacks{OnSMS: func(_ context.Context, ev *elks.SMS) (elks.Reply, error) {
		mu.Lock()
		seen[ev.ID]++
		mu.Unlock()
		return elks.Reply{Text: "ok " + ev.ID}, nil
	}})
	const senders, ids = 16, 50
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range ids {
				sms := &elks.SMS{ID: fmt.Sprintf("s%d", (i+s)%ids), From: "+46700000000", To: "+46700000001", Message: "hi"}
				status, err := testfix.PostRequestRetrying(srv.URL, elkstest.NewRequest(sms))
				if err != nil {
					t.Error(err)
					return
				}
				if status != 200 && status != 204 {
					t.Errorf("status %d", status)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != ids {
		t.Errorf("%d distinct SMS reached the callback, want %d", len(seen), ids)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("SMS %s reached the callback %d times", id, n)
		}
	}
}
