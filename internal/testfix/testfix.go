// Package testfix reads the fixtures under testdata/<provider>/ and
// compares output with golden files, for every provider's tests. Test
// code only.
package testfix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
)

// Dir is testdata/<provider> of the module, from whichever package
// directory the test runs in.
func Dir(provider string) string { return filepath.Join(root(), "testdata", provider) }

// root is the module's directory: the nearest parent with a go.mod.
func root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ".."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, d); err == nil {
				return rel
			}
			return d
		}
		if filepath.Dir(d) == d {
			return ".."
		}
	}
}

// Read returns testdata/<provider>/<name><ext>.
func Read(t testing.TB, provider, name, ext string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(provider), name+ext))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Names returns the names (without ext) of testdata/<provider>/*<ext>,
// failing when there is none.
func Names(t testing.TB, provider, ext string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(provider), "*"+ext))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no %s fixtures in %s: %v", ext, Dir(provider), err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ext)
	}
	return names
}

// Golden compares v, as indented JSON, with the file at path; with update
// it rewrites the file first. A missing golden file fails the test.
func Golden(t testing.TB, path string, v any, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file %s (rerun the test with -update): %v", path, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}

// Outcome is what a decoder made of a fixture, as its golden file records it.
type Outcome struct {
	Type    string `json:"type,omitempty"`    // the event's Go type, "*elks.SMS"
	Event   any    `json:"event,omitempty"`   // the event
	Error   string `json:"error,omitempty"`   // the error's text
	Field   string `json:"field,omitempty"`   // a DecodeError's field
	Unknown bool   `json:"unknown,omitempty"` // the error matches telhook.ErrUnknownEvent
}

// OutcomeOf records ev and err. A nil event (even a typed nil pointer)
// records no type.
func OutcomeOf(ev any, err error) Outcome {
	var o Outcome
	if ev != nil && !reflect.ValueOf(ev).IsNil() {
		o.Type, o.Event = fmt.Sprintf("%T", ev), ev
	}
	if err != nil {
		o.Error, o.Unknown = err.Error(), errors.Is(err, telhook.ErrUnknownEvent)
		var de *telhook.DecodeError
		if errors.As(err, &de) {
			o.Field = de.Field
		}
	}
	return o
}

// Bare is the floor every handler benchmark is measured against: a bare
// net/http handler that reads the body and answers status.
func Bare(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
	})
}

// BenchHandler runs one in-process round trip of h per iteration, with the
// request next(i) makes for iteration i (a new id each time, so that a
// deduplicator never short-circuits), and wants status.
func BenchHandler(b *testing.B, h http.Handler, status int, next func(i int) *http.Request) {
	b.Helper()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, next(i))
		if rec.Code != status {
			b.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
		}
	}
}

// PostRetrying posts body to url as a provider does: an answer of 503 (a
// copy of the webhook is being handled, see telhook.ErrInFlight) is
// retried, up to 200 times, 5 ms apart. It returns the last status.
func PostRetrying(url, contentType string, body []byte) (int, error) {
	for try := 0; ; try++ {
		resp, err := http.Post(url, contentType, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || try == 200 {
			return resp.StatusCode, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LongEnv is the environment variable that turns on the long runs (a
// million tracked calls, 100,000-call bounds): TELHOOK_LONG=1 go test ./...
// CI sets it; the README's test command does not, so that it finishes in
// well under 90 seconds on a 2-core machine.
const LongEnv = "TELHOOK_LONG"

// Long reports whether long runs are on.
func Long() bool { return os.Getenv(LongEnv) != "" }

// SkipUnlessLong skips a test that is only run with TELHOOK_LONG set.
func SkipUnlessLong(t testing.TB) {
	t.Helper()
	if !Long() {
		t.Skipf("a long run: set %s=1 to run it (CI does)", LongEnv)
	}
}

// PostRequestRetrying posts r's body and Content-Type to target with
// PostRetrying: a copy that races the first delivery gets 503 and is
// retried, as a provider would.
func PostRequestRetrying(target string, r *http.Request) (int, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, err
	}
	return PostRetrying(target, r.Header.Get("Content-Type"), body)
}

// At addresses r, which a test kit builds for "/", to target (a test
// server's URL, with a path and a query of its own if need be) for an
// http.Client, and returns r. r's own query (a token, a 3CX legacy event)
// follows target's, as a provider appends its parameters to the webhook
// URL it was given.
func At(target string, r *http.Request) *http.Request {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	if r.URL.RawQuery != "" {
		u.RawQuery = strings.TrimPrefix(u.RawQuery+"&"+r.URL.RawQuery, "&")
	}
	r.URL, r.Host, r.RequestURI = u, "", ""
	return r
}
