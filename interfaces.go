package telhook

import (
	"context"
	"net/http"
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
// retry is handled instead of being acknowledged as a duplicate; the one from
// NewMemoryDeduplicator has it. Deduplicators must be safe for concurrent
// use.
type Deduplicator interface {
	Seen(ctx context.Context, key string) (bool, error)
}
