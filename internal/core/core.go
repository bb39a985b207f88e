// Package core is the handler every provider package wraps: method check,
// verification, bounded body read, decoding (by the provider), de-duplication,
// the callback with panic recovery, and the answer, in that order and with
// the statuses of DESIGN.md's error table.
//
// A provider supplies a Spec: which methods it accepts, how it acknowledges,
// and how it turns a body into a Delivery. Everything provider-specific stays
// in the provider package; nothing here knows a provider.
package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
)

// Answer is an HTTP response to the provider.
type Answer struct {
	Status      int    // 0 means the Spec's Ack
	ContentType string // "" writes no Content-Type
	Body        []byte
}

// Delivery is one decoded webhook, ready to be handed to the user.
type Delivery struct {
	Kind string // short event name for logs: "sms", "call", "unknown"
	// Key identifies the webhook for de-duplication, unique within the
	// provider; "" means this webhook is never de-duplicated.
	Key string
	// Handle calls the user's callback and returns the answer. nil means no
	// callback is set for this kind: the webhook is acknowledged and logged.
	Handle func(context.Context) (Answer, error)
	// Fallback, when set, is answered instead of a 500 when Handle fails.
	Fallback *Answer
}

// Spec describes one provider's webhook endpoint.
type Spec struct {
	Provider string   // "elks", "obd", ...: in logs, errors and dedup keys
	Methods  []string // accepted methods; others get 405
	Ack      Answer   // answer to duplicates, unhandled kinds and Status 0
	// Decode turns a body into a Delivery. It must not keep body after it
	// returns (the buffer is reused). Errors should be *telhook.DecodeError.
	Decode func(r *http.Request, body []byte) (Delivery, error)
}

// Handler serves one Spec. It is what New and Dispatch return.
type Handler struct {
	spec   Spec
	allow  string
	limit  int64
	verify config.Verifier
	dedup  telhook.Claimer // nil: no de-duplication
	log    *slog.Logger
	onErr  func(http.ResponseWriter, *http.Request, error)
	// route, set by Dispatch, picks the handler that serves a body this
	// handler has verified and read, instead of decoding it.
	route func(r *http.Request, body []byte) (*Handler, error)
}

// New returns the handler for spec configured by cfg.
func New(spec Spec, cfg *config.Config) *Handler {
	h := &Handler{
		spec:   spec,
		allow:  strings.Join(spec.Methods, ", "),
		limit:  cfg.MaxBodyBytes,
		verify: cfg.Verifier,
		log:    cfg.Logger.With("provider", spec.Provider),
		onErr:  cfg.ErrorHandler,
	}
	d := cfg.Dedup
	if !cfg.DedupSet {
		d = telhook.NewMemoryDeduplicator(config.DefaultDedupSize, config.DefaultDedupTTL)
	}
	if d != nil {
		h.dedup = claimer(d)
	}
	if h.onErr == nil {
		h.onErr = telhook.DefaultErrorHandler
	}
	if h.verify == nil && !cfg.Mounted {
		h.log.Warn("telhook: handler has no verifier: anyone who can reach its URL can post to it")
	}
	return h
}

// Verified reports whether the handler runs a verifier.
func (h *Handler) Verified() bool { return h.verify != nil }

// Provider returns the Spec's provider name.
func (h *Handler) Provider() string { return h.spec.Provider }

// Dispatch returns a handler that serves one path for several handlers: it
// accepts the methods any of them accepts, runs cfg's verifier, reads the
// body bounded by the largest of their limits, and asks pick which of them
// the request is for. That handler then serves it as if the request had
// come to its own path, from its method check on: its verifier, its body
// limit, its de-duplication state, its callback and its answer. A pick
// error is answered 400 as a DecodeError of provider name.
func Dispatch(name string, cfg *config.Config, pick func(r *http.Request, body []byte) (*Handler, error), routes ...*Handler) *Handler {
	var methods []string
	var limit int64
	for _, r := range routes {
		for _, m := range r.spec.Methods {
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
		limit = max(limit, r.limit)
	}
	cfg.Mounted = true // the routes' own verifiers still run
	cfg.DedupSet, cfg.Dedup = true, nil
	h := New(Spec{Provider: name, Methods: methods}, cfg)
	h.limit = limit
	h.route = pick
	return h
}

// ServeHTTP runs the stages in the order of the package doc.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.admit(w, r) {
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	body, err := readBody(w, r, h.limit, buf, h.spec.Provider)
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			h.fail(w, r, slog.LevelWarn, err, slog.Any("cause", re.cause))
			return
		}
		h.fail(w, r, slog.LevelWarn, err)
		return
	}
	if h.route == nil {
		h.serve(w, r, body)
		return
	}
	next, err := h.route(r, body)
	if err != nil {
		if !errors.Is(err, telhook.ErrMalformed) {
			err = &telhook.DecodeError{Provider: h.spec.Provider, Err: err}
		}
		h.fail(w, r, slog.LevelWarn, err)
		return
	}
	if !next.admit(w, r) {
		return
	}
	if int64(len(body)) > next.limit {
		next.fail(w, r, slog.LevelWarn, tooLarge(next.limit))
		return
	}
	next.serve(w, r, body)
}

// admit checks the method and runs the verifier; it answers a refusal
// itself and then returns false.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) bool {
	if !slices.Contains(h.spec.Methods, r.Method) {
		w.Header().Set("Allow", h.allow)
		h.fail(w, r, slog.LevelWarn, fmt.Errorf("%w: %s", telhook.ErrMethodNotAllowed, r.Method))
		return false
	}
	if h.verify != nil {
		if err := h.verify.Verify(r); err != nil {
			if !errors.Is(err, telhook.ErrUnauthorized) {
				err = fmt.Errorf("%w: %w", telhook.ErrUnauthorized, err)
			}
			h.fail(w, r, slog.LevelWarn, err)
			return false
		}
	}
	return true
}

// serve decodes body, de-duplicates, calls the callback and answers.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	d, err := h.spec.Decode(r, body)
	if err != nil {
		if !errors.Is(err, telhook.ErrMalformed) {
			err = &telhook.DecodeError{Provider: h.spec.Provider, Err: err}
		}
		h.fail(w, r, slog.LevelWarn, err)
		return
	}
	// The callback's context carries the URL's query, for telhook.Query
	// and telhook.BindQuery: verified, its secret stripped.
	ctx := context.WithValue(r.Context(), config.QueryKey{}, r.URL.RawQuery)
	held := "" // the de-duplication key this delivery holds, until released
	if d.Key != "" && h.dedup != nil {
		key := h.spec.Provider + ":" + d.Key
		c, err := h.dedup.Claim(ctx, key)
		switch {
		case err != nil:
			h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: deduplicator failed; handling the webhook anyway",
				slog.String("kind", d.Kind), slog.String("key", d.Key), slog.Any("error", err))
		case c == telhook.Duplicate:
			h.log.LogAttrs(ctx, slog.LevelInfo, "telhook: duplicate webhook acknowledged",
				slog.String("kind", d.Kind), slog.String("key", d.Key))
			h.write(w, h.spec.Ack)
			return
		case c == telhook.InFlight:
			h.fail(w, r, slog.LevelInfo, telhook.ErrInFlight, slog.String("kind", d.Kind), slog.String("key", d.Key))
			return
		default:
			held = key
			// Released below with the outcome; this release runs only when
			// the callback aborts the response (http.ErrAbortHandler).
			defer func() {
				if held != "" {
					h.release(ctx, held, false)
				}
			}()
		}
	}
	if d.Handle == nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: no callback for this webhook; acknowledged",
			slog.String("kind", d.Kind), slog.String("key", d.Key))
		h.release(ctx, held, true)
		held = ""
		h.write(w, h.spec.Ack)
		return
	}
	start := time.Now()
	ans, err := call(ctx, d.Handle)
	h.release(ctx, held, err == nil)
	held = ""
	if err != nil {
		attrs := []slog.Attr{slog.String("kind", d.Kind), slog.String("key", d.Key),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("remote", r.RemoteAddr), slog.Any("error", err)}
		if d.Fallback != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "telhook: callback failed; answered the fallback", attrs...)
			h.write(w, *d.Fallback)
			return
		}
		h.log.LogAttrs(ctx, slog.LevelError, "telhook: callback failed; answered an error so that the provider retries", attrs...)
		h.onErr(w, r, err)
		return
	}
	if ans.Status == 0 {
		ans = h.spec.Ack
	}
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.log.LogAttrs(ctx, slog.LevelDebug, "telhook: webhook handled",
			slog.String("kind", d.Kind), slog.String("key", d.Key),
			slog.Int("status", ans.Status), slog.Duration("callback", time.Since(start)))
	}
	h.write(w, ans)
}

// release ends the claim on key ("" : nothing held) with the outcome. It
// runs even when the request's context is done: a key left held would make
// every retry wait for the claim to lapse.
func (h *Handler) release(ctx context.Context, key string, handled bool) {
	if key == "" {
		return
	}
	if err := h.dedup.Release(context.WithoutCancel(ctx), key, handled); err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: deduplicator could not release a webhook; a retry may be delayed or dropped",
			slog.String("key", key), slog.Bool("handled", handled), slog.Any("error", err))
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, level slog.Level, err error, attrs ...slog.Attr) {
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr), slog.Any("error", err))
	h.log.LogAttrs(r.Context(), level, "telhook: webhook refused", attrs...)
	h.onErr(w, r, err)
}

func (h *Handler) write(w http.ResponseWriter, a Answer) {
	if a.ContentType != "" {
		w.Header().Set("Content-Type", a.ContentType)
	}
	w.WriteHeader(a.Status)
	if len(a.Body) > 0 {
		_, _ = w.Write(a.Body)
	}
}

// call runs the callback, turning a panic into an error (http.ErrAbortHandler
// is re-raised: it is net/http's way to abort a response on purpose).
func call(ctx context.Context, handle func(context.Context) (Answer, error)) (ans Answer, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	ans, err = handle(ctx)
	if err != nil {
		err = fmt.Errorf("callback: %w", err)
	}
	return ans, err
}

// PanicError is a recovered callback panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error names the panic value; the stack is in LogValue.
func (e *PanicError) Error() string { return fmt.Sprintf("callback panicked: %v", e.Value) }

// LogValue keeps the stack in structured logs.
func (e *PanicError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("panic", fmt.Sprint(e.Value)), slog.String("stack", string(e.Stack)))
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 256<<10 { // do not keep buffers that grew for a large limit
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// readBody reads at most limit bytes of r.Body into buf. A declared length
// over the limit is refused before reading anything.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, buf *bytes.Buffer, provider string) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > 0 {
		// Grow for what a prompt client sends at once, not for what a slow
		// one only declares: the rest grows with what actually arrives.
		buf.Grow(int(min(r.ContentLength, preGrow)))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: %w", telhook.ErrTooLarge, mbe)
		}
		return nil, &telhook.DecodeError{Provider: provider, Err: &readError{cause: err}}
	}
	return buf.Bytes(), nil
}

// preGrow is the most a body buffer is grown to before anything arrives.
const preGrow = 8 << 10

// readError is a body that broke off. Its text is what the caller is told,
// so it carries no detail of the network (addresses, timeouts): that goes
// to the log, and stays reachable with errors.Is and errors.As.
type readError struct{ cause error }

// Error is what the caller is told.
func (e *readError) Error() string { return "the body could not be read" }

// Unwrap returns the network error, for logs and errors.Is.
func (e *readError) Unwrap() error { return e.cause }

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: %w", telhook.ErrTooLarge, &http.MaxBytesError{Limit: limit})
}

// ReadBody reads a request body for a provider's Parse function, bounded by
// config.DefaultMaxBodyBytes. The result is the caller's to keep.
func ReadBody(r *http.Request, provider string) ([]byte, error) {
	var buf bytes.Buffer
	return readBody(nil, r, config.DefaultMaxBodyBytes, &buf, provider)
}

// claimer makes any Deduplicator a Claimer. One that is not keeps the
// in-flight rule within this process: keys being handled here are held in
// a set, and a key released as not handled is forgotten when it can be.
func claimer(d config.Deduplicator) telhook.Claimer {
	if c, ok := d.(telhook.Claimer); ok {
		return c
	}
	return &seenClaimer{Deduplicator: d, held: make(map[string]struct{})}
}

type seenClaimer struct {
	telhook.Deduplicator
	mu   sync.Mutex
	held map[string]struct{}
}

// Claim answers InFlight for a key held in this process, else asks Seen.
func (s *seenClaimer) Claim(ctx context.Context, key string) (telhook.Claim, error) {
	s.mu.Lock()
	if _, ok := s.held[key]; ok {
		s.mu.Unlock()
		return telhook.InFlight, nil
	}
	s.held[key] = struct{}{}
	s.mu.Unlock()
	seen, err := s.Seen(ctx, key)
	if err != nil || seen {
		s.mu.Lock()
		delete(s.held, key)
		s.mu.Unlock()
	}
	if err != nil {
		return 0, err
	}
	if seen {
		return telhook.Duplicate, nil
	}
	return telhook.Claimed, nil
}

// Release frees key here and, when it was not handled, asks the
// Deduplicator to Forget it (when it can).
func (s *seenClaimer) Release(ctx context.Context, key string, handled bool) error {
	s.mu.Lock()
	delete(s.held, key)
	s.mu.Unlock()
	if handled {
		return nil
	}
	if f, ok := s.Deduplicator.(interface {
		Forget(context.Context, string) error
	}); ok {
		return f.Forget(ctx, key)
	}
	return nil
}

// Acknowledge binds ev to fn, a callback whose success is answered with the
// Spec's Ack; a nil fn leaves the webhook unhandled (acknowledged and
// logged). Every provider's plain callbacks are bound with it.
func Acknowledge[E any](kind, key string, ev E, fn func(context.Context, E) error) Delivery {
	d := Delivery{Kind: kind, Key: key}
	if fn != nil {
		d.Handle = func(ctx context.Context) (Answer, error) { return Answer{}, fn(ctx, ev) }
	}
	return d
}
