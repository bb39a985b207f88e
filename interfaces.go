package telhook

import (
	"context"
	"net/http"
	"strconv"
)

// Verifier decides whether a request really comes from the provider. Verify
// returns nil to accept; any error refuses (the handler answers 401 and
// passes an error matching ErrUnauthorized to the error handler). Verify must
// not read the body: it runs before anything is decoded. Verifiers must be
// safe for concurrent use.
//
// None of the four providers signs its webhooks, so verification is by what
// each can send: credentials in the URL (BasicAuth, QueryToken), a bearer
// secret (BearerToken, Mobtexting), or the sender's address (SourceIP).
type Verifier interface {
	Verify(r *http.Request) error
}

// Deduplicator remembers webhook keys so that a provider's retry of a
// webhook that was already handled does not reach a callback twice.
//
// Seen marks key as seen and reports whether it already was. An error makes
// the handler log it and handle the webhook anyway (at-least-once beats
// losing a webhook). A Deduplicator that also has a method
//
//	Forget(ctx context.Context, key string) error
//
// is told to forget a key whose callback failed, so that the provider's
// retry is handled instead of being acknowledged as a duplicate.
//
// A Deduplicator that is also a [Claimer] is used through Claim and Release
// instead. For one that is not, the handler keeps the Claimer rule within
// its own process: a retry that arrives while the first delivery of the
// same webhook is being handled in this process is answered 503, never
// acknowledged. Deduplicators must be safe for concurrent use.
type Deduplicator interface {
	Seen(ctx context.Context, key string) (bool, error)
}

// Claimer is a Deduplicator that knows which webhooks are being handled
// right now, so that de-duplication never acknowledges a webhook that has
// not been handled. The handler calls Claim before the callback and, when
// it got Claimed, Release after it with the outcome, however the callback
// ended (returned, failed, panicked, or aborted the response):
//
//   - Claimed: the key was free and is now held by this delivery.
//   - Duplicate: a delivery with this key was handled within the window:
//     the handler acknowledges the retry without calling the callback.
//   - InFlight: another delivery holds the key: the handler answers 503
//     with Retry-After (an error matching [ErrInFlight]), so that the
//     provider retries, and the first delivery's outcome decides.
//
// Release with handled true keeps the key for the rest of its window;
// handled false forgets it at once, so the provider's retry is handled. A
// shared store should give claims a lease, so that a key held by an
// instance that died is freed. An error from Claim makes the handler log it
// and handle the webhook anyway; an error from Release is logged.
// NewMemoryDeduplicator returns a Claimer.
type Claimer interface {
	Deduplicator
	Claim(ctx context.Context, key string) (Claim, error)
	Release(ctx context.Context, key string, handled bool) error
}

// Claim is what a Claimer found for a key.
type Claim uint8

// The answers of Claimer.Claim.
const (
	Claimed   Claim = iota + 1 // free: now held by the caller, who must Release it
	Duplicate                  // handled within the window: acknowledge, do not handle again
	InFlight                   // held by another delivery now: answer a retryable status
)

// String returns "claimed", "duplicate" or "in_flight".
func (c Claim) String() string {
	switch c {
	case Claimed:
		return "claimed"
	case Duplicate:
		return "duplicate"
	case InFlight:
		return "in_flight"
	}
	return "Claim(" + strconv.Itoa(int(c)) + ")"
}
