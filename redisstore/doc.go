// Package redisstore keeps telhook's shared state in Redis, so that a
// receiver can run as many instances behind a load balancer: a provider's
// retry that lands on another instance than the first delivery is still
// recognised.
//
// It is a module of its own (github.com/telhook/telhook/redisstore), so
// that telhook itself does not depend on go-redis. It takes a
// redis.UniversalClient: a single server, Sentinel (failover) and Cluster
// all work.
//
// # De-duplication
//
// NewDeduplicator returns a telhook.Claimer for telhook.WithDeduplicator.
// It keeps the rule of telhook.Claimer: de-duplication never acknowledges
// a webhook that has not been handled. Each webhook key is one Redis key,
// prefix + "dedup:" + key, which is
//
//   - absent: the webhook is new; Claim sets it to "inflight:<token>"
//     (SET NX PX lease) and answers telhook.Claimed;
//   - "inflight:<token>": a delivery is being handled, by this instance or
//     another; Claim answers telhook.InFlight, and the handler answers 503
//     with Retry-After so that the provider retries;
//   - "done": handled within the window; Claim answers telhook.Duplicate,
//     and the handler acknowledges without calling the callback.
//
// Claim is one Lua script (SET NX, then GET of what stopped it), so two
// instances claiming one key at once get exactly one Claimed between them.
// Release is one Lua script too, a compare-and-set on the claim's token
// (the Deduplicator's random id and a counter, unique to the claim): handled, it sets "done" for the rest of the window
// (WithTTL, 24 hours, counted from the claim); not handled, it deletes the
// key, so the provider's retry is handled. A claim is a lease (WithLease,
// 5 minutes): the key of an instance that died while holding it is freed
// when the lease ends, and a release that comes after its lease lapsed
// never touches the claim that took the key since. Seen is a single
// SET NX PX of "done"; Forget a DEL.
//
// # Shared 3CX calls
//
// NewCallStore returns a pbx3cx.CallStore for pbx3cx.WithCallStore, so
// that the Trackers of every instance share the open calls: each rebuilds
// a call from all of its events, whichever instance received them, and
// each call is emitted once per claim (a lease), at least once overall;
// consumers de-duplicate on Call.ID. Every method is one Lua script, and
// every key is prefix + "{tracker}:" + a name, under one hash tag, so that
// the scripts run on a Cluster. The store's clock is Redis' (TIME): the
// times the Tracker passes are ignored, so the clocks of the instances do
// not matter. An error is wrapped, "redisstore: append: …"; the Tracker
// counts it in TrackerStats.StoreErrors.
//
// # Failures
//
// De-duplication fails open: an error from Claim (wrapped, "redisstore:
// claim: …") makes the handler log "deduplicator failed; handling the
// webhook anyway" and call the callback. A webhook is then handled even if
// it was handled before; none is lost.
//
// Every call is bounded by its context and, when the context has no
// earlier deadline, by WithCallTimeout (1 second). The handler claims with
// the request's context and releases with one that has no deadline, so
// the call timeout is what bounds a release.
//
// Build the client with ContextTimeoutEnabled: true. Without it go-redis
// ignores context deadlines on the socket and waits out its ReadTimeout
// (5 seconds by default) on a hung server, for every call; NewDeduplicator
// logs a warning for such a client.
//
// Measured on a loopback Redis 7.0 (TestFailureTiming, with
// TELHOOK_REDIS_ADDR set: go test -run TestFailureTiming -v), a Claim with
// a request context of 100 ms:
//
//   - server hung (CLIENT PAUSE): fails after 101 ms with
//     ContextTimeoutEnabled, after the ReadTimeout without it (5.0 s with
//     go-redis' default);
//   - connection refused (server stopped): fails after 101 ms, go-redis
//     redialling until the deadline, with or without ContextTimeoutEnabled;
//   - without a request deadline, with ContextTimeoutEnabled: after the
//     call timeout (1.0 s by default), hung or refused.
//
// After a timeout go-redis drops the connection and dials a new one for
// the next call, so nothing is left waiting once Redis answers again. A
// Claim whose script ran but whose answer was lost holds the key until the
// lease ends; a Release that fails leaves the key to its lease too: until
// then retries are answered 503, and then handled.
package redisstore
