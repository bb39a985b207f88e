// Package replay sends the fixtures under testdata/ to a running receiver
// the way each provider sends them: the project's equivalent of
// `stripe trigger`. It is used by the examples/replay command and by
// end-to-end tests.
//
// [Load] walks a testdata folder and turns every fixture into a [Request]:
//
//	elks/*.form          POST /elks          application/x-www-form-urlencoded, the file as the body
//	obd/*.json           POST /obd           application/json, the file as the body
//	obd/*.http           a raw HTTP/1.1 request: its method, query, headers and body;
//	                     sent to /obd/compose, or to /obd when it is the validation
//	                     challenge (a token= query parameter or a "challenge" key)
//	pbx3cx/*.txt         one webhook (the file without its final line break)
//	pbx3cx/flows/*.txt   one webhook per line, in file order ("…/02-x.txt#3" is line 3)
//	oncall/*.json        POST /oncall        application/json, the file as the body
//
// A 3CX webhook is sent the way the add-on sends it: a line starting with
// "{" is POSTed to /pbx3cx as application/json, a line starting with http://
// or https:// (the legacy recording request) is POSTed as text/plain, and
// anything else is the legacy GET scheme, GET /pbx3cx?<line>, with the line
// as written except that spaces become %20 (an HTTP/1.1 request line cannot
// carry them).
//
// Golden files are never loaded: elks/*.json, pbx3cx/*.json and everything
// under a decoded/, tracker/ or normalized/ folder. Other files that match no
// rule above (a README, a provider with no mapping yet) are skipped too.
//
// [Send] sends requests one after another, in order, so that the events of
// a 3CX flow arrive as the PBX would send them, and reports each answer.
package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is one webhook as its provider sends it, relative to the
// receiver's base URL.
type Request struct {
	// Fixture is the fixture's path relative to testdata, in slash form
	// ("elks/sms-docs.form"); for a line of a 3CX flow it ends in #N, the
	// line's number in the file ("pbx3cx/flows/02-attended-transfer.txt#3").
	Fixture string
	// Provider is the fixture's top folder: elks, obd, pbx3cx or oncall.
	Provider string
	// Method is the HTTP method: POST, or what an obd .http fixture or a
	// legacy 3CX GET says.
	Method string
	// Path is where the receiver mounts the provider: /elks, /obd,
	// /obd/compose, /pbx3cx or /oncall.
	Path string
	// RawQuery is the query string exactly as it goes on the request line,
	// without the "?".
	RawQuery string
	// ContentType is the Content-Type header, empty when none is sent.
	ContentType string
	// Header holds any other header the fixture carries (only obd .http
	// fixtures do: Authorization, User-Agent, …); Host, Content-Type,
	// Content-Length and Transfer-Encoding are never in it. Nil when none.
	Header http.Header
	// Body is the request body, byte for byte.
	Body []byte
}

// kind says how the fixtures matching a rule become requests.
type kind int

const (
	elksForm kind = iota
	obdJSON
	obdHTTP
	pbxSingle
	pbxFlow
	oncallJSON
)

// rules are the fixtures Load knows, as path.Match patterns relative to
// testdata. Golden files match none of them.
var rules = []struct {
	glob string
	kind kind
}{
	{"elks/*.form", elksForm},
	{"obd/*.json", obdJSON},
	{"obd/*.http", obdHTTP},
	{"pbx3cx/*.txt", pbxSingle},
	{"pbx3cx/flows/*.txt", pbxFlow},
	{"oncall/*.json", oncallJSON},
}

// goldenDirs are the folders that hold expected outputs, never fixtures.
var goldenDirs = map[string]bool{"decoded": true, "tracker": true, "normalized": true}

// Load reads the fixtures under the testdata folder and returns the requests
// they make, sorted by fixture path (the lines of a 3CX flow in file order).
//
// With patterns, only the fixtures a pattern selects are loaded, still in
// that order and each once. A pattern is relative to testdata and selects a
// fixture when it matches (with [path.Match]) the fixture's path, one of its
// parent folders ("pbx3cx/flows" selects every flow), or, for a line of a
// flow, the line's Fixture name ("pbx3cx/flows/02-attended-transfer.txt#3").
// A pattern that selects nothing, or is malformed, is an error naming it.
func Load(testdata string, patterns ...string) ([]Request, error) {
	st, err := os.Stat(testdata)
	if err != nil {
		return nil, fmt.Errorf("replay: testdata: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("replay: testdata %s is not a folder", testdata)
	}
	return loadFS(os.DirFS(testdata), patterns)
}

func loadFS(fsys fs.FS, patterns []string) ([]Request, error) {
	clean := make([]string, len(patterns))
	for i, p := range patterns {
		c := path.Clean(strings.TrimPrefix(p, "./"))
		if _, err := path.Match(c, ""); err != nil {
			return nil, fmt.Errorf("replay: pattern %q: %w", p, err)
		}
		clean[i] = c
	}

	var files []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if goldenDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if _, ok := ruleFor(name); ok {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	slices.Sort(files) // by whole path, not folder by folder

	used := make([]bool, len(clean))
	var reqs []Request
	for _, name := range files {
		k, _ := ruleFor(name)
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		made, err := build(name, k, b)
		if err != nil {
			return nil, fmt.Errorf("replay: %s: %w", name, err)
		}
		for _, r := range made {
			if selected(r.Fixture, name, clean, used) {
				reqs = append(reqs, r)
			}
		}
	}
	var unknown []string
	for i, u := range used {
		if !u {
			unknown = append(unknown, strconv.Quote(patterns[i]))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("replay: no fixture matches %s", strings.Join(unknown, ", "))
	}
	return reqs, nil
}

// ruleFor returns how the file at name (relative to testdata) is read, and
// false when it is not a fixture.
func ruleFor(name string) (kind, bool) {
	for _, r := range rules {
		if ok, _ := path.Match(r.glob, name); ok {
			return r.kind, true
		}
	}
	return 0, false
}

// selected reports whether any pattern selects the request named fixture,
// read from file, marking the patterns that do. No pattern selects all.
func selected(fixture, file string, patterns []string, used []bool) bool {
	if len(patterns) == 0 {
		return true
	}
	names := []string{fixture}
	if fixture != file {
		names = append(names, file)
	}
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		names = append(names, dir)
		if dir == "." {
			break
		}
	}
	hit := false
	for i, p := range patterns {
		for _, n := range names {
			if ok, _ := path.Match(p, n); ok {
				used[i], hit = true, true
				break
			}
		}
	}
	return hit
}

// build makes the requests of one fixture file.
func build(name string, k kind, b []byte) ([]Request, error) {
	provider, _, _ := strings.Cut(name, "/")
	r := Request{Fixture: name, Provider: provider, Method: http.MethodPost, Body: b}
	switch k {
	case elksForm:
		r.Path, r.ContentType = "/elks", "application/x-www-form-urlencoded"
	case obdJSON:
		r.Path, r.ContentType = "/obd", "application/json"
	case oncallJSON:
		r.Path, r.ContentType = "/oncall", "application/json"
	case obdHTTP:
		return fromHTTP(r, b)
	case pbxSingle:
		line := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		return []Request{pbxRequest(name, line)}, nil
	case pbxFlow:
		var reqs []Request
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue // a blank line (the final line break) is no webhook
			}
			reqs = append(reqs, pbxRequest(name+"#"+strconv.Itoa(i+1), line))
		}
		return reqs, nil
	}
	return []Request{r}, nil
}

// fromHTTP reads an obd .http fixture, a raw HTTP/1.1 request.
func fromHTTP(r Request, b []byte) ([]Request, error) {
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return nil, fmt.Errorf("not a raw HTTP request: %w", err)
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if len(body) == 0 {
		body = nil
	}
	r.Method, r.RawQuery, r.Body = hr.Method, hr.URL.RawQuery, body
	r.ContentType = hr.Header.Get("Content-Type")
	h := hr.Header.Clone()
	for _, k := range []string{"Host", "Content-Type", "Content-Length", "Transfer-Encoding"} {
		h.Del(k)
	}
	if len(h) > 0 {
		r.Header = h
	}
	r.Path = "/obd/compose"
	if hr.URL.Query().Has("token") || bytes.Contains(body, []byte(`"challenge"`)) {
		r.Path = "/obd"
	}
	return []Request{r}, nil
}

// pbxRequest is one 3CX add-on webhook, told from its line.
func pbxRequest(fixture, line string) Request {
	r := Request{Fixture: fixture, Provider: "pbx3cx", Path: "/pbx3cx"}
	head := strings.TrimLeft(line, " \t\ufeff")
	switch {
	case strings.HasPrefix(head, "{"):
		r.Method, r.ContentType, r.Body = http.MethodPost, "application/json", []byte(line)
	case hasPrefixFold(head, "http://"), hasPrefixFold(head, "https://"):
		r.Method, r.ContentType, r.Body = http.MethodPost, "text/plain", []byte(line)
	default:
		r.Method, r.RawQuery = http.MethodGet, strings.ReplaceAll(line, " ", "%20")
	}
	return r
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// HTTP returns r as an *http.Request against base, the receiver's URL
// ("http://127.0.0.1:8080"). A path in base is put before r.Path, a query
// in base before r.RawQuery (so "http://host/?key=s3cret" passes a query
// token), and credentials in base are sent as Basic auth by http.Client.
// The query goes on the request line exactly as in RawQuery. Content-Length
// is set; the request's context is context.Background.
func (r Request) HTTP(base string) (*http.Request, error) {
	u, err := parseBase(base)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + r.Path
	u.RawPath = ""
	switch {
	case u.RawQuery == "":
		u.RawQuery = r.RawQuery
	case r.RawQuery != "":
		u.RawQuery += "&" + r.RawQuery
	}
	u.ForceQuery = false
	req, err := http.NewRequest(r.Method, base, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", r.Fixture, err)
	}
	req.URL = u // set, not parsed: the query stays as written
	for k, v := range r.Header {
		req.Header[k] = slices.Clone(v)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.ContentLength = int64(len(r.Body)) // NewRequest set it too; an empty body is http.NoBody
	return req, nil
}

func parseBase(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("replay: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("replay: base URL %q: want http://host[:port] or https://host[:port]", base)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// Result is what became of one request.
type Result struct {
	// Request is the request sent.
	Request Request
	// Status is the response's status code, 0 when there was none.
	Status int
	// Body is the first 200 bytes of the response body.
	Body string
	// Err is why there is no complete answer: the connection failed or
	// timed out, or the response body could not be read. Nil for any
	// status, 4xx and 5xx included.
	Err error
	// Duration is from sending the request to having read the answer.
	Duration time.Duration
}

// Limits on what Send reads of each response.
const (
	maxRead = 64 << 10 // read (then discarded) from each response body
	keep    = 200      // kept in Result.Body
)

// Send sends reqs to base one after another, in order, calling progress (if
// not nil) with each result as it comes. A non-2xx answer or a failed
// request (its Result.Err) never stops it. Each response body is read (at
// most 64 KiB) and closed. A nil client is http.DefaultClient; its Timeout
// bounds each request.
//
// Send returns every result so far and ctx.Err() when ctx is done before
// all are sent, and an error without sending anything when base is not an
// http or https URL.
func Send(ctx context.Context, client *http.Client, base string, reqs []Request, progress func(Result)) ([]Result, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if _, err := parseBase(base); err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(reqs))
	for _, r := range reqs {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res := send(ctx, client, base, r)
		results = append(results, res)
		if progress != nil {
			progress(res)
		}
		if res.Err != nil && ctx.Err() != nil {
			return results, ctx.Err()
		}
	}
	return results, nil
}

// send sends one request.
func send(ctx context.Context, client *http.Client, base string, r Request) Result {
	res := Result{Request: r}
	req, err := r.HTTP(base)
	if err != nil {
		res.Err = err
		return res
	}
	start := time.Now()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		res.Err, res.Duration = err, time.Since(start)
		return res
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	resp.Body.Close()
	res.Duration = time.Since(start)
	res.Status = resp.StatusCode
	res.Body = string(b[:min(len(b), keep)])
	if err != nil {
		res.Err = fmt.Errorf("reading the response: %w", err)
	}
	return res
}

// Expected returns the status each fixture's request gets from a receiver
// configured as examples/server is by default, keyed by Request.Fixture:
// what testdata/normalized records (TestGoldenNormalized in package
// normalize writes those files and holds the receiver to them). A bad-*
// fixture answered 400 is right; so is a malformed body the provider's
// decoder repairs, answered 2xx.
func Expected(testdata string) (map[string]int, error) {
	dir := filepath.Join(testdata, "normalized")
	want := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || d.Name() == "tracked-calls.json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var golden []struct {
			Request string `json:"request"`
			Status  int    `json:"status"`
		}
		if err := json.Unmarshal(b, &golden); err != nil {
			return fmt.Errorf("replay: %s: %w", path, err)
		}
		for _, g := range golden {
			want[g.Request] = g.Status
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: expected statuses: %w", err)
	}
	return want, nil
}
