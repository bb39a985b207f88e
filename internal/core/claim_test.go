package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
)

// seenOnly is a Deduplicator with Seen and Forget only, as users may have
// written before Claimer existed.
type seenOnly struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (d *seenOnly) Seen(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := d.keys[key]
	d.keys[key] = true
	return seen, nil
}

func (d *seenOnly) Forget(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.keys, key)
	return nil
}

// outcome is how the test's callback ends one delivery.
type outcome int

const (
	succeed outcome = iota
	fail
	panicValue
	abort
)

// deliveries are the deliveries that reached the callback, in order, and
// the gate a test can hold the first one at.
type deliveries struct {
	mu      sync.Mutex
	calls   int
	plan    []outcome // how the n-th call ends; succeed past its end
	entered chan struct{}
	gate    chan struct{} // when non-nil, the first call waits on it
}

func (d *deliveries) handle(context.Context) (Answer, error) {
	d.mu.Lock()
	n := d.calls
	d.calls++
	d.mu.Unlock()
	if n == 0 && d.gate != nil {
		d.entered <- struct{}{}
		<-d.gate
	}
	o := succeed
	if n < len(d.plan) {
		o = d.plan[n]
	}
	switch o {
	case fail:
		return Answer{}, errors.New("database down")
	case panicValue:
		panic("nil map")
	case abort:
		panic(http.ErrAbortHandler)
	}
	return Answer{}, nil
}

// serveOnce serves one request, turning an aborted response into status -1
// as net/http's server would (it recovers http.ErrAbortHandler).
func serveOnce(h http.Handler, body string) (status int) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			status = -1
		}
	}()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
	return rec.Code
}

func dedups() map[string]func() telhook.Deduplicator {
	return map[string]func() telhook.Deduplicator{
		"memory":    func() telhook.Deduplicator { return telhook.NewMemoryDeduplicator(100, 0) },
		"seen only": func() telhook.Deduplicator { return &seenOnly{keys: map[string]bool{}} },
	}
}

// TestRetryAfterEveryFailureReachesCallback: every way a callback can end
// without success (an error, a panic of any value, an abort) releases the
// key, so the provider's retry is handled rather than acknowledged.
func TestRetryAfterEveryFailureReachesCallback(t *testing.T) {
	tests := []struct {
		reason string
		first  outcome
		status int
	}{
		{"an error answers 500 and releases the key", fail, 500},
		{"a panic answers 500 and releases the key", panicValue, 500},
		{"an abort (http.ErrAbortHandler) releases the key on its way out", abort, -1},
	}
	for name, newDedup := range dedups() {
		for _, tt := range tests {
			t.Run(name+"/"+tt.reason, func(t *testing.T) {
				d := &deliveries{plan: []outcome{tt.first}}
				h := New(spec(d.handle, nil), config.Build([]telhook.Option{
					telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithDeduplicator(newDedup())}))
				got := []int{serveOnce(h, "k1"), serveOnce(h, "k1"), serveOnce(h, "k1")}
				want := []int{tt.status, 200, 200}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("statuses (-want +got):\n%s", diff)
				}
				if d.calls != 2 {
					t.Errorf("callback reached %d times, want 2: the failed first delivery and its retry, not the duplicate after it", d.calls)
				}
			})
		}
	}
}

// TestRetryRacingFirstDeliveryIsNotAcknowledged: a retry that arrives while
// the first delivery's callback runs is answered 503 (ErrInFlight), never
// 2xx; when the first then fails, the next retry reaches the callback.
func TestRetryRacingFirstDeliveryIsNotAcknowledged(t *testing.T) {
	for name, newDedup := range dedups() {
		t.Run(name, func(t *testing.T) {
			d := &deliveries{plan: []outcome{fail}, entered: make(chan struct{}), gate: make(chan struct{})}
			var gotErr error
			h := New(spec(d.handle, nil), config.Build([]telhook.Option{
				telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithDeduplicator(newDedup()),
				telhook.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
					if errors.Is(err, telhook.ErrInFlight) {
						gotErr = err
					}
					telhook.DefaultErrorHandler(w, r, err)
				})}))
			first := make(chan int)
			go func() { first <- serveOnce(h, "k1") }()
			<-d.entered
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("k1")))
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !errors.Is(gotErr, telhook.ErrInFlight) {
				t.Errorf("retry during the first delivery: status %d, Retry-After %q, error %v; want 503 with Retry-After and ErrInFlight",
					rec.Code, rec.Header().Get("Retry-After"), gotErr)
			}
			close(d.gate)
			if s := <-first; s != 500 {
				t.Errorf("first delivery: status %d, want 500", s)
			}
			if s := serveOnce(h, "k1"); s != 200 || d.calls != 2 {
				t.Errorf("retry after the failure: status %d, callback reached %d times; want 200 and 2", s, d.calls)
			}
			if s := serveOnce(h, "k1"); s != 200 || d.calls != 2 {
				t.Errorf("duplicate after success: status %d, callback reached %d times; want 200 and still 2", s, d.calls)
			}
		})
	}
}

// TestUnhandledKindKeepsKey: a webhook with no callback is acknowledged
// and its key kept, so a resend is a duplicate, not a second log line.
func TestUnhandledKindKeepsKey(t *testing.T) {
	var logs strings.Builder
	h := New(spec(nil, nil), config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}))
	got := []int{serveOnce(h, "k1"), serveOnce(h, "k1")}
	if diff := cmp.Diff([]int{200, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := strings.Count(logs.String(), "duplicate webhook acknowledged"); n != 1 {
		t.Errorf("%d duplicate lines, want 1:\n%s", n, logs.String())
	}
}

// TestCallbackErrorLoggedAsCallbackFailure: a callback's own mistake is
// logged as such, at error level, not as a refused webhook.
func TestCallbackErrorLoggedAsCallbackFailure(t *testing.T) {
	var logs strings.Builder
	h := New(spec(func(context.Context) (Answer, error) { return Answer{}, errors.New("connect.busy: bad") }, nil),
		config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}))
	serveOnce(h, "k1")
	for _, want := range []string{"level=ERROR", "callback failed", "connect.busy: bad", "path=/"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "webhook refused") {
		t.Errorf("a callback failure is logged as a refused webhook:\n%s", logs.String())
	}
}

// slowBody declares a large body and sends one byte.
type slowBody struct{ sent bool }

func (b *slowBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, errConnReset
	}
	b.sent = true
	p[0] = 'x'
	return 1, nil
}

// TestReadBodyGrowsWithWhatArrives: a client that declares a large
// Content-Length and sends one byte does not make the handler hold a
// buffer of the declared size.
func TestReadBodyGrowsWithWhatArrives(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", &slowBody{})
	r.ContentLength = 4 << 20
	var bb bytes.Buffer
	_, _ = readBody(httptest.NewRecorder(), r, 8<<20, &bb, "test")
	if c := bb.Cap(); c > 2*preGrow {
		t.Errorf("buffer capacity %d after one byte of a declared 4 MiB, want at most %d", c, 2*preGrow)
	}
}
