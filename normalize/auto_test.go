package normalize

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/pbx3cx"
)

// fixture returns the request a provider sends for one testdata fixture,
// as replay builds it, at path instead of the provider's own.
func fixture(t *testing.T, name, path string) *http.Request {
	t.Helper()
	reqs, err := replay.Load(filepath.Join("..", "testdata"), name)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("fixture %s: %d requests, %v", name, len(reqs), err)
	}
	r := reqs[0]
	if path != "" {
		p, q, _ := strings.Cut(path, "?")
		r.Path = p
		if q != "" {
			r.RawQuery = strings.TrimPrefix(q+"&"+r.RawQuery, "&")
			r.RawQuery = strings.TrimSuffix(r.RawQuery, "&")
		}
	}
	req, err := r.HTTP("http://receiver.test")
	if err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRequest(req.Method, req.URL.String(), bytes.NewReader(r.Body))
	out.Header = req.Header
	return out
}

// serve sends fixture name to h at path, with an optional header, and
// returns the status.
func serve(t *testing.T, h http.Handler, name, path string, header ...string) int {
	t.Helper()
	req := fixture(t, name, path)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

var autoFixtures = []struct {
	provider Provider
	fixture  string
	path     string
	ok       int
}{
	{Elks, "elks/sms-docs.form", "/elks", 204},
	{OBD, "obd/c2c.json", "/obd", 200},
	{PBX3CX, "pbx3cx/get-encoded.txt", "/pbx3cx", 200},
	{OnCall, "oncall/docs-dtmf-collect.json", "/oncall", 200},
}

// TestAutoAppliesProviderVerifier: /auto refuses what the provider's own
// path refuses, and reaches no callback (nor, for 3CX, the tracker).
func TestAutoAppliesProviderVerifier(t *testing.T) {
	for _, f := range autoFixtures {
		t.Run(string(f.provider), func(t *testing.T) {
			c := &collector{}
			var tracked []pbx3cx.Call
			tr := pbx3cx.NewTracker(func(call pbx3cx.Call) { tracked = append(tracked, call) })
			h := NewMux(c.fn, quiet, WithTracker(tr), WithOptions(f.provider, telhook.WithVerifier(telhook.BearerToken("s3cret"))))
			got := []int{
				serve(t, h, f.fixture, f.path),
				serve(t, h, f.fixture, "/auto"),
				serve(t, h, f.fixture, "/auto", "Authorization", "Bearer wrong"),
			}
			if diff := cmp.Diff([]int{401, 401, 401}, got); diff != "" {
				t.Errorf("without the provider's secret (-want +got):\n%s", diff)
			}
			tr.Flush()
			if len(c.events) != 0 || len(tracked) != 0 {
				t.Errorf("refused requests reached %d callbacks and %d tracked calls", len(c.events), len(tracked))
			}
			if s := serve(t, h, f.fixture, "/auto", "Authorization", "Bearer s3cret"); s != f.ok || len(c.events) != 1 {
				t.Errorf("with the secret: status %d and %d events, want %d and 1", s, len(c.events), f.ok)
			}
		})
	}
}

// TestAutoVerifierRunsInAddition: the /auto path's own verifier runs first,
// and the provider's after it: both must accept.
func TestAutoVerifierRunsInAddition(t *testing.T) {
	c := &collector{}
	h := NewMux(c.fn, quiet,
		WithOptions(Auto, telhook.WithVerifier(telhook.QueryToken("auto", "a1"))),
		WithOptions(Elks, telhook.WithVerifier(telhook.BearerToken("e1"))))
	tests := []struct {
		path   string
		header []string
		status int
		reason string
	}{
		{"/auto", []string{"Authorization", "Bearer e1"}, 401, "the provider's secret alone does not open /auto"},
		{"/auto?auto=a1", nil, 401, "the /auto secret alone does not open 46elks"},
		{"/auto?auto=a1", []string{"Authorization", "Bearer e1"}, 204, "both: served as 46elks"},
	}
	for _, tt := range tests {
		if s := serve(t, h, "elks/sms-docs.form", tt.path, tt.header...); s != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.path, s, tt.status, tt.reason)
		}
	}
	if len(c.events) != 1 {
		t.Errorf("%d events, want 1", len(c.events))
	}
}

// TestAutoSharesDeduplication: a webhook delivered to its provider's path
// and again to /auto is one webhook.
func TestAutoSharesDeduplication(t *testing.T) {
	for _, f := range autoFixtures {
		t.Run(string(f.provider), func(t *testing.T) {
			c := &collector{}
			h := NewMux(c.fn, quiet)
			got := []int{serve(t, h, f.fixture, f.path), serve(t, h, f.fixture, "/auto")}
			if diff := cmp.Diff([]int{f.ok, f.ok}, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if len(c.events) != 1 {
				t.Errorf("%d events, want 1: the second delivery is a duplicate", len(c.events))
			}
		})
	}
}

// TestAutoBodyLimit: /auto keeps the providers' own limits, the mux's
// WithMaxBodyBytes included.
func TestAutoBodyLimit(t *testing.T) {
	sms := "id=s1&from=%2B46706861004&to=%2B46706860000&message=" + strings.Repeat("a", 100<<10)
	tests := []struct {
		opts   []MuxOption
		status int
		reason string
	}{
		{[]MuxOption{WithSharedOptions(telhook.WithMaxBodyBytes(1 << 20))}, 204, "100 KB under the mux's 1 MiB limit"},
		{nil, 413, "100 KB over the default 64 KiB"},
		{[]MuxOption{WithSharedOptions(telhook.WithMaxBodyBytes(1 << 20)), WithOptions(Elks, telhook.WithMaxBodyBytes(1<<10))}, 413,
			"under the largest limit, over 46elks' own"},
	}
	for _, tt := range tests {
		h := NewMux(func(context.Context, Event) error { return nil }, append(tt.opts, quiet)...)
		for _, path := range []string{"/elks", "/auto"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(sms))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("%s: status %d, want %d (%s)", path, rec.Code, tt.status, tt.reason)
			}
		}
	}
}

// TestAutoMethods: /auto answers 405 for methods no provider it serves
// uses, naming the ones they do.
func TestAutoMethods(t *testing.T) {
	h := NewMux(func(context.Context, Event) error { return nil }, quiet)
	for _, m := range []string{"DELETE", "PATCH", "PUT", "HEAD"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/auto", nil))
		if rec.Code != 405 || rec.Header().Get("Allow") != "POST, GET" {
			t.Errorf("%s: status %d, Allow %q; want 405 and \"POST, GET\"", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	// A GET that is a 46elks form is still 46elks', which takes POST only.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auto?id=s1&from=%2B46706861004&to=%2B46706860000&message=Hej", nil))
	if rec.Code != 400 {
		t.Errorf("GET with a 46elks query: status %d, want 400 (GET is recognised only for 3CX)", rec.Code)
	}
}

// TestAutoLogsLikeEveryPath: a refusal on /auto is logged with method,
// path and remote, like every other path.
func TestAutoLogsLikeEveryPath(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []MuxOption
		body string
	}{
		{"undetected", nil, `{"hello":"world"}`},
		{"auto verifier", []MuxOption{WithOptions(Auto, telhook.WithVerifier(telhook.BearerToken("a")))}, `{}`},
		{"provider verifier", []MuxOption{WithOptions(Elks, telhook.WithVerifier(telhook.BearerToken("a")))}, "id=s1&from=1&to=2&message=m"},
	} {
		var logs bytes.Buffer
		h := NewMux(func(context.Context, Event) error { return nil },
			append(tt.opts, WithSharedOptions(telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))))...)
		logs.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/auto", strings.NewReader(tt.body)))
		for _, want := range []string{"webhook refused", "method=POST", "path=/auto", "remote=192.0.2.1:1234"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("%s: log lacks %q:\n%s", tt.name, want, logs.String())
			}
		}
	}
}

// TestMuxLogsPathsWithoutVerifier: the mux says at start-up which of its
// paths anyone can post to.
func TestMuxLogsPathsWithoutVerifier(t *testing.T) {
	var logs bytes.Buffer
	NewMux(func(context.Context, Event) error { return nil },
		WithSharedOptions(telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))),
		WithOptions(Elks, telhook.WithVerifier(telhook.BearerToken("a"))),
		WithOptions(OBD, telhook.WithVerifier(telhook.BearerToken("b"))))
	var open []string
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if _, p, ok := strings.Cut(line, "path="); ok && strings.Contains(line, "no verifier") {
			open = append(open, strings.Fields(p)[0])
		}
	}
	if diff := cmp.Diff([]string{"/pbx3cx", "/oncall", "/auto"}, open); diff != "" {
		t.Errorf("paths logged as open (-want +got):\n%s\nlog:\n%s", diff, logs.String())
	}
}

// TestAutoSharedQueryToken: a QueryToken given to every path with
// WithSharedOptions guards /auto once, through the provider: it is not
// run twice (the first run would strip the secret and the second refuse).
func TestAutoSharedQueryToken(t *testing.T) {
	c := &collector{}
	h := NewMux(c.fn, quiet, WithSharedOptions(telhook.WithVerifier(telhook.QueryToken("key", "s3cret"))))
	got := []int{
		serve(t, h, "elks/sms-docs.form", "/auto"),
		serve(t, h, "elks/sms-docs.form", "/auto?key=wrong"),
		serve(t, h, "elks/sms-docs.form", "/auto?key=s3cret"),
	}
	if diff := cmp.Diff([]int{401, 401, 204}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(c.events) != 1 {
		t.Errorf("%d events, want 1", len(c.events))
	}
}
