package elks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

// quiet is a logger for tests; logs(t) returns one that records its lines.
var quiet = slog.New(slog.DiscardHandler)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func recordingLogger() (*slog.Logger, *logBuf) {
	buf := &logBuf{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// post sends a fixture (or any body) the way 46elks does.
func post(t *testing.T, url string, body []byte) (status int, contentType, respBody string, header http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), resp.Header
}

func serve(t *testing.T, cb Callbacks, opts ...telhook.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(cb, append([]telhook.Option{telhook.WithLogger(quiet)}, opts...)...))
	t.Cleanup(srv.Close)
	return srv
}

// TestHandlerAnswers posts every kind of webhook through real HTTP and
// checks what reaches the callback and what 46elks gets back.
func TestHandlerAnswers(t *testing.T) {
	spec := Connect{To: "+46723175800", Busy: Connect{To: "+46731704032"}}
	tests := []struct {
		fixture  string
		cb       func(got *[]Event) Callbacks
		status   int
		ctype    string
		body     string
		reason   string
		noEvents bool
	}{
		{"spec-call-incoming", func(got *[]Event) Callbacks {
			return Callbacks{OnCall: func(_ context.Context, ev *CallEvent) (Action, error) { *got = append(*got, ev); return spec, nil }}
		}, 200, "application/json", `{"connect":"+46723175800","busy":{"connect":"+46731704032"}}`,
			"the spec's example response, byte for byte", false},
		{"spec-ivr", func(got *[]Event) Callbacks {
			return Callbacks{OnCall: func(_ context.Context, ev *CallEvent) (Action, error) {
				*got = append(*got, ev)
				return Connect{To: "+46723175800"}, nil
			}}
		}, 200, "application/json", `{"connect":"+46723175800"}`, "IVR digits answered with the spec's IVR response", false},
		{"call-connect-busy", func(got *[]Event) Callbacks {
			return Callbacks{OnCall: func(_ context.Context, ev *CallEvent) (Action, error) { *got = append(*got, ev); return nil, nil }}
		}, 204, "", "", "a nil action answers 204: the call ends", false},
		{"sms-docs", func(got *[]Event) Callbacks {
			return Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) { *got = append(*got, ev); return Reply{}, nil }}
		}, 204, "", "", "no reply: 204 and no body", false},
		{"spec-sms", func(got *[]Event) Callbacks {
			return Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) {
				*got = append(*got, ev)
				return Reply{Text: "Thank you for the message, it have been received."}, nil
			}}
		}, 200, "text/plain; charset=utf-8", "Thank you for the message, it have been received.", "a text reply is the body", false},
		{"sms-raw-plus", func(got *[]Event) Callbacks {
			return Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) {
				*got = append(*got, ev)
				return Reply{Forward: "+46704508449"}, nil
			}}
		}, 200, "application/json", `{"forward":"+46704508449"}`, "a forward is a JSON SMS action", false},
		{"mms-docs", func(got *[]Event) Callbacks {
			return Callbacks{OnMMS: func(_ context.Context, ev *MMS) error { *got = append(*got, ev); return nil }}
		}, 204, "", "", "MMS: only the status counts", false},
		{"spec-dlr", func(got *[]Event) Callbacks {
			return Callbacks{OnDeliveryReport: func(_ context.Context, ev *DeliveryReport) error { *got = append(*got, ev); return nil }}
		}, 204, "", "", "delivery report acknowledged", false},
		{"spec-recording", func(got *[]Event) Callbacks {
			return Callbacks{OnRecording: func(_ context.Context, ev *Recording) error { *got = append(*got, ev); return nil }}
		}, 204, "", "", "recording acknowledged", false},
		{"hangup-swagger", func(got *[]Event) Callbacks {
			return Callbacks{OnCallEnd: func(_ context.Context, ev *CallEnd) error { *got = append(*got, ev); return nil }}
		}, 204, "", "", "call end acknowledged", false},
		{"unknown-fields", func(got *[]Event) Callbacks {
			return Callbacks{OnUnknown: func(_ context.Context, ev *Unknown) error { *got = append(*got, ev); return nil }}
		}, 204, "", "", "unknown kinds reach OnUnknown and are acknowledged", false},
		{"spec-mms", func(got *[]Event) Callbacks {
			return Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) { *got = append(*got, ev); return Reply{}, nil }}
		}, 204, "", "", "no OnMMS: acknowledged (and logged), never handed to OnSMS", true},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			var got []Event
			srv := serve(t, tt.cb(&got))
			body := fixture(t, tt.fixture)
			status, ctype, respBody, _ := post(t, srv.URL, body)
			if status != tt.status || ctype != tt.ctype || respBody != tt.body {
				t.Errorf("answer = %d %q %q; want %d %q %q (%s)", status, ctype, respBody, tt.status, tt.ctype, tt.body, tt.reason)
			}
			want, _ := Decode(body)
			if tt.noEvents {
				if len(got) != 0 {
					t.Errorf("callback got %d events, want none (%s)", len(got), tt.reason)
				}
				return
			}
			if diff := cmp.Diff([]Event{want}, got); diff != "" {
				t.Errorf("callback events (-want +got) — %s:\n%s", tt.reason, diff)
			}
		})
	}
}

// readSpy fails the test if the body is read.
type readSpy struct{ t *testing.T }

func (r readSpy) Read([]byte) (int, error) {
	r.t.Error("body read before verification")
	return 0, io.EOF
}

func TestHandlerVerifiesBeforeReading(t *testing.T) {
	h := NewHandler(Callbacks{}, telhook.WithLogger(quiet), telhook.WithVerifier(telhook.BearerToken("t")))
	req := httptest.NewRequest(http.MethodPost, "/", readSpy{t})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", rec.Code)
	}
}

func TestHandlerDeduplicates(t *testing.T) {
	tests := []struct {
		fixtures []string
		opts     []telhook.Option
		calls    int32
		reason   string
	}{
		{[]string{"sms-docs", "sms-docs"}, nil, 1, "a retried SMS reaches the callback once"},
		{[]string{"dlr-sent", "spec-dlr", "spec-dlr"}, nil, 2, "sent and delivered for one SMS are two reports; the retry is one"},
		{[]string{"spec-recording", "spec-recording"}, nil, 1, "recordings by wav URL"},
		{[]string{"hangup-swagger", "hangup-swagger"}, nil, 1, "call ends by id"},
		{[]string{"spec-ivr", "spec-ivr"}, nil, 2, "the same IVR digits twice in a call are two choices, never de-duplicated"},
		{[]string{"sms-docs", "sms-docs"}, []telhook.Option{telhook.WithDeduplicator(nil)}, 2, "WithDeduplicator(nil) turns it off"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.fixtures, "+"), func(t *testing.T) {
			var calls atomic.Int32
			count := func(context.Context) { calls.Add(1) }
			srv := serve(t, Callbacks{
				OnSMS:            func(ctx context.Context, _ *SMS) (Reply, error) { count(ctx); return Reply{Text: "hi"}, nil },
				OnDeliveryReport: func(ctx context.Context, _ *DeliveryReport) error { count(ctx); return nil },
				OnRecording:      func(ctx context.Context, _ *Recording) error { count(ctx); return nil },
				OnCallEnd:        func(ctx context.Context, _ *CallEnd) error { count(ctx); return nil },
				OnCall: func(ctx context.Context, _ *CallEvent) (Action, error) {
					count(ctx)
					return Hangup{Reason: "reject"}, nil
				},
			}, tt.opts...)
			for _, f := range tt.fixtures {
				if status, _, _, _ := post(t, srv.URL, fixture(t, f)); status < 200 || status > 204 {
					t.Errorf("%s answered %d, want 200-204", f, status)
				}
			}
			if calls.Load() != tt.calls {
				t.Errorf("callbacks ran %d times, want %d (%s)", calls.Load(), tt.calls, tt.reason)
			}
		})
	}
}

func TestHandlerCallbackFailures(t *testing.T) {
	fallback := Play{Sound: "https://example.com/sorry.mp3"}
	tests := []struct {
		name    string
		fixture string
		cb      Callbacks
		opts    []telhook.Option
		status  int
		body    string
		log     string
		reason  string
	}{
		{"error", "sms-docs", Callbacks{OnSMS: func(context.Context, *SMS) (Reply, error) { return Reply{}, errors.New("db down") }},
			nil, 500, "", "db down", "an error answers 500 so that 46elks retries"},
		{"panic", "spec-dlr", Callbacks{OnDeliveryReport: func(context.Context, *DeliveryReport) error { panic("boom") }},
			nil, 500, "", "boom", "a panic is recovered and logged with its stack"},
		{"invalid reply", "sms-docs", Callbacks{OnSMS: func(context.Context, *SMS) (Reply, error) { return Reply{Forward: "070-123"}, nil }},
			nil, 500, "", "invalid", "an invalid reply is never sent"},
		{"call error, no fallback", "spec-call-incoming", Callbacks{OnCall: func(context.Context, *CallEvent) (Action, error) { return nil, errors.New("no agent") }},
			nil, 500, "", "no agent", "without a fallback the call ends"},
		{"call error, fallback", "spec-call-incoming", Callbacks{OnCall: func(context.Context, *CallEvent) (Action, error) { return nil, errors.New("no agent") }},
			[]telhook.Option{WithFallback(fallback)}, 200, `{"play":"https://example.com/sorry.mp3"}`, "no agent", "the fallback keeps the caller on the line"},
		{"call panic, fallback", "spec-ivr", Callbacks{OnCall: func(context.Context, *CallEvent) (Action, error) { panic("nil map") }},
			[]telhook.Option{WithFallback(fallback)}, 200, `{"play":"https://example.com/sorry.mp3"}`, "nil map", "a panic on a call hook also answers the fallback"},
		{"invalid action, fallback", "spec-ivr", Callbacks{OnCall: func(context.Context, *CallEvent) (Action, error) { return Connect{To: "0701234567"}, nil }},
			[]telhook.Option{WithFallback(fallback)}, 200, `{"play":"https://example.com/sorry.mp3"}`, "E.164", "an invalid action is replaced, never sent"},
		{"no OnCall, fallback", "spec-ivr", Callbacks{},
			[]telhook.Option{WithFallback(fallback)}, 200, `{"play":"https://example.com/sorry.mp3"}`, "", "the fallback also serves a handler without OnCall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := recordingLogger()
			srv := serve(t, tt.cb, append(tt.opts, telhook.WithLogger(logger))...)
			status, _, body, _ := post(t, srv.URL, fixture(t, tt.fixture))
			if status != tt.status || body != tt.body {
				t.Errorf("answer = %d %q, want %d %q (%s)", status, body, tt.status, tt.body, tt.reason)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log does not mention %q (%s):\n%s", tt.log, tt.reason, logs)
			}
			if tt.name == "panic" && !strings.Contains(logs.String(), "handler_test.go") {
				t.Errorf("panic log has no stack:\n%s", logs)
			}
		})
	}
}

// TestInvalidActionLoggedAsCallbackError: an invalid action is the
// callback's mistake, not the caller's: it is logged at error level as a
// failed callback, with the path to the bad action, never as a refused
// webhook.
func TestInvalidActionLoggedAsCallbackError(t *testing.T) {
	for _, opts := range [][]telhook.Option{nil, {WithFallback(Play{Sound: "https://example.com/sorry.mp3"})}} {
		logger, logs := recordingLogger()
		srv := serve(t, Callbacks{OnCall: func(context.Context, *CallEvent) (Action, error) {
			return Connect{To: "+46704508449", Busy: Play{Sound: "ftp://x"}}, nil
		}}, append(opts, telhook.WithLogger(logger))...)
		post(t, srv.URL, fixture(t, "spec-ivr"))
		for _, want := range []string{"level=ERROR", "callback failed", "connect.busy.play"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("fallback %v: log lacks %q:\n%s", opts != nil, want, logs)
			}
		}
		if strings.Contains(logs.String(), "webhook refused") {
			t.Errorf("fallback %v: the callback's mistake is logged as a refused webhook:\n%s", opts != nil, logs)
		}
	}
}

// A failed callback must not leave its webhook marked as seen: 46elks'
// retry has to reach the callback again.
func TestHandlerRetryAfterFailure(t *testing.T) {
	var calls atomic.Int32
	srv := serve(t, Callbacks{OnMMS: func(context.Context, *MMS) error {
		if calls.Add(1) == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	}})
	var statuses []int
	for range 3 {
		status, _, _, _ := post(t, srv.URL, fixture(t, "mms-docs"))
		statuses = append(statuses, status)
	}
	if diff := cmp.Diff([]int{500, 204, 204}, statuses); diff != "" || calls.Load() != 2 {
		t.Errorf("statuses (-want +got):\n%s; callback ran %d times, want 2 (fail, succeed, then duplicate)", diff, calls.Load())
	}
}

func TestHandlerErrorHandlerAndContext(t *testing.T) {
	var gotErr error
	var sawServerCtx bool
	srv := serve(t, Callbacks{OnSMS: func(ctx context.Context, _ *SMS) (Reply, error) {
		sawServerCtx = ctx.Value(http.ServerContextKey) != nil
		return Reply{}, nil
	}}, telhook.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		w.WriteHeader(http.StatusTeapot)
	}))
	if status, _, _, _ := post(t, srv.URL, fixture(t, "bad-missing-from")); status != http.StatusTeapot {
		t.Errorf("custom error handler not used: %d", status)
	}
	var de *telhook.DecodeError
	if !errors.As(gotErr, &de) || de.Field != "from" || de.Provider != "elks" {
		t.Errorf("error handler got %v, want a DecodeError for field from", gotErr)
	}
	post(t, srv.URL, fixture(t, "sms-docs"))
	if !sawServerCtx {
		t.Error("callback did not get the request's context")
	}
}

func TestHandlerUnknownIsLogged(t *testing.T) {
	logger, logs := recordingLogger()
	srv := serve(t, Callbacks{}, telhook.WithLogger(logger))
	if status, _, _, _ := post(t, srv.URL, fixture(t, "unknown-fields")); status != 204 {
		t.Errorf("unknown webhook answered %d, want 204", status)
	}
	if !strings.Contains(logs.String(), "kind=unknown") {
		t.Errorf("unknown webhook without OnUnknown was not logged:\n%s", logs)
	}
}

func TestWithFallbackInvalidPanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "elks.WithFallback") {
			t.Errorf("NewHandler with an invalid fallback: recover() = %v, want a panic naming WithFallback", p)
		}
	}()
	NewHandler(Callbacks{}, WithFallback(Hangup{Reason: "maybe"}))
}

func BenchmarkHandler(b *testing.B) {
	h := NewHandler(Callbacks{OnSMS: func(context.Context, *SMS) (Reply, error) { return Reply{}, nil }},
		telhook.WithLogger(quiet), telhook.WithDeduplicator(nil))
	testfix.BenchHandler(b, h, http.StatusNoContent, smsRequest)
}

// BenchmarkHandlerDefaults is BenchmarkHandler with the default in-memory
// deduplicator (every request a new id, as in real traffic).
func BenchmarkHandlerDefaults(b *testing.B) {
	h := NewHandler(Callbacks{OnSMS: func(context.Context, *SMS) (Reply, error) { return Reply{}, nil }}, telhook.WithLogger(quiet))
	testfix.BenchHandler(b, h, http.StatusNoContent, smsRequest)
}

// BenchmarkHandlerBaseline is the floor: a bare net/http handler that reads
// the body and answers 204, over the same in-process round trip.
func BenchmarkHandlerBaseline(b *testing.B) {
	testfix.BenchHandler(b, testfix.Bare(http.StatusNoContent), http.StatusNoContent, smsRequest)
}

// smsRequest is a typical incoming SMS with a new id for iteration i.
func smsRequest(i int) *http.Request {
	body := fmt.Appendf(nil, "direction=incoming&id=s%032d&from=%%2B46706861004&to=%%2B46706860000&created=2018-07-13T13%%3A57%%3A23.741000&message=Hello%%20how%%20are%%20you%%3F", i)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// TestConversationsReplyAccepted: 46elks' Conversations posts replies
// with the id as sms_id and no "to"; they reach OnSMS (a 400 would make
// 46elks retry for hours, then lose the reply).
func TestConversationsReplyAccepted(t *testing.T) {
	for _, name := range []string{"conversations-reply-docs", "conversations-reply-table"} {
		var got *SMS
		srv := serve(t, Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) { got = ev; return Reply{}, nil }})
		status, _, _, _ := post(t, srv.URL, fixture(t, name))
		want, err := Decode(fixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if status != 204 || got == nil || got.ID == "" || got.From == "" {
			t.Fatalf("%s: status %d, callback got %+v; want 204 and the SMS", name, status, got)
		}
		if diff := cmp.Diff(want, Event(got)); diff != "" {
			t.Errorf("%s (-decoded +callback):\n%s", name, diff)
		}
	}
}
