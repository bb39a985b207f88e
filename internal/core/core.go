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
	"strconv"
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
	Kind  string // short event name for logs: "sms", "call", "unknown"
	Event any    // the decoded event, logged by kind only
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

type handler struct {
	spec   Spec
	allow  string
	limit  int64
	verify config.Verifier
	dedup  config.Deduplicator
	log    *slog.Logger
	onErr  func(http.ResponseWriter, *http.Request, error)
}

// New returns the handler for spec configured by cfg.
func New(spec Spec, cfg *config.Config) http.Handler {
	h := &handler{
		spec:   spec,
		allow:  strings.Join(spec.Methods, ", "),
		limit:  cfg.MaxBodyBytes,
		verify: cfg.Verifier,
		dedup:  cfg.Dedup,
		log:    cfg.Logger.With("provider", spec.Provider),
		onErr:  cfg.ErrorHandler,
	}
	if !cfg.DedupSet {
		h.dedup = telhook.NewMemoryDeduplicator(config.DefaultDedupSize, config.DefaultDedupTTL)
	}
	if h.onErr == nil {
		h.onErr = telhook.DefaultErrorHandler
	}
	if h.verify == nil {
		h.log.Warn("telhook: handler has no verifier: anyone who can reach its URL can post to it")
	}
	return h
}

// ServeHTTP runs the stages in the order of the package doc.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.methodAllowed(r.Method) {
		w.Header().Set("Allow", h.allow)
		h.fail(w, r, slog.LevelWarn, fmt.Errorf("%w: %s", telhook.ErrMethodNotAllowed, r.Method))
		return
	}
	if h.verify != nil {
		if err := h.verify.Verify(r); err != nil {
			if !errors.Is(err, telhook.ErrUnauthorized) {
				err = fmt.Errorf("%w: %w", telhook.ErrUnauthorized, err)
			}
			h.fail(w, r, slog.LevelWarn, err)
			return
		}
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
	d, err := h.spec.Decode(r, body)
	if err != nil {
		if !errors.Is(err, telhook.ErrMalformed) {
			err = &telhook.DecodeError{Provider: h.spec.Provider, Err: err}
		}
		h.fail(w, r, slog.LevelWarn, err)
		return
	}
	ctx := r.Context()
	key := ""
	if d.Key != "" && h.dedup != nil {
		key = h.spec.Provider + ":" + d.Key
		seen, err := h.dedup.Seen(ctx, key)
		switch {
		case err != nil:
			h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: deduplicator failed; handling the webhook anyway",
				slog.String("kind", d.Kind), slog.String("key", d.Key), slog.Any("error", err))
		case seen:
			h.log.LogAttrs(ctx, slog.LevelInfo, "telhook: duplicate webhook acknowledged",
				slog.String("kind", d.Kind), slog.String("key", d.Key))
			h.write(w, h.spec.Ack)
			return
		}
	}
	if d.Handle == nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: no callback for this webhook; acknowledged",
			slog.String("kind", d.Kind), slog.String("key", d.Key))
		h.write(w, h.spec.Ack)
		return
	}
	start := time.Now()
	ans, err := call(ctx, d.Handle)
	if err != nil {
		if key != "" {
			h.forget(ctx, key)
		}
		if d.Fallback != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "telhook: callback failed; answered the fallback",
				slog.String("kind", d.Kind), slog.String("key", d.Key), slog.Any("error", err))
			h.write(w, *d.Fallback)
			return
		}
		h.fail(w, r, slog.LevelError, err, slog.String("kind", d.Kind), slog.String("key", d.Key))
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

func (h *handler) methodAllowed(m string) bool {
	for _, a := range h.spec.Methods {
		if m == a {
			return true
		}
	}
	return false
}

func (h *handler) forget(ctx context.Context, key string) {
	f, ok := h.dedup.(interface {
		Forget(context.Context, string) error
	})
	if !ok {
		return
	}
	if err := f.Forget(ctx, key); err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "telhook: deduplicator could not forget a failed webhook; a retry may be dropped",
			slog.String("key", key), slog.Any("error", err))
	}
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, level slog.Level, err error, attrs ...slog.Attr) {
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr), slog.Any("error", err))
	h.log.LogAttrs(r.Context(), level, "telhook: webhook refused", attrs...)
	h.onErr(w, r, err)
}

func (h *handler) write(w http.ResponseWriter, a Answer) {
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
		buf.Grow(int(r.ContentLength))
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

// Key joins the parts of a de-duplication key so that no two lists of
// parts give the same key: each part is written with its length first
// ("3:sms14:s70df59…"), so no separator inside a value can be mistaken for
// one between values.
func Key(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 4
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// Instant writes t as the instant it is, whatever zone it was sent in, for
// use in a Key.
func Instant(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + strconv.Itoa(t.Nanosecond())
}
