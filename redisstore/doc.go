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
// (the Deduplicator's random id and a counter, unique to the claim):
// handled, it sets "done" for the rest of the window (WithTTL, 24 hours,
// counted from the claim); not handled, it deletes the key, so the
// provider's retry is handled. A claim is a lease (WithLease,
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
// consumers de-duplicate on Call.ID. Every method that changes the store
// is one Lua script (Due and Candidates run one per 500 calls, Usage is
// one HMGET), and every key is prefix + "{tracker}:" + a name, under one
// hash tag, so that the scripts run on a Cluster. The store's clock is
// Redis' (TIME): the times the Tracker passes are ignored, so the clocks
// of the instances do not matter. An error is wrapped, "redisstore:
// append: …"; the Tracker counts it in TrackerStats.StoreErrors.
//
// No script walks every open call: Redis runs one script at a time, and
// one that walked all of 10,000 open calls, all due, held every client of
// the Redis, every instance, for 35 to 45 ms. Due and Candidates read at
// most 500 calls per script, each continuing where the one before
// stopped, and take about 2 ms each (the longest 3.7 ms) for the same
// 10,000 calls (TestScriptsBounded); the other scripts touch one call, or
// a few to make room. Due returns at most the open calls: the
// WithMaxOpenCalls unclaimed ones and the claimed calls not yet
// acknowledged. The counter of versions starts from Redis' clock in
// microseconds, so that a version never repeats, even after Redis lost
// the store (see Failures).
//
// # Cost
//
// Measured over loopback on a Redis 7.0 on the same 2-core machine, a
// noisy one (go test -run '^$' -bench . -count 5; medians of 5, ranges
// in brackets; another run gave up to a quarter more): a round trip
// (PING) takes 61 µs [56–63]; de-duplicating a webhook with Seen, one
// round trip, 64 µs [61–68] against 0.34 µs for the memory store; with
// Claim and Release, two, 147 µs [137–156] against 0.34 µs; a Tracker's
// append of a 3CX event, a round trip and a script of some 50 µs, 109 µs
// [108–112] against 0.96 µs. That is 110 to 440 times the memory stores,
// and 16 to 41 allocations an operation against 2; a receiver pays it
// once or twice per webhook, well within what a provider waits for.
//
// An open call takes about 1,700 bytes in Redis plus 240 per event, by
// the MEMORY USAGE of its keys, and some 10% more by used_memory
// (TestMemoryPerOpenCall, 10,000 open calls; used_memory below): 3.2 KB
// for a ring group call of 5 events (EventSize, what WithMaxBytes counts,
// 1.3 KB; the memory store 2.6 KB of Go heap), 4.4 KB for an attended
// transfer of 10 events (2.6 KB; 5.3 KB), 2.4 KB for an unanswered
// outbound call of 2 (0.5 KB; 1.4 KB). 10,000 open calls of the first
// kind take 32 MB; at the limits of a Tracker's defaults (10,000 calls,
// 64 MiB of EventSize) Redis would hold about 80 MB, by these figures.
// Each emitted call's id is kept for the quiet period, 120 to 130 bytes
// (at most WithMaxOpenCalls of them); nothing else of a call is left
// once it is emitted.
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
// and NewCallStore log a warning for such a client.
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
//
// The call store fails closed: a Tracker never keeps an event in its own
// memory, which would emit half calls. Measured the same way
// (TestCallStoreFailureTiming, the Redis refused when its server was
// killed, or hung with CLIENT PAUSE):
//
//   - AddContext with a request context of 100 ms returns "redisstore:
//     append: context deadline exceeded" after 101 ms, refused or hung;
//     without a deadline, after the call timeout (301 ms for 300 ms; 1 s
//     by default). The event is not recorded: the handler answers 500, so
//     that a sender that retries sends it again (whether the 3CX add-on
//     retries is not documented; the failure is logged either way).
//   - A Sweep fails at its first step (Due) after the call timeout, its
//     context having no deadline; it counts one TrackerStats.StoreErrors
//     and emits nothing. The open calls stay in Redis.
//   - Once Redis answers again with its data, the event sent again and the
//     rest of the call are taken, and the call is emitted whole, once.
//
// A restart is another matter: Redis keeps the open calls in memory. Killed
// and started again (about 110 ms) with persistence off, it forgets them
// (TestCallStoreRestart): the events of a call that come after the restart
// open a call of their own, and what is emitted is partial. For a ring
// group call killed after its two ringing events, the answer, end and
// recording formed an orphan, emitted alone at the quiet period, not
// Complete, with 3 of its 5 events. Lost as well: the ids of emitted calls
// (a late event opens a new call) and the Deduplicator's keys (a retry of
// a webhook handled before is handled again). With an append-only file
// fsynced on every write (appendonly yes, appendfsync always) every event
// that AddContext accepted survives even a kill, and the same call was
// emitted whole at its settle time. Run Redis with it when open calls must
// survive a restart; appendfsync everysec may lose the last second, and a
// failover to a replica (replication is asynchronous) the last writes.
package redisstore
