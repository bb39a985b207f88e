package hostile_test

import (
	"bufio"
	"bytes"
	"context"
	b64 "encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// The server settings of examples/server. Every case runs behind a server
// configured like it unless the case says otherwise.
const (
	exampleReadHeaderTimeout = 5 * time.Second
	exampleReadTimeout       = 10 * time.Second
	exampleWriteTimeout      = 10 * time.Second
	exampleIdleTimeout       = 60 * time.Second
	exampleMaxHeaderBytes    = 16 << 10
)

// The slow-client cases use shorter timeouts than examples/server (5 s for
// the header, 10 s for the whole request) so that the package stays fast:
// 300 ms each, the same mechanism.
const (
	slowReadHeaderTimeout = 300 * time.Millisecond
	slowReadTimeout       = 300 * time.Millisecond
	slowBound             = 3 * time.Second // the server must have cut the client off by then
)

const (
	limit = telhook.DefaultMaxBodyBytes
	gib   = 1 << 30
	mib   = 1 << 20
)

// ---------------------------------------------------------------------------
// Providers

// kv is one field of a webhook body: a form pair (value already
// form-encoded) or a JSON member (value as raw JSON).
type kv struct{ k, v string }

// goodRequest is the valid fixture posted after every case, and what its
// callback must receive.
type goodRequest struct {
	method, target, ctype, body string
	status                      int
	callback                    string
	want                        any
}

type provider struct {
	name   string // column of the matrix
	pkg    string // telhook.DecodeError.Provider
	allow  string // the Allow header of a 405
	ctype  string // the Content-Type the provider sends
	form   bool   // bodies are forms (46elks), not JSON
	getOK  bool   // the handler accepts GET (its query string is the webhook)
	base   []kv   // a valid webhook, not the follow-up fixture (so de-duplication stays out of the way)
	baseCB string // the callback base reaches
	ok     int    // the provider's 2xx for base
	build  func(c *calls, opts ...telhook.Option) http.Handler
	good   func(t *testing.T) goodRequest
	decode func(body []byte) (any, error) // the bytes-level decoder of a POST body
	idKey  string                         // the field that makes base unique
	id     func(i int) string             // its i-th unique value, as body text
}

// body returns base with the fields in over replaced (or appended).
func (p *provider) body(over ...kv) string {
	fields := slices.Clone(p.base)
	for _, o := range over {
		if i := slices.IndexFunc(fields, func(f kv) bool { return f.k == o.k }); i >= 0 {
			fields[i].v = o.v
		} else {
			fields = append(fields, o)
		}
	}
	return p.join(fields)
}

// join writes fields as the provider's body, in order, repeats included.
func (p *provider) join(fields []kv) string {
	var b strings.Builder
	if p.form {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(f.k + "=" + f.v)
		}
		return b.String()
	}
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + f.k + `":` + f.v)
	}
	b.WriteByte('}')
	return b.String()
}

// calls records every callback a handler reaches.
type calls struct {
	mu   sync.Mutex
	list []call
	// hook, when set, runs in every callback after it is recorded, and
	// its error is the callback's.
	hook func() error
}

type call struct {
	name string
	ev   any
}

func (c *calls) add(name string, ev any) error {
	c.mu.Lock()
	c.list = append(c.list, call{name, ev})
	c.mu.Unlock()
	if c.hook != nil {
		return c.hook()
	}
	return nil
}

func (c *calls) all() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

func (c *calls) names() []string {
	var out []string
	for _, cl := range c.all() {
		out = append(out, cl.name)
	}
	return out
}

// record returns a callback that records its event and succeeds.
func record[E any](c *calls, name string) func(context.Context, E) error {
	return func(_ context.Context, ev E) error { return c.add(name, ev) }
}

func elksHandler(c *calls, opts ...telhook.Option) http.Handler {
	return elks.NewHandler(elks.Callbacks{
		OnSMS: func(_ context.Context, ev *elks.SMS) (elks.Reply, error) {
			return elks.Reply{}, c.add("OnSMS", ev)
		},
		OnMMS:            record[*elks.MMS](c, "OnMMS"),
		OnDeliveryReport: record[*elks.DeliveryReport](c, "OnDeliveryReport"),
		OnCall: func(_ context.Context, ev *elks.CallEvent) (elks.Action, error) {
			return nil, c.add("OnCall", ev)
		},
		OnRecording: record[*elks.Recording](c, "OnRecording"),
		OnCallEnd:   record[*elks.CallEnd](c, "OnCallEnd"),
		OnUnknown:   record[*elks.Unknown](c, "OnUnknown"),
	}, opts...)
}

func obdCallbacks(c *calls) obd.Callbacks {
	return obd.Callbacks{
		OnReport:  record[*obd.Report](c, "OnReport"),
		OnUnknown: record[*obd.Unknown](c, "OnUnknown"),
	}
}

func pbx3cxHandler(c *calls, opts ...telhook.Option) http.Handler {
	return pbx3cx.NewHandler(pbx3cx.Callbacks{
		OnEvent:   record[*pbx3cx.Event](c, "OnEvent"),
		OnUnknown: record[*pbx3cx.Event](c, "OnUnknown"),
	}, opts...)
}

func oncallHandler(c *calls, opts ...telhook.Option) http.Handler {
	return oncall.NewHandler(oncall.Callbacks{
		OnCallEvent: record[*oncall.CallEvent](c, "OnCallEvent"),
		OnPostCall:  record[*oncall.PostCall](c, "OnPostCall"),
		OnUnknown:   record[*oncall.Unknown](c, "OnUnknown"),
	}, opts...)
}

// fixture reads testdata/<dir>/<name> of the module.
func fixture(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must fails the test when err is set: must(f())(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

const jsonType = "application/json"

var obdBase = []kv{
	{"source", `"OBD"`}, {"bridge", `"918068280000"`}, {"from", `"918919520000"`}, {"to", `"918867130000"`},
	{"mid", `"hostile-1"`}, {"flow_id", `123`}, {"start_at", `"2021-04-09 16:27:39"`},
	{"end_at", `"2021-04-09 16:27:55"`}, {"duration", `"23"`}, {"status", `"ANSWER"`},
}

func obdDecode(b []byte) (any, error) { return obd.Decode(b) }

func obdID(i int) string { return fmt.Sprintf(`"hostile-%d"`, i) }

func obdGood(t *testing.T) goodRequest {
	body := fixture(t, "obd", "spec-obd.json")
	return goodRequest{http.MethodPost, "/hook", jsonType, body, 200, "OnReport", must(obd.Decode([]byte(body)))(t)}
}

func allProviders() []*provider {
	return []*provider{
		{
			name: "elks", pkg: "elks", allow: "POST", ctype: "application/x-www-form-urlencoded", form: true,
			base: []kv{
				{"id", "s0a1b2c3d4e5f60718293a4b5c6d7e8f9"}, {"from", "%2B46700000001"}, {"to", "%2B46706860000"},
				{"direction", "incoming"}, {"created", "2018-07-13T13%3A57%3A23.741000"}, {"message", "Hostile%20test"},
			},
			baseCB: "OnSMS", ok: 204, build: elksHandler,
			decode: func(b []byte) (any, error) { return elks.Decode(b) },
			idKey:  "id", id: func(i int) string { return fmt.Sprintf("s%032x", i) },
			good: func(t *testing.T) goodRequest {
				body := fixture(t, "elks", "sms-docs.form")
				return goodRequest{http.MethodPost, "/hook", "application/x-www-form-urlencoded", body, 204, "OnSMS", must(elks.Decode([]byte(body)))(t)}
			},
		},
		{
			name: "obd", pkg: "obd", allow: "POST", ctype: jsonType, base: obdBase, baseCB: "OnReport", ok: 200,
			decode: obdDecode, idKey: "mid", id: obdID,
			build: func(c *calls, opts ...telhook.Option) http.Handler { return obd.NewHandler(obdCallbacks(c), opts...) },
			good:  obdGood,
		},
		{
			name: "obd+fields", pkg: "obd", allow: "GET, POST, PUT", ctype: jsonType, getOK: true, base: obdBase, baseCB: "OnReport", ok: 200,
			decode: obdDecode, idKey: "mid", id: obdID,
			build: func(c *calls, opts ...telhook.Option) http.Handler {
				return obd.NewHandler(obdCallbacks(c), append([]telhook.Option{obd.WithFields(obd.Fields{})}, opts...)...)
			},
			good: func(t *testing.T) goodRequest {
				const target = "/hook?id=c-1001&to=918867131234&status=ANSWER" // testdata/obd/compose-get.http
				d := &obd.Decoder{}
				want := must(d.Parse(httptest.NewRequest(http.MethodGet, target, nil)))(t)
				return goodRequest{http.MethodGet, target, "", "", 200, "OnReport", want}
			},
		},
		{
			name: "pbx3cx", pkg: "pbx3cx", allow: "GET, POST", ctype: jsonType, getOK: true,
			base: []kv{
				{"Event", `"ringing"`}, {"Callerid", `"05552221133"`}, {"User", `"821"`}, {"Usertype", `"ext"`},
				{"Did", `""`}, {"Id", `"240101000000_1-0"`},
			},
			baseCB: "OnEvent", ok: 200, build: pbx3cxHandler,
			decode: func(b []byte) (any, error) { return pbx3cx.Decode(b) },
			idKey:  "Id", id: func(i int) string { return fmt.Sprintf(`"240101000000_%d-0"`, i) },
			good: func(t *testing.T) goodRequest {
				body := fixture(t, "pbx3cx", "k2m-ringing-queue.txt")
				return goodRequest{http.MethodPost, "/hook", jsonType, body, 200, "OnEvent", must(pbx3cx.Decode([]byte(body)))(t)}
			},
		},
		{
			name: "oncall", pkg: "oncall", allow: "POST", ctype: jsonType,
			base: []kv{
				{"uuid", `"11111111-2222-3333-4444-555555555555"`}, {"event_type", `"answered"`},
				{"event_time", `"2026-03-10T09:15:08.431Z"`}, {"event_payload", `null`}, {"from", `"+18045961058"`},
				{"to", `"17653889567"`}, {"tag", `"hostile"`}, {"direction", `"outbound"`},
			},
			baseCB: "OnCallEvent", ok: 200, build: oncallHandler,
			decode: func(b []byte) (any, error) { return oncall.Decode(b) },
			idKey:  "uuid", id: func(i int) string { return fmt.Sprintf(`"hostile-%d"`, i) },
			good: func(t *testing.T) goodRequest {
				body := fixture(t, "oncall", "spec-oncallevent.json")
				return goodRequest{http.MethodPost, "/hook", jsonType, body, 200, "OnCallEvent", must(oncall.Decode([]byte(body)))(t)}
			},
		},
	}
}

// ---------------------------------------------------------------------------
// Harness: one server and one handler per case and provider.

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// errLog is a WithErrorHandler that records the error and answers with
// DefaultErrorHandler.
type errLog struct {
	mu   sync.Mutex
	list []error
}

func (e *errLog) handle(w http.ResponseWriter, r *http.Request, err error) {
	e.mu.Lock()
	e.list = append(e.list, err)
	e.mu.Unlock()
	telhook.DefaultErrorHandler(w, r, err)
}

func (e *errLog) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

type harness struct {
	p      *provider
	calls  calls
	errs   errLog
	logs   syncBuf // the handler's slog output
	srvLog syncBuf // net/http's own log (a panic in a handler lands here)
	srv    *httptest.Server
	client *http.Client

	started, finished atomic.Int64 // requests that reached the handler, and that it finished
	bodyRead          atomic.Int64 // body bytes the handler read
	panics            syncBuf

	mu      sync.Mutex
	headers []http.Header // of every request that reached the handler
}

func newHarness(t *testing.T, p *provider, tweak func(*http.Server), opts ...telhook.Option) *harness {
	t.Helper()
	h := &harness{p: p}
	logger := slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]telhook.Option{telhook.WithLogger(logger), telhook.WithErrorHandler(h.errs.handle)}, opts...)
	h.srv = httptest.NewUnstartedServer(h.guard(p.build(&h.calls, all...)))
	cfg := h.srv.Config
	cfg.ReadHeaderTimeout = exampleReadHeaderTimeout
	cfg.ReadTimeout = exampleReadTimeout
	cfg.WriteTimeout = exampleWriteTimeout
	cfg.IdleTimeout = exampleIdleTimeout
	cfg.MaxHeaderBytes = exampleMaxHeaderBytes
	cfg.ErrorLog = log.New(&h.srvLog, "", 0)
	if tweak != nil {
		tweak(cfg)
	}
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	h.client = h.srv.Client()
	h.client.Timeout = 20 * time.Second
	return h
}

// guard counts what reaches the handler, counts the body bytes it reads,
// and records panics (there must be none).
func (h *harness) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.started.Add(1)
		defer h.finished.Add(1)
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(&h.panics, "panic: %v\n", p)
				panic(p)
			}
		}()
		hdr := r.Header.Clone()
		hdr.Set("Host", r.Host) // net/http moves it out of Header
		h.mu.Lock()
		h.headers = append(h.headers, hdr)
		h.mu.Unlock()
		if r.Body != nil && r.Body != http.NoBody {
			// A shallow copy: net/http keeps looking at its own
			// r.Body (an Expect: 100-continue reader, say) after the
			// handler returns, so it must not be replaced in place.
			r = r.WithContext(r.Context())
			r.Body = &countingBody{ReadCloser: r.Body, n: &h.bodyRead}
		}
		next.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// waitIdle waits until every request that reached the handler is done, and
// (when reached) until one did: a client that hangs up gets no answer to
// wait for.
func (h *harness) waitIdle(t *testing.T, reached bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s, f := h.started.Load(), h.finished.Load()
		if s == f && (!reached || s > 0) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("handler still busy after 10s: %d started, %d finished", h.started.Load(), h.finished.Load())
}

// response is what the client saw.
type response struct {
	status  int // 0: no answer
	header  http.Header
	body    string
	err     error // why there was no answer
	elapsed time.Duration
}

func (h *harness) url(target string) string { return h.srv.URL + target }

// do sends a request with Go's client.
func (h *harness) do(t *testing.T, method, target, ctype string, body io.Reader, hdr http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, h.url(target), body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) response {
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return response{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, mib))
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), err: err, elapsed: time.Since(start)}
}

// post sends body the way the provider does.
func (h *harness) post(t *testing.T, body string) response {
	t.Helper()
	return h.do(t, http.MethodPost, "/hook", h.p.ctype, strings.NewReader(body), nil)
}

// head writes a request head by hand: the request line, Host, lines, and
// the blank line.
func (h *harness) head(method, target string, lines ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, h.srv.Listener.Addr())
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

type rawMode int

const (
	readAnswer rawMode = iota // send, then read the answer
	halfClose                 // send, shut down the sending side, read the answer
	hangUp                    // send, close the connection, read nothing
)

// raw sends head and then body over a plain TCP connection (trickled one
// byte per trickle when set) while it reads the answer, as a client that
// does not follow the rules would.
func (h *harness) raw(t *testing.T, head string, body io.Reader, trickle time.Duration, mode rawMode) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", h.srv.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if body != nil {
			if trickle > 0 {
				var one [1]byte
				for {
					if _, err := io.ReadFull(body, one[:]); err != nil {
						break
					}
					if _, err := conn.Write(one[:]); err != nil {
						return
					}
					time.Sleep(trickle)
				}
			} else if _, err := io.Copy(conn, body); err != nil {
				return
			}
		}
		switch mode {
		case halfClose:
			_ = conn.(*net.TCPConn).CloseWrite()
		case hangUp:
			_ = conn.Close()
		}
	}()
	if mode == hangUp {
		<-done
		return response{err: errors.New("client hung up"), elapsed: time.Since(start)}
	}
	var res response
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		res.err = err
	} else {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, mib))
		_ = resp.Body.Close()
		res.status, res.header, res.body = resp.StatusCode, resp.Header, string(b)
	}
	res.elapsed = time.Since(start)
	_ = conn.Close() // stops a writer still sending
	<-done
	return res
}

// lazyBody produces size bytes of 'a' on demand and counts what was taken.
type lazyBody struct {
	size  int64
	taken atomic.Int64
	reads atomic.Int64
}

func (l *lazyBody) Read(p []byte) (int, error) {
	l.reads.Add(1)
	left := l.size - l.taken.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), left))
	for i := range p[:n] {
		p[i] = 'a'
	}
	l.taken.Add(int64(n))
	return n, nil
}

// chunked frames r with chunked transfer coding, lazily, 16 KiB a chunk.
type chunked struct {
	r    io.Reader
	buf  bytes.Buffer
	done bool
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.buf.Len() == 0 && !c.done {
		var data [16 << 10]byte
		n, err := io.ReadFull(c.r, data[:])
		if n > 0 {
			fmt.Fprintf(&c.buf, "%x\r\n", n)
			c.buf.Write(data[:n])
			c.buf.WriteString("\r\n")
		}
		if err != nil {
			c.buf.WriteString("0\r\n\r\n")
			c.done = true
		}
	}
	if c.buf.Len() == 0 {
		return 0, io.EOF
	}
	return c.buf.Read(p)
}

// ---------------------------------------------------------------------------
// Cases

// want is the expected outcome for one provider.
type want struct {
	status  int      // the HTTP status; 0: no answer reaches the client
	err     error    // the sentinel the error handler gets; nil: it is not called
	field   string   // DecodeError.Field, for ErrMalformed ("" is the body as a whole)
	is      error    // the handed error matches this too
	reached []string // the callbacks reached
	before  string   // "client" or "net/http" when the handler never sees the request
	base    bool     // the provider's 2xx for its base webhook, which reaches its callback
	within  time.Duration
	reason  string
}

// resolve fills in what base stands for.
func (w want) resolve(p *provider) want {
	if w.base {
		w.status, w.reached = p.ok, []string{p.baseCB}
	}
	return w
}

func malformed(field, reason string) want {
	return want{status: 400, err: telhook.ErrMalformed, field: field, reason: reason}
}

func accepted(reason string) want { return want{base: true, reason: reason} }

func reaches(status int, callback, reason string) want {
	return want{status: status, reached: []string{callback}, reason: reason}
}

func tooLarge(reason string) want {
	return want{status: 413, err: telhook.ErrTooLarge, reason: reason}
}

func byNetHTTP(status int, reason string) want {
	return want{status: status, before: "net/http", reason: reason}
}

// all gives every provider the same expectation.
func all(w want) map[string]want {
	return map[string]want{"elks": w, "obd": w, "obd+fields": w, "pbx3cx": w, "oncall": w}
}

// per gives each provider its own, in the order of allProviders.
func per(elksW, obdW, obdFieldsW, pbxW, oncallW want) map[string]want {
	return map[string]want{"elks": elksW, "obd": obdW, "obd+fields": obdFieldsW, "pbx3cx": pbxW, "oncall": oncallW}
}

type hostileCase struct {
	name   string
	opts   []telhook.Option   // handler options beyond logger and error handler
	server func(*http.Server) // changes to the examples/server settings
	send   func(t *testing.T, h *harness) response
	check  func(t *testing.T, h *harness, res response) // more assertions
	want   map[string]want
}

func bigLimit() []telhook.Option { return []telhook.Option{telhook.WithMaxBodyBytes(mib)} }

func slowServer(s *http.Server) {
	s.ReadHeaderTimeout = slowReadHeaderTimeout
	s.ReadTimeout = slowReadTimeout
	s.WriteTimeout = 2 * time.Second
}

// manyParams is a query string of n distinct parameters.
func manyParams(n int) string {
	var b strings.Builder
	b.Grow(n * 8)
	for i := range n {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString("p" + strconv.FormatInt(int64(i), 36) + "=1")
	}
	return b.String()
}

// elksCallEnd is a 46elks whenhangup body with one more field.
func elksCallEnd(k, v string) string {
	return "id=c0a1b2c3d4e5f60718293a4b5c6d7e8f9&from=%2B46700000001&to=%2B46706860000&direction=incoming&state=success&" + k + "=" + v
}

// wavixPostCall is a Wavix post-call body with one more member.
func wavixPostCall(k, v string) string {
	return `{"uuid":"99999999-2222-3333-4444-555555555555","disposition":"answered","` + k + `":` + v + `}`
}

// nest is n levels of arrays, closed when closed is set.
func nest(n int, closed bool) string {
	s := strings.Repeat("[", n)
	if closed {
		s += strings.Repeat("]", n)
	}
	return s
}

var digits10k = "1" + strings.Repeat("0123456789", 1000)[1:]

func hostileCases() []hostileCase {
	var cases []hostileCase
	add := func(c hostileCase) { cases = append(cases, c) }

	// --- Methods.
	add(hostileCase{
		name: "method PATCH",
		send: func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodPatch, "/hook", h.p.ctype, strings.NewReader(h.p.body()), nil)
		},
		want: all(want{status: 405, err: telhook.ErrMethodNotAllowed, reason: "no provider sends PATCH; 405 with Allow, before anything is read"}),
	})
	add(hostileCase{
		name: "method HEAD",
		send: func(t *testing.T, h *harness) response { return h.do(t, http.MethodHead, "/hook", "", nil, nil) },
		want: all(want{status: 405, err: telhook.ErrMethodNotAllowed, reason: "no provider sends HEAD (pbx3cx takes GET and POST only)"}),
	})
	add(hostileCase{
		name: "GET without a query string",
		send: func(t *testing.T, h *harness) response { return h.do(t, http.MethodGet, "/hook", "", nil, nil) },
		want: per(
			want{status: 405, err: telhook.ErrMethodNotAllowed, reason: "46elks only POSTs"},
			want{status: 405, err: telhook.ErrMethodNotAllowed, reason: "standard Mobtexting reports are POSTs; GET needs WithFields"},
			malformed("", "a composed GET carries its fields in the query; none at all is an empty webhook"),
			malformed("", "the legacy GET scheme carries the event in the query; an empty one is no webhook"),
			want{status: 405, err: telhook.ErrMethodNotAllowed, reason: "Wavix only POSTs"},
		),
	})

	// --- Content type and body shape.
	add(hostileCase{
		name: "Content-Type application/xml on a valid body",
		send: func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodPost, "/hook", "application/xml", strings.NewReader(h.p.body()), nil)
		},
		want: per(
			malformed("Content-Type", "46elks sends forms only and the handler checks the Content-Type"),
			accepted("obd tells JSON from its first byte '{', whatever the Content-Type says"),
			accepted("obd tells JSON from its first byte '{', whatever the Content-Type says"),
			accepted("pbx3cx: the body alone decides the dialect; the Content-Type is not read"),
			accepted("oncall: the body alone decides (Parse's doc); the Content-Type is not read"),
		),
	})
	add(hostileCase{
		name: "XML body",
		send: func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodPost, "/hook", "application/xml", strings.NewReader(`<?xml version="1.0"?><call id="1"/>`), nil)
		},
		want: per(
			malformed("Content-Type", "46elks sends forms only"),
			malformed("Content-Type", "not JSON, a form or multipart: the Content-Type is named"),
			malformed("Content-Type", "not JSON, a form or multipart: the Content-Type is named"),
			malformed("", "neither JSON, a query string nor a recording URL"),
			malformed("", "not JSON and not repairable"),
		),
	})
	add(hostileCase{
		name: "empty body",
		send: func(t *testing.T, h *harness) response { return h.post(t, "") },
		want: all(malformed("", "an empty body is no webhook of any provider")),
	})
	add(hostileCase{
		name: "truncated mid-value",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			if h.p.form {
				b = b[:strings.Index(b, "%3A")+2] // "…&created=2018-07-13T13%3"
			} else {
				b = b[:len(b)/2]
			}
			return h.post(t, b)
		},
		want: per(
			malformed("created", "a cut percent-escape is a bad escape, named by its field"),
			malformed("", "unterminated JSON is not repairable"),
			malformed("", "unterminated JSON is not repairable"),
			malformed("", "unterminated JSON is not repairable"),
			malformed("", "unterminated JSON is not repairable"),
		),
	})
	add(hostileCase{
		name: "truncated at a field boundary",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			if h.p.form {
				b = b[:strings.Index(b, "&message=")]
			} else {
				b = b[:strings.LastIndexByte(b, ',')+1]
			}
			return h.post(t, b)
		},
		want: per(
			reaches(204, "OnCall", "a form has no end marker: without its message the SMS is an id with call fields, which 46elks' rules make a call event (the Content-Length framing is what protects against truncation)"),
			malformed("", "an object without its closing brace is not repairable"),
			malformed("", "an object without its closing brace is not repairable"),
			malformed("", "an object without its closing brace is not repairable"),
			malformed("", "an object without its closing brace is not repairable"),
		),
	})
	add(hostileCase{
		name: "invalid UTF-8 in a value",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, h.p.body(kv{"message", "Hostile%FFtest"}))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"mid", "\"hostile\xff-1\""}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"User", "\"8\xff21\""}))
			}
			return h.post(t, h.p.body(kv{"tag", "\"host\xffile\""}))
		},
		want: per(
			malformed("message", "invalid UTF-8 is refused, never replaced"),
			malformed("mid", "invalid UTF-8 is refused, never replaced"),
			malformed("mid", "invalid UTF-8 is refused, never replaced"),
			malformed("User", "invalid UTF-8 is refused, never replaced"),
			malformed("tag", "invalid UTF-8 is refused, never replaced"),
		),
	})
	add(hostileCase{
		name: "escaped NUL inside a value",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, h.p.body(kv{"message", "Hostile%00test"}))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"mid", `"hostile\u0000-1"`}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"User", `"8\u000021"`}))
			}
			return h.post(t, h.p.body(kv{"tag", `"host\u0000ile"`}))
		},
		check: func(t *testing.T, h *harness, _ response) {
			for _, c := range h.calls.all() {
				if !strings.Contains(fmt.Sprintf("%+v", c.ev), "\x00") {
					t.Errorf("%s: the NUL did not reach the event: %+v", c.name, c.ev)
				}
			}
		},
		want: all(accepted("U+0000 is valid UTF-8 text; every provider keeps text values as sent and documents no rule against it")),
	})
	add(hostileCase{
		name: "raw NUL byte inside a value",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, h.p.body(kv{"message", "Hostile\x00test"}))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"mid", "\"hostile\x00-1\""}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"User", "\"8\x0021\""}))
			}
			return h.post(t, h.p.body(kv{"tag", "\"host\x00ile\""}))
		},
		want: per(
			accepted("a form value may hold any byte; NUL is valid UTF-8 and no 46elks rule refuses it"),
			malformed("", "a raw control character inside a JSON string is invalid JSON, and repair refuses it"),
			malformed("", "a raw control character inside a JSON string is invalid JSON, and repair refuses it"),
			malformed("", "a raw control character inside a JSON string is invalid JSON, and repair refuses it"),
			malformed("", "a raw control character inside a JSON string is invalid JSON, and repair refuses it"),
		),
	})
	add(hostileCase{
		name: "a field repeated 10,000 times with one value (limit 1 MiB)",
		opts: bigLimit(),
		send: func(t *testing.T, h *harness) response {
			rep := map[string]kv{
				"elks": {"message", "Hostile%20test"}, "obd": {"status", `"ANSWER"`}, "obd+fields": {"status", `"ANSWER"`},
				"pbx3cx": {"User", `"821"`}, "oncall": {"tag", `"hostile"`},
			}[h.p.name]
			fields := slices.Clone(h.p.base)
			for range 10_000 {
				fields = append(fields, rep)
			}
			return h.post(t, h.p.join(fields))
		},
		want: per(
			malformed("", "a form of more than wire.MaxFields (1000) fields is refused whatever its values"),
			accepted("a JSON key repeated with the same value is unambiguous; members are not counted, only bytes (1 MiB here, so the repetition and not the limit is tested)"),
			accepted("a JSON key repeated with the same value is unambiguous; members are not counted, only bytes"),
			accepted("a JSON key repeated with the same value is unambiguous; members are not counted, only bytes"),
			accepted("oncall accepts a key repeated with the same value (documented: harmless)"),
		),
	})
	add(hostileCase{
		name: "a field repeated with two different values",
		send: func(t *testing.T, h *harness) response {
			rep := map[string]kv{
				"elks": {"message", "other"}, "obd": {"status", `"BUSY"`}, "obd+fields": {"status", `"BUSY"`},
				"pbx3cx": {"User", `"822"`}, "oncall": {"tag", `"other"`},
			}[h.p.name]
			return h.post(t, h.p.join(append(slices.Clone(h.p.base), rep)))
		},
		want: per(
			malformed("message", "46elks: a key repeated with different values is refused (README)"),
			want{status: 400, err: telhook.ErrMalformed, field: "status", reason: "never silently corrupt a value: obd refuses a key repeated with different values in a query, a form and multipart, and a query/body disagreement"},
			want{status: 400, err: telhook.ErrMalformed, field: "status", reason: "as obd"},
			want{status: 400, err: telhook.ErrMalformed, field: "User", reason: "pbx3cx refuses Event/event disagreeing (testdata/pbx3cx/bad-conflicting-case) and repeated query keys"},
			malformed("tag", "oncall refuses a key repeated with a different value (documented)"),
		),
	})
	add(hostileCase{
		name: "a field repeated in another case with a different value",
		send: func(t *testing.T, h *harness) response {
			rep := map[string]kv{
				"elks": {"ID", "s9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f"}, "obd": {"STATUS", `"BUSY"`}, "obd+fields": {"STATUS", `"BUSY"`},
				"pbx3cx": {"user", `"822"`}, "oncall": {"TAG", `"other"`},
			}[h.p.name]
			return h.post(t, h.p.join(append(slices.Clone(h.p.base), rep)))
		},
		check: func(t *testing.T, h *harness, _ response) {
			for _, c := range h.calls.all() {
				var got, want string
				switch ev := c.ev.(type) {
				case *elks.SMS:
					got, want = ev.ID+" "+ev.Extra["ID"], "s0a1b2c3d4e5f60718293a4b5c6d7e8f9 s9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f"
				case *obd.Report:
					got, want = ev.Status+" "+ev.Extra["STATUS"], "ANSWER BUSY"
				case *oncall.CallEvent:
					got, want = ev.Tag+" "+ev.Extra["TAG"], "hostile other"
				}
				if got != want {
					t.Errorf("%s: documented field and Extra %q, want %q", c.name, got, want)
				}
			}
		},
		want: per(
			want{base: true, reason: "46elks sends lowercase keys: ID is an undocumented field (Extra), id the SMS id"},
			accepted("obd keys are exact: STATUS is an Extra field, status the report's"),
			accepted("obd keys are exact: STATUS is an Extra field, status the report's"),
			malformed("user", "pbx3cx keys are read in any case, so User and user are one key given two values: refused"),
			accepted("oncall keys are exact: TAG is an Extra member, tag the event's"),
		),
	})
	add(hostileCase{
		name: "100,000 query parameters (MaxHeaderBytes 1 MiB)",
		server: func(s *http.Server) {
			s.MaxHeaderBytes = mib // so that the request reaches the handler
		},
		send: func(t *testing.T, h *harness) response {
			target := "/hook?" + manyParams(100_000)
			if h.p.getOK {
				return h.do(t, http.MethodGet, target, "", nil, nil)
			}
			return h.do(t, http.MethodPost, target, h.p.ctype, strings.NewReader(h.p.body()), nil)
		},
		want: per(
			accepted("46elks webhooks are the form body; the query string is not read"),
			malformed("", "obd merges the query into the report and refuses more than query.MaxPairs (1000)"),
			malformed("", "obd merges the query into the report and refuses more than query.MaxPairs (1000)"),
			malformed("", "the GET scheme's query is the event: more than query.MaxPairs (1000) is refused"),
			accepted("Wavix webhooks are the JSON body; the query string is not read"),
		),
	})
	add(hostileCase{
		name: "100,000 query parameters (examples/server MaxHeaderBytes)",
		send: func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodGet, "/hook?"+manyParams(100_000), "", nil, nil)
		},
		want: all(byNetHTTP(431, "a 750 KB request line is over examples/server's 16 KiB MaxHeaderBytes: net/http answers 431 itself")),
	})
	add(hostileCase{
		name: "100,000 levels of [ (limit 1 MiB)",
		opts: bigLimit(),
		send: func(t *testing.T, h *harness) response { return h.post(t, nest(100_000, false)) },
		want: per(
			reaches(204, "OnUnknown", "as a form it is one key with no value: well-formed, no known webhook, so 46elks' 2xx and OnUnknown"),
			malformed("", "a body sent as application/json is read as JSON: 100,000 levels are refused by the repair's depth limit"),
			malformed("", "as obd"),
			malformed("", "neither JSON (an object), a query string nor a URL"),
			malformed("", "not valid JSON (encoding/json stops at depth 10000) and repair stops at depth 64"),
		),
	})
	add(hostileCase{
		name: "100,000 nested arrays in a field (limit 1 MiB)",
		opts: bigLimit(),
		send: func(t *testing.T, h *harness) response {
			deep := nest(100_000, true)
			switch h.p.name {
			case "elks":
				return h.post(t, elksCallEnd("actions", deep))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"status", deep}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"User", deep}))
			}
			return h.post(t, h.p.body(kv{"tag", deep}))
		},
		check: checkActionsVerbatim(200_000),
		want: per(
			reaches(204, "OnCallEnd", "46elks: actions that are not JSON a decoder can read are kept verbatim in Extra, the call end still counts"),
			malformed("", "encoding/json refuses depth > 10000 and repair depth > 64: invalid JSON"),
			malformed("", "encoding/json refuses depth > 10000 and repair depth > 64: invalid JSON"),
			malformed("", "encoding/json refuses depth > 10000 and repair depth > 64: invalid JSON"),
			malformed("", "json.Valid refuses depth > 10000 and repair depth > 64: invalid JSON"),
		),
	})
	add(hostileCase{
		name: "1,000 nested arrays in a field",
		send: func(t *testing.T, h *harness) response {
			deep := nest(1000, true)
			switch h.p.name {
			case "elks":
				return h.post(t, elksCallEnd("actions", deep))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"status", deep}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"User", deep}))
			}
			return h.post(t, h.p.body(kv{"tag", deep}))
		},
		check: checkActionsVerbatim(2000),
		want: per(
			reaches(204, "OnCallEnd", "46elks: actions that are not a list of objects are kept verbatim in Extra"),
			malformed("status", "valid JSON, but a report's values must be scalars"),
			malformed("status", "valid JSON, but a report's values must be scalars"),
			malformed("User", "valid JSON, but an event's values must be scalars"),
			malformed("tag", "nesting deeper than 64 is refused, the member named"),
		),
	})
	add(hostileCase{
		name: "10,000-digit number in a phone-number field",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, h.p.body(kv{"to", "%2B" + digits10k}))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"to", digits10k}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"Callerid", digits10k}))
			}
			return h.post(t, h.p.body(kv{"to", digits10k}))
		},
		check: func(t *testing.T, h *harness, _ response) {
			for _, c := range h.calls.all() {
				if !strings.Contains(fmt.Sprintf("%+v", c.ev), digits10k) {
					t.Errorf("%s: the number did not reach the event with every digit", c.name)
				}
			}
		},
		want: per(
			accepted("46elks numbers are text, kept as sent; no length rule is documented"),
			malformed("to", "obd bounds bridge/from/to at 64 characters (no phone number is longer)"),
			malformed("to", "obd bounds bridge/from/to at 64 characters (no phone number is longer)"),
			accepted("pbx3cx keeps numbers as their text, every digit (never float64); no length rule"),
			accepted("oncall keeps from/to as sent, a number as its text; no length rule"),
		),
	})
	add(hostileCase{
		name: "10,000-digit number in a numeric field",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, elksCallEnd("duration", digits10k))
			case "obd", "obd+fields":
				return h.post(t, h.p.body(kv{"duration", digits10k}))
			case "pbx3cx":
				return h.post(t, h.p.body(kv{"Duration", digits10k}))
			}
			return h.post(t, wavixPostCall("duration", digits10k))
		},
		want: per(
			malformed("duration", "a duration out of range is refused, the field named"),
			malformed("duration", "a duration out of range is refused, the field named"),
			malformed("duration", "a duration out of range is refused, the field named"),
			malformed("Duration", "a duration out of range is refused, the field named as sent"),
			malformed("duration", "a post-call duration out of range is refused, the field named"),
		),
	})
	add(hostileCase{
		name: "well-formed webhook of an unknown kind",
		send: func(t *testing.T, h *harness) response {
			switch h.p.name {
			case "elks":
				return h.post(t, "hostile=1&kind=new")
			case "pbx3cx":
				return h.post(t, `{"Event":"transferred","Id":"240101000000_1-0"}`)
			}
			return h.post(t, `{"hostile":"1","kind":"new"}`)
		},
		want: per(
			reaches(204, "OnUnknown", "well-formed, unknown kind: 46elks' 2xx and OnUnknown"),
			reaches(200, "OnUnknown", "well-formed, neither report nor challenge: exactly 200 and OnUnknown"),
			reaches(200, "OnUnknown", "well-formed, neither report nor challenge: exactly 200 and OnUnknown"),
			reaches(200, "OnUnknown", "an event type the package does not know: 200 and OnUnknown"),
			reaches(200, "OnUnknown", "neither call event nor post-call: 200 and OnUnknown"),
		),
	})

	// --- Header injection.
	add(hostileCase{
		name: "CR/LF in header values (Go's client)",
		send: func(t *testing.T, h *harness) response {
			attempts := []func(r *http.Request){
				func(r *http.Request) { r.Header.Set("Content-Type", h.p.ctype+"\r\nX-Injected: 1") },
				func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.7\r\nX-Injected: 1") },
				func(r *http.Request) { r.Header.Set("Authorization", "Bearer s\r\nX-Injected: 1") },
				func(r *http.Request) { r.Header.Set("User-Agent", "x\nX-Injected: 1") },
				func(r *http.Request) { r.Header["X-Injected: 1\r\nX"] = []string{"1"} },
			}
			var last response
			for _, a := range attempts {
				req, err := http.NewRequest(http.MethodPost, h.url("/hook"), strings.NewReader(h.p.body()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", h.p.ctype)
				a(req)
				if last = h.send(req); last.err == nil {
					return last // sent: the outcome shows it
				}
			}
			return last
		},
		want: all(want{before: "client", reason: "Go's client refuses CR/LF in header names and values: nothing is sent"}),
	})
	add(hostileCase{
		name: "CR/LF in Host (Go's client)",
		send: func(t *testing.T, h *harness) response {
			req, err := http.NewRequest(http.MethodPost, h.url("/hook"), strings.NewReader(h.p.body()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", h.p.ctype)
			req.Host = "example.com\r\nX-Injected: 1"
			return h.send(req)
		},
		check: func(t *testing.T, h *harness, _ response) {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, hdr := range h.headers {
				if hdr.Get("Host") != "" {
					t.Errorf("Host %q reached the handler, want it empty", hdr.Get("Host"))
				}
			}
		},
		want: all(accepted("Go's client sends an invalid Host as an empty one (go.dev/issue/61431) rather than refusing: nothing is injected, and no provider reads Host")),
	})
	add(hostileCase{
		name: "bare CR inside Content-Type (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype+"\rX-Injected: 1", "Content-Length: "+strconv.Itoa(len(b))), strings.NewReader(b), 0, readAnswer)
		},
		want: all(byNetHTTP(400, "net/http refuses a header value with a CR in it before any handler runs")),
	})
	add(hostileCase{
		name: "obs-fold continuation after Content-Type (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, " X-Injected: 1", "Content-Length: "+strconv.Itoa(len(b))), strings.NewReader(b), 0, readAnswer)
		},
		want: per(
			malformed("Content-Type", "net/http joins the folded line into Content-Type (no header is injected): \"application/x-www-form-urlencoded X-Injected: 1\" is no form"),
			accepted("net/http joins the folded line into Content-Type, injecting no header; obd tells JSON by its first byte"),
			accepted("net/http joins the folded line into Content-Type, injecting no header; obd tells JSON by its first byte"),
			accepted("net/http joins the folded line into Content-Type, injecting no header; pbx3cx does not read it"),
			accepted("net/http joins the folded line into Content-Type, injecting no header; oncall does not read it"),
		),
	})
	add(hostileCase{
		name: "NUL in a header value (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "X-Hostile: a\x00b", "Content-Length: "+strconv.Itoa(len(b))), strings.NewReader(b), 0, readAnswer)
		},
		want: all(byNetHTTP(400, "net/http refuses control characters in header values")),
	})
	add(hostileCase{
		name: "two different Content-Length headers (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(len(b)), "Content-Length: "+strconv.Itoa(len(b)+5)), strings.NewReader(b), 0, readAnswer)
		},
		want: all(byNetHTTP(400, "request smuggling guard: net/http refuses differing Content-Lengths")),
	})
	add(hostileCase{
		name: "Content-Length and chunked Transfer-Encoding (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: 5", "Transfer-Encoding: chunked"), &chunked{r: strings.NewReader(b)}, 0, readAnswer)
		},
		want: all(accepted("RFC 9112: Transfer-Encoding overrides Content-Length; net/http drops the Content-Length and the handler reads the whole chunked body")),
	})
	add(hostileCase{
		name: "Transfer-Encoding gzip, chunked (raw)",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Transfer-Encoding: gzip, chunked"), &chunked{r: strings.NewReader(b)}, 0, readAnswer)
		},
		want: all(byNetHTTP(501, "net/http accepts only chunked: anything else is 501 before a handler runs")),
	})
	add(hostileCase{
		name: "15 KiB header under examples/server's 16 KiB MaxHeaderBytes",
		send: func(t *testing.T, h *harness) response {
			hdr := http.Header{"X-Padding": {strings.Repeat("a", 15<<10)}}
			return h.do(t, http.MethodPost, "/hook", h.p.ctype, strings.NewReader(h.p.body()), hdr)
		},
		want: all(accepted("headers other than Content-Type and Authorization are not read by any provider")),
	})
	add(hostileCase{
		name: "15 KiB Content-Type parameter",
		send: func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodPost, "/hook", h.p.ctype+"; charset=utf-8; x="+strings.Repeat("a", 15<<10), strings.NewReader(h.p.body()), nil)
		},
		want: all(accepted("media type parameters are ignored; the media type is the provider's own")),
	})
	add(hostileCase{
		name: "32 KiB header over MaxHeaderBytes",
		send: func(t *testing.T, h *harness) response {
			hdr := http.Header{"X-Padding": {strings.Repeat("a", 32<<10)}}
			return h.do(t, http.MethodPost, "/hook", h.p.ctype, strings.NewReader(h.p.body()), hdr)
		},
		want: all(byNetHTTP(431, "over examples/server's MaxHeaderBytes (16 KiB + net/http's 4 KiB slack): net/http answers 431 itself")),
	})

	// --- Slow clients (server timeouts 300 ms, see slowReadTimeout).
	add(hostileCase{
		name:   "slow body, 1 byte per 50 ms (ReadTimeout 300 ms)",
		server: slowServer,
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(len(b))), strings.NewReader(b), 50*time.Millisecond, readAnswer)
		},
		want: all(want{status: 400, err: telhook.ErrMalformed, is: os.ErrDeadlineExceeded, within: slowBound,
			reason: "the read deadline ends the body read; core reports a body it could not read as a DecodeError (400), and the client is answered and cut off"}),
	})
	add(hostileCase{
		name:   "slow body: the 400 tells the client no server address",
		server: slowServer,
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(len(b))), strings.NewReader(b), 50*time.Millisecond, readAnswer)
		},
		check: func(t *testing.T, h *harness, res response) {
			if strings.Contains(res.body, h.srv.Listener.Addr().String()) || strings.Contains(res.body, "tcp") {
				t.Errorf("the 400 body %q shows the client the server's socket addresses", res.body)
			}
		},
		want: all(want{status: 400, err: telhook.ErrMalformed, is: os.ErrDeadlineExceeded, within: slowBound,
			reason: "DESIGN: a 400 carries a short reason naming provider and field, the rest goes to the error handler and the log"}),
	})
	add(hostileCase{
		name:   "slow headers, 1 byte per 20 ms (ReadHeaderTimeout 300 ms)",
		server: slowServer,
		send: func(t *testing.T, h *harness) response {
			head := h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "X-Slow: "+strings.Repeat("a", 200))
			return h.raw(t, "", strings.NewReader(head), 20*time.Millisecond, readAnswer)
		},
		want: all(want{status: 400, before: "net/http", within: slowBound, reason: "net/http answers 400 and closes the connection at ReadHeaderTimeout; no handler runs"}),
	})

	// --- Bodies over the limit.
	add(hostileCase{
		name: "1 GiB body with Content-Length",
		send: func(t *testing.T, h *harness) response {
			body := &lazyBody{size: gib}
			res := h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(gib)), body, 0, readAnswer)
			checkSent(t, body)
			return res
		},
		check: checkBodyRead(0),
		want:  all(tooLarge("the declared length is over the 64 KiB limit: refused before a byte is read")),
	})
	add(hostileCase{
		name: "1 GiB body, chunked",
		send: func(t *testing.T, h *harness) response {
			body := &lazyBody{size: gib}
			res := h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Transfer-Encoding: chunked"), &chunked{r: body}, 0, readAnswer)
			checkSent(t, body)
			return res
		},
		check: checkBodyRead(limit + 1),
		want:  all(tooLarge("no declared length: http.MaxBytesReader stops at limit+1 bytes")),
	})
	add(hostileCase{
		name: "1 GiB body with Expect: 100-continue",
		send: func(t *testing.T, h *harness) response {
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(gib), "Expect: 100-continue"), nil, 0, readAnswer)
		},
		check: checkBodyRead(0),
		want:  all(tooLarge("refused on the declared length, before net/http sends 100 Continue: the client never sends the body")),
	})
	add(hostileCase{
		name: "body one byte over the limit",
		send: func(t *testing.T, h *harness) response {
			return h.post(t, padTo(h.p, limit+1))
		},
		check: checkBodyRead(0),
		want:  all(tooLarge("Content-Length limit+1 is over the limit")),
	})
	add(hostileCase{
		name: "body of exactly the limit",
		send: func(t *testing.T, h *harness) response {
			return h.post(t, padTo(h.p, limit))
		},
		check: checkBodyRead(limit),
		want: per(
			accepted("64 KiB is within the limit; the padding field is kept in Extra"),
			accepted("64 KiB is within the limit; trailing spaces are insignificant"),
			accepted("64 KiB is within the limit; trailing spaces are insignificant"),
			accepted("64 KiB is within the limit; trailing spaces are insignificant"),
			accepted("64 KiB is within the limit; trailing spaces are insignificant"),
		),
	})

	// --- Bodies that break off.
	add(hostileCase{
		name: "body breaks off, client half-closes",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(len(b)+1000)), strings.NewReader(b), 0, halfClose)
		},
		want: all(want{status: 400, err: telhook.ErrMalformed, is: io.ErrUnexpectedEOF, reason: "a body shorter than its Content-Length cannot be read: DecodeError, 400 (the client still listens)"}),
	})
	add(hostileCase{
		name: "body breaks off, client hangs up",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Content-Length: "+strconv.Itoa(len(b)+1000)), strings.NewReader(b), 0, hangUp)
		},
		want: all(want{err: telhook.ErrMalformed, is: io.ErrUnexpectedEOF, reason: "the body cannot be read: the error handler gets a DecodeError; nobody is left to answer"}),
	})
	add(hostileCase{
		name: "chunked body breaks off mid-chunk",
		send: func(t *testing.T, h *harness) response {
			b := h.p.body()
			return h.raw(t, h.head("POST", "/hook", "Content-Type: "+h.p.ctype, "Transfer-Encoding: chunked"), strings.NewReader(fmt.Sprintf("%x\r\n%s", len(b)+100, b)), 0, halfClose)
		},
		want: all(want{status: 400, err: telhook.ErrMalformed, is: io.ErrUnexpectedEOF, reason: "a chunk cut short cannot be read: DecodeError, 400"}),
	})
	return cases
}

// padTo returns the provider's base webhook padded to exactly n bytes: a
// padding field for a form, trailing spaces for JSON.
func padTo(p *provider, n int) string {
	b := p.body()
	if p.form {
		b += "&padding="
	}
	fill := "a"
	if !p.form {
		fill = " "
	}
	return b + strings.Repeat(fill, n-len(b))
}

// checkSent asserts that the client was stopped long before 1 GiB: the
// server took nothing beyond what socket buffers hold.
func checkSent(t *testing.T, body *lazyBody) {
	t.Helper()
	n := body.taken.Load()
	if n > 64*mib {
		t.Errorf("the client produced %d bytes of its 1 GiB body before the server stopped it, want < 64 MiB", n)
	}
	t.Logf("the client produced %d bytes of its 1 GiB body before the server stopped it", n)
}

// checkBodyRead asserts how much of the body the handler read: at most max.
func checkBodyRead(max int64) func(t *testing.T, h *harness, res response) {
	return func(t *testing.T, h *harness, _ response) {
		t.Helper()
		n := h.bodyRead.Load()
		if n > max {
			t.Errorf("the handler read %d body bytes, want at most %d", n, max)
		}
		t.Logf("the handler read %d body bytes (at most %d allowed)", n, max)
	}
}

// checkActionsVerbatim asserts that a 46elks call end kept actions it could
// not decode, whole, in Extra.
func checkActionsVerbatim(n int) func(t *testing.T, h *harness, res response) {
	return func(t *testing.T, h *harness, _ response) {
		t.Helper()
		for _, c := range h.calls.all() {
			if ev, ok := c.ev.(*elks.CallEnd); ok && (ev.Actions != nil || len(ev.Extra["actions"]) != n) {
				t.Errorf("CallEnd: Actions %v, len(Extra[actions]) %d, want nil and %d", ev.Actions, len(ev.Extra["actions"]), n)
			}
		}
	}
}

// outcome is what the test compares with go-cmp.
type outcome struct {
	Status  int
	Err     string // the sentinel the error handler got
	Field   string
	Reached []string
	Handler bool // the request reached the handler
}

func sentinel(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"ErrMethodNotAllowed", telhook.ErrMethodNotAllowed},
		{"ErrUnauthorized", telhook.ErrUnauthorized},
		{"ErrTooLarge", telhook.ErrTooLarge},
		{"ErrMalformed", telhook.ErrMalformed},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "other: " + err.Error()
}

func (w want) outcome() outcome {
	o := outcome{Status: w.status, Field: w.field, Reached: w.reached, Handler: w.before == ""}
	if w.err != nil {
		o.Err = sentinel(w.err)
	}
	return o
}

func (h *harness) outcome(t *testing.T, res response) outcome {
	t.Helper()
	o := outcome{Status: res.status, Reached: h.calls.names(), Handler: h.started.Load() > 0}
	errs := h.errs.all()
	if len(errs) > 1 {
		t.Errorf("the error handler was called %d times: %v", len(errs), errs)
	}
	if len(errs) > 0 {
		o.Err = sentinel(errs[0])
		var de *telhook.DecodeError
		if errors.As(errs[0], &de) {
			o.Field = de.Field
		}
	}
	return o
}

// matrix collects the status each case got from each provider.
type matrix struct {
	mu    sync.Mutex
	cells map[[2]string]string
	rows  []string
	cols  []string
}

func (m *matrix) set(row, col, v string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cells[[2]string{row, col}] = v
}

func (m *matrix) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("| case | " + strings.Join(m.cols, " | ") + " |\n|---|")
	b.WriteString(strings.Repeat("---|", len(m.cols)) + "\n")
	for _, r := range m.rows {
		b.WriteString("| " + r + " |")
		for _, c := range m.cols {
			b.WriteString(" " + m.cells[[2]string{r, c}] + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(o outcome, before string) string {
	switch {
	case before == "client":
		return "not sent (client)"
	case o.Status == 0 && !o.Handler:
		return "cut (net/http)"
	}
	s := strconv.Itoa(o.Status)
	if o.Status == 0 {
		s = "no answer"
	}
	if !o.Handler {
		s += " (net/http)"
	}
	if o.Field != "" {
		s += " " + strconv.Quote(o.Field)
	}
	if len(o.Reached) > 0 {
		s += " " + strings.Join(o.Reached, ",")
	}
	return s
}

// TestHostileRequests sends every hostile case to every provider's handler
// and checks the status, the error handed to the error handler, that no
// callback is reached by a bad request, that nothing panics, and that the
// next good request on the same handler is served. Run with -v for the
// case × provider matrix.
func TestHostileRequests(t *testing.T) {
	providers := allProviders()
	cases := hostileCases()
	m := &matrix{cells: map[[2]string]string{}}
	for _, p := range providers {
		m.cols = append(m.cols, p.name)
	}
	for _, c := range cases {
		m.rows = append(m.rows, c.name)
	}
	t.Cleanup(func() { t.Log("case × provider:\n" + m.String()) })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range providers {
				w, ok := c.want[p.name]
				if !ok {
					t.Fatalf("no expectation for %s", p.name)
				}
				t.Run(p.name, func(t *testing.T) { runCase(t, c, p, w.resolve(p), m) })
			}
		})
	}
}

func runCase(t *testing.T, c hostileCase, p *provider, w want, m *matrix) {
	if w.reason == "" {
		t.Fatal("the expectation has no reason")
	}
	h := newHarness(t, p, c.server, c.opts...)
	res := c.send(t, h)
	h.waitIdle(t, w.before == "")
	got := h.outcome(t, res)
	m.set(c.name, p.name, cell(got, w.before))
	if diff := cmp.Diff(w.outcome(), got); diff != "" {
		t.Errorf("outcome (-want +got):\n%s\nwant because: %s\nclient error: %v; answer body: %.200q", diff, w.reason, res.err, res.body)
	}
	if w.before == "client" && res.err == nil {
		t.Errorf("the client sent the request; want it refused")
	}
	if w.status != 0 && res.err != nil {
		t.Errorf("client error %v, want an answer %d", res.err, w.status)
	}
	if w.within > 0 && res.elapsed > w.within {
		t.Errorf("the server took %v to cut the client off, want at most %v", res.elapsed, w.within)
	}
	h.checkError(t, w, res)
	h.checkInvariants(t)
	if c.check != nil {
		c.check(t, h, res)
	}
	h.followUp(t)
}

// checkError checks the error handed to the error handler and the answer
// built from it.
func (h *harness) checkError(t *testing.T, w want, res response) {
	t.Helper()
	errs := h.errs.all()
	if w.err == nil || len(errs) == 0 {
		return
	}
	err := errs[0]
	if w.is != nil && !errors.Is(err, w.is) {
		t.Errorf("the handed error %q does not match %v", err, w.is)
	}
	switch {
	case errors.Is(w.err, telhook.ErrMalformed):
		var de *telhook.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("the handed error %q (%T) is no *telhook.DecodeError", err, err)
		}
		if de.Provider != h.p.pkg {
			t.Errorf("DecodeError.Provider %q, want %q", de.Provider, h.p.pkg)
		}
		if len(de.Value) > 64+len("…") {
			t.Errorf("DecodeError.Value is %d bytes, want it cut to 64", len(de.Value))
		}
		if res.status == 400 {
			if !strings.HasPrefix(res.body, h.p.pkg+": ") {
				t.Errorf("400 body %.200q does not start with %q", res.body, h.p.pkg+": ")
			}
			if de.Field != "" && !strings.Contains(res.body, "field "+strconv.Quote(de.Field)) {
				t.Errorf("400 body %.200q does not name the field %q", res.body, de.Field)
			}
			if len(res.body) > 512 {
				t.Errorf("400 body is %d bytes, want a short reason", len(res.body))
			}
		}
	case errors.Is(w.err, telhook.ErrMethodNotAllowed):
		if got := res.header.Get("Allow"); got != h.p.allow {
			t.Errorf("Allow %q, want %q", got, h.p.allow)
		}
	case errors.Is(w.err, telhook.ErrTooLarge):
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			t.Errorf("the handed error %q does not match *http.MaxBytesError", err)
		}
	}
	if !errors.Is(w.err, telhook.ErrMalformed) && res.body != "" {
		t.Errorf("a %d carries a body %.200q, want none", res.status, res.body)
	}
}

// checkInvariants checks what must hold after any case: no panic, and no
// header injected by a hostile value reached the handler.
func (h *harness) checkInvariants(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	for _, hdr := range h.headers {
		for k := range hdr {
			if strings.Contains(strings.ToLower(k), "injected") {
				t.Errorf("an injected header %q reached the handler", k)
			}
		}
	}
	h.mu.Unlock()
	if s := h.panics.String(); s != "" {
		t.Errorf("the handler panicked: %s", s)
	}
	if s := h.srvLog.String(); strings.Contains(s, "panic") {
		t.Errorf("net/http logged a panic: %s", s)
	}
	if s := h.logs.String(); strings.Contains(s, "panic") {
		t.Errorf("the handler logged a panic: %s", s)
	}
}

// followUp posts the provider's valid fixture on the same handler and
// checks that it is served as if nothing had happened before.
func (h *harness) followUp(t *testing.T) {
	t.Helper()
	g := h.p.good(t)
	callsBefore, errsBefore := len(h.calls.all()), len(h.errs.all())
	var body io.Reader
	if g.body != "" {
		body = strings.NewReader(g.body)
	}
	res := h.do(t, g.method, g.target, g.ctype, body, nil)
	if res.status != g.status {
		t.Fatalf("follow-up: status %d (client error %v, body %.200q), want %d", res.status, res.err, res.body, g.status)
	}
	got := h.calls.all()[callsBefore:]
	if len(got) != 1 || got[0].name != g.callback {
		t.Fatalf("follow-up: callbacks %v, want one %s", got, g.callback)
	}
	if diff := cmp.Diff(g.want, got[0].ev); diff != "" {
		t.Errorf("follow-up: event (-want +got):\n%s", diff)
	}
	if errs := h.errs.all()[errsBefore:]; len(errs) > 0 {
		t.Errorf("follow-up: error handler called: %v", errs)
	}
}

// ---------------------------------------------------------------------------
// Verification cannot be bypassed.

// hostileSecret is the verifiers' secret: long and distinctive, so that a
// log line holding it would be found.
const hostileSecret = "s3cret-hostile-7f"

// readRecorder counts what the handler read of a body: refused requests
// must not have had a single Read.
type readRecorder struct {
	r     io.Reader
	calls atomic.Int64
	bytes atomic.Int64
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	rr.calls.Add(1)
	n, err := rr.r.Read(p)
	rr.bytes.Add(int64(n))
	return n, err
}

// reqSpec is a request to be built for ServeHTTP.
type reqSpec struct {
	method, target string
	header         http.Header
	body           string
	lazy           int64 // > 0: a lazily made body of this many bytes, declared
	remote         string
}

func specOf(g goodRequest) reqSpec {
	s := reqSpec{method: g.method, target: g.target, header: http.Header{}, body: g.body}
	if g.ctype != "" {
		s.header.Set("Content-Type", g.ctype)
	}
	return s
}

func (s *reqSpec) addQuery(raw string) {
	if strings.Contains(s.target, "?") {
		s.target += "&" + raw
	} else {
		s.target += "?" + raw
	}
}

// build returns the request and the recorder of its body reads.
func (s reqSpec) build() (*http.Request, *readRecorder) {
	var src io.Reader = strings.NewReader(s.body)
	size := int64(len(s.body))
	if s.lazy > 0 {
		src, size = &lazyBody{size: s.lazy}, s.lazy
	}
	rr := &readRecorder{r: src}
	r := httptest.NewRequest(s.method, s.target, rr)
	r.ContentLength = size
	r.Header = s.header.Clone()
	if s.remote != "" {
		r.RemoteAddr = s.remote
	}
	return r, rr
}

// inProcess is one handler served with ServeHTTP.
type inProcess struct {
	p       *provider
	handler http.Handler
	calls   calls
	errs    errLog
	logs    syncBuf
}

func newInProcess(p *provider, opts ...telhook.Option) *inProcess {
	ip := &inProcess{p: p}
	logger := slog.New(slog.NewTextHandler(&ip.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]telhook.Option{telhook.WithLogger(logger), telhook.WithErrorHandler(ip.errs.handle)}, opts...)
	ip.handler = p.build(&ip.calls, all...)
	return ip
}

func (ip *inProcess) serve(s reqSpec) (*httptest.ResponseRecorder, *readRecorder) {
	r, rr := s.build()
	w := httptest.NewRecorder()
	ip.handler.ServeHTTP(w, r)
	return w, rr
}

// expectRefused checks a refusal: status, no body, the sentinel, no callback
// and not one Read of the body.
func (ip *inProcess) expectRefused(t *testing.T, w *httptest.ResponseRecorder, rr *readRecorder, status int, sentinel error) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d (body %.200q)", w.Code, status, w.Body.String())
	}
	if w.Body.Len() != 0 {
		t.Errorf("a %d with body %.200q, want none", w.Code, w.Body.String())
	}
	if n := rr.calls.Load(); n != 0 {
		t.Errorf("the body was read (%d calls, %d bytes) before the request was refused", n, rr.bytes.Load())
	}
	if errs := ip.errs.all(); len(errs) != 1 || !errors.Is(errs[0], sentinel) {
		t.Errorf("handed errors %v, want one matching %v", errs, sentinel)
	}
	if got := ip.calls.names(); len(got) != 0 {
		t.Errorf("callbacks %v reached by a refused request", got)
	}
}

// expectServed checks that the good request was served: its status, its
// one callback with the event the bytes-level decoder makes of it.
func (ip *inProcess) expectServed(t *testing.T, w *httptest.ResponseRecorder, g goodRequest, callsBefore int) {
	t.Helper()
	if w.Code != g.status {
		t.Fatalf("status %d (body %.200q), want %d", w.Code, w.Body.String(), g.status)
	}
	got := ip.calls.all()[callsBefore:]
	if len(got) != 1 || got[0].name != g.callback {
		t.Fatalf("callbacks %v, want one %s", got, g.callback)
	}
	if diff := cmp.Diff(g.want, got[0].ev); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}

// TestVerificationCannotBeBypassed refuses, for every provider and both
// secret-based verifiers, every request that does not present the secret
// where the verifier looks for it: 401, empty body, ErrUnauthorized, no
// callback, and not one Read of the body. The same handler then serves the
// request with the secret.
func TestVerificationCannotBeBypassed(t *testing.T) {
	verifiers := []struct {
		name string
		v    telhook.Verifier
	}{
		{"BearerToken", telhook.BearerToken(hostileSecret)},
		{"QueryToken", telhook.QueryToken("key", hostileSecret)},
	}
	// give presents token where verifier looks for it.
	give := func(s *reqSpec, verifier, token string) {
		if verifier == "BearerToken" {
			s.header.Set("Authorization", "Bearer "+token)
		} else {
			s.addQuery("key=" + url.QueryEscape(token))
		}
	}
	attempts := []struct {
		name   string
		only   string // the verifier the attempt is for; "" both
		apply  func(s *reqSpec, p *provider, verifier string)
		status int // 0: 401
		reason string
	}{
		{name: "no credentials", apply: func(*reqSpec, *provider, string) {},
			reason: "nothing presented"},
		{name: "wrong secret", apply: func(s *reqSpec, _ *provider, v string) { give(s, v, "wrong") },
			reason: "compared in constant time, refused"},
		{name: "secret in another case", apply: func(s *reqSpec, _ *provider, v string) { give(s, v, strings.ToUpper(hostileSecret)) },
			reason: "secrets are case-sensitive"},
		{name: "secret and one byte more", apply: func(s *reqSpec, _ *provider, v string) { give(s, v, hostileSecret+"x") },
			reason: "a longer token is another token"},
		{name: "secret less its last byte", apply: func(s *reqSpec, _ *provider, v string) { give(s, v, hostileSecret[:len(hostileSecret)-1]) },
			reason: "a prefix is another token"},
		{name: "secret followed by NUL", apply: func(s *reqSpec, _ *provider, v string) { give(s, v, hostileSecret+"\x00") },
			reason: "no C-string truncation: the NUL is part of the token"},
		{name: "secret where the other verifier looks", apply: func(s *reqSpec, _ *provider, v string) {
			if v == "BearerToken" {
				give(s, "QueryToken", hostileSecret)
			} else {
				give(s, "BearerToken", hostileSecret)
			}
		}, reason: "each verifier looks in one place only"},
		{name: "secret as a Basic password", apply: func(s *reqSpec, _ *provider, _ string) {
			s.header.Set("Authorization", "Basic "+base64("key:"+hostileSecret))
		}, reason: "Basic is not Bearer, and no header is a query"},
		{name: "secret in other headers", apply: func(s *reqSpec, _ *provider, _ string) {
			for _, k := range []string{"Proxy-Authorization", "X-Authorization", "X-Api-Key", "Token"} {
				s.header.Set(k, "Bearer "+hostileSecret)
			}
			s.header.Set("Cookie", "key="+hostileSecret)
		}, reason: "only Authorization (BearerToken) and the URL query (QueryToken) are looked at"},
		{name: "secret in the body", apply: func(s *reqSpec, p *provider, _ string) {
			switch {
			case p.form:
				s.body += "&key=" + hostileSecret + "&authorization=Bearer+" + hostileSecret
			case strings.HasPrefix(strings.TrimSpace(s.body), "{"):
				s.body = `{"key":"` + hostileSecret + `",` + strings.TrimPrefix(strings.TrimSpace(s.body), "{")
			default:
				s.body = `{"key":"` + hostileSecret + `"}`
			}
		}, reason: "verification reads nothing of the body"},
		{name: "the bearer scheme alone", only: "BearerToken", apply: func(s *reqSpec, _ *provider, _ string) { s.header.Set("Authorization", "Bearer") },
			reason: "an empty token is refused"},
		{name: "bearer, wrong value first", only: "BearerToken", apply: func(s *reqSpec, _ *provider, _ string) {
			s.header["Authorization"] = []string{"Bearer wrong", "Bearer " + hostileSecret}
		}, reason: "the first Authorization header is the one read"},
		{name: "another scheme with the secret", only: "BearerToken", apply: func(s *reqSpec, _ *provider, _ string) {
			s.header.Set("Authorization", "Token "+hostileSecret)
		}, reason: "the scheme must be Bearer"},
		{name: "parameter repeated, one value wrong", only: "QueryToken", apply: func(s *reqSpec, _ *provider, _ string) {
			s.addQuery("key=" + hostileSecret + "&key=wrong")
		}, reason: "every value of the parameter must match"},
		{name: "parameter name in another case", only: "QueryToken", apply: func(s *reqSpec, _ *provider, _ string) { s.addQuery("KEY=" + hostileSecret) },
			reason: "query parameter names are case-sensitive"},
		{name: "semicolon separator", only: "QueryToken", apply: func(s *reqSpec, _ *provider, _ string) { s.addQuery("x=1;key=" + hostileSecret) },
			reason: "net/url does not split at ';': the pair is no key parameter"},
		{name: "secret plus 100,000 query parameters", only: "QueryToken", apply: func(s *reqSpec, _ *provider, _ string) {
			s.addQuery(manyParams(100_000) + "&key=" + hostileSecret)
		}, reason: "net/url refuses to parse more than 10,000 parameters, so the secret is never found: fail closed"},
		{name: "1 GiB body without the secret", apply: func(s *reqSpec, _ *provider, _ string) { s.method, s.lazy = http.MethodPost, gib },
			reason: "verification runs before the length check: 401, not 413, and not one Read"},
		{name: "wrong method without the secret", apply: func(s *reqSpec, _ *provider, _ string) { s.method = http.MethodPatch },
			status: 405, reason: "the method is checked first (documented order): 405, and nothing is read"},
	}
	for _, p := range allProviders() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			g := p.good(t)
			for _, vf := range verifiers {
				for _, a := range attempts {
					if a.only != "" && a.only != vf.name {
						continue
					}
					t.Run(vf.name+"/"+a.name, func(t *testing.T) {
						ip := newInProcess(p, telhook.WithVerifier(vf.v))
						s := specOf(g)
						a.apply(&s, p, vf.name)
						w, rr := ip.serve(s)
						status, sentinel := 401, telhook.ErrUnauthorized
						if a.status == 405 {
							status, sentinel = 405, telhook.ErrMethodNotAllowed
						}
						ip.expectRefused(t, w, rr, status, sentinel)

						// The same handler serves the request with the secret,
						// and a QueryToken parameter never reaches the event.
						s = specOf(g)
						give(&s, vf.name, hostileSecret)
						w, rr = ip.serve(s)
						ip.expectServed(t, w, g, 0)
						if g.body != "" && rr.bytes.Load() != int64(len(g.body)) {
							t.Errorf("accepted: %d body bytes read, want %d", rr.bytes.Load(), len(g.body))
						}
						if strings.Contains(ip.logs.String(), hostileSecret) {
							t.Errorf("the secret is in the log:\n%s", ip.logs.String())
						}
					})
				}
			}
		})
	}
}

func base64(s string) string { return b64.StdEncoding.EncodeToString([]byte(s)) }

// TestSourceIPSpoofing checks that X-Forwarded-For is believed only from a
// trusted proxy, for every provider.
func TestSourceIPSpoofing(t *testing.T) {
	verifier, err := telhook.SourceIP([]string{"203.0.113.7"}, []string{"10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	attempts := []struct {
		name   string
		remote string
		header http.Header
		accept bool
		reason string
	}{
		{"client 127.0.0.1 claims X-Forwarded-For 203.0.113.7", "127.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}}, false, "the peer is no trusted proxy: its X-Forwarded-For is ignored"},
		{"trusted proxy 10.0.0.1 forwards for 203.0.113.7", "10.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}}, true, "the trusted proxy's last hop is the client, and it is allowed"},
		{"client prepends the allowed address, the proxy appends the real one", "10.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7, 198.51.100.9"}}, false, "hops are read right to left: the client is 198.51.100.9"},
		{"two X-Forwarded-For headers, the proxy's last", "10.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7", "198.51.100.9"}}, false, "the last header's last hop is the client"},
		{"client 127.0.0.1 names the trusted proxy as the last hop", "127.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.1"}}, false, "the peer is no trusted proxy: the header is ignored"},
		{"trusted proxy without X-Forwarded-For", "10.0.0.1:40000", nil, false, "the client is the proxy itself, which is not allowed"},
		{"trusted proxy, unparsable hop", "10.0.0.1:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7, not-an-ip"}}, false, "an unparsable hop that must be read refuses"},
		{"client 127.0.0.1 with Forwarded and X-Real-IP", "127.0.0.1:40000",
			http.Header{"Forwarded": {"for=203.0.113.7"}, "X-Real-Ip": {"203.0.113.7"}}, false, "only X-Forwarded-For, from a trusted proxy, is read"},
		{"the allowed address itself", "203.0.113.7:40000", nil, true, "a direct peer in allow"},
		{"trusted proxy as IPv4-mapped IPv6", "[::ffff:10.0.0.1]:40000",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}}, true, "::ffff:10.0.0.1 is 10.0.0.1"},
	}
	for _, p := range allProviders() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			g := p.good(t)
			for _, a := range attempts {
				t.Run(a.name, func(t *testing.T) {
					ip := newInProcess(p, telhook.WithVerifier(verifier))
					s := specOf(g)
					s.remote = a.remote
					for k, vs := range a.header {
						s.header[k] = vs
					}
					w, rr := ip.serve(s)
					if a.accept {
						ip.expectServed(t, w, g, 0)
						return
					}
					ip.expectRefused(t, w, rr, 401, telhook.ErrUnauthorized)
					s = specOf(g)
					s.remote = "203.0.113.7:40000"
					w, _ = ip.serve(s)
					ip.expectServed(t, w, g, 0)
				})
			}
			t.Run("over loopback", func(t *testing.T) {
				h := newHarness(t, p, nil, telhook.WithVerifier(verifier))
				var body io.Reader
				if g.body != "" {
					body = strings.NewReader(g.body)
				}
				res := h.do(t, g.method, g.target, g.ctype, body, http.Header{"X-Forwarded-For": {"203.0.113.7"}})
				if res.status != 401 || len(h.calls.all()) != 0 || h.bodyRead.Load() != 0 {
					t.Errorf("status %d, callbacks %v, %d body bytes read; want 401, none, 0", res.status, h.calls.names(), h.bodyRead.Load())
				}
			})
		})
	}
}

// TestBodyReadsAreBounded serves a 1 GiB body in process, declared and not,
// with the default limit and a small one, and counts what the handler read:
// nothing when the length is declared, at most limit+1 bytes otherwise.
func TestBodyReadsAreBounded(t *testing.T) {
	for _, p := range allProviders() {
		for _, lim := range []int64{limit, 1000} {
			for _, declared := range []bool{true, false} {
				name := fmt.Sprintf("%s/limit %d/declared %v", p.name, lim, declared)
				t.Run(name, func(t *testing.T) {
					var opts []telhook.Option
					if lim != limit {
						opts = append(opts, telhook.WithMaxBodyBytes(lim))
					}
					ip := newInProcess(p, opts...)
					body := &lazyBody{size: gib}
					r := httptest.NewRequest(http.MethodPost, "/hook", body)
					r.Header.Set("Content-Type", p.ctype)
					r.ContentLength = -1
					maxRead := lim + 1
					if declared {
						r.ContentLength, maxRead = gib, 0
					}
					w := httptest.NewRecorder()
					ip.handler.ServeHTTP(w, r)
					if w.Code != 413 {
						t.Errorf("status %d, want 413", w.Code)
					}
					if n := body.taken.Load(); n > maxRead {
						t.Errorf("the handler read %d bytes of the 1 GiB body, want at most %d", n, maxRead)
					}
					errs := ip.errs.all()
					var mbe *http.MaxBytesError
					if len(errs) != 1 || !errors.Is(errs[0], telhook.ErrTooLarge) || !errors.As(errs[0], &mbe) || mbe.Limit != lim {
						t.Errorf("handed errors %v, want one ErrTooLarge with *http.MaxBytesError{Limit: %d}", errs, lim)
					}
					if got := ip.calls.names(); len(got) != 0 {
						t.Errorf("callbacks %v reached", got)
					}
				})
			}
		}
	}
}

// TestElksKeyCaseIsDeterministic posts one 46elks SMS whose id is also sent
// as ID with another value, 100 times: every answer must be the same, and
// the SMS id must never come from the undocumented key. Refusing the body
// (400 naming the field, as pbx3cx does with Event/event) would satisfy it
// as well.
func TestElksKeyCaseIsDeterministic(t *testing.T) {
	p := allProviders()[0]
	ip := newInProcess(p, telhook.WithDeduplicator(nil))
	body := "id=s1&ID=s2&from=%2B46700000001&From=%2B46700000009&to=%2B46706860000&message=hi"
	outcomes := map[string]int{}
	for range 100 {
		before := len(ip.calls.all())
		w, _ := ip.serve(reqSpec{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, body: body})
		o := strconv.Itoa(w.Code)
		for _, c := range ip.calls.all()[before:] {
			sms := c.ev.(*elks.SMS)
			o += " ID=" + sms.ID + " From=" + sms.From
		}
		outcomes[o]++
	}
	if len(outcomes) != 1 {
		t.Errorf("100 posts of one body gave %d different outcomes: %v", len(outcomes), outcomes)
	}
	for o := range outcomes {
		if o != "204 ID=s1 From=+46700000001" && !strings.HasPrefix(o, "400") {
			t.Errorf("outcome %q: want the documented keys' values (204 ID=s1 From=+46700000001) or a 400", o)
		}
	}
}

// TestDedupKeysDoNotCollide posts two different webhooks whose fields only
// differ in where a separator character sits. De-duplication must tell them
// apart (core.Delivery.Key is "unique within the provider"): both reach the
// callback. oncall length-prefixes the parts of its keys and passes.
func TestDedupKeysDoNotCollide(t *testing.T) {
	pairs := map[string]struct {
		a, b string
	}{
		"elks":       {"id=s1:sent&status=delivered", "id=s1&status=sent:delivered"},
		"obd":        {`{"source":"OBD","mid":"m|w","webhook_id":"x","to":"918867130000","status":"ANSWER"}`, `{"source":"OBD","mid":"m","webhook_id":"w|x","to":"918867130000","status":"ANSWER"}`},
		"obd+fields": {`{"source":"OBD","mid":"m|w","webhook_id":"x","to":"918867130000","status":"ANSWER"}`, `{"source":"OBD","mid":"m","webhook_id":"w|x","to":"918867130000","status":"ANSWER"}`},
		"pbx3cx":     {`{"Event":"ringing","Id":"1_1-0|x","User":"821"}`, `{"Event":"ringing","Id":"1_1-0","User":"x|821"}`},
		"oncall":     {`{"uuid":"u|x","event_type":"answered","event_time":"2026-03-10T09:15:08Z","tag":"t"}`, `{"uuid":"u","event_type":"x|answered","event_time":"2026-03-10T09:15:08Z","tag":"t"}`},
	}
	for _, p := range allProviders() {
		t.Run(p.name, func(t *testing.T) {
			pair := pairs[p.name]
			ip := newInProcess(p)
			for _, body := range []string{pair.a, pair.b} {
				w, _ := ip.serve(reqSpec{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, body: body})
				if w.Code/100 != 2 {
					t.Fatalf("%s: status %d (%s), want 2xx", body, w.Code, w.Body)
				}
			}
			if got := ip.calls.names(); len(got) != 2 {
				t.Errorf("callbacks %v for two different webhooks, want two calls", got)
			}
		})
	}
}

// TestConcurrentHostileTraffic mixes good webhooks, each unique, with
// malformed and oversized requests on one handler from several goroutines,
// then checks every good webhook's event against the bytes-level decoder's
// after all the traffic: an event must not share memory with a pooled
// buffer that later requests overwrite.
func TestConcurrentHostileTraffic(t *testing.T) {
	const workers, rounds = 4, 25
	for _, p := range allProviders() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ip := newInProcess(p)
			var wg sync.WaitGroup
			want := make([]string, workers*rounds)
			for w := range workers {
				wg.Go(func() {
					for r := range rounds {
						i := w*rounds + r
						body := p.body(kv{p.idKey, p.id(i)})
						ev, err := p.decode([]byte(body))
						if err != nil {
							t.Errorf("fixture %d: %v", i, err)
							return
						}
						want[i] = fmt.Sprintf("%+v", ev)
						res, _ := ip.serve(reqSpec{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, body: body})
						if res.Code != p.ok {
							t.Errorf("good %d: status %d (%s)", i, res.Code, res.Body)
						}
						bad := []reqSpec{
							{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, body: body[:len(body)/2] + "\xff"},
							{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, lazy: 2 * limit},
							{method: http.MethodPost, target: "/hook", header: http.Header{"Content-Type": {p.ctype}}, body: ""},
						}
						for j, s := range bad {
							res, _ := ip.serve(s)
							if res.Code < 400 {
								t.Errorf("bad %d/%d: status %d, want 4xx", i, j, res.Code)
							}
						}
					}
				})
			}
			wg.Wait()
			got := map[string]int{}
			for _, c := range ip.calls.all() {
				if c.name != p.baseCB {
					t.Errorf("a bad request reached %s: %+v", c.name, c.ev)
					continue
				}
				got[fmt.Sprintf("%+v", c.ev)]++
			}
			for i, w := range want {
				if got[w] != 1 {
					t.Errorf("good webhook %d: its event reached the callback %d times intact, want once:\n%s", i, got[w], w)
				}
			}
		})
	}
}
