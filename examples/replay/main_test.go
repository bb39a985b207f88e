package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/pbx3cx"
)

// receiver answers every request with status and body, counting them.
func receiver(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// fixtures is how many requests the patterns make, as the library counts.
func fixtures(t *testing.T, patterns ...string) int {
	t.Helper()
	reqs, err := replay.Load("../../testdata", patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return len(reqs)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestRun(t *testing.T) {
	all := fixtures(t)
	flow := fixtures(t, "pbx3cx/flows/02-*")
	ok, _ := receiver(t, 200, "ok")
	fail, _ := receiver(t, 500, "boom")
	gone, _ := receiver(t, 200, "")
	gone.Close() // connection refused

	tests := []struct {
		name        string
		args        []string
		wantSummary string
		wantOut     []string // also in stdout
		wantErr     string   // "" for none
		reason      string
	}{
		{"every fixture", []string{"-check=false", "-url", ok.URL},
			fmt.Sprintf("%d sent: %d 2xx, 0 4xx, 0 5xx, 0 errors", all, all), nil, "",
			"testdata found from the working directory up; every fixture answered"},
		{"patterns between flags", []string{"-check=false", "elks/sms-docs.form", "-url", fail.URL, "-v", "pbx3cx/flows/02-*"},
			fmt.Sprintf("%d sent: 0 2xx, 0 4xx, %d 5xx, 0 errors", flow+1, flow+1), []string{"    boom", "pbx3cx/flows/02-attended-transfer.txt#10"}, "",
			"a 5xx is an answer: exit status 0; -v prints bodies; flags after patterns still count"},
		{"explicit testdata and shell path", []string{"-check=false", "-testdata", "../../testdata", "-url", ok.URL, "../../testdata/elks/sms-docs.form"},
			"1 sent: 1 2xx, 0 4xx, 0 5xx, 0 errors", []string{"elks/sms-docs.form  POST /elks  -> 200"}, "",
			"a path as the shell completes it is made relative to testdata"},
		{"after --", []string{"-check=false", "-url", ok.URL, "--", "elks/sms-docs.form"},
			"1 sent: 1 2xx, 0 4xx, 0 5xx, 0 errors", nil, "", "-- ends the flags"},
		{"no answer", []string{"-check=false", "-url", gone.URL, "elks/sms-docs.form", "obd/spec-obd.json"},
			"2 sent: 0 2xx, 0 4xx, 0 5xx, 2 errors", []string{"-> error: "}, "2 of 2 requests got no answer",
			"transport errors: exit status 1, every request still tried"},
		{"bad flag", []string{"-bogus"}, "", nil, "flag provided but not defined", "an unknown flag"},
		{"bad url", []string{"-url", "localhost:8080"}, "", nil, "-url", "a URL needs its scheme"},
		{"bad timeout", []string{"-timeout", "0s"}, "", nil, "-timeout", "no request may last forever"},
		{"bad delay", []string{"-delay", "-1s"}, "", nil, "-delay", "negative pause"},
		{"unknown pattern", []string{"-url", ok.URL, "elks/nope.form"}, "", nil, `"elks/nope.form"`, "the pattern is named"},
		{"missing testdata", []string{"-testdata", "nope"}, "", nil, "nope", "the folder is named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run(%q) = %v (stderr %q): %s", tt.args, err, stderr.String(), tt.reason)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run(%q) = %v, want an error with %q: %s", tt.args, err, tt.wantErr, tt.reason)
			}
			if tt.wantSummary == "" {
				if stdout.Len() > 0 {
					t.Errorf("nothing should be sent, got\n%s", stdout.String())
				}
				return
			}
			if diff := cmp.Diff(tt.wantSummary, lastLine(stdout.String())); diff != "" {
				t.Errorf("summary (-want +got): %s\n%s", tt.reason, diff)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q: %s\n%s", w, tt.reason, stdout.String())
				}
			}
		})
	}
}

// TestRunProgressLines: one line per request, numbered, with the fixture,
// method and path, status and duration.
func TestRunProgressLines(t *testing.T) {
	srv, n := receiver(t, 204, "")
	var stdout, stderr bytes.Buffer
	args := []string{"-check=false", "-url", srv.URL, "elks/sms-docs.form", "obd/challenge-token.http", "pbx3cx/get-end-title.txt"}
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\[1/3\] elks/sms-docs\.form {8}POST /elks {28}-> 204 \(\d.*s\)$`),
		regexp.MustCompile(`^\[2/3\] obd/challenge-token\.http  POST /obd\?token=9012XXXX {14}-> 204 \(\d.*s\)$`),
		regexp.MustCompile(`^\[3/3\] pbx3cx/get-end-title\.txt  GET /pbx3cx\?event=incoming&callerid…  -> 204 \(\d.*s\)$`),
		regexp.MustCompile(`^3 sent: 3 2xx, 0 4xx, 0 5xx, 0 errors$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), stdout.String())
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
	}
	if n.Load() != 3 {
		t.Errorf("%d requests arrived, want 3", n.Load())
	}
}

func TestRunDelay(t *testing.T) {
	t.Run("waits between requests", func(t *testing.T) {
		srv, _ := receiver(t, 200, "")
		start := time.Now()
		args := []string{"-check=false", "-url", srv.URL, "-delay", "50ms", "pbx3cx/flows/01-*"} // 6 requests, 5 pauses
		if err := run(t.Context(), args, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("took %v, want at least 5 pauses of 50ms", d)
		}
	})
	t.Run("cancelled during a pause", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		srv, _ := receiver(t, 200, "")
		var stdout bytes.Buffer
		start := time.Now()
		// cancelled once the first progress line is out, so during the first pause
		err := run(ctx, []string{"-check=false", "-url", srv.URL, "-delay", "1m", "pbx3cx/flows/01-*"}, cancelOnWrite{&stdout, cancel}, io.Discard)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 30*time.Second {
			t.Errorf("run = %v after %v, want context.Canceled at once", err, time.Since(start))
		}
		if got, want := lastLine(stdout.String()), "1 sent: 1 2xx, 0 4xx, 0 5xx, 0 errors"; got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})
}

// cancelOnWrite cancels a context as soon as anything is written.
type cancelOnWrite struct {
	w      io.Writer
	cancel context.CancelFunc
}

func (c cancelOnWrite) Write(p []byte) (int, error) {
	defer c.cancel()
	return c.w.Write(p)
}

// TestMain lets the test binary act as the command (see TestExitStatus).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("REPLAY_TEST_ARGS"); ok {
		os.Args = append([]string{"replay"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestExitStatus(t *testing.T) {
	ok, _ := receiver(t, 404, "")
	gone, _ := receiver(t, 200, "")
	gone.Close()
	tests := []struct {
		args       string
		wantStatus int
		wantStderr string
		reason     string
	}{
		{"-check=false -url " + ok.URL + " elks/sms-docs.form", 0, "", "every request answered, even with a 404, and no check asked for"},
		{"-url " + ok.URL + " elks/sms-docs.form", 1, "replay: 1 of 1 answers differ from the status their fixture expects", "a 404 where 204 is expected"},
		{"-h", 0, "usage: replay", "help is no failure"},
		{"-url " + gone.URL + " elks/sms-docs.form", 1, "replay: 1 of 1 requests got no answer", "a transport error"},
		{"-bogus", 1, "replay: flag provided but not defined: -bogus", "a bad flag"},
		{"nope", 1, `replay: no fixture matches "nope"`, "an unknown pattern, named once with one prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "REPLAY_TEST_ARGS="+tt.args)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			err := cmd.Run()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit status %d, stderr %q; want %d and %q: %s", status, stderr.String(), tt.wantStatus, tt.wantStderr, tt.reason)
			}
		})
	}
}

// TestRunExpectations: against a receiver configured as examples/server
// is by default, every fixture gets the status it expects (bad-* fixtures
// 400 included), and the run exits 0; against one that answers 200 to
// everything, the bad fixtures differ and the run fails, naming them.
func TestRunExpectations(t *testing.T) {
	tracker := pbx3cx.NewTracker(func(pbx3cx.Call) {})
	mux := normalize.NewMux(func(context.Context, normalize.Event) error { return nil },
		normalize.WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler))),
		normalize.WithOptions(normalize.Elks, elks.WithFallback(elks.Hangup{Reason: "busy"})),
		normalize.WithElksCalls(func(context.Context, *elks.CallEvent) (elks.Action, error) { return elks.Hangup{Reason: "reject"}, nil }),
		normalize.WithTracker(tracker))
	real := httptest.NewServer(mux)
	defer real.Close()
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"-url", real.URL}, &stdout, io.Discard); err != nil {
		t.Fatalf("replay against a receiver like examples/server: %v\n%s", err, stdout.String())
	}
	if !strings.HasSuffix(lastLine(stdout.String()), ", 0 differ from expected") || !strings.Contains(stdout.String(), "elks/bad-binary.form") {
		t.Errorf("summary %q", lastLine(stdout.String()))
	}
	if !regexp.MustCompile(`elks/bad-binary\.form .* -> 400, as expected`).MatchString(stdout.String()) {
		t.Errorf("a bad fixture's line does not say its 400 is expected:\n%s", stdout.String())
	}

	yes, _ := receiver(t, 200, "")
	stdout.Reset()
	err := run(t.Context(), []string{"-url", yes.URL, "elks/bad-binary.form", "elks/sms-docs.form"}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 answers differ") {
		t.Errorf("run = %v, want 2 answers that differ", err)
	}
	if !strings.Contains(stdout.String(), "-> 200, expected 400: DIFFERS") {
		t.Errorf("the differing line is not marked:\n%s", stdout.String())
	}
}

// TestRunBearer: -bearer sends the token with every request.
func TestRunBearer(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer srv.Close()
	if err := run(t.Context(), []string{"-check=false", "-bearer", "t0ken", "-url", srv.URL, "obd", "elks/sms-docs.form"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(auth) < 2 {
		t.Fatalf("%d requests", len(auth))
	}
	for _, a := range auth {
		if a != "Bearer t0ken" {
			t.Errorf("Authorization %q, want Bearer t0ken on every request", a)
		}
	}
}
