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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/elks"
)

func receiver(t *testing.T) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	out := &bytes.Buffer{}
	h, err := newMux(settings{}, &printer{w: out}, slog.New(slog.DiscardHandler))
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
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Provider != "elks" || l.Kind == "" {
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
