package pbx3cx

import (
	"bytes"
	"context"
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
