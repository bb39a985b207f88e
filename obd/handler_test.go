package obd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

type seen struct {
	mu      sync.Mutex
	reports []*Report
	unknown []*Unknown
}

func (s *seen) callbacks() Callbacks {
	return Callbacks{
		OnReport: func(_ context.Context, r *Report) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.reports = append(s.reports, r)
			return nil
		},
		OnUnknown: func(_ context.Context, u *Unknown) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.unknown = append(s.unknown, u)
			return nil
		},
	}
}

// sendFixture sends a .json fixture as Mobtexting's standard POST, or an
// .http fixture as the raw request it is.
func sendFixture(t *testing.T, base, name string) (int, string, string) {
	t.Helper()
	var req *http.Request
	if strings.HasSuffix(name, ".http") {
		raw := request(t, strings.TrimSuffix(name, ".http"))
		body, _ := io.ReadAll(raw.Body)
		req, _ = http.NewRequest(raw.Method, base+raw.URL.RequestURI(), bytes.NewReader(body))
		req.Header = raw.Header
	} else {
		req, _ = http.NewRequest(http.MethodPost, base+"/ack/receive", bytes.NewReader(testfix.Read(t, "obd", strings.TrimSuffix(name, ".json"), ".json")))
		req.Header.Set("content-type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestHandler(t *testing.T) {
	tests := []struct {
		fixture string
		opts    []telhook.Option
		status  int
		body    string
		reports int
		unknown int
		reason  string
	}{
		{"spec-obd.json", nil, 200, "", 1, 0, "the excerpt's report: exactly 200, never 201 or 204"},
		{"c2c.json", nil, 200, "", 1, 0, "Click2Call report"},
		{"unknown.json", nil, 200, "", 0, 1, "unknown webhooks reach OnUnknown and are acknowledged"},
		{"bad-duration.json", nil, 400, "obd: field \"duration\": not an integer\n", 0, 0, "malformed: the field is named"},
		{"challenge.json", []telhook.Option{WithChallengeKey("9012XXXX")}, 200, `{"challenge":"a234qwe"}`, 0, 0, "the challenge is echoed"},
		{"challenge-token.http", []telhook.Option{WithChallengeKey("9012XXXX")}, 200, `{"challenge":"a234qwe"}`, 0, 0, "with ?token= as sent"},
		{"challenge.json", []telhook.Option{WithChallengeKey("other-key")}, 401, "", 0, 0, "a challenge with another key is refused"},
		{"challenge.json", nil, 200, "", 0, 0, "no key configured: acknowledged, not echoed (and logged)"},
		{"compose-get.http", nil, 405, "", 0, 0, "GET is for composed webhooks: WithFields turns it on"},
		{"compose-get.http", []telhook.Option{WithFields(Fields{})}, 200, "", 1, 0, "composed GET with the standard names"},
		{"compose-get-renamed.http", []telhook.Option{WithFields(Fields{ID: "call_id", Status: "message_status"})}, 200, "", 1, 0, "renamed keys"},
		{"compose-put-form.http", []telhook.Option{WithFields(Fields{})}, 200, "", 1, 0, "composed PUT, form body"},
		{"compose-post-multipart.http", []telhook.Option{WithFields(Fields{})}, 200, "", 1, 0, "composed POST, multipart"},
		{"compose-post-json.http", []telhook.Option{WithFields(Fields{}), telhook.WithVerifier(telhook.BearerToken("t0ken"))}, 200, "", 1, 0,
			"the bearer secret Mobtexting sends is checked"},
		{"compose-post-json.http", []telhook.Option{WithFields(Fields{}), telhook.WithVerifier(telhook.BearerToken("other"))}, 401, "", 0, 0,
			"a wrong bearer secret"},
		{"bad-compose-unrendered.http", []telhook.Option{WithFields(Fields{})}, 400,
			"obd: field \"id\": unrendered template placeholder: the composed webhook uses a variable Mobtexting did not fill\n", 0, 0, "says what is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.reason, func(t *testing.T) {
			s := &seen{}
			srv := httptest.NewServer(NewHandler(s.callbacks(), append(tt.opts, quiet)...))
			defer srv.Close()
			status, _, body := sendFixture(t, srv.URL, tt.fixture)
			if status != tt.status || body != tt.body {
				t.Errorf("answer %d %q, want %d %q (%s)", status, body, tt.status, tt.body, tt.reason)
			}
			if len(s.reports) != tt.reports || len(s.unknown) != tt.unknown {
				t.Errorf("%d reports, %d unknown; want %d, %d (%s)", len(s.reports), len(s.unknown), tt.reports, tt.unknown, tt.reason)
			}
			if tt.reports == 1 {
				want, _ := decodeFixture(t, tt.fixture)
				if diff := cmp.Diff(want, Event(s.reports[0])); diff != "" {
					t.Errorf("the callback's report differs from the decoded fixture (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestHandlerDuplicatesAndFailures(t *testing.T) {
	var calls int
	fail := true
	srv := httptest.NewServer(NewHandler(Callbacks{OnReport: func(context.Context, *Report) error {
		calls++
		if fail {
			fail = false
			return errors.New("db down")
		}
		return nil
	}}, quiet))
	defer srv.Close()
	var statuses []int
	for range 3 {
		status, _, _ := sendFixture(t, srv.URL, "spec-obd.json")
		statuses = append(statuses, status)
	}
	if diff := cmp.Diff([]int{500, 200, 200}, statuses); diff != "" || calls != 2 {
		t.Errorf("statuses (-want +got) %s; %d calls: want a failure, the retry handled, then a duplicate acknowledged", diff, calls)
	}
}

func TestWithChallengeKeyEmptyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("an empty challenge key would accept any challenge: NewHandler must refuse it")
		}
	}()
	NewHandler(Callbacks{}, WithChallengeKey(""))
}

// reportRequest is a standard report with a new mid for iteration i.
func reportRequest(i int) *http.Request {
	body := fmt.Appendf(nil, `{"bridge": "918068281234", "from": "918919521234", "to": "918867131234", "source": "OBD", "mid": "m-%d", "flow_id": 123, "start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "duration": "23", "status": "ANSWER", "recording_url": "https://media.example.com/rec/5f1c.mp3"}`, i)
	req := httptest.NewRequest(http.MethodPost, "/mobtexting", bytes.NewReader(body))
	req.Header.Set("content-type", "application/json")
	return req
}

// BenchmarkHandler is one in-process round trip with default options (the
// in-memory deduplicator on; every report new).
func BenchmarkHandler(b *testing.B) {
	h := NewHandler(Callbacks{OnReport: func(context.Context, *Report) error { return nil }}, quiet)
	testfix.BenchHandler(b, h, http.StatusOK, reportRequest)
}

// BenchmarkHandlerBaseline is the floor: a bare handler that reads the body
// and answers 200.
func BenchmarkHandlerBaseline(b *testing.B) {
	testfix.BenchHandler(b, testfix.Bare(http.StatusOK), http.StatusOK, reportRequest)
}

// TestWithLocation: the handler reads Mobtexting's zone-less times in the
// zone WithLocation gives, India's without it.
func TestWithLocation(t *testing.T) {
	utc4 := time.FixedZone("+04:00", 4*3600)
	tests := []struct {
		name   string
		reason string
		opts   []telhook.Option
		want   time.Time
	}{
		{"default", "start_at 2021-04-09 16:27:39 is India's time, +05:30", nil, time.Date(2021, 4, 9, 10, 57, 39, 0, time.UTC)},
		{"+04:00", "the same text in the zone given", []telhook.Option{WithLocation(utc4)}, time.Date(2021, 4, 9, 12, 27, 39, 0, time.UTC)},
		{"nil", "a nil zone keeps India's", []telhook.Option{WithLocation(nil)}, time.Date(2021, 4, 9, 10, 57, 39, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			h := NewHandler(Callbacks{OnReport: func(_ context.Context, r *Report) error { got = r.StartAt; return nil }}, append(tt.opts, quiet)...)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, reportRequest(0))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", tt.reason, rec.Code, rec.Body)
			}
			if !got.Equal(tt.want) {
				t.Errorf("%s: StartAt %v, want %v", tt.reason, got, tt.want.In(got.Location()))
			}
		})
	}
}
