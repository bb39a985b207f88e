// Command replay sends the fixtures under testdata/ to a running receiver
// the way each provider would send them, like `stripe trigger` for telhook:
//
//	go -C examples/server run . &                        # the receiver, on :8080
//	go run ./examples/replay                             # every fixture
//	go run ./examples/replay elks/sms-docs.form 'pbx3cx/flows/02-*'
//	go run ./examples/replay -url http://localhost:9000 -delay 200ms obd
//
// With no arguments it sends every fixture: the 46elks forms to /elks, the
// Mobtexting reports to /obd and its composed webhooks (raw HTTP requests,
// method, query, headers and body kept) to /obd/compose, the validation
// challenge to /obd, each 3CX webhook to /pbx3cx as the add-on sends it (JSON
// or a recording URL POSTed, the legacy scheme as a GET query string) and
// each 3CX flow line by line in order, and the Wavix bodies to /oncall.
// Golden files are never sent. See package internal/replay for the details.
//
// Arguments select fixtures by path, glob or folder relative to testdata
// (elks/sms-docs.form, 'pbx3cx/flows/02-*', pbx3cx/flows, a flow line as
// pbx3cx/flows/02-attended-transfer.txt#3); a path under the testdata folder
// as the shell completes it (testdata/elks/sms-docs.form) works too, and
// flags may come before or after them. An argument that selects nothing is
// an error.
//
// Requests go one at a time, in path order. Each prints one line,
//
//	[ 12/180] elks/sms-docs.form  POST /elks  -> 204 (1.2ms)
//
// with the status the fixture expects from a receiver configured as
// examples/server is by default (what testdata/normalized records: a bad-*
// fixture answered 400 is right, a malformed body that the provider's
// decoder repairs answered 2xx is right too), and a summary ends the run:
//
//	180 sent: 150 2xx, 28 4xx, 2 5xx, 0 errors, 0 differ from expected
//
// (3xx and other classes are counted too when there are any.) Redirects are
// not followed: a 3xx is shown as answered. The exit status is 0 when every
// request got the answer its fixture expects, and 1 when one got another
// (with -check=false: any answer will do), when one got none (connection
// refused, timeout), or on bad flags or arguments.
//
// Flags:
//
//	-url       the receiver's base URL (default http://localhost:8080); a path
//	           in it is put before each provider's, a query before each
//	           request's (?key=… for a query token), user:pass@ is sent as
//	           Basic auth
//	-testdata  the fixtures folder (default: testdata in the folder holding
//	           go.mod, found by walking up from the working directory)
//	-delay     pause between requests (default 0)
//	-timeout   limit for each request (default 10s)
//	-v         print each response's body (its first 200 bytes)
//	-check     compare each status with the fixture's expected one (default
//	           true)
//	-bearer    a token sent as "Authorization: Bearer …" with every request
//	           (the receiver's -obd-secret)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/telhook/telhook/internal/replay"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "replay:", strings.TrimPrefix(err.Error(), "replay: "))
		os.Exit(1)
	}
}

type settings struct {
	url, testdata, bearer string
	delay, timeout        time.Duration
	verbose, check        bool
	patterns              []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	reqs, err := replay.Load(s.testdata, s.patterns...)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		return fmt.Errorf("no fixtures in %s", s.testdata)
	}
	var expected map[string]int
	if s.check {
		if expected, err = replay.Expected(s.testdata); err != nil {
			return err
		}
	}
	if s.bearer != "" {
		for i := range reqs {
			h := reqs[i].Header.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set("Authorization", "Bearer "+s.bearer)
			reqs[i].Header = h
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &http.Client{
		Timeout:       s.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	p := newPrinter(stdout, reqs, s.verbose, expected)
	var results []replay.Result
	for i, r := range reqs {
		if i > 0 && s.delay > 0 {
			if err = sleep(ctx, s.delay); err != nil {
				break
			}
		}
		var res []replay.Result
		res, err = replay.Send(ctx, client, s.url, []replay.Request{r}, p.print)
		results = append(results, res...)
		if err != nil {
			break
		}
	}
	failed, differ := p.summary(results)
	switch {
	case err != nil:
		return fmt.Errorf("stopped after %d of %d requests: %w", len(results), len(reqs), err)
	case failed > 0:
		return fmt.Errorf("%d of %d requests got no answer", failed, len(reqs))
	case differ > 0:
		return fmt.Errorf("%d of %d answers differ from the status their fixture expects", differ, len(reqs))
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: replay [flags] [fixture patterns relative to testdata…]")
		fs.PrintDefaults()
	}
	var s settings
	fs.StringVar(&s.url, "url", "http://localhost:8080", "the receiver's base `URL`")
	fs.StringVar(&s.testdata, "testdata", "", "the fixtures `folder` (default: testdata beside go.mod, found from the working directory up)")
	fs.DurationVar(&s.delay, "delay", 0, "pause between requests")
	fs.DurationVar(&s.timeout, "timeout", 10*time.Second, "limit for each request")
	fs.BoolVar(&s.verbose, "v", false, "print each response's body")
	fs.BoolVar(&s.check, "check", true, "compare each status with the one the fixture expects (testdata/normalized)")
	fs.StringVar(&s.bearer, "bearer", "", "send `TOKEN` as a bearer token with every request (the receiver's -obd-secret)")

	// Flags may come after the patterns too: parse up to each pattern,
	// take it, and go on, until the arguments or a "--" run out.
	for {
		if err := fs.Parse(args); err != nil {
			return s, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			s.patterns = append(s.patterns, rest...)
			break
		}
		s.patterns = append(s.patterns, rest[0])
		args = rest[1:]
	}

	switch {
	case s.delay < 0:
		return s, fmt.Errorf("-delay %v: must not be negative", s.delay)
	case s.timeout <= 0:
		return s, fmt.Errorf("-timeout %v: must be positive", s.timeout)
	}
	if _, err := (replay.Request{}).HTTP(s.url); err != nil {
		return s, fmt.Errorf("-url: %w", err)
	}
	if s.testdata == "" {
		root, err := moduleRoot()
		if err != nil {
			return s, err
		}
		s.testdata = filepath.Join(root, "testdata")
	}
	for i, p := range s.patterns {
		s.patterns[i] = relativeTo(s.testdata, p)
	}
	return s, nil
}

// moduleRoot is the nearest folder, from the working directory up, that
// holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it: name the fixtures folder with -testdata")
		}
		dir = parent
	}
}

// relativeTo turns a pattern naming an existing file or folder under
// testdata, as the shell completes it, into the path relative to testdata
// that Load expects; any other pattern is returned as given.
func relativeTo(testdata, pattern string) string {
	name, _, _ := strings.Cut(pattern, "#") // a flow line: pbx3cx/flows/x.txt#3
	if _, err := os.Stat(name); err != nil {
		return pattern
	}
	absName, err1 := filepath.Abs(name)
	absData, err2 := filepath.Abs(testdata)
	if err1 != nil || err2 != nil {
		return pattern
	}
	rel, err := filepath.Rel(absData, absName)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return pattern
	}
	return filepath.ToSlash(rel) + pattern[len(name):]
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// printer writes the progress lines, in aligned columns, and the summary.
type printer struct {
	w                        io.Writer
	total, n                 int
	counter, fixture, target int // column widths
	verbose                  bool
	expected                 map[string]int // nil: no check
}

func newPrinter(w io.Writer, reqs []replay.Request, verbose bool, expected map[string]int) *printer {
	p := &printer{w: w, total: len(reqs), counter: len(strconv.Itoa(len(reqs))), verbose: verbose, expected: expected}
	for _, r := range reqs {
		p.fixture = max(p.fixture, utf8.RuneCountInString(r.Fixture))
		p.target = max(p.target, utf8.RuneCountInString(target(r)))
	}
	return p
}

// target is the method and path shown, with the start of any query.
func target(r replay.Request) string {
	t := r.Method + " " + r.Path
	if r.RawQuery != "" {
		q := strings.ToValidUTF8(r.RawQuery, "?")
		if utf8.RuneCountInString(q) > 24 {
			q = string([]rune(q)[:23]) + "…"
		}
		t += "?" + q
	}
	return t
}

func (p *printer) print(res replay.Result) {
	p.n++
	r := res.Request
	answer := strconv.Itoa(res.Status)
	if want, ok := p.expected[r.Fixture]; ok && res.Err == nil {
		if want == res.Status {
			answer += ", as expected"
		} else {
			answer += fmt.Sprintf(", expected %d: DIFFERS", want)
		}
	}
	if res.Err != nil {
		answer = "error: " + res.Err.Error()
	}
	fmt.Fprintf(p.w, "[%*d/%d] %s  %s  -> %s (%s)\n", p.counter, p.n, p.total,
		pad(r.Fixture, p.fixture), pad(target(r), p.target), answer, round(res.Duration))
	if p.verbose && res.Body != "" {
		body := strings.TrimRight(strings.ToValidUTF8(res.Body, "\uFFFD"), "\r\n")
		fmt.Fprintf(p.w, "    %s\n", strings.ReplaceAll(body, "\n", "\n    "))
	}
}

// summary prints the counts by status class and returns how many requests
// got no answer and how many answers differ from their fixture's expected
// status.
func (p *printer) summary(results []replay.Result) (failed, differ int) {
	var class [6]int // 1xx … 5xx by hundreds; [0] anything else
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
		case r.Status >= 100 && r.Status < 600:
			class[r.Status/100]++
			if want, ok := p.expected[r.Request.Fixture]; ok && want != r.Status {
				differ++
			}
		default:
			class[0]++
		}
	}
	parts := []string{fmt.Sprintf("%d 2xx", class[2])}
	if class[3] > 0 {
		parts = append(parts, fmt.Sprintf("%d 3xx", class[3]))
	}
	parts = append(parts, fmt.Sprintf("%d 4xx", class[4]), fmt.Sprintf("%d 5xx", class[5]))
	if other := class[0] + class[1]; other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", other))
	}
	parts = append(parts, fmt.Sprintf("%d errors", failed))
	if p.expected != nil {
		parts = append(parts, fmt.Sprintf("%d differ from expected", differ))
	}
	fmt.Fprintf(p.w, "%d sent: %s\n", len(results), strings.Join(parts, ", "))
	return failed, differ
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

// round shortens a duration for display: 1.2ms, 85µs, 1.25s.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
