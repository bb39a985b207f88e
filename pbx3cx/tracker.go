package pbx3cx

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Tracker turns the stream of events into one [Call] per call. Feed it
// every decoded event with Add (or AddContext), let Run (or your own calls
// to Sweep) emit the calls that are over, and Flush at shutdown. All
// methods are safe for concurrent use.
//
// Grouping. Events are grouped by Event.CallID. An event equal in every
// field to one already taken (RecordingURLs and Extra included) is a
// duplicate and is ignored. Nil events and events without a call id are
// ignored.
//
// Rebuilding. A call is rebuilt from all of its events by [BuildCall],
// whose rules say what each field of a Call means. A Call is a function of
// the set of its events alone (apart from FirstSeen and LastSeen, and
// Aliases and Events, which also count what was adopted or not kept): the
// same events in any order, with any duplicates, give the same Call. (Only
// beyond 256 distinct events, see Memory, does arrival order decide which
// are kept.)
//
// Emitting. Sweep emits a Complete call once no event came for it for the
// settle time (WithSettle, 2s), so that late events (a recording, the other
// leg's end) still join it. It emits any call that received no event for
// the quiet period (WithQuietPeriod, 10m) whatever its state, with Complete
// computed as BuildCall does but without waiting for recordings: a call
// whose ends came but whose recording did not is Complete, one without its
// ends is not. When recordings are not expected (WithExpectRecordings
// false) a call never waits for them. When a new call would exceed
// WithMaxOpenCalls (10000), the open call with the oldest LastSeen is
// emitted first, Complete as computed. Flush emits every open call. Calls
// emitted together are emitted in order of FirstSeen, then ID.
//
// Late events. The ids of emitted calls (and their aliases) are remembered
// for the quiet period, at most WithMaxOpenCalls of them. An event for one
// of them does not start a new call: it goes to the WithLate hook, or is
// dropped when there is none.
//
// Mismatched ids. The add-on's own examples report some answers and ends
// under another call's id, once with the leading digit of the id lost.
// Events of such an id form an orphan: a call with no ringing or dialing
// event before the answer (see BuildCall). At every Sweep, an orphan that
// has received no event for the settle time is adopted into the open call
// P that
//   - is not an orphan and has not ended (not Complete, recordings aside),
//   - has, as its CallerID, one of the orphan's CallerIDs made of digits
//     only ("MAKECALL" and other words are ignored: an orphan without a
//     digits-only CallerID is never adopted),
//   - has the orphan's Direction, and
//   - matches every start and end event of the orphan, of segment s and
//     user u: if P was answered, P's segment s was answered by u and has
//     not ended; if not, u is P's Dialer or in P's Path, and P has no end
//     event on segment s.
//
// Of several such calls, the one whose LastSeen is closest to the orphan's
// FirstSeen is chosen, then the smallest ID. Adoption moves the orphan's
// events, with their segment numbers, into P and adds the orphan's id to
// P's Aliases; later events for that id go to P. A call adopts at most 16
// ids. An orphan never adopted is emitted on its own at its quiet period,
// never Complete. Flush adopts what it can before emitting, without
// waiting for the settle time. This is a heuristic: two calls open at the
// same time between the same number and the same extension cannot be told
// apart, and the orphan goes to the one active closest to its arrival.
//
// Memory. It is bounded in bytes as well as in counts. At most
// WithMaxOpenCalls (10000) calls are open, and their events take at most
// WithMaxBytes (64 MiB) together and WithMaxCallBytes (64 KiB) per call.
// An event is counted by [EventSize]: the bytes of its text (every string,
// URL, Extra key and value) plus a fixed overhead for the struct, each URL
// and each Extra entry; the default store keeps a copy of the text in one
// allocation of its own, never a slice of whatever ev was decoded from.
// Then:
//   - A call keeps at most 256 distinct events and at most its byte
//     budget. A further distinct event is counted in Call.Events and in
//     TrackerStats.Overflow (beyond 256) or OverBudget (over the budget),
//     is not kept, and is handed to the WithLate hook, like a late event.
//     Such events are not recognised as duplicates of each other.
//   - An event over WithMaxCallBytes on its own opens no call: it is
//     counted in OverBudget and handed to the WithLate hook.
//   - When an event would take the open calls over WithMaxBytes, the open
//     calls with the oldest LastSeen (never the event's own) are emitted
//     first, Complete as computed and counted in Evicted, as for
//     WithMaxOpenCalls; the event itself is kept.
//
// At most WithMaxOpenCalls ids of emitted calls are remembered, an id over
// 64 bytes by its SHA-256. The budgets count what the store holds; the
// Tracker's cache of rebuilt calls (see Many instances) adds a small
// multiple of each open call's distinct values. An emitted Call shares no
// memory with the Tracker that either may change.
//
// Many instances. The open calls are kept in a [CallStore]: by default a
// [MemoryCallStore] of the Tracker's own; with WithCallStore, one that
// Trackers share, such as a Redis store shared by the instances of a
// receiver behind a load balancer, each of which gets some of the events
// of a call. Everything that decides what is emitted is in the store: the
// events of the open calls, when each is due, which are being emitted,
// the ids of emitted and adopted calls, and the budgets above, which count
// the store's calls. A Tracker rebuilds each call from all of its events
// in the store, so that the instances agree on every call. What stays
// with each Tracker is its options (give every Tracker of a store the
// same), its hooks, its counters (TrackerStats, but for Open and Bytes,
// which are the store's), and a cache of the calls it rebuilt, kept by
// their version in the store and never trusted beyond it.
//
// A Tracker claims a call before it emits it, and acknowledges the
// emission after emit returns (see [CallStore]): a call is emitted exactly
// once per claim, and at least once overall, since a claim is a lease
// (WithLease, 1m) and a call whose Tracker died or failed between its claim
// and its acknowledgement is claimed and emitted again, by whichever
// Tracker sweeps once the lease ran out. Consumers of a shared store must
// therefore de-duplicate on Call.ID. Events for a call being emitted are
// late. With a store given by WithCallStore, Run ends without Flush: the
// open calls outlive the instance, for the others (or the next) to emit;
// call Flush to emit them all now.
//
// Store errors. An error from the store is counted in
// TrackerStats.StoreErrors and the step is skipped: an event that could
// not be recorded is lost (AddContext returns the error, so that a handler
// can fail and have the add-on send it again), a call that cannot be read
// stays open in the store and is tried again at the next Sweep. A Call is
// never emitted from state the Tracker could not read.
//
// Callbacks. The emit function, and the WithLate hook, are called on the
// goroutine of the Add, Sweep or Flush that emitted the call (or met the
// late event), and never concurrently with each other: one call at a time.
// They must not call the Tracker's methods, which would deadlock; a slow
// emit holds up the other callers of the Tracker that have calls to emit,
// so hand long work to another goroutine.
type Tracker struct {
	emit      func(Call)
	late      func(*Event)
	lim       StoreLimits
	expectRec bool
	now       func() time.Time
	store     CallStore
	shared    bool // store was given by WithCallStore

	mu        sync.Mutex
	views     map[string]*callView // the calls this Tracker rebuilt, by id: a cache
	lastPrune time.Time
	stats     TrackerStats

	emitMu sync.Mutex // serialises emit and late
}

// TrackerStats are a Tracker's counters since it was made. Open and Bytes
// are its store's, and include what other Trackers sharing the store hold.
type TrackerStats struct {
	Open        int   // calls open now
	Bytes       int64 // bytes the events of the open calls take now, as WithMaxBytes counts them
	Events      int64 // distinct events taken into open calls, those counted but not kept included
	Duplicates  int64 // exact repeats of an event already taken, ignored
	Overflow    int64 // distinct events beyond 256 in a call: counted in Call.Events, not kept, handed to the WithLate hook
	OverBudget  int64 // distinct events over their call's WithMaxCallBytes: counted in Call.Events when a call is open, not kept, handed to the WithLate hook
	Late        int64 // events for calls already emitted (or being emitted), handed to the WithLate hook or dropped
	Adopted     int64 // groups of events with a mismatched id adopted into another call
	Emitted     int64 // calls emitted
	Incomplete  int64 // emitted calls with Complete false
	Evicted     int64 // calls emitted early to respect WithMaxOpenCalls or WithMaxBytes
	StoreErrors int64 // errors returned by the CallStore
}

const (
	maxCallEvents  = 256 // distinct events kept per call
	maxCallAliases = 16  // call ids adopted into one call

	defaultSettle  = 2 * time.Second
	defaultQuiet   = 10 * time.Minute
	defaultLease   = time.Minute
	defaultMaxOpen = 10000

	// A 3CX event takes 230 to 320 bytes as counted (see EventSize), and
	// the largest call in testdata/pbx3cx/flows (an attended transfer, 10
	// events) 2.5 KiB. 64 KiB per call holds maxCallEvents (256) such
	// events, 25 times that call, so only calls no PBX sends reach it.
	// 64 MiB in all holds the default 10,000 open calls at 6.5 KiB each,
	// and is what the Tracker may take however its events are shaped
	// (without it: 10,000 calls of 256 events of up to 64 KiB, 158 GiB).
	defaultMaxCallBytes = 64 << 10
	defaultMaxBytes     = 64 << 20
)

// NewTracker returns a Tracker that passes every call to emit (nil
// discards them).
func NewTracker(emit func(Call), opts ...TrackerOption) *Tracker {
	t := &Tracker{
		emit: emit,
		lim: StoreLimits{
			Settle:        defaultSettle,
			Quiet:         defaultQuiet,
			Lease:         defaultLease,
			MaxOpenCalls:  defaultMaxOpen,
			MaxCallEvents: maxCallEvents,
			MaxCallBytes:  defaultMaxCallBytes,
			MaxBytes:      defaultMaxBytes,
		},
		expectRec: true,
		now:       time.Now,
		views:     make(map[string]*callView),
	}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(t)
		}
	}
	if t.store == nil {
		t.store = NewMemoryCallStore()
	}
	t.lim.MaxCallBytes = min(t.lim.MaxCallBytes, t.lim.MaxBytes)
	return t
}

// Add takes one event into its call, as AddContext does, with no deadline.
func (t *Tracker) Add(ev *Event) {
	_ = t.AddContext(context.Background(), ev)
}

// AddContext takes one event into its call. It may emit the open calls
// with the oldest LastSeen (see WithMaxOpenCalls and WithMaxBytes) or pass
// an event it does not keep (late, or over a limit) to the WithLate hook.
// The store keeps a copy of ev. It returns the store's error when the
// event could not be recorded (ctx bounds the store's work): a handler
// should then fail, so that the add-on sends the event again.
func (t *Tracker) AddContext(ctx context.Context, ev *Event) error {
	if ev == nil || ev.CallID() == "" {
		return nil
	}
	now := t.clock()
	res, err := t.store.Append(ctx, ev, now, t.lim)
	if err != nil {
		t.storeError()
		return err
	}
	var late []*Event
	t.mu.Lock()
	switch res.Outcome {
	case AppendKept:
		t.stats.Events++
	case AppendDuplicate:
		t.stats.Duplicates++
	case AppendLate:
		t.stats.Late++
		late = append(late, ev)
	case AppendOverflow:
		t.stats.Events++
		t.stats.Overflow++
		late = append(late, ev)
	case AppendOverBudget:
		t.stats.Events++
		t.stats.OverBudget++
		late = append(late, ev)
	case AppendTooLarge:
		t.stats.OverBudget++
		late = append(late, ev)
	}
	t.mu.Unlock()
	t.deliver(ctx, t.evict(ctx, res.Evict, now), late, now)
	return nil
}

// evict turns the claims of the calls the store chose to make room into
// emissions, Complete as computed. A call it cannot read stays claimed
// until its lease runs out, and is emitted by a Sweep after that.
func (t *Tracker) evict(ctx context.Context, claims []Claim, now time.Time) []*emission {
	var out []*emission
	for _, cl := range claims {
		rec, ok, err := t.store.Read(ctx, cl.ID)
		if err != nil {
			t.storeError()
			continue
		}
		if !ok || rec.Version != cl.Version {
			continue
		}
		v := newView(&rec, now)
		complete := v.info.complete(t.expectRec)
		t.mu.Lock()
		delete(t.views, cl.ID)
		t.stats.Evicted++
		t.count(complete)
		t.mu.Unlock()
		out = append(out, &emission{v.emit(complete), cl})
	}
	return out
}

// Sweep emits the calls that are due at now: complete calls that have
// been quiet for the settle time, and every call that has been quiet for
// the quiet period. Before that it adopts orphans (see Tracker). With a
// store that keeps its own clock, the store's time replaces now.
func (t *Tracker) Sweep(now time.Time) {
	t.sweep(context.Background(), now, false)
}

// Flush emits every open call now, Complete as computed, after adopting
// the orphans it can (without waiting for the settle time). With a shared
// store, that is every open call of every Tracker sharing it, except those
// another Tracker is emitting.
func (t *Tracker) Flush() {
	t.sweep(context.Background(), t.clock(), true)
}

// Run calls Sweep every half settle time (at least every 10ms) until ctx
// is done, then Flush (with the default store only: see Tracker), and
// returns.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(max(t.lim.Settle/2, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if !t.shared {
				t.Flush()
			}
			return
		case <-tick.C:
			t.sweep(ctx, t.clock(), false)
		}
	}
}

// sweep emits the calls due at now, or with all every open call.
func (t *Tracker) sweep(ctx context.Context, now time.Time, all bool) {
	now, due, err := t.store.Due(ctx, now, all)
	if err != nil {
		t.storeError()
		return
	}
	calls := make(map[string]*callView, len(due))
	var out []*emission
	for _, d := range due {
		v, err := t.view(ctx, d.ID, d.Version, now)
		if err != nil || v == nil {
			continue
		}
		if d.Claimed {
			// Its claimer did not acknowledge the emission in time.
			out = t.claim(ctx, out, v, v.info.complete(t.expectRec), now)
			continue
		}
		calls[d.ID] = v
	}
	late := t.adoptOrphans(ctx, calls, now, !all)
	for _, v := range calls {
		quiet := now.Sub(v.call.LastSeen) >= t.lim.Quiet
		settled := now.Sub(v.call.LastSeen) >= t.lim.Settle
		switch {
		case all:
			out = t.claim(ctx, out, v, v.info.complete(t.expectRec), now)
		case quiet:
			out = t.claim(ctx, out, v, !v.info.orphan && v.info.ended, now)
		case settled && v.info.complete(t.expectRec):
			out = t.claim(ctx, out, v, true, now)
		default:
			t.postpone(ctx, v, settled)
		}
	}
	slices.SortFunc(out, func(a, b *emission) int {
		return cmp.Or(a.call.FirstSeen.Compare(b.call.FirstSeen), strings.Compare(a.call.ID, b.call.ID))
	})
	t.deliver(ctx, out, late, now)
	t.prune(now)
}

// postpone makes v due again when something could change: at its settle
// time, else at its quiet period (a new event makes it due sooner). An
// orphan that may yet find a parent stays due, for the next Sweep.
func (t *Tracker) postpone(ctx context.Context, v *callView, settled bool) {
	until := v.call.LastSeen.Add(t.lim.Quiet)
	switch {
	case !settled:
		until = v.call.LastSeen.Add(t.lim.Settle)
	case v.info.orphan && len(v.info.keys) > 0 && len(v.info.digitCallers) > 0:
		return
	}
	if err := t.store.Defer(ctx, v.ref, until); err != nil {
		t.storeError()
	}
}

// claim claims v's call for emission and appends it to out, unless the
// call changed since v was read or another Tracker is emitting it.
func (t *Tracker) claim(ctx context.Context, out []*emission, v *callView, complete bool, now time.Time) []*emission {
	cl, ok, err := t.store.Claim(ctx, v.ref, now, t.lim)
	if err != nil {
		t.storeError()
		return out
	}
	if !ok {
		return out
	}
	t.mu.Lock()
	delete(t.views, v.ref.ID)
	t.count(complete)
	t.mu.Unlock()
	return append(out, &emission{v.emit(complete), cl})
}

// emission is a claimed call to emit.
type emission struct {
	call  Call
	claim Claim
}

// deliver emits calls, then passes late to the WithLate hook, one at a
// time under emitMu, and then acknowledges the emissions to the store,
// even when ctx is done: the calls were emitted.
func (t *Tracker) deliver(ctx context.Context, calls []*emission, late []*Event, now time.Time) {
	if t.late == nil {
		late = nil
	}
	if len(calls) == 0 && len(late) == 0 {
		return
	}
	t.emitMu.Lock()
	if t.emit != nil {
		for _, e := range calls {
			t.emit(e.call)
		}
	}
	for _, ev := range late {
		t.late(ev)
	}
	t.emitMu.Unlock()
	ctx = context.WithoutCancel(ctx)
	for _, e := range calls {
		if err := t.store.Ack(ctx, e.claim, now, t.lim); err != nil {
			t.storeError()
		}
	}
}

// Len returns the number of open calls in the store (0 when it cannot
// tell).
func (t *Tracker) Len() int {
	return t.Stats().Open
}

// Stats returns the Tracker's counters.
func (t *Tracker) Stats() TrackerStats {
	u, err := t.store.Usage(context.Background())
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.stats.StoreErrors++
	}
	s := t.stats
	s.Open, s.Bytes = u.Open, u.Bytes
	return s
}

func (t *Tracker) clock() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.now()
}

func (t *Tracker) storeError() {
	t.mu.Lock()
	t.stats.StoreErrors++
	t.mu.Unlock()
}

// count counts an emitted call. The lock must be held.
func (t *Tracker) count(complete bool) {
	t.stats.Emitted++
	if !complete {
		t.stats.Incomplete++
	}
}

// callView is a call as a Tracker rebuilt it from one version of its
// record in the store.
type callView struct {
	ref  CallRef
	call Call // Complete unset
	info callInfo
	used time.Time // when the Tracker last needed it
}

func newView(rec *CallRecord, now time.Time) *callView {
	c, info := buildCall(rec.ID, rec.Events)
	c.Aliases = rec.Aliases
	c.Events += rec.Overflow
	c.FirstSeen, c.LastSeen = rec.FirstSeen, rec.LastSeen
	return &callView{ref: rec.CallRef, call: c, info: info, used: now}
}

// emit returns the Call to emit.
func (v *callView) emit(complete bool) Call {
	c := v.call
	c.Complete = complete
	return c
}

// view returns the call id rebuilt at version (0: the latest), from the
// cache when it holds that version, or nil when the call is not open.
func (t *Tracker) view(ctx context.Context, id string, version uint64, now time.Time) (*callView, error) {
	t.mu.Lock()
	if v := t.views[id]; v != nil && version != 0 && v.ref.Version == version {
		v.used = now
		t.mu.Unlock()
		return v, nil
	}
	t.mu.Unlock()
	rec, ok, err := t.store.Read(ctx, id)
	if err != nil {
		t.storeError()
		return nil, err
	}
	var v *callView
	if ok {
		v = newView(&rec, now)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch cur := t.views[id]; {
	case v == nil:
		delete(t.views, id)
	case cur == nil || cur.ref.Version < v.ref.Version:
		t.views[id] = v
	}
	return v, nil
}

// prune forgets the rebuilt calls not needed for twice the quiet period,
// when the cache holds more than WithMaxOpenCalls (with a shared store,
// other Trackers emit calls this one rebuilt).
func (t *Tracker) prune(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.views) <= t.lim.MaxOpenCalls || now.Sub(t.lastPrune) < t.lim.Quiet {
		return
	}
	t.lastPrune = now
	for id, v := range t.views {
		if now.Sub(v.used) > 2*t.lim.Quiet {
			delete(t.views, id)
		}
	}
}
