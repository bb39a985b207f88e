package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/elks"
)

func receiver(t *testing.T) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	out := &bytes.Buffer{}
	h, err := newMux(t.Context(), settings{}, &printer{w: out}, slog.New(slog.DiscardHandler), make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, out
}

func postForm(t *testing.T, url string, body []byte) int {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// lines returns the events of the JSON lines printed, checking their shape.
func lines(t *testing.T, out *bytes.Buffer) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Provider, Kind string
			Event          json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Provider == "" || l.Kind == "" {
			t.Fatalf("line %q is not a provider/kind/event JSON line: %v", sc.Text(), err)
		}
		events = append(events, string(l.Event))
	}
	return events
}

// TestReceiverPrintsEveryFixture posts every 46elks fixture to a fresh
// receiver: a decodable one becomes exactly one JSON line holding the event
// elks.Decode makes of it, a malformed one a 400 and no line.
func TestReceiverPrintsEveryFixture(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/elks/*.form")
	if len(paths) < 20 {
		t.Fatalf("only %d fixtures found", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			srv, out := receiver(t)
			path := "/elks"
			if strings.Contains(p, "call") {
				path = "/elks/voice" // the prefix and every path below it are served
			}
			status := postForm(t, srv.URL+path, body)
			ev, _ := elks.Decode(body)
			if ev == nil {
				if status != 400 || out.Len() != 0 {
					t.Errorf("malformed fixture: status %d, printed %q; want 400 and nothing", status, out)
				}
				return
			}
			if status < 200 || status > 204 {
				t.Errorf("status %d, want 2xx", status)
			}
			want, _ := json.Marshal(ev)
			if diff := cmp.Diff([]string{string(want)}, lines(t, out)); diff != "" {
				t.Errorf("printed events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReceiverPrintsRetriesOnce(t *testing.T) {
	srv, out := receiver(t)
	body, err := os.ReadFile("../../testdata/elks/sms-docs.form")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if status := postForm(t, srv.URL+"/elks", body); status != 204 {
			t.Errorf("status %d, want 204", status)
		}
	}
	if n := len(lines(t, out)); n != 1 {
		t.Errorf("a webhook sent three times printed %d lines, want 1", n)
	}
}

func TestRunShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, io.Discard, io.Discard) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRunRejectsBadConnect(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-elks-connect", "0701234567"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-elks-connect") {
		t.Errorf("run with a non-E.164 -elks-connect = %v, want an error naming the flag", err)
	}
}

// TestReceiverTracksPBX3CXCalls replays a 3CX flow (JSON POSTs and legacy
// GETs) and expects every event printed, and then the whole call once the
// receiver shuts down and the tracker flushes.
func TestReceiverTracksPBX3CXCalls(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	h, err := newMux(ctx, settings{}, &printer{w: &out}, slog.New(slog.DiscardHandler), done)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, flow := range []string{"02-attended-transfer", "15-get-outbound-answered"} {
		b, err := os.ReadFile("../../testdata/pbx3cx/flows/" + flow + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var req *http.Request
			if strings.HasPrefix(line, "event=") {
				req, _ = http.NewRequest("GET", srv.URL+"/pbx3cx?"+strings.ReplaceAll(line, " ", "%20"), nil)
			} else {
				req, _ = http.NewRequest("POST", srv.URL+"/pbx3cx", strings.NewReader(line))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: %q answered %d", flow, line, resp.StatusCode)
			}
		}
	}
	cancel()
	<-done
	kinds := map[string]int{}
	var calls []struct {
		Event struct {
			ID       string
			TalkTime time.Duration
			Complete bool
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var l struct{ Provider, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Provider != "pbx3cx" {
			t.Fatalf("bad line %q", sc.Text())
		}
		kinds[l.Kind]++
		if l.Kind == "call" {
			var c struct {
				Event struct {
					ID       string
					TalkTime time.Duration
					Complete bool
				}
			}
			_ = json.Unmarshal(sc.Bytes(), &c)
			calls = append(calls, c)
		}
	}
	if kinds["event"] != 14 || kinds["call"] != 2 {
		t.Errorf("printed %v, want 14 events and 2 calls", kinds)
	}
	for _, c := range calls {
		if !c.Event.Complete || c.Event.TalkTime == 0 {
			t.Errorf("call %+v: want complete, with talk time", c.Event)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the tracker's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestReceiverObd posts the excerpt's report and a composed GET.
func TestReceiverObd(t *testing.T) {
	srv, out := receiver(t)
	body, err := os.ReadFile("../../testdata/obd/spec-obd.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/obd", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get, err := http.Get(srv.URL + "/obd/compose?id=c-1&to=918867131234&status=BUSY")
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if resp.StatusCode != 200 || get.StatusCode != 200 {
		t.Fatalf("statuses %d, %d; Mobtexting wants exactly 200", resp.StatusCode, get.StatusCode)
	}
	events := lines(t, out)
	if len(events) != 2 || !strings.Contains(events[0], `"To":"91886713XXXX"`) || !strings.Contains(events[1], `"Status":"BUSY"`) {
		t.Errorf("printed %q", events)
	}
}
