package telhook

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/telhook/telhook/internal/config"
)

// Option configures a handler made by any provider package's NewHandler.
// The options in this package apply to every provider; provider packages add
// their own (elks.WithFallback, ...), so one variadic list configures a
// handler. Options apply in order; for a setting given twice the last wins.
type Option struct{ o config.Option }

func init() {
	config.Register(func(o config.Option) any { return Option{o} }, func(v any) config.Option { return v.(Option).o })
}

// DefaultMaxBodyBytes is the body limit of a handler without WithMaxBodyBytes.
const DefaultMaxBodyBytes = config.DefaultMaxBodyBytes

// WithMaxBodyBytes limits the bytes read from a request body. A larger body
// is refused with 413 and an error matching ErrTooLarge, after at most n+1
// bytes were read. n <= 0 means DefaultMaxBodyBytes (64 KiB): there is no
// way to read a body unbounded.
func WithMaxBodyBytes(n int64) Option {
	return Option{config.New(func(c *config.Config) { c.MaxBodyBytes = n })}
}

// WithVerifier makes the handler run v before anything of the request is
// decoded; a refusal is answered with 401 and an empty body. Without it no
// request is verified and the handler logs a warning when it is built.
func WithVerifier(v Verifier) Option {
	return Option{config.New(func(c *config.Config) { c.Verifier = v })}
}

// WithLogger sets the structured logger (default slog.Default()). Failed and
// unknown webhooks are logged at Warn, callback failures at Error, every
// handled webhook at Debug.
func WithLogger(l *slog.Logger) Option {
	return Option{config.New(func(c *config.Config) { c.Logger = l })}
}

// WithDeduplicator replaces the handler's de-duplication. By default every
// handler has its own NewMemoryDeduplicator(10000, 24*time.Hour); nil turns
// de-duplication off.
func WithDeduplicator(d Deduplicator) Option {
	return Option{config.New(func(c *config.Config) { c.Dedup, c.DedupSet = d, true })}
}

// WithErrorHandler replaces DefaultErrorHandler, which writes the answer for
// every request that fails. fn is called with an error matching one of
// ErrMethodNotAllowed, ErrUnauthorized, ErrTooLarge, ErrInFlight or
// ErrMalformed, or with the error (or recovered panic) of a callback. It
// must write the response.
func WithErrorHandler(fn func(http.ResponseWriter, *http.Request, error)) Option {
	return Option{config.New(func(c *config.Config) { c.ErrorHandler = fn })}
}

// DefaultErrorHandler answers a failed request the way every provider
// expects: 405, 401, 413, 503 (with Retry-After) or 400 for the sentinel
// errors, 500 for anything else (a failed callback) so that the provider
// retries. A 400 carries a short reason naming provider and field; the
// others carry no detail.
// Custom error handlers can call it after doing their own work.
func DefaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	var de *DecodeError
	switch {
	case errors.Is(err, ErrMethodNotAllowed):
		w.WriteHeader(http.StatusMethodNotAllowed)
	case errors.Is(err, ErrUnauthorized):
		w.WriteHeader(http.StatusUnauthorized)
	case errors.Is(err, ErrTooLarge):
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	case errors.Is(err, ErrInFlight):
		h.Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
	case errors.As(err, &de):
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(de.reason() + "\n"))
	case errors.Is(err, ErrMalformed):
		w.WriteHeader(http.StatusBadRequest)
	default:
		w.WriteHeader(http.StatusInternalServerError)
	}
}
