// Package config holds the settings a telhook handler is built from.
//
// It is a leaf package: the root package wraps [Option] in telhook.Option
// (see Register) and builds its With… functions on it, the handler core
// reads [Config], and provider packages declare their own settings with
// [NewKey], made public with [Public], without the root knowing them.
package config

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// DefaultMaxBodyBytes is the body limit when none (or a non-positive one) is set.
const DefaultMaxBodyBytes = 64 << 10

// Default de-duplication window: 46elks retries for at least 6 hours (24 in
// older docs), Mobtexting for about 1.5 hours; a day covers both.
const (
	DefaultDedupSize = 10_000
	DefaultDedupTTL  = 24 * time.Hour
)

// Verifier and Deduplicator have the method sets of telhook.Verifier and
// telhook.Deduplicator, so values of those types are assignable here without
// this package importing the root.
type (
	Verifier     interface{ Verify(r *http.Request) error }
	Deduplicator interface {
		Seen(ctx context.Context, key string) (bool, error)
	}
)

// QueryKey is the context key under which the handler core gives a
// callback the raw query of the webhook's URL, after verification (a
// QueryToken's secret stripped); telhook.Query and telhook.BindQuery read
// it.
type QueryKey struct{}

// Config is the resolved configuration of one handler.
type Config struct {
	MaxBodyBytes int64
	Verifier     Verifier // nil: no verification
	Logger       *slog.Logger
	Dedup        Deduplicator // nil: no de-duplication
	DedupSet     bool         // Dedup was set explicitly (even to nil)
	ErrorHandler func(http.ResponseWriter, *http.Request, error)
	// Mounted: the handler is mounted by a mux that reports which of its
	// paths have no verifier, so the handler does not warn on its own.
	Mounted bool

	values map[any]any
}

// Option changes a Config. The zero Option does nothing.
//
// The root package's Option wraps one, so that its documentation shows an
// opaque type rather than this package's; it registers how with Register
// when it is initialised. Every package that builds or reads options
// imports the root, so that is done before either happens.
type Option struct{ apply func(*Config) }

var (
	toPublic   func(Option) any
	fromPublic func(any) Option
)

// Register tells this package how to wrap an Option as the root package's
// and unwrap it again. Only the root package calls it, once.
func Register(wrap func(Option) any, unwrap func(any) Option) { toPublic, fromPublic = wrap, unwrap }

// Public returns o as the root package's option type P (telhook.Option).
func Public[P any](o Option) P { return toPublic(o).(P) }

// New returns an Option that runs f on the Config being built.
func New(f func(*Config)) Option { return Option{apply: f} }

// Build applies opts, the root package's options, in order to a Config
// with the defaults filled in for every setting left unset. It does not
// create a default deduplicator: the handler core does, so that each
// handler gets its own.
func Build[P any](opts []P) *Config {
	c := &Config{}
	for _, p := range opts {
		if o := fromPublic(p); o.apply != nil {
			o.apply(c)
		}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Key names one provider-specific setting of type T. Provider packages
// declare one package-level Key per setting.
type Key[T any] struct{ name string }

// NewKey returns a new, distinct key. The name is used in messages only.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// Option returns an Option that sets the key to v (the last one wins).
func (k *Key[T]) Option(v T) Option {
	return New(func(c *Config) {
		if c.values == nil {
			c.values = make(map[any]any)
		}
		c.values[k] = v
	})
}

// Get returns the key's value and whether it was set.
func (k *Key[T]) Get(c *Config) (T, bool) {
	v, ok := c.values[k]
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }
