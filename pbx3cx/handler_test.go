package pbx3cx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

type recorder struct {
	mu      sync.Mutex
	events  []*Event
	unknown []*Event
}

func (rec *recorder) callbacks() Callbacks {
	return Callbacks{
		OnEvent: func(_ context.Context, ev *Event) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.events = append(rec.events, ev)
			return nil
		},
		OnUnknown: func(_ context.Context, ev *Event) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.unknown = append(rec.unknown, ev)
			return nil
		},
	}
}

func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// send sends one line of a flow file the way the add-on does: JSON as a
// POST, a bare URL as a POST, a query string as a GET (with the spaces
// escaped, which HTTP/1.1 request lines need; the rest as written).
func send(t *testing.T, base, line string) int {
	t.Helper()
	var req *http.Request
	if strings.HasPrefix(line, "event=") {
		req, _ = http.NewRequest(http.MethodGet, base+"?"+strings.ReplaceAll(line, " ", "%20"), nil)
	} else {
		req, _ = http.NewRequest(http.MethodPost, base, strings.NewReader(line))
		req.Header.Set("Content-Type", "application/json")
	}
	status, _, _ := do(t, req)
	return status
}

// TestHandlerFlows replays every spec flow through real HTTP: each line is
// answered 200 and reaches OnEvent as Decode reads it.
func TestHandlerFlows(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "pbx3cx", "flows", "*.txt"))
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(NewHandler(rec.callbacks(), quiet))
			defer srv.Close()
			var want []*Event
			for _, line := range flowLines(t, p) {
				if status := send(t, srv.URL, line); status != 200 {
					t.Errorf("%q answered %d, want 200", line, status)
				}
				ev, err := Decode([]byte(line))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, ev)
			}
			if diff := cmp.Diff(want, rec.events); diff != "" {
				t.Errorf("events reaching OnEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerAnswers(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		opts                       []telhook.Option
		status                     int
		respBody                   string
		events, unknown            int
		reason                     string
	}{
		{"PUT", "PUT", "/3cx", `{"Event":"ringing","Id":"1_1-0"}`, nil, 405, "", 0, 0, "the add-on only GETs and POSTs"},
		{"GET with raw + and colon", "GET", "/3cx?event=ringing&callerid=+420774852629&user=800&title=a:b&id=1_1-0", "", nil, 200, "", 1, 0, "GET scheme"},
		{"unknown type", "POST", "/3cx", `{"Event":"parked","Id":"1_1-1"}`, nil, 200, "", 0, 1, "a newer event type reaches OnUnknown"},
		{"malformed", "POST", "/3cx", `{"Event":"incoming","Id":"1_1-1","Duration":"ten"}`, nil, 400,
			"pbx3cx: field \"Duration\": not a duration (\"mm:ss\", \"m:ss\", \"h:mm:ss\" or seconds)\n", 0, 0, "the field is named"},
		{"neither", "POST", "/3cx", "hello world", nil, 400, "pbx3cx: neither JSON, a query string nor a recording URL\n", 0, 0, "not guessed"},
		{"empty GET", "GET", "/3cx", "", nil, 400, "pbx3cx: empty query string\n", 0, 0, "a GET with no query carries no event"},
		{"secret refused", "GET", "/3cx?key=nope&event=ringing&id=1_1-0", "", []telhook.Option{telhook.WithVerifier(telhook.QueryToken("key", "s3cret"))},
			401, "", 0, 0, "wrong secret"},
		{"too large", "POST", "/3cx", `{"Event":"ringing","Id":"1_1-0","pad":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "", 0, 0, "over 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(NewHandler(rec.callbacks(), append(tt.opts, quiet)...))
			defer srv.Close()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.target, body)
			status, respBody, header := do(t, req)
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
	rec := &recorder{}
	srv := httptest.NewServer(NewHandler(rec.callbacks(), quiet, telhook.WithVerifier(telhook.QueryToken("key", "s3cret"))))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/3cx?key=s3cret&event=dialing&callerid=420774852629&user=102&id=230102184431_17-0", nil)
	if status, _, _ := do(t, req); status != 200 || len(rec.events) != 1 {
		t.Fatalf("status %d, %d events", status, len(rec.events))
	}
	want := &Event{Type: Dialing, CallerID: "420774852629", User: "102", ID: "230102184431_17-0"}
	if diff := cmp.Diff(want, rec.events[0]); diff != "" {
		t.Errorf("event (-want +got), the key must not be in Extra:\n%s", diff)
	}
}

func TestHandlerDeduplicates(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(NewHandler(rec.callbacks(), quiet))
	defer srv.Close()
	line := `{"Event":"incoming","Callerid":"05552221133","User":"202","Finishtype":"Ok","Transfer":"False","Did":"","Duration":"00:06","Id":"230307140234_35-1"}`
	for range 3 {
		send(t, srv.URL, line)
	}
	send(t, srv.URL, strings.Replace(line, `"00:06"`, `"00:07"`, 1))
	if len(rec.events) != 2 {
		t.Errorf("%d events reached OnEvent, want 2: a resend once, a different event again", len(rec.events))
	}
}

func TestHandlerCallbackError(t *testing.T) {
	srv := httptest.NewServer(NewHandler(Callbacks{OnEvent: func(context.Context, *Event) error { return errors.New("crm down") }}, quiet))
	defer srv.Close()
	if status := send(t, srv.URL, `{"Event":"ringing","Id":"1_1-0"}`); status != 500 {
		t.Errorf("status %d, want 500", status)
	}
}

// eventRequest is a K2M ringing event with a new call id for iteration i.
func eventRequest(i int) *http.Request {
	body := fmt.Appendf(nil, `{"Event":"ringing","Callerid":"05552221133","User":"820","Usertype":"queue","Did":"","Id":"230307114903_%d-0"}`, i)
	return httptest.NewRequest(http.MethodPost, "/3cx", bytes.NewReader(body))
}

// BenchmarkHandler is one in-process round trip with default options.
func BenchmarkHandler(b *testing.B) {
	h := NewHandler(Callbacks{OnEvent: func(context.Context, *Event) error { return nil }}, quiet)
	testfix.BenchHandler(b, h, http.StatusOK, eventRequest)
}

// BenchmarkHandlerBaseline is the floor: a bare handler that reads the body
// and answers 200.
func BenchmarkHandlerBaseline(b *testing.B) {
	testfix.BenchHandler(b, testfix.Bare(http.StatusOK), http.StatusOK, eventRequest)
}
