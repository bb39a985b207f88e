package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/obd/obdtest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
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

// start runs the receiver on a free port until the test ends; stop shuts it
// down (flushing the 3CX tracker) and waits.
func start(t *testing.T, args ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	return startLogging(t, io.Discard, args...)
}

// startLogging is start with the receiver's log written to logs.
func startLogging(t *testing.T, logs io.Writer, args ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	out = &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), out, logs, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("receiver did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("receiver did not start")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("receiver stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("receiver did not stop")
		}
	}
	t.Cleanup(stop)
	return base, out, stop
}

// goldenResult is one request's entry in testdata/normalized (written by
// the normalize package's TestGoldenNormalized).
type goldenResult struct {
	Request string            `json:"request"`
	Status  int               `json:"status"`
	Events  []json.RawMessage `json:"events"`
}

// TestReceiverEndToEnd starts the receiver, replays every fixture in
// testdata/ through it the way each provider sends it, and checks the JSON
// lines it prints against the golden files in testdata/normalized/: the
// events of each request, in order, then the 3CX calls the tracker flushes
// at shutdown.
func TestReceiverEndToEnd(t *testing.T) {
	reqs, err := replay.Load(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	base, out, stop := start(t)
	results, err := replay.Send(t.Context(), http.DefaultClient, base, reqs, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop()

	var want []string
	for _, res := range results {
		g := readGolden(t, res.Request.Fixture)
		if g.Status != res.Status {
			t.Errorf("%s answered %d, golden says %d", res.Request.Fixture, res.Status, g.Status)
		}
		for _, e := range g.Events {
			want = append(want, compact(t, e))
		}
	}
	// The tracker sweeps on its own clock, so a finished 3CX call may be
	// printed between other lines: events are compared in order, tracked
	// calls as a set.
	got, gotCalls := lines(t, out)
	if len(results) < 150 {
		t.Fatalf("only %d requests replayed", len(results))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("printed events differ from testdata/normalized (-want +got):\n%s", diff)
	}
	slices.Sort(gotCalls)
	if diff := cmp.Diff(readTracked(t), gotCalls); diff != "" {
		t.Errorf("tracked 3CX calls differ from testdata/normalized/tracked-calls.json (-want +got):\n%s", diff)
	}
}

// lines splits what a receiver printed into single events and whole 3CX
// calls (without their arrival times), each in the order printed, compact.
func lines(t *testing.T, out *syncBuffer) (events, calls []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := compact(t, sc.Bytes())
		if isTrackedCall(line) {
			calls = append(calls, withoutArrival(t, line))
		} else {
			events = append(events, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events, calls
}

// withoutArrival zeroes the tracker's arrival times, which the golden file
// cannot know.
func withoutArrival(t *testing.T, line string) string {
	var ev map[string]json.RawMessage
	var src map[string]json.RawMessage
	if json.Unmarshal([]byte(line), &ev) != nil || json.Unmarshal(ev["source"], &src) != nil {
		t.Fatalf("bad tracked call %q", line)
	}
	delete(src, "first_seen") // left out when zero, as in the golden file
	delete(src, "last_seen")
	ev["source"], _ = json.Marshal(src)
	b, _ := json.Marshal(ev)
	return compact(t, b)
}

// isTrackedCall tells a pbx3cx.Call (it has talk_time) from a single event.
func isTrackedCall(line string) bool {
	var ev struct {
		Provider string
		Source   map[string]json.RawMessage
	}
	_ = json.Unmarshal([]byte(line), &ev)
	_, ok := ev.Source["talk_time"]
	return ev.Provider == "pbx3cx" && ok
}

func compact(t *testing.T, b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %q: %v", b, err)
	}
	return buf.String()
}

// readGolden returns the golden result of one request ("pbx3cx/flows/x.txt#3").
func readGolden(t *testing.T, fixture string) goldenResult {
	t.Helper()
	file, line, _ := strings.Cut(fixture, "#")
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "normalized", file+".json"))
	if err != nil {
		t.Fatalf("no golden for %s (go test ./normalize -run TestGoldenNormalized -update): %v", fixture, err)
	}
	var all []goldenResult
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	for _, g := range all {
		if g.Request == fixture || (line == "" && len(all) == 1) {
			return g
		}
	}
	t.Fatalf("golden for %s has no entry for it", fixture)
	return goldenResult{}
}

func readTracked(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "normalized", "tracked-calls.json"))
	if err != nil {
		t.Fatal(err)
	}
	var calls []json.RawMessage
	if err := json.Unmarshal(b, &calls); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range calls {
		out = append(out, withoutArrival(t, compact(t, c)))
	}
	slices.Sort(out)
	return out
}

func TestReceiverVerifiesWhenAsked(t *testing.T) {
	base, out, _ := start(t, "-elks-key", "s3cret", "-obd-secret", "t0ken")
	// send sends r, which a kit builds for "/", to path; r's query follows.
	send := func(path string, r *http.Request) int {
		resp, err := http.DefaultClient.Do(testfix.At(base+path, r))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sms := func() *http.Request {
		return elkstest.NewRequest(&elks.SMS{ID: "s1", From: "+46706861004", To: "+46706860000", Message: "hi"})
	}
	report := func() *http.Request { return obdtest.NewRequest(&obd.Report{To: "918867131234", Status: "ANSWER"}) }
	got := []int{
		send("/elks", sms()),
		send("/elks", elkstest.WithQueryToken(sms(), "key", "s3cret")),
		send("/obd", obdtest.WithBearerToken(report(), "nope")),
		send("/obd", obdtest.WithBearerToken(report(), "t0ken")),
		send("/auto", sms()),
		send("/auto", obdtest.NewRequest(&obd.Report{To: "918867131234", Status: "ANSWER", Bridge: "1"})),
	}
	if diff := cmp.Diff([]int{401, 204, 401, 200, 401, 401}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("printed %d lines, want the 2 accepted events", n)
	}
}

// TestReceiverLogsOpenPaths: the receiver says at start-up which paths
// run without a verifier.
func TestReceiverLogsOpenPaths(t *testing.T) {
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-elks-key", "k", "-obd-secret", "s"}, io.Discard, logs, func(string) { cancel() })
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var open []string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if _, p, ok := strings.Cut(line, "path="); ok && strings.Contains(line, "no verifier") {
			open = append(open, strings.Fields(p)[0])
		}
	}
	if diff := cmp.Diff([]string{"/pbx3cx", "/oncall", "/auto"}, open); diff != "" {
		t.Errorf("paths logged as open (-want +got):\n%s\nlog:\n%s", diff, logs)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-elks-connect", "0701234567"},
		{"-pbx3cx-zone", "Mars/Olympus"},
		{"-no-such-flag"},
	} {
		if err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard, nil); err == nil {
			t.Errorf("run %v = nil, want an error", args)
		}
	}
}

func TestHealthz(t *testing.T) {
	base, _, _ := start(t)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Errorf("healthz %d %q", resp.StatusCode, b)
	}
}

// TestHelp: -h prints the usage and is no failure; each default is
// printed once, and no secret from the environment is.
func TestHelp(t *testing.T) {
	t.Setenv("ELKS_KEY", "s3cret-from-env")
	var usage bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, io.Discard, &usage, nil); err != nil {
		t.Fatalf("run -h = %v, want nil (exit 0)", err)
	}
	u := usage.String()
	if strings.Contains(u, "s3cret-from-env") {
		t.Errorf("-h prints a secret from the environment:\n%s", u)
	}
	if n := strings.Count(u, "default"); n != 1 || !strings.Contains(u, `(default ":8080")`) {
		t.Errorf("-h prints %d defaults, want the listen address's once:\n%s", n, u)
	}
	for _, flag := range []string{"-addr", "-region", "-elks-key", "-obd-secret", "-pbx3cx-key", "-oncall-token"} {
		if !strings.Contains(u, flag) {
			t.Errorf("-h does not list %s", flag)
		}
	}
}
