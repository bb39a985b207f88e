package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook/pbx3cx"
)

// CallStore is a pbx3cx.CallStore in Redis: the open 3CX calls shared by
// the Trackers of every receiver on the same Redis and prefix. Give it to
// each Tracker with pbx3cx.WithCallStore. Make one with NewCallStore; it
// is safe for concurrent use.
//
// Every method that changes the store is one Lua script, one round trip,
// atomic on the server:
// Append checks the call's claim and the ids of emitted calls (late),
// looks for an equal event (duplicate), applies the per-call budgets and
// the totals (claiming the oldest calls to make room), keeps the event
// and computes the due time, all in one step. Claim is a compare-and-set
// on the call's version and lease, so two Trackers never both hold a
// claim: each call is emitted once per claim, and again only when a
// claimer did not Ack within its lease. Due and Candidates, whose lists
// may hold every open call, run one script per 500 calls instead, so that
// none holds Redis for long (about 2 ms each; see the package doc): their
// answer is not one snapshot, which the Tracker does not need, since it
// acts on a call only at the version it read.
//
// Its clock is Redis': every script reads TIME, and the times given to
// the methods (now) are ignored, so that the clocks of the instances do
// not matter. Due returns the time it used, and Claim.Until, FirstSeen and
// LastSeen are on Redis' clock; the until given to Defer is taken as on
// that clock, as a Tracker computes it from what the store returned.
//
// Its keys are prefix + "{tracker}:" + a name: all under one hash tag, so
// that the scripts work on a Redis Cluster, where every key of the store
// lives in one slot (and one shard). An event is stored in an encoding of
// this package, exact for every field (Extra and RecordingURLs included,
// empty ones reading back as nil). Events compare by their encoding, and
// each call holds its events in a sorted set, so a duplicate is found in
// O(log n).
type CallStore struct {
	c       redis.UniversalClient
	base    string   // prefix + "{tracker}:"
	keys    []string // the fixed keys, KEYS of every script
	timeout time.Duration
}

var _ pbx3cx.CallStore = (*CallStore)(nil)

// NewCallStore returns a CallStore on c (see NewDeduplicator for the
// clients), keeping its keys under prefix + "{tracker}:". It uses
// WithPrefix, WithCallTimeout and WithLogger. Build c with
// ContextTimeoutEnabled: true: every call is bounded by its context and,
// when that has no earlier deadline, by WithCallTimeout, which go-redis
// honours on the socket only then; NewCallStore logs a warning for a
// client built without it.
func NewCallStore(c redis.UniversalClient, opts ...Option) *CallStore {
	cfg := newConfig(opts)
	base := cfg.prefix + "{tracker}:"
	s := &CallStore{c: c, base: base, timeout: cfg.callTimeout}
	for _, k := range []string{"seq", "wake", "order", "stat", "alias", "gone"} {
		s.keys = append(s.keys, base+k)
	}
	if enabled, known := contextTimeouts(c); known && !enabled {
		cfg.logger.LogAttrs(context.Background(), slog.LevelWarn,
			"redisstore: the Redis client was built without ContextTimeoutEnabled: "+
				"a hung Redis holds each call store operation for the client's ReadTimeout, "+
				"whatever the request's deadline")
	}
	return s
}

// run runs script with the store's keys and base, bounded by ctx and the
// call timeout.
func (s *CallStore) run(ctx context.Context, op string, script *redis.Script, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := script.Run(ctx, s.c, s.keys, append([]any{s.base}, args...)...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return v, nil
}

// us is d in microseconds, the unit of the scripts.
func us(d time.Duration) int64 { return d.Microseconds() }

// reply reads the replies of the scripts.
type reply struct {
	op  string
	err error
}

func (r *reply) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("redisstore: %s: unexpected reply: "+format, append([]any{r.op}, args...)...)
	}
}

func (r *reply) list(v any) []any {
	l, ok := v.([]any)
	if !ok && v != nil {
		r.fail("%T, want an array", v)
	}
	return l
}

func (r *reply) str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	r.fail("%T, want a string", v)
	return ""
}

func (r *reply) int(v any) int64 {
	n, err := strconv.ParseInt(r.str(v), 10, 64)
	if err != nil {
		r.fail("%v, want an integer", v)
	}
	return n
}

func (r *reply) uint(v any) uint64 {
	n, err := strconv.ParseUint(r.str(v), 10, 64)
	if err != nil {
		r.fail("%v, want a version", v)
	}
	return n
}

func (r *reply) time(v any) time.Time { return time.UnixMicro(r.int(v)) }

// claims reads the claims of a reply, 4 items each.
func (r *reply) claims(l []any) []pbx3cx.Claim {
	var out []pbx3cx.Claim
	for len(l) >= 4 {
		out = append(out, pbx3cx.Claim{
			CallRef: pbx3cx.CallRef{ID: r.str(l[0]), Version: r.uint(l[1])},
			Token:   r.str(l[2]),
			Until:   r.time(l[3]),
		})
		l = l[4:]
	}
	if len(l) != 0 {
		r.fail("%d items left of the claims", len(l))
	}
	return out
}

// Append implements pbx3cx.CallStore in one script. now is ignored: the
// call's times are Redis'.
func (s *CallStore) Append(ctx context.Context, ev *pbx3cx.Event, _ time.Time, lim pbx3cx.StoreLimits) (pbx3cx.AppendResult, error) {
	m, size := encodeEvent(ev)
	v, err := s.run(ctx, "append", callAppendScript, ev.CallID(), m, size,
		us(lim.Settle), us(lim.Quiet), us(lim.Lease), lim.MaxOpenCalls, lim.MaxCallEvents, lim.MaxCallBytes, lim.MaxBytes)
	if err != nil {
		return pbx3cx.AppendResult{}, err
	}
	r := reply{op: "append"}
	l := r.list(v)
	if len(l) == 0 {
		r.fail("empty")
		return pbx3cx.AppendResult{}, r.err
	}
	res := pbx3cx.AppendResult{Outcome: pbx3cx.AppendOutcome(r.int(l[0])), Evict: r.claims(l[1:])}
	return res, r.err
}

// scriptBatch is how many calls one script of Due or Candidates looks
// at: Redis runs one script at a time, and a script that walked all of
// 10,000 open calls would hold every other client for 35 to 45 ms.
const scriptBatch = 500

// Due implements pbx3cx.CallStore. It returns the time of Redis it used;
// now is ignored. It runs one script per scriptBatch calls of the wake
// index, each continuing where the one before stopped, at the time of the
// first: a call that changed between two of them may be missed, to be due
// at the next Sweep, or returned twice (once, at its later version).
func (s *CallStore) Due(ctx context.Context, _ time.Time, all bool) (time.Time, []pbx3cx.DueCall, error) {
	flag := "0"
	if all {
		flag = "1"
	}
	r := reply{op: "due"}
	var (
		now        time.Time
		nowArg     string // "" until the first script answered
		from, skip = "-inf", "0"
		batches    int // left to run
		due        []pbx3cx.DueCall
		at         = make(map[string]int) // id → its index in due
	)
	for {
		v, err := s.run(ctx, "due", callDueScript, flag, nowArg, from, skip, scriptBatch)
		if err != nil {
			return time.Time{}, nil, err
		}
		l := r.list(v)
		if len(l) < 5 || (len(l)-5)%3 != 0 {
			r.fail("%d items", len(l))
			return time.Time{}, nil, r.err
		}
		if nowArg == "" {
			nowArg = r.str(l[0])
			now = r.time(l[0])
			// The calls open now take open/scriptBatch scripts; calls that
			// open or move meanwhile may take as many again, and no more
			// are read, so that calls moving ahead of the batches cannot
			// keep Due going.
			batches = 2*int(r.int(l[4]))/scriptBatch + 2
		}
		from, skip = r.str(l[1]), r.str(l[2])
		more := r.str(l[3]) == "1"
		if batches--; batches == 0 {
			more = false
		}
		for l = l[5:]; len(l) >= 3; l = l[3:] {
			d := pbx3cx.DueCall{
				CallRef: pbx3cx.CallRef{ID: r.str(l[0]), Version: r.uint(l[1])},
				Claimed: r.str(l[2]) == "1",
			}
			if i, ok := at[d.ID]; ok {
				due[i] = d
				continue
			}
			at[d.ID] = len(due)
			due = append(due, d)
		}
		if r.err != nil || !more {
			return now, due, r.err
		}
	}
}

// Read implements pbx3cx.CallStore.
func (s *CallStore) Read(ctx context.Context, id string) (pbx3cx.CallRecord, bool, error) {
	v, err := s.run(ctx, "read", callReadScript, id)
	if err != nil || v == nil {
		return pbx3cx.CallRecord{}, false, err
	}
	r := reply{op: "read"}
	l := r.list(v)
	if len(l) != 6 {
		r.fail("%d items", len(l))
		return pbx3cx.CallRecord{}, false, r.err
	}
	rec := pbx3cx.CallRecord{
		CallRef:   pbx3cx.CallRef{ID: id, Version: r.uint(l[0])},
		FirstSeen: r.time(l[1]),
		LastSeen:  r.time(l[2]),
		Overflow:  int(r.int(l[3])),
	}
	for _, a := range r.list(l[4]) {
		rec.Aliases = append(rec.Aliases, r.str(a))
	}
	slices.Sort(rec.Aliases)
	evs := r.list(l[5])
	rec.Events = make([]pbx3cx.Event, 0, len(evs))
	for _, m := range evs {
		ev, err := decodeEvent(r.str(m))
		if err != nil {
			return pbx3cx.CallRecord{}, false, fmt.Errorf("redisstore: read %s: %w", id, err)
		}
		rec.Events = append(rec.Events, ev)
	}
	if r.err != nil {
		return pbx3cx.CallRecord{}, false, r.err
	}
	return rec, true, nil
}

// Defer implements pbx3cx.CallStore; until is on Redis' clock, as the
// times the store returns.
func (s *CallStore) Defer(ctx context.Context, ref pbx3cx.CallRef, until time.Time) error {
	_, err := s.run(ctx, "defer", callDeferScript, ref.ID, strconv.FormatUint(ref.Version, 10), until.UnixMicro())
	return err
}

// Claim implements pbx3cx.CallStore: a compare-and-set on the call's
// version and lease. now is ignored; the lease runs on Redis' clock.
func (s *CallStore) Claim(ctx context.Context, ref pbx3cx.CallRef, _ time.Time, lim pbx3cx.StoreLimits) (pbx3cx.Claim, bool, error) {
	v, err := s.run(ctx, "claim", callClaimScript, ref.ID, strconv.FormatUint(ref.Version, 10), us(lim.Lease))
	if err != nil || v == nil {
		return pbx3cx.Claim{}, false, err
	}
	r := reply{op: "claim"}
	cs := r.claims(r.list(v))
	if r.err != nil || len(cs) != 1 {
		r.fail("%d claims", len(cs))
		return pbx3cx.Claim{}, false, r.err
	}
	return cs[0], true, nil
}

// Ack implements pbx3cx.CallStore. now is ignored: the quiet period runs
// on Redis' clock.
func (s *CallStore) Ack(ctx context.Context, c pbx3cx.Claim, _ time.Time, lim pbx3cx.StoreLimits) error {
	v, err := s.run(ctx, "ack", callAckScript, c.ID, c.Token, us(lim.Quiet), lim.MaxOpenCalls)
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n != 1 {
		return pbx3cx.ErrClaimLost
	}
	return nil
}

// Merge implements pbx3cx.CallStore. now is ignored.
func (s *CallStore) Merge(ctx context.Context, parent, orphan pbx3cx.CallRef, _ time.Time, lim pbx3cx.StoreLimits) (pbx3cx.MergeResult, error) {
	v, err := s.run(ctx, "merge", callMergeScript,
		parent.ID, strconv.FormatUint(parent.Version, 10), orphan.ID, strconv.FormatUint(orphan.Version, 10),
		us(lim.Settle), lim.MaxCallEvents, lim.MaxCallBytes)
	if err != nil {
		return pbx3cx.MergeResult{}, err
	}
	r := reply{op: "merge"}
	l := r.list(v)
	if len(l) == 0 || r.int(l[0]) != 1 {
		return pbx3cx.MergeResult{}, r.err
	}
	if len(l) < 3 {
		r.fail("%d items", len(l))
		return pbx3cx.MergeResult{}, r.err
	}
	res := pbx3cx.MergeResult{Merged: true, Version: r.uint(l[1]), Overflow: int(r.int(l[2]))}
	for _, m := range l[3:] {
		ev, err := decodeEvent(r.str(m))
		if err != nil {
			return pbx3cx.MergeResult{}, fmt.Errorf("redisstore: merge: %w", err)
		}
		res.Dropped = append(res.Dropped, ev)
	}
	return res, r.err
}

// Candidates implements pbx3cx.CallStore: the unclaimed open calls with a
// ringing or dialing event, an event with callerID and one with user. It
// runs one script per scriptBatch calls of the smaller of the two indexes
// (an SSCAN step, checked against the other index), until the scan ends:
// every call that matched throughout is returned, once.
func (s *CallStore) Candidates(ctx context.Context, callerID, user string) ([]pbx3cx.CallRef, error) {
	r := reply{op: "candidates"}
	var refs []pbx3cx.CallRef
	at := make(map[string]int) // id → its index in refs
	cursor, walk := "0", ""
	for {
		v, err := s.run(ctx, "candidates", callCandidatesScript, callerID, user, cursor, walk, scriptBatch)
		if err != nil {
			return nil, err
		}
		l := r.list(v)
		if len(l) < 2 || len(l)%2 != 0 {
			r.fail("%d items", len(l))
			return nil, r.err
		}
		cursor, walk = r.str(l[0]), r.str(l[1])
		for l = l[2:]; len(l) >= 2; l = l[2:] {
			ref := pbx3cx.CallRef{ID: r.str(l[0]), Version: r.uint(l[1])}
			if i, ok := at[ref.ID]; ok {
				refs[i] = ref
				continue
			}
			at[ref.ID] = len(refs)
			refs = append(refs, ref)
		}
		if r.err != nil || cursor == "0" {
			return refs, r.err
		}
	}
}

// Usage implements pbx3cx.CallStore with one HMGET.
func (s *CallStore) Usage(ctx context.Context) (pbx3cx.StoreUsage, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.c.HMGet(ctx, s.base+"stat", "open", "bytes").Result()
	if err != nil {
		return pbx3cx.StoreUsage{}, fmt.Errorf("redisstore: usage: %w", err)
	}
	var u pbx3cx.StoreUsage
	r := reply{op: "usage"}
	if v[0] != nil {
		u.Open = int(r.int(v[0]))
	}
	if v[1] != nil {
		u.Bytes = r.int(v[1])
	}
	return u, r.err
}
