package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook"
)

// Deduplicator is a telhook.Claimer that keeps its keys in Redis, so that
// every receiver sharing the Redis (and the prefix) de-duplicates against
// all the others. Make one with NewDeduplicator; it is safe for concurrent
// use.
//
// A key is stored as prefix + "dedup:" + the handler's key, and holds one
// of two values:
//
//   - "inflight:" + a token of the claim: a delivery is being handled. The
//     key expires after the lease (WithLease), so that a claim held by an
//     instance that died is freed.
//   - "done": a delivery was handled. The key expires at the end of its
//     window (WithTTL), counted from the claim.
//
// A free key is one that does not exist.
type Deduplicator struct {
	c       redis.UniversalClient
	prefix  string // cfg.prefix + "dedup:"
	ttl     time.Duration
	lease   time.Duration
	timeout time.Duration
	owner   string        // random, starts the tokens of this Deduplicator's claims
	seq     atomic.Uint64 // numbers the claims

	mu   sync.Mutex
	held map[string][]hold // key → its claims held here, oldest first
}

// hold is one claim of this Deduplicator, from Claim to Release.
type hold struct {
	value string    // "inflight:" + token, as stored in Redis
	at    time.Time // when it was claimed: the window starts here
}

var _ telhook.Claimer = (*Deduplicator)(nil)

// NewDeduplicator returns a Deduplicator on c, a *redis.Client (also as
// made by redis.NewFailoverClient), *redis.ClusterClient or *redis.Ring.
// Build c with ContextTimeoutEnabled: true, or a hung Redis holds each
// webhook for the client's ReadTimeout instead of the request's deadline;
// NewDeduplicator logs a warning (WithLogger) when c is one of the clients
// above and was built without it. It uses WithPrefix, WithTTL, WithLease,
// WithCallTimeout and WithLogger.
func NewDeduplicator(c redis.UniversalClient, opts ...Option) *Deduplicator {
	cfg := newConfig(opts)
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	d := &Deduplicator{
		c:       c,
		prefix:  cfg.prefix + "dedup:",
		ttl:     cfg.ttl,
		lease:   cfg.lease,
		timeout: cfg.callTimeout,
		owner:   hex.EncodeToString(b[:]),
		held:    make(map[string][]hold),
	}
	if enabled, known := contextTimeouts(c); known && !enabled {
		cfg.logger.LogAttrs(context.Background(), slog.LevelWarn,
			"redisstore: the Redis client was built without ContextTimeoutEnabled: "+
				"a hung Redis holds each webhook for the client's ReadTimeout per call, "+
				"whatever the request's deadline")
	}
	return d
}

// contextTimeouts reports whether c honours context deadlines, when its
// type tells.
func contextTimeouts(c redis.UniversalClient) (enabled, known bool) {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled, true
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled, true
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled, true
	}
	return false, false
}

// claimScript claims a free key for a lease, or tells what holds it. A
// script runs alone on the server, and keys do not expire while it runs,
// so the GET always finds what made the SET fail.
//
// KEYS[1]: the key. ARGV[1]: the claim's value; ARGV[2]: the lease in ms.
// Returns 1: claimed; 2: done (duplicate); 3: held by another claim.
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 1
end
if redis.call('GET', KEYS[1]) == 'done' then
	return 2
end
return 3
`)

// releaseScript ends a claim with its outcome, compare-and-set on the
// claim's value, so that a claim whose lease lapsed never touches the
// claim that took the key after it. Handled, it marks the key done for the
// rest of its window, also when the lease lapsed and nobody took the key
// since (the webhook was handled: a later retry is a duplicate). Not
// handled, it frees the key if the claim still holds it.
//
// KEYS[1]: the key. ARGV[1]: the claim's value; ARGV[2]: "1" handled, "0"
// not; ARGV[3]: what is left of the window in ms (> 0).
// Returns 1 when it changed the key, 0 when the key was not this claim's.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if ARGV[2] == '1' then
	if v == ARGV[1] or v == false then
		redis.call('SET', KEYS[1], 'done', 'PX', ARGV[3])
		return 1
	end
	return 0
end
if v == ARGV[1] then
	redis.call('DEL', KEYS[1])
	return 1
end
return 0
`)

// Claim reports what is known of key and, when it is free, holds it for
// the caller until Release or the end of the lease:
//
//   - telhook.Claimed: the key was free; it is now held by a claim of this
//     Deduplicator, which the caller must end with Release.
//   - telhook.Duplicate: a delivery with this key was handled within the
//     window.
//   - telhook.InFlight: a claim holds the key, of this instance or another.
//
// It is one Lua script, one round trip. An error (wrapped, "redisstore:
// claim: …") means nothing is known: the handler logs it and handles the
// webhook anyway. When the script ran but its answer was lost (a timeout),
// the key stays held until the lease ends.
func (d *Deduplicator) Claim(ctx context.Context, key string) (telhook.Claim, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	h := hold{value: "inflight:" + d.owner + ":" + strconv.FormatUint(d.seq.Add(1), 36), at: time.Now()}
	n, err := claimScript.Run(ctx, d.c, []string{d.prefix + key}, h.value, ms(d.lease)).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstore: claim: %w", err)
	}
	switch n {
	case 1:
		d.mu.Lock()
		d.held[key] = append(d.held[key], h)
		d.mu.Unlock()
		return telhook.Claimed, nil
	case 2:
		return telhook.Duplicate, nil
	case 3:
		return telhook.InFlight, nil
	}
	return 0, fmt.Errorf("redisstore: claim: the script answered %d", n)
}

// Release ends this Deduplicator's claim on key with the outcome: handled
// keeps the key, as handled, for the rest of its window (counted from the
// claim); !handled frees it, so that the provider's retry is handled. A
// claim whose lease lapsed never changes a key that another claim took
// since. When this Deduplicator holds several claims on key (a lease
// lapsed and the key was claimed again here), the oldest is ended. Release
// without a claim held does nothing.
//
// An error (wrapped, "redisstore: release: …") leaves the key to its lease:
// until it ends retries are answered 503, and then handled.
func (d *Deduplicator) Release(ctx context.Context, key string, handled bool) error {
	d.mu.Lock()
	hs := d.held[key]
	if len(hs) == 0 {
		d.mu.Unlock()
		return nil
	}
	h := hs[0]
	if len(hs) == 1 {
		delete(d.held, key)
	} else {
		d.held[key] = hs[1:]
	}
	d.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	outcome := "0"
	if handled {
		outcome = "1"
	}
	left := max(d.ttl-time.Since(h.at), time.Millisecond)
	if err := releaseScript.Run(ctx, d.c, []string{d.prefix + key}, h.value, outcome, ms(left)).Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	return nil
}

// Seen marks key as handled and reports whether it was already seen
// (handled within the window, or claimed now): a claim and a handled
// release at once, one SET NX. An error is wrapped, "redisstore: seen: …".
func (d *Deduplicator) Seen(ctx context.Context, key string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	set, err := d.c.SetNX(ctx, d.prefix+key, "done", d.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: seen: %w", err)
	}
	return !set, nil
}

// Forget frees key, whatever holds it, so that the next Seen or Claim for
// it finds nothing. An error is wrapped, "redisstore: forget: …".
func (d *Deduplicator) Forget(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := d.c.Del(ctx, d.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: forget: %w", err)
	}
	return nil
}

// ms is d in whole milliseconds, at least 1, as PX takes it.
func ms(d time.Duration) int64 {
	return max(d.Milliseconds(), 1)
}
