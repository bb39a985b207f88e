package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
)

// fakeDedup fails on demand and records what it is told.
type fakeDedup struct {
	mu        sync.Mutex
	seenErr   error
	forgetErr error
	forgot    []string
}

func (d *fakeDedup) Seen(context.Context, string) (bool, error) { return false, d.seenErr }
func (d *fakeDedup) Forget(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.forgot = append(d.forgot, key)
	return d.forgetErr
}

type failingBody struct{}

var errConnReset = errors.New("read tcp 10.0.0.7:8080->10.0.0.9:51234: connection reset")

func (failingBody) Read([]byte) (int, error) { return 0, errConnReset }

// spec is a provider that decodes any body into one delivery.
func spec(handle func(context.Context) (Answer, error), decodeErr error) Spec {
	return Spec{
		Provider: "test",
		Methods:  []string{http.MethodPost},
		Ack:      Answer{Status: http.StatusOK},
		Decode: func(r *http.Request, body []byte) (Delivery, error) {
			if decodeErr != nil {
				return Delivery{}, decodeErr
			}
			return Delivery{Kind: "thing", Key: string(body), Handle: handle}, nil
		},
	}
}

func TestCore(t *testing.T) {
	ok := func(context.Context) (Answer, error) { return Answer{}, nil }
	tests := []struct {
		name    string
		spec    Spec
		opts    []telhook.Option
		body    io.Reader
		status  int
		log     string
		errWant error
		reason  string
	}{
		{"status 0 is the ack", spec(ok, nil), nil, strings.NewReader("k1"), 200, "", nil,
			"a callback that sets no status answers the provider's acknowledgement"},
		{"dedup backend down", spec(ok, nil), []telhook.Option{telhook.WithDeduplicator(&fakeDedup{seenErr: errors.New("redis down")})},
			strings.NewReader("k1"), 200, "redis down", nil, "a failing deduplicator is logged and the webhook handled anyway"},
		{"forget fails", spec(func(context.Context) (Answer, error) { return Answer{}, errors.New("cb failed") }, nil),
			[]telhook.Option{telhook.WithDeduplicator(&fakeDedup{forgetErr: errors.New("cannot forget")})},
			strings.NewReader("k1"), 500, "cannot forget", nil, "a deduplicator that cannot forget is logged: the retry may be dropped"},
		{"body read fails", spec(ok, nil), nil, failingBody{}, 400, "connection reset", errConnReset,
			"a body that breaks off mid-read is malformed, named for the provider; the cause is logged and reachable, not told"},
		{"decoder returns a plain error", spec(ok, errors.New("odd")), nil, strings.NewReader("x"), 400, "odd", telhook.ErrMalformed,
			"every decoding failure reaches the error handler as a DecodeError"},
		{"custom verifier", spec(ok, nil), []telhook.Option{telhook.WithVerifier(verifierFunc(func(*http.Request) error { return errors.New("nope") }))},
			strings.NewReader("x"), 401, "nope", telhook.ErrUnauthorized, "a verifier's own error still means 401"},
		{"no callback", spec(nil, nil), nil, strings.NewReader("x"), 200, "no callback", nil,
			"an unhandled kind is acknowledged and logged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var gotErr error
			opts := append([]telhook.Option{
				telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
				telhook.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
					gotErr = err
					telhook.DefaultErrorHandler(w, r, err)
				}),
			}, tt.opts...)
			h := New(tt.spec, config.Build(opts))
			req := httptest.NewRequest(http.MethodPost, "/", tt.body)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.status, tt.reason)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log lacks %q (%s):\n%s", tt.log, tt.reason, logs.String())
			}
			if strings.Contains(rec.Body.String(), "10.0.0") {
				t.Errorf("the answer tells the caller about the network: %q", rec.Body.String())
			}
			if tt.errWant != nil && !errors.Is(gotErr, tt.errWant) {
				t.Errorf("error handler got %v, want one matching %v (%s)", gotErr, tt.errWant, tt.reason)
			}
			var de *telhook.DecodeError
			if errors.As(gotErr, &de) && de.Provider != "test" {
				t.Errorf("DecodeError names provider %q, want test", de.Provider)
			}
		})
	}
}

type verifierFunc func(*http.Request) error

func (f verifierFunc) Verify(r *http.Request) error { return f(r) }

func TestCoreForgetsFailedKeys(t *testing.T) {
	d := &fakeDedup{}
	h := New(spec(func(context.Context) (Answer, error) { panic("boom") }, nil),
		config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithDeduplicator(d)}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("k9")))
	if rec.Code != 500 || len(d.forgot) != 1 || d.forgot[0] != "test:k9" {
		t.Errorf("status %d, forgot %q; want 500 and the provider-prefixed key forgotten", rec.Code, d.forgot)
	}
}

// http.ErrAbortHandler is net/http's deliberate abort: it must not be
// turned into a 500.
func TestCoreReraisesAbortHandler(t *testing.T) {
	h := New(spec(func(context.Context) (Answer, error) { panic(http.ErrAbortHandler) }, nil),
		config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler))}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recover() = %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("k")))
}

func TestCoreWarnsWithoutVerifier(t *testing.T) {
	var logs bytes.Buffer
	New(spec(nil, nil), config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}))
	if !strings.Contains(logs.String(), "no verifier") {
		t.Errorf("building a handler without a verifier logged nothing:\n%s", logs.String())
	}
}

func TestReadBody(t *testing.T) {
	big := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, config.DefaultMaxBodyBytes+1)))
	big.ContentLength = -1 // force the bounded read rather than the early refusal
	_, err := ReadBody(big, "test")
	var mbe *http.MaxBytesError
	if !errors.Is(err, telhook.ErrTooLarge) || !errors.As(err, &mbe) || mbe.Limit != config.DefaultMaxBodyBytes {
		t.Errorf("ReadBody over the limit: %v, want ErrTooLarge and a *http.MaxBytesError at the default limit", err)
	}
	body, err := ReadBody(httptest.NewRequest(http.MethodPost, "/", strings.NewReader("a=1")), "test")
	if err != nil || string(body) != "a=1" {
		t.Errorf("ReadBody = %q, %v", body, err)
	}
}

func BenchmarkCore(b *testing.B) {
	h := New(spec(func(context.Context) (Answer, error) { return Answer{}, nil }, nil),
		config.Build([]telhook.Option{telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithDeduplicator(nil)}))
	body := []byte("direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
	}
}
