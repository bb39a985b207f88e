package replay

import (
	"context"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testdata = "../../testdata"

// read returns testdata/<name>.
func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// glob returns the paths, relative to testdata and sorted, that the
// patterns match, found with filepath.Glob rather than Load's walk.
func glob(t testing.TB, patterns ...string) []string {
	t.Helper()
	var names []string
	for _, p := range patterns {
		paths, err := filepath.Glob(filepath.Join(testdata, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			rel, _ := filepath.Rel(testdata, p)
			names = append(names, filepath.ToSlash(rel))
		}
	}
	slices.Sort(names)
	return names
}

// flowLines returns the fixture names of the non-blank lines of the flows
// the patterns match, line numbers counted independently of Load.
func flowLines(t testing.TB, patterns ...string) []string {
	t.Helper()
	var names []string
	for _, f := range glob(t, patterns...) {
		for i, line := range strings.Split(string(read(t, f)), "\n") {
			if strings.TrimSpace(line) != "" {
				names = append(names, f+"#"+strconv.Itoa(i+1))
			}
		}
	}
	return names
}

func fixtures(reqs []Request) []string {
	names := make([]string, len(reqs))
	for i, r := range reqs {
		names[i] = r.Fixture
	}
	return names
}

func load(t testing.TB, patterns ...string) []Request {
	t.Helper()
	reqs, err := Load(testdata, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestLoadFindsEveryFixture: every fixture of every provider is loaded,
// once, in path order, and nothing else.
func TestLoadFindsEveryFixture(t *testing.T) {
	reqs := load(t)
	byProvider := map[string][]string{}
	for _, r := range reqs {
		byProvider[r.Provider] = append(byProvider[r.Provider], r.Fixture)
	}
	tests := []struct {
		provider string
		want     []string
		reason   string
	}{
		{"elks", glob(t, "elks/*.form"), "every 46elks form, never its golden .json"},
		{"obd", glob(t, "obd/*.http", "obd/*.json"), "Mobtexting JSON bodies and raw HTTP requests, not decoded/"},
		{"pbx3cx", append(glob(t, "pbx3cx/*.txt"), flowLines(t, "pbx3cx/flows/*.txt")...),
			"single 3CX webhooks and every line of every flow, not tracker/ or the .json goldens"},
		{"oncall", glob(t, "oncall/*.json"), "Wavix JSON bodies, not decoded/"},
	}
	total := 0
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			got := slices.Clone(byProvider[tt.provider])
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s fixtures (-want +got): %s\n%s", tt.provider, tt.reason, diff)
			}
			t.Logf("%s: %d requests", tt.provider, len(got))
		})
		total += len(tt.want)
	}
	if len(reqs) != total {
		t.Errorf("%d requests, want %d: a provider nobody expected: %v", len(reqs), total, slices.Sorted(maps.Keys(byProvider)))
	}
	if len(byProvider["elks"]) == 0 || len(byProvider["obd"]) == 0 || len(byProvider["pbx3cx"]) == 0 {
		t.Errorf("a provider has no fixtures: %v", byProvider)
	}

	t.Run("sorted", func(t *testing.T) {
		for i := 1; i < len(reqs); i++ {
			prevFile, prevLine := split(reqs[i-1].Fixture)
			file, line := split(reqs[i].Fixture)
			if prevFile > file || (prevFile == file && prevLine >= line) {
				t.Errorf("%s comes after %s", reqs[i].Fixture, reqs[i-1].Fixture)
			}
		}
	})

	t.Run("no golden file", func(t *testing.T) {
		golden := map[string]bool{}
		err := filepath.WalkDir(testdata, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(testdata, p)
			rel = filepath.ToSlash(rel)
			dirs := strings.Split(path.Dir(rel), "/")
			top := dirs[0]
			if slices.Contains(dirs, "decoded") || slices.Contains(dirs, "tracker") || slices.Contains(dirs, "normalized") ||
				(len(dirs) == 1 && (top == "elks" || top == "pbx3cx") && path.Ext(rel) == ".json") {
				golden[rel] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(golden) == 0 {
			t.Fatal("found no golden file to check against")
		}
		for _, r := range reqs {
			if file, _ := split(r.Fixture); golden[file] {
				t.Errorf("golden file %s loaded as a fixture", file)
			}
		}
	})
}

// inPathOrder sorts fixture names by file, then line.
func inPathOrder(names []string) []string {
	slices.SortFunc(names, func(a, b string) int {
		fa, la := split(a)
		fb, lb := split(b)
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		return la - lb
	})
	return names
}

// split parts "a/b.txt#3" into "a/b.txt" and 3 (0 without a line).
func split(fixture string) (string, int) {
	file, line, ok := strings.Cut(fixture, "#")
	if !ok {
		return file, 0
	}
	n, _ := strconv.Atoi(line)
	return file, n
}

// TestLoadFlowInOrder: a flow is one request per line, in file order, each
// line sent as written.
func TestLoadFlowInOrder(t *testing.T) {
	const flow = "pbx3cx/flows/02-attended-transfer.txt"
	lines := strings.Split(strings.TrimRight(string(read(t, flow)), "\n"), "\n")
	var want []Request
	for i, line := range lines {
		want = append(want, Request{Fixture: flow + "#" + strconv.Itoa(i+1), Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx",
			ContentType: "application/json", Body: []byte(line)})
	}
	if len(want) != 10 {
		t.Fatalf("%s has %d lines, the test expects the spec's 10", flow, len(want))
	}
	if diff := cmp.Diff(want, load(t, flow)); diff != "" {
		t.Errorf("requests of %s (-want +got):\n%s", flow, diff)
	}
}

func TestLoadPatterns(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     []string
		reason   string
	}{
		{"exact path", []string{"elks/sms-docs.form"}, []string{"elks/sms-docs.form"}, "a fixture named by its path"},
		{"exact path with ./", []string{"./elks/sms-docs.form"}, []string{"elks/sms-docs.form"}, "cleaned before matching"},
		{"glob", []string{"pbx3cx/flows/02-*"}, flowLines(t, "pbx3cx/flows/02-*"), "a glob over a flow selects all its lines"},
		{"glob in a folder", []string{"obd/*.http"}, glob(t, "obd/*.http"), "* stays within its folder"},
		{"folder", []string{"obd"}, glob(t, "obd/*.http", "obd/*.json"), "a folder selects everything under it"},
		{"folder with slash", []string{"pbx3cx/flows/"}, flowLines(t, "pbx3cx/flows/*.txt"), "the trailing slash is cleaned"},
		{"folder glob", []string{"pbx3cx/fl*"}, flowLines(t, "pbx3cx/flows/*.txt"), "a glob may match a folder"},
		{"glob of files", []string{"pbx3cx/*.txt"}, glob(t, "pbx3cx/*.txt"), "* does not cross a slash: no flow lines"},
		{"glob of files and folders", []string{"pbx3cx/*"}, inPathOrder(append(glob(t, "pbx3cx/*.txt"), flowLines(t, "pbx3cx/flows/*.txt")...)),
			"pbx3cx/* matches the folder flows too, as in a shell"},
		{"one flow line", []string{"pbx3cx/flows/02-attended-transfer.txt#3"}, []string{"pbx3cx/flows/02-attended-transfer.txt#3"},
			"a line by its Fixture name"},
		{"several, overlapping", []string{"pbx3cx/k2m-ringing-queue.txt", "elks/sms-docs.form", "elks/sms-*.form"},
			glob(t, "elks/sms-*.form", "pbx3cx/k2m-ringing-queue.txt"), "path order, not argument order; each once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) == 0 {
				t.Fatal("the test expects fixtures that are not there")
			}
			if diff := cmp.Diff(tt.want, fixtures(load(t, tt.patterns...))); diff != "" {
				t.Errorf("Load(%q): %s (-want +got):\n%s", tt.patterns, tt.reason, diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		patterns []string
		want     []string // in the error
		reason   string
	}{
		{"unknown", testdata, []string{"nope"}, []string{`"nope"`}, "a pattern that selects nothing"},
		{"unknown file", testdata, []string{"elks/sms-docs.form", "elks/nope.form"}, []string{`"elks/nope.form"`}, "one good pattern does not excuse another"},
		{"golden file", testdata, []string{"elks/sms-docs.json"}, []string{`"elks/sms-docs.json"`}, "a golden file is not a fixture"},
		{"golden folder", testdata, []string{"obd/decoded"}, []string{`"obd/decoded"`}, "nor is a folder of them"},
		{"several unknown", testdata, []string{"a", "elks", "b"}, []string{`"a"`, `"b"`}, "every unknown pattern is named"},
		{"bad pattern", testdata, []string{"elks/[.form"}, []string{`"elks/[.form"`, "syntax error"}, "malformed glob"},
		{"no testdata", filepath.Join(testdata, "nope"), nil, []string{"nope"}, "a missing folder"},
		{"not a folder", filepath.Join(testdata, "elks", "sms-docs.form"), nil, []string{"not a folder"}, "a file given as testdata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, err := Load(tt.dir, tt.patterns...)
			if err == nil {
				t.Fatalf("Load(%q) = %d requests, want an error: %s", tt.patterns, len(reqs), tt.reason)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q: %s", err, w, tt.reason)
				}
			}
		})
	}
}

// TestLoadFS covers what the real fixtures do not: blank and CRLF lines,
// files that are neither fixtures nor golden, a broken .http fixture.
func TestLoadFS(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []Request
		wantErr string
		reason  string
	}{
		{"flow lines", fstest.MapFS{"pbx3cx/flows/x.txt": file("{\"a\":1}\r\n\n  \nevent=b c\r\n\n")},
			[]Request{
				{Fixture: "pbx3cx/flows/x.txt#1", Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx", ContentType: "application/json", Body: []byte(`{"a":1}`)},
				{Fixture: "pbx3cx/flows/x.txt#4", Provider: "pbx3cx", Method: "GET", Path: "/pbx3cx", RawQuery: "event=b%20c"},
			}, "", "CR stripped; blank lines skipped, line numbers still the file's"},
		{"single file", fstest.MapFS{"pbx3cx/a.txt": file(" {\"a\":1}\r\n"), "pbx3cx/b.txt": file("HTTPS://pbx/r.mp3"), "pbx3cx/c.txt": file("")},
			[]Request{
				{Fixture: "pbx3cx/a.txt", Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx", ContentType: "application/json", Body: []byte(` {"a":1}`)},
				{Fixture: "pbx3cx/b.txt", Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx", ContentType: "text/plain", Body: []byte("HTTPS://pbx/r.mp3")},
				{Fixture: "pbx3cx/c.txt", Provider: "pbx3cx", Method: "GET", Path: "/pbx3cx"},
			}, "", "leading space before {, an upper-case scheme; an empty file is a GET with no query"},
		{"not fixtures", fstest.MapFS{
			"README.md": file("x"), "elks/README.md": file("x"), "elks/a.json": file("{}"), "elks/decoded/b.form": file("a=b"),
			"elks/normalized/c.form": file("a=b"), "pbx3cx/tracker/d.txt": file("{}"), "pbx3cx/flows/sub/e.txt": file("{}"),
			"normalize/f.json": file("{}"), "elks/g.form": file("a=b\n"),
		}, []Request{{Fixture: "elks/g.form", Provider: "elks", Method: "POST", Path: "/elks", ContentType: "application/x-www-form-urlencoded", Body: []byte("a=b\n")}},
			"", "goldens, golden folders, other providers and stray files are skipped; the form body kept byte for byte"},
		{"broken http", fstest.MapFS{"obd/x.http": file("not a request")}, nil, "obd/x.http", "the file is named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadFS(tt.fsys, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q: %s", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestRequestShape: known fixtures become the requests their providers send.
func TestRequestShape(t *testing.T) {
	line := func(name string) []byte { return []byte(strings.TrimSuffix(string(read(t, name)), "\n")) }
	tests := []struct {
		want   Request
		reason string
	}{
		{Request{Fixture: "elks/sms-docs.form", Provider: "elks", Method: "POST", Path: "/elks",
			ContentType: "application/x-www-form-urlencoded", Body: read(t, "elks/sms-docs.form")},
			"46elks POSTs a form; the body is the file, byte for byte"},
		{Request{Fixture: "obd/spec-obd.json", Provider: "obd", Method: "POST", Path: "/obd",
			ContentType: "application/json", Body: read(t, "obd/spec-obd.json")},
			"a standard Mobtexting report is a JSON POST to /obd"},
		{Request{Fixture: "obd/compose-get-renamed.http", Provider: "obd", Method: "GET", Path: "/obd/compose",
			RawQuery: "call_id=c-1001&to=918867131234&message_status=BUSY", Header: http.Header{"User-Agent": {"Mobtexting-Webhook"}}},
			"a composed GET keeps its query and headers (not Host), and has no body"},
		{Request{Fixture: "obd/compose-post-json.http", Provider: "obd", Method: "POST", Path: "/obd/compose", RawQuery: "id=c-1001",
			ContentType: "application/json", Header: http.Header{"Authorization": {"Bearer t0ken"}},
			Body: []byte(`{"id":"c-1001","to":"918867131234","status":"ANSWER","duration":"23"}`)},
			"a composed POST keeps its bearer token; content-type becomes ContentType, Content-Length is recomputed"},
		{Request{Fixture: "obd/compose-put-form.http", Provider: "obd", Method: "PUT", Path: "/obd/compose",
			ContentType: "application/x-www-form-urlencoded", Body: []byte("id=c-1002&to=+918867131234&status=NOANSWER&duration=0&start_at=2021-04-09+16%3A27%3A39")},
			"the method is the fixture's"},
		{Request{Fixture: "obd/historic-get.http", Provider: "obd", Method: "GET", Path: "/obd/compose",
			RawQuery: "status=ANSWER&start=2021-04-09%2016:27:39&recording_url=https://media.example.com/rec/a.mp3&endat=2021-04-09%2016:27:55"},
			"the query exactly as written, unescaped colons and slashes included"},
		{Request{Fixture: "obd/challenge-token.http", Provider: "obd", Method: "POST", Path: "/obd", RawQuery: "token=9012XXXX",
			ContentType: "application/json", Body: []byte(`{"validation_key":"9012XXXX","challenge":"a234qwe",}`)},
			"the validation challenge goes to /obd, its token= query kept"},
		{Request{Fixture: "pbx3cx/k2m-ringing-queue.txt", Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx",
			ContentType: "application/json", Body: line("pbx3cx/k2m-ringing-queue.txt")},
			"K2M JSON is POSTed, without the file's final line break"},
		{Request{Fixture: "pbx3cx/get-end-title.txt", Provider: "pbx3cx", Method: "GET", Path: "/pbx3cx",
			RawQuery: "event=incoming&callerid=420774852629&user=102&finishtype=Ok&transfer=False&did=DID-420222000320" +
				"&title=DID-420222000320:Answered%20call%20from%20420774852629%20(0:07)&id=230102104542_15-1"},
			"legacy GET: spaces become %20, the colons and parentheses stay as the add-on sends them"},
		{Request{Fixture: "pbx3cx/get-raw-plus.txt", Provider: "pbx3cx", Method: "GET", Path: "/pbx3cx",
			RawQuery: "event=ringing&callerid=+420774852629&user=800&usertype=other&did=&id=230102104542_15-0"},
			"a raw + is not escaped"},
		{Request{Fixture: "pbx3cx/get-ampersand-title.txt", Provider: "pbx3cx", Method: "GET", Path: "/pbx3cx",
			RawQuery: "event=incoming&callerid=420774852629&user=102&finishtype=Ok&transfer=False&did=&title=Tom%20&%20Jerry%20(0:07)&id=230102104542_15-1"},
			"an unescaped & in a title stays, only the spaces change"},
		{Request{Fixture: "pbx3cx/bare-url.txt", Provider: "pbx3cx", Method: "POST", Path: "/pbx3cx",
			ContentType: "text/plain", Body: []byte("https://3CXDQDN:5001/webapi/recording/230102185935_18-1-1.mp3")},
			"the legacy recording request is the URL POSTed as text"},
	}
	if oncall := glob(t, "oncall/*.json"); len(oncall) > 0 {
		tests = append(tests, struct {
			want   Request
			reason string
		}{Request{Fixture: oncall[0], Provider: "oncall", Method: "POST", Path: "/oncall", ContentType: "application/json", Body: read(t, oncall[0])},
			"Wavix POSTs JSON"})
	}
	for _, tt := range tests {
		t.Run(tt.want.Fixture, func(t *testing.T) {
			got := load(t, tt.want.Fixture)
			if diff := cmp.Diff([]Request{tt.want}, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	get := Request{Fixture: "g", Method: "GET", Path: "/pbx3cx", RawQuery: "a=b%20c&t=x:y#z"}
	post := Request{Fixture: "p", Method: "POST", Path: "/elks", ContentType: "application/x-www-form-urlencoded",
		Header: http.Header{"Authorization": {"Bearer t"}}, Body: []byte("a=1")}
	type shape struct {
		Method, Host, RequestURI, ContentType, Authorization, Body string
		ContentLength                                              int64
		User                                                       string
	}
	tests := []struct {
		name    string
		r       Request
		base    string
		want    shape
		wantErr bool
		reason  string
	}{
		{"get", get, "http://127.0.0.1:8080", shape{Method: "GET", Host: "127.0.0.1:8080", RequestURI: "/pbx3cx?a=b%20c&t=x:y#z"},
			false, "the query goes on the request line as written, # included"},
		{"post", post, "http://127.0.0.1:8080/", shape{Method: "POST", Host: "127.0.0.1:8080", RequestURI: "/elks",
			ContentType: "application/x-www-form-urlencoded", Authorization: "Bearer t", Body: "a=1", ContentLength: 3},
			false, "headers and Content-Length set; a trailing slash in base is not doubled"},
		{"base path and query", get, "https://u:p@hooks.example.com/in/?key=s3cret", shape{Method: "GET", Host: "hooks.example.com",
			RequestURI: "/in/pbx3cx?key=s3cret&a=b%20c&t=x:y#z", User: "u:p"}, false, "the base's path and query come first; credentials kept"},
		{"base query only", post, "http://h/?key=k", shape{Method: "POST", Host: "h", RequestURI: "/elks?key=k",
			ContentType: "application/x-www-form-urlencoded", Authorization: "Bearer t", Body: "a=1", ContentLength: 3}, false, "no stray &"},
		{"no scheme", get, "localhost:8080", shape{}, true, "a host alone is not a URL"},
		{"other scheme", get, "ftp://h", shape{}, true, "only http and https"},
		{"no host", get, "http://", shape{}, true, "a host is needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.r.HTTP(tt.base)
			if tt.wantErr {
				if err == nil {
					t.Errorf("HTTP(%q) = %v, want an error: %s", tt.base, req.URL, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				t.Fatal(err)
			}
			got := shape{Method: req.Method, Host: req.URL.Host, RequestURI: req.URL.RequestURI(), ContentType: req.Header.Get("Content-Type"),
				Authorization: req.Header.Get("Authorization"), Body: string(body), ContentLength: req.ContentLength, User: req.URL.User.String()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// arrival is what a request looks like to the receiver.
type arrival struct {
	Method, RequestURI, ContentType, Authorization, Body string
	ContentLength                                        int64
}

func expected(r Request) arrival {
	uri := r.Path
	if r.RawQuery != "" {
		uri += "?" + r.RawQuery
	}
	return arrival{Method: r.Method, RequestURI: uri, ContentType: r.ContentType, Authorization: r.Header.Get("Authorization"),
		Body: string(r.Body), ContentLength: int64(len(r.Body))}
}

// recorder is a receiver that notes every request and answers with
// answer(i) for the i-th (from 0).
type recorder struct {
	mu     sync.Mutex
	got    []arrival
	answer func(i int, w http.ResponseWriter, r *http.Request)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	i := len(rec.got)
	rec.got = append(rec.got, arrival{Method: r.Method, RequestURI: r.RequestURI, ContentType: r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"), Body: string(body), ContentLength: r.ContentLength})
	rec.mu.Unlock()
	if rec.answer != nil {
		rec.answer(i, w, r)
	}
}

func (rec *recorder) arrivals() []arrival {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.got)
}

func serve(t *testing.T, rec *recorder) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv
}

// TestSendEveryFixture sends every fixture: each arrives byte-identical and
// in order, and 4xx, 5xx, an oversized answer or a dropped connection stop
// nothing.
func TestSendEveryFixture(t *testing.T) {
	statuses := []int{200, 204, 400, 404, 500, 302}
	big := strings.Repeat("x", 1<<20)
	reqs := load(t)
	dropped := slices.IndexFunc(reqs, func(r Request) bool { return r.Method == "POST" }) + 5
	if reqs[dropped].Method != "POST" {
		t.Fatalf("request %d is not a POST: the transport would retry it", dropped)
	}
	rec := &recorder{answer: func(i int, w http.ResponseWriter, _ *http.Request) {
		switch {
		case i == dropped:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case i == 3:
			io.WriteString(w, big) // more than Send reads
			return
		}
		w.Header().Set("Location", "/elsewhere") // not followed: the client below does not
		w.WriteHeader(statuses[i%len(statuses)])
		io.WriteString(w, "answer "+strconv.Itoa(i)+" "+strings.Repeat("y", 300))
	}}
	srv := serve(t, rec)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var progressed []Result
	results, err := Send(t.Context(), client, srv.URL, reqs, func(r Result) { progressed = append(progressed, r) })
	if err != nil {
		t.Fatal(err)
	}

	var want []arrival
	for _, r := range reqs {
		want = append(want, expected(r))
	}
	if diff := cmp.Diff(want, rec.arrivals()); diff != "" {
		t.Errorf("what arrived, in order (-want +got):\n%s", diff)
	}
	if len(results) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(results), len(reqs))
	}
	for i, res := range results {
		wantStatus := statuses[i%len(statuses)]
		wantBody := ("answer " + strconv.Itoa(i) + " " + strings.Repeat("y", 300))[:200]
		switch i {
		case dropped:
			if res.Err == nil || res.Status != 0 {
				t.Errorf("result %d: status %d, error %v; want the dropped connection reported", i, res.Status, res.Err)
			}
			continue
		case 3:
			wantStatus, wantBody = 200, big[:200]
		}
		if wantStatus == http.StatusNoContent {
			wantBody = "" // a 204 has none
		}
		if res.Err != nil || res.Status != wantStatus || res.Body != wantBody || res.Duration <= 0 {
			t.Errorf("result %d (%s): status %d, body %q, duration %v, error %v; want %d, %q",
				i, res.Request.Fixture, res.Status, res.Body, res.Duration, res.Err, wantStatus, wantBody)
		}
		if res.Request.Fixture != reqs[i].Fixture {
			t.Errorf("result %d is for %s, want %s", i, res.Request.Fixture, reqs[i].Fixture)
		}
	}
	if diff := cmp.Diff(results, progressed, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("progress was not called with each result in order (-results +progress):\n%s", diff)
	}
}

func TestSendStops(t *testing.T) {
	reqs := load(t, "pbx3cx/flows/02-attended-transfer.txt")
	tests := []struct {
		name        string
		cancelAt    int  // the request whose arrival cancels the context (-1: cancelled before Send)
		inProgress  bool // cancel from the progress callback instead, after that many results
		wantResults int
		wantArrived int
		reason      string
	}{
		{"before", -1, false, 0, 0, "a done context sends nothing"},
		{"between requests", 3, true, 3, 3, "cancelled after the third answer: no fourth request"},
		{"in flight", 2, false, 3, 3, "cancelled while the third is in flight: it fails, nothing follows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			rec := &recorder{answer: func(i int, _ http.ResponseWriter, r *http.Request) {
				if !tt.inProgress && i == tt.cancelAt {
					cancel()
					<-r.Context().Done() // answer only once the client gave up
				}
			}}
			srv := serve(t, rec)
			if tt.cancelAt < 0 {
				cancel()
			}
			n := 0
			progress := func(Result) {
				if n++; tt.inProgress && n == tt.cancelAt {
					cancel()
				}
			}
			results, err := Send(ctx, srv.Client(), srv.URL, reqs, progress)
			if err != context.Canceled {
				t.Errorf("error %v, want context.Canceled: %s", err, tt.reason)
			}
			if len(results) != tt.wantResults || n != tt.wantResults {
				t.Errorf("%d results, %d reported, want %d: %s", len(results), n, tt.wantResults, tt.reason)
			}
			if got := len(rec.arrivals()); got != tt.wantArrived {
				t.Errorf("%d requests arrived, want %d: %s", got, tt.wantArrived, tt.reason)
			}
			if !tt.inProgress && tt.cancelAt >= 0 && len(results) > 0 && results[len(results)-1].Err == nil {
				t.Errorf("the request in flight has no error: %s", tt.reason)
			}
		})
	}
}

func TestSendBadBase(t *testing.T) {
	results, err := Send(t.Context(), nil, "localhost:8080", load(t, "elks/sms-docs.form"), nil)
	if err == nil || len(results) != 0 {
		t.Errorf("Send to a base that is no URL: %d results, error %v; want none and an error", len(results), err)
	}
}

func TestSendTimeout(t *testing.T) {
	rec := &recorder{answer: func(i int, _ http.ResponseWriter, r *http.Request) {
		if i == 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}
	}}
	srv := serve(t, rec)
	client := srv.Client()
	client.Timeout = time.Second // generous: the second request must make it, even on a busy machine
	results, err := Send(t.Context(), client, srv.URL, load(t, "elks/sms-docs.form", "elks/spec-sms.form"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Err == nil || results[1].Err != nil || results[1].Status != 200 {
		t.Errorf("results %+v: want the first timed out and the second answered", results)
	}
}
