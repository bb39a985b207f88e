package redisstore

import (
	"log/slog"
	"time"
)

// Option configures a store made by this package's constructors. One
// Option type serves every store, so that a shared setting (the prefix)
// is written once; a store ignores options that do not concern it. Options
// apply in order; for a setting given twice the last wins.
type Option struct{ apply func(*config) }

// The defaults of the options.
const (
	// DefaultPrefix starts every key of every store.
	DefaultPrefix = "telhook:"
	// DefaultTTL is how long a Deduplicator remembers a handled webhook:
	// longer than any provider retries.
	DefaultTTL = 24 * time.Hour
	// DefaultLease is how long a Deduplicator's claim on a webhook lasts
	// when it is not released, as when the instance holding it died.
	DefaultLease = 5 * time.Minute
	// DefaultCallTimeout bounds a Redis call made with a context that has
	// no deadline, or a later one.
	DefaultCallTimeout = time.Second
)

// config is what the options set; its zero value means "the defaults".
type config struct {
	prefix      string
	prefixSet   bool
	ttl         time.Duration
	lease       time.Duration
	callTimeout time.Duration
	logger      *slog.Logger
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&c)
		}
	}
	if !c.prefixSet {
		c.prefix = DefaultPrefix
	}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.lease <= 0 {
		c.lease = DefaultLease
	}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithPrefix puts every key of the store under p (default DefaultPrefix,
// "telhook:"). Give the receivers that share state the same prefix, and
// different prefixes to receivers that must not, such as staging and
// production on one Redis. p may be empty.
func WithPrefix(p string) Option {
	return Option{func(c *config) { c.prefix, c.prefixSet = p, true }}
}

// WithTTL sets how long a Deduplicator remembers a webhook that was
// handled, counted from the moment it was claimed, as
// telhook.NewMemoryDeduplicator counts it. d <= 0 means DefaultTTL (24
// hours), which covers the retries of every provider.
func WithTTL(d time.Duration) Option {
	return Option{func(c *config) { c.ttl = d }}
}

// WithLease sets how long a Deduplicator's claim on a webhook lasts if it
// is never released (default DefaultLease, 5 minutes). A claim is a lease:
// when the instance holding it dies, the key is freed after d, and the
// provider's next retry is handled. Until then retries are answered 503.
// d must exceed the longest callback: a claim that lapses while its
// callback still runs lets a retry be handled a second time. d <= 0 means
// DefaultLease.
func WithLease(d time.Duration) Option {
	return Option{func(c *config) { c.lease = d }}
}

// WithCallTimeout bounds each Redis call of the store to d when the
// caller's context has no earlier deadline (default DefaultCallTimeout, 1
// second). The handler releases a claim with a context that has no
// deadline, so that a release is not lost with a closed connection; this
// bound is what keeps a hung Redis from holding the response. It takes
// effect only with a client built with ContextTimeoutEnabled (see the
// package doc). d <= 0 means DefaultCallTimeout.
func WithCallTimeout(d time.Duration) Option {
	return Option{func(c *config) { c.callTimeout = d }}
}

// WithLogger sets where the store reports what the caller cannot see
// (default slog.Default()): a client without ContextTimeoutEnabled, when
// the store is built. Errors of calls are returned, not logged.
func WithLogger(l *slog.Logger) Option {
	return Option{func(c *config) { c.logger = l }}
}
