package pbx3cx

import (
	"cmp"
	"container/list"
	"context"
	"crypto/sha256"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Call is one call, rebuilt by a [Tracker] from all of its events.
type Call struct {
	// ID is the 3CX call id, Event.CallID() ("230307142318_40").
	ID string
	// Aliases are the other call ids whose events were adopted into this
	// call (the add-on sometimes reports an answer or an end under another
	// call's id), sorted. Nil when there were none.
	Aliases []string
	// Direction is "outbound" when any event is dialing,
	// outgoingcall_started or outgoing, else "inbound".
	Direction string
	// CallerID is the external party as sent: the caller of an inbound
	// call, the dialled number of an outbound one. When the events disagree
	// (an outgoingcall_started carrying "MAKECALL"), it is the value most
	// of the segment-0 events carry, else the value most events carry.
	CallerID string
	// DID is the inbound DID (or its rule name), chosen like CallerID.
	DID string
	// Dialer is the extension that dialled an outbound call (the User of
	// its dialing events); "" for inbound calls.
	Dialer string
	// Path is where the call rang before it was answered: the IVRs,
	// queues, ring group members and extensions of the segment-0 ringing
	// events, without duplicates, in a fixed order (see Tracker).
	Path []Hop
	// Segments are the answered talk segments, by segment number.
	Segments []Segment
	// Transfers are the blind and attended transfers, by segment.
	Transfers []Transfer
	// Answered reports whether some segment was answered.
	Answered bool
	// Missed reports whether nobody answered and the call ended (an end
	// event with FinishType Missed).
	Missed bool
	// TalkTime is the sum of the segments' Duration.
	TalkTime time.Duration
	// RecordingURLs are all the recordings of the call, sorted by segment
	// then URL, without duplicates.
	RecordingURLs []string
	// Complete reports whether the call was over when it was emitted (see
	// Tracker); false when the quiet period, the open-call limit or Flush
	// emitted it before its end events were in.
	Complete bool
	// Events is the number of distinct events the call was rebuilt from,
	// including those counted but not kept, beyond the per-call limits of
	// events and bytes (see Tracker).
	Events int
	// FirstSeen and LastSeen are the arrival times, on the Tracker's clock,
	// of the call's first and last distinct events.
	FirstSeen, LastSeen time.Time
}

// Hop is one place a call rang: the User and UserType of a ringing event.
type Hop struct {
	User     string // the IVR, queue or extension number ("800", "820", "202")
	UserType string // "other" (IVR), "queue" or "ext", as sent
}

// Segment is one answered stretch of talk: segment 1 is the first answer,
// 2 and up were created by transfers.
type Segment struct {
	Number       int
	Agent        string // the extension that talked: User of the start event, else of the end or recording
	TransferType string // NotTransferred, Blind or Attended (the start event's Trtype)
	FinishType   string // FinishOk or FinishMissed, from the end event
	Transfer     bool   // the end event says the segment ended by a transfer
	// Duration is the talk time from the end event. The legacy GET scheme
	// sends none (only a title such as "… (0:07)"), so it stays zero there.
	Duration      time.Duration
	RecordingURLs []string // sorted, without duplicates
	Ended         bool     // an end event for the segment was received
}

// Transfer is one blind or attended transfer.
type Transfer struct {
	Type    string // Blind or Attended
	From    string // the agent of the highest answered segment below Segment
	To      string // the agent who took the call over
	Segment int    // the segment the transfer created
}

// CallState is what a [TrackerStore] keeps for one open call.
type CallState struct {
	ID        string
	Aliases   []string // call ids adopted into this call, sorted
	Events    []Event  // distinct events, in order of first arrival, at most 256
	Overflow  int      // distinct events beyond 256 or over the call's byte budget: counted, not kept
	FirstSeen time.Time
	LastSeen  time.Time
}

// TrackerStore keeps the events of a [Tracker]'s open calls, so that they
// can be kept outside the process. The default keeps them in a map.
//
// The Tracker calls the methods with its lock held, never concurrently,
// and keeps its own index of the open calls (ids, times and what it has
// worked out from the events) in memory: a new Tracker starts with no open
// calls whatever its store holds. Load's result belongs to the Tracker,
// which changes it and then passes it to Save; Load may return the very
// value last given to Save (the default does).
//
// An error from the store is counted in TrackerStats.StoreErrors and the
// operation is skipped: the event that could not be saved is lost, a call
// that cannot be loaded is retried at the next Sweep and dropped (not
// emitted) when its quiet period is over, by Flush, or to make room for a
// new call. A Call is never emitted from state the Tracker could not read.
type TrackerStore interface {
	// Load returns the state of the open call id, or nil and no error when
	// there is none.
	Load(id string) (*CallState, error)
	// Save stores st under st.ID, replacing the previous state.
	Save(st *CallState) error
	// Delete removes the state of id; a missing id is not an error.
	Delete(id string) error
}

// TrackerStats are a Tracker's counters since it was made.
type TrackerStats struct {
	Open        int   // calls open now
	Bytes       int64 // bytes the events of the open calls take now, as WithMaxBytes counts them
	Events      int64 // distinct events taken into open calls, those counted but not kept included
	Duplicates  int64 // exact repeats of an event already taken, ignored
	Overflow    int64 // distinct events beyond 256 in a call: counted in Call.Events, not kept, handed to the WithLate hook
	OverBudget  int64 // distinct events over their call's WithMaxCallBytes: counted in Call.Events when a call is open, not kept, handed to the WithLate hook
	Late        int64 // events for calls already emitted, handed to the WithLate hook or dropped
	Adopted     int64 // groups of events with a mismatched id adopted into another call
	Emitted     int64 // calls emitted
	Incomplete  int64 // emitted calls with Complete false
	Evicted     int64 // calls emitted early to respect WithMaxOpenCalls or WithMaxBytes
	StoreErrors int64 // errors returned by the TrackerStore
}

const (
	maxCallEvents  = 256 // distinct events kept per call
	maxCallAliases = 16  // call ids adopted into one call
	maxGoneID      = 64  // longer ids of emitted calls are remembered by their hash

	defaultSettle  = 2 * time.Second
	defaultQuiet   = 10 * time.Minute
	defaultMaxOpen = 10000

	// A 3CX event takes 230 to 320 bytes as counted (see eventSize), and
	// the largest call in testdata/pbx3cx/flows (an attended transfer, 10
	// events) 2.5 KiB. 64 KiB per call holds maxCallEvents (256) such
	// events, 25 times that call, so only calls no PBX sends reach it.
	// 64 MiB in all holds the default 10,000 open calls at 6.5 KiB each,
	// and is what the Tracker may take however its events are shaped
	// (without it: 10,000 calls of 256 events of up to 64 KiB, 158 GiB).
	defaultMaxCallBytes = 64 << 10
	defaultMaxBytes     = 64 << 20
)

// Tracker turns the stream of events into one [Call] per call. Feed it
// every decoded event with Add, let Run (or your own calls to Sweep) emit
// the calls that are over, and Flush at shutdown. All methods are safe for
// concurrent use.
//
// Grouping. Events are grouped by Event.CallID. An event equal in every
// field to one already taken (RecordingURLs and Extra included) is a
// duplicate and is ignored. Nil events and events without a call id are
// ignored.
//
// Rebuilding. A Call is a function of the set of its events alone (apart
// from FirstSeen and LastSeen): the same events in any order, with any
// duplicates, give the same Call. (Only beyond 256 distinct events, see
// Memory, does arrival order decide which are kept.)
//   - Direction is "outbound" if any event is dialing, outgoingcall_started
//     or outgoing (Event.Outbound), else "inbound".
//   - The ringing and dialing before the answer are on segment 0. (Some
//     add-on versions, as the POST-scheme table in Creomate's docs shows,
//     put them on the first answered segment, "-1": when no ringing or
//     dialing event is on segment 0 and one is on the lowest segment the
//     call's events carry, that segment's ringing and dialing are taken
//     as the ones before the answer. A transfer's ringing on that segment
//     then joins the Path: such an add-on numbers the two alike.)
//   - Path holds the ringing events before the answer only (ringing on a
//     later segment rings a transfer target), one Hop per distinct
//     User and UserType, ordered by UserType (other, queue, ext, anything
//     else) then by User as a string. The members of a ring group ring
//     together and have no order of their own: a fixed order beats arrival
//     order, which a network can change.
//   - A Segment is listed for every number n ≥ 1 that some start, end or
//     recording event carries (3CX numbers only answered talk from 1 up).
//     Its Agent and TransferType come from its incomingcall_started or
//     outgoingcall_started event; its FinishType, Transfer and Duration
//     from its end event (incoming or outgoing), which also sets Ended and,
//     when no start event came, the Agent; its RecordingURLs from every
//     event of the segment that carries one. When events disagree, the
//     value most of them carry wins, ties going to the smaller string; of
//     several different end events the one with the longest Duration is
//     used.
//   - A start event on segment n ≥ 2 with TransferType Blind or Attended
//     is a Transfer to its agent from the agent of the highest segment
//     below n.
//   - A call is Complete when its last segment (the highest number) has
//     ended or, if nothing was answered, when an end event with FinishType
//     Missed came, on any segment. A segment left by a blind transfer gets
//     no end event of its own and needs none. When recordings are expected
//     (WithExpectRecordings, the default), every ended segment with
//     FinishType Ok and a Duration above zero must also have a recording.
//
// Emitting. Sweep emits a Complete call once no event came for it for the
// settle time (WithSettle, 2s), so that late events (a recording, the other
// leg's end) still join it. It emits any call that received no event for
// the quiet period (WithQuietPeriod, 10m) whatever its state, with Complete
// computed as above but without waiting for recordings: a call whose ends
// came but whose recording did not is Complete, one without its ends is
// not. When a new call would exceed WithMaxOpenCalls (10000), the open call
// with the oldest LastSeen is emitted first, Complete as computed. Flush
// emits every open call. Calls emitted together are emitted in order of
// FirstSeen, then ID.
//
// Late events. The ids of emitted calls (and their aliases) are remembered
// for the quiet period, at most WithMaxOpenCalls of them. An event for one
// of them does not start a new call: it goes to the WithLate hook, or is
// dropped when there is none.
//
// Mismatched ids. The add-on's own examples report some answers and ends
// under another call's id, once with the leading digit of the id lost.
// Events of such an id form an orphan: a group with no ringing or dialing
// event before the answer (see Rebuilding). At every Sweep, an orphan that has received no event for
// the settle time is adopted into the open call P that
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
// An event is counted as the bytes of its text (every string, URL, Extra
// key and value) plus a fixed overhead for the struct, each URL and each
// Extra entry; the Tracker keeps a copy of the text in one allocation of
// its own, never a slice of whatever ev was decoded from. Then:
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
// 64 bytes by its SHA-256. Events are kept in a [TrackerStore] (WithStore),
// in memory by default; the budgets count what the Tracker puts there, and
// its own index of a call adds a small multiple of the call's distinct
// values. An emitted Call shares no memory with the Tracker.
//
// Callbacks. The emit function, and the WithLate hook, are called on the
// goroutine of the Add, Sweep or Flush that emitted the call (or met the
// late event), after the Tracker's lock is released, and never
// concurrently with each other: one call at a time, in the order the
// Tracker emitted them. They must not call the Tracker's methods, which
// would deadlock; a slow emit holds up the other callers of the Tracker
// that have calls to emit, so hand long work to another goroutine.
type Tracker struct {
	emit         func(Call)
	late         func(*Event)
	settle       time.Duration
	quiet        time.Duration
	maxOpen      int
	maxCallBytes int64
	maxBytes     int64
	expectRec    bool
	now          func() time.Time
	store        TrackerStore

	mu       sync.Mutex
	open     map[string]*openCall // by call id
	order    *list.List           // of *openCall, by LastSeen, oldest first
	alias    map[string]string    // adopted call id → the open call that adopted it
	dirty    []*openCall          // calls whose summary must be rebuilt
	orphans  map[*openCall]struct{}
	complete map[*openCall]struct{}    // calls that are Complete, waiting for the settle time
	parents  map[parentKey][]*openCall // open calls that could adopt an orphan, by CallerID and user
	gone     map[string]time.Time      // emitted call ids → until when they are late
	goneFIFO []goneEntry               // gone in order of emission, from goneHead
	goneHead int
	bytes    int64    // of the events of all open calls, by eventSize
	pending  []*Event // for the WithLate hook, once the lock is released
	stats    TrackerStats

	emitMu sync.Mutex // serialises emit and late
}

// openCall is the Tracker's in-memory index entry for one open call.
type openCall struct {
	id          string
	first, last time.Time
	elem        *list.Element
	dirty       bool        // call and info are out of date
	removed     bool        // emitted, dropped or adopted
	bytes       int64       // of the events kept, by eventSize
	aliases     []string    // ids adopted into this call
	parentRefs  []parentRef // where the call is in Tracker.parents
	call        Call        // rebuilt from the events; Complete and times unset
	info        callInfo    // what Sweep needs beyond the Call
}

// callInfo is what rebuilding a call finds beyond the Call itself.
type callInfo struct {
	orphan       bool      // no segment-0 ringing or dialing event
	ended        bool      // Complete, recordings aside
	recorded     bool      // every ended Ok segment with talk has a recording
	keys         []segUser // the start and end events, for adoption
	endSegs      []int     // segments with an end event
	digitCallers []string  // distinct CallerIDs of digits only, sorted
}

// parentKey is a CallerID and a user (an agent of an unended segment, the
// dialer or a Path hop) of a call that could adopt an orphan.
type parentKey struct{ callerID, user string }

// parentRef is where a call is in Tracker.parents: parents[key][pos].
type parentRef struct {
	key parentKey
	pos int
}

type segUser struct {
	seg  int
	user string
}

type goneEntry struct {
	id    string // goneKey of the id
	until time.Time
}

// goneKey is what an emitted call's id is remembered by: the id itself
// when short, else its SHA-256 behind a byte no decoded id starts with, so
// that a remembered id takes a few dozen bytes however long it was.
func goneKey(id string) string {
	if len(id) <= maxGoneID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "\xff" + string(sum[:])
}

// TrackerOption configures a Tracker. Options apply in order; for a
// setting given twice the last wins. A zero or negative duration, count or
// size always means the option's default.
type TrackerOption struct{ apply func(*Tracker) }

// WithSettle sets how long a complete call waits, after its last event,
// before Sweep emits it, so that late events still join it (default 2s;
// zero or negative keeps the default, as for every option of a Tracker).
// An orphan must also be this quiet to be adopted.
func WithSettle(d time.Duration) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if d > 0 {
			t.settle = d
		}
	}}
}

// WithQuietPeriod sets how long a call may go without events before Sweep
// emits it whatever its state, and how long the ids of emitted calls are
// remembered to recognise late events (default 10m; zero or negative keeps
// the default).
func WithQuietPeriod(d time.Duration) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if d > 0 {
			t.quiet = d
		}
	}}
}

// WithMaxOpenCalls caps the number of open calls, and of remembered ids of
// emitted calls (default 10000; below 1 keeps the default).
func WithMaxOpenCalls(n int) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if n > 0 {
			t.maxOpen = n
		}
	}}
}

// WithMaxCallBytes caps the bytes the events of one open call take
// (default 64 KiB, 256 events of the usual size; below 1 keeps the
// default; above WithMaxBytes it is WithMaxBytes). A distinct event over it
// is counted, not kept, and handed to the WithLate hook (see Tracker).
func WithMaxCallBytes(n int64) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if n > 0 {
			t.maxCallBytes = n
		}
	}}
}

// WithMaxBytes caps the bytes the events of all open calls take together
// (default 64 MiB; below 1 keeps the default). When an event would go over
// it, the open calls with the oldest LastSeen are emitted first (see
// Tracker). It bounds the memory of the default store, with
// WithMaxOpenCalls bounding the count.
func WithMaxBytes(n int64) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if n > 0 {
			t.maxBytes = n
		}
	}}
}

// WithExpectRecordings sets whether a call is complete only once every
// ended segment with talk has a recording (default true). Turn it off when
// the add-on does not record, so that calls are emitted at their settle
// time rather than their quiet period.
func WithExpectRecordings(expect bool) TrackerOption {
	return TrackerOption{func(t *Tracker) { t.expectRec = expect }}
}

// withClock replaces time.Now as the Tracker's clock (for tests). It is
// called with the Tracker's lock held, and must not go backwards.
func withClock(now func() time.Time) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if now != nil {
			t.now = now
		}
	}}
}

// WithStore keeps the events of open calls in s instead of in memory.
func WithStore(s TrackerStore) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if s != nil {
			t.store = s
		}
	}}
}

// WithLate sets a hook for the events no emitted Call will hold: late
// events, whose call was already emitted (within its quiet period), and
// events a call could not keep, beyond 256 distinct events or over
// WithMaxCallBytes (see Tracker). Without it they are dropped; either way
// they are counted in TrackerStats (Late, Overflow, OverBudget). The hook
// is called like emit, with the event given to Add, or the Tracker's copy
// of it when it was dropped while adopting an orphan.
func WithLate(late func(*Event)) TrackerOption {
	return TrackerOption{func(t *Tracker) { t.late = late }}
}

// NewTracker returns a Tracker that passes every call to emit (nil
// discards them).
func NewTracker(emit func(Call), opts ...TrackerOption) *Tracker {
	t := &Tracker{
		emit:         emit,
		settle:       defaultSettle,
		quiet:        defaultQuiet,
		maxOpen:      defaultMaxOpen,
		maxCallBytes: defaultMaxCallBytes,
		maxBytes:     defaultMaxBytes,
		expectRec:    true,
		now:          time.Now,
		store:        memoryStore{},
		open:         make(map[string]*openCall),
		order:        list.New(),
		alias:        make(map[string]string),
		orphans:      make(map[*openCall]struct{}),
		complete:     make(map[*openCall]struct{}),
		parents:      make(map[parentKey][]*openCall),
		gone:         make(map[string]time.Time),
	}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(t)
		}
	}
	t.maxCallBytes = min(t.maxCallBytes, t.maxBytes)
	return t
}

// Add takes one event into its call. It may emit the open calls with the
// oldest LastSeen (see WithMaxOpenCalls and WithMaxBytes) or pass an event
// it does not keep (late, or over a limit) to the WithLate hook. The
// Tracker keeps a copy of ev.
func (t *Tracker) Add(ev *Event) {
	if ev == nil {
		return
	}
	id := ev.CallID()
	if id == "" {
		return
	}
	t.mu.Lock()
	now := t.now()
	if p, ok := t.alias[id]; ok {
		id = p
	}
	if oc := t.open[id]; oc != nil {
		t.unlockAndEmit(t.addTo(oc, ev, now))
		return
	}
	if until, ok := t.gone[goneKey(id)]; ok {
		if now.Before(until) {
			t.stats.Late++
			t.reject(ev)
			t.unlockAndEmit(nil)
			return
		}
		delete(t.gone, goneKey(id))
	}
	size := eventSize(ev)
	if size > t.maxCallBytes {
		t.stats.OverBudget++
		t.reject(ev)
		t.unlockAndEmit(nil)
		return
	}
	var calls []Call
	if len(t.open) >= t.maxOpen {
		if e := t.order.Front(); e != nil {
			calls = t.evict(calls, e.Value.(*openCall), now)
		}
	}
	calls = t.makeRoom(calls, size, nil, now)
	c := cloneEvent(ev)
	id = c.CallID() // the copy's, which keeps nothing of the caller's alive
	st := &CallState{ID: id, Events: append(make([]Event, 0, 4), c), FirstSeen: now, LastSeen: now}
	if err := t.store.Save(st); err != nil {
		t.stats.StoreErrors++
	} else {
		oc := &openCall{id: id, first: now, last: now, bytes: size}
		oc.elem = t.order.PushBack(oc)
		t.open[id] = oc
		t.bytes += size
		t.markDirty(oc)
		t.stats.Events++
	}
	t.unlockAndEmit(calls)
}

// addTo adds ev to the open call oc, and returns the calls emitted to make
// room for it.
func (t *Tracker) addTo(oc *openCall, ev *Event, now time.Time) []Call {
	st, err := t.store.Load(oc.id)
	if err != nil || st == nil {
		t.stats.StoreErrors++
		return nil
	}
	for i := range st.Events {
		if sameEvent(&st.Events[i], ev) {
			t.stats.Duplicates++
			return nil
		}
	}
	var calls []Call
	var kept int64
	var overflow, overBudget bool
	switch size := eventSize(ev); {
	case len(st.Events) >= maxCallEvents:
		st.Overflow++
		overflow = true
	case oc.bytes+size > t.maxCallBytes:
		st.Overflow++
		overBudget = true
	default:
		calls = t.makeRoom(nil, size, oc, now)
		st.Events = append(st.Events, cloneEvent(ev))
		kept = size
	}
	if now.After(st.LastSeen) {
		st.LastSeen = now
	}
	if err := t.store.Save(st); err != nil {
		t.stats.StoreErrors++
		return calls
	}
	t.stats.Events++
	oc.bytes += kept
	t.bytes += kept
	if overflow || overBudget {
		if overflow {
			t.stats.Overflow++
		} else {
			t.stats.OverBudget++
		}
		t.reject(ev)
	}
	if st.LastSeen.After(oc.last) {
		oc.last = st.LastSeen
		t.order.MoveToBack(oc.elem)
	}
	t.markDirty(oc)
	return calls
}

// makeRoom emits open calls, the oldest LastSeen first and never keep,
// until size more bytes fit within WithMaxBytes, and returns calls with
// them appended.
func (t *Tracker) makeRoom(calls []Call, size int64, keep *openCall, now time.Time) []Call {
	for e := t.order.Front(); e != nil && t.bytes+size > t.maxBytes; {
		oc := e.Value.(*openCall)
		e = e.Next()
		if oc != keep {
			calls = t.evict(calls, oc, now)
		}
	}
	return calls
}

// evict emits oc early, Complete as computed, to respect a limit (or drops
// it when its state cannot be loaded).
func (t *Tracker) evict(calls []Call, oc *openCall, now time.Time) []Call {
	if t.refresh(oc) {
		calls = append(calls, t.closeCall(oc, t.isComplete(oc), now))
	} else {
		t.drop(oc)
	}
	t.stats.Evicted++
	return calls
}

// reject queues ev for the WithLate hook.
func (t *Tracker) reject(ev *Event) {
	if t.late != nil {
		t.pending = append(t.pending, ev)
	}
}

// Sweep emits the calls that are due at now: complete calls that have
// been quiet for the settle time, and every call that has been quiet for
// the quiet period. Before that it adopts orphans (see Tracker).
func (t *Tracker) Sweep(now time.Time) {
	t.mu.Lock()
	t.expireGone(now)
	t.refreshDirty()
	t.adoptOrphans(now, true)
	var calls []Call
	// The calls quiet for the quiet period are at the front of the order.
	for e := t.order.Front(); e != nil; {
		oc := e.Value.(*openCall)
		if now.Sub(oc.last) < t.quiet {
			break
		}
		e = e.Next()
		if oc.dirty { // its state could not be loaded
			t.drop(oc)
			continue
		}
		calls = append(calls, t.closeCall(oc, !oc.info.orphan && oc.info.ended, now))
	}
	for oc := range t.complete {
		if !oc.dirty && now.Sub(oc.last) >= t.settle {
			calls = append(calls, t.closeCall(oc, true, now))
		}
	}
	sortCalls(calls)
	t.unlockAndEmit(calls)
}

// Flush emits every open call now, Complete as computed, after adopting
// the orphans it can (without waiting for the settle time).
func (t *Tracker) Flush() {
	t.mu.Lock()
	now := t.now()
	t.refreshDirty()
	t.adoptOrphans(now, false)
	calls := make([]Call, 0, len(t.open))
	for e := t.order.Front(); e != nil; {
		oc := e.Value.(*openCall)
		e = e.Next()
		if oc.dirty {
			t.drop(oc)
			continue
		}
		calls = append(calls, t.closeCall(oc, t.isComplete(oc), now))
	}
	sortCalls(calls)
	t.unlockAndEmit(calls)
}

// Run calls Sweep every half settle time (at least every 10ms) until ctx
// is done, then Flush, and returns.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(max(t.settle/2, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			t.Flush()
			return
		case <-tick.C:
			t.mu.Lock()
			now := t.now()
			t.mu.Unlock()
			t.Sweep(now)
		}
	}
}

// Len returns the number of open calls.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}

// Stats returns the Tracker's counters.
func (t *Tracker) Stats() TrackerStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Open = len(t.open)
	s.Bytes = t.bytes
	return s
}

// unlockAndEmit releases the lock and then emits calls and passes the
// events queued by reject to the hook. emitMu is taken before mu is
// released, so batches are emitted in the order they were made.
func (t *Tracker) unlockAndEmit(calls []Call) {
	late := t.pending
	t.pending = nil
	if len(calls) == 0 && len(late) == 0 {
		t.mu.Unlock()
		return
	}
	t.emitMu.Lock()
	t.mu.Unlock()
	defer t.emitMu.Unlock()
	if t.emit != nil {
		for _, c := range calls {
			t.emit(c)
		}
	}
	for _, ev := range late {
		t.late(ev)
	}
}

func (t *Tracker) isComplete(oc *openCall) bool {
	return !oc.info.orphan && oc.info.ended && (!t.expectRec || oc.info.recorded)
}

func (t *Tracker) markDirty(oc *openCall) {
	if !oc.dirty {
		oc.dirty = true
		t.dirty = append(t.dirty, oc)
	}
}

// refreshDirty rebuilds the summaries of the calls that changed.
func (t *Tracker) refreshDirty() {
	list := t.dirty
	t.dirty = nil
	for _, oc := range list {
		if !oc.removed && oc.dirty && !t.refresh(oc) {
			t.dirty = append(t.dirty, oc)
		}
	}
}

// refresh rebuilds oc's summary from its events, when out of date. It
// reports whether the summary is up to date.
func (t *Tracker) refresh(oc *openCall) bool {
	if !oc.dirty {
		return true
	}
	st, err := t.store.Load(oc.id)
	if err != nil || st == nil {
		t.stats.StoreErrors++
		return false
	}
	oc.call, oc.info = buildCall(st)
	oc.dirty = false
	t.reindex(oc)
	return true
}

// reindex files oc under the orphans, or under the parents by what an
// orphan must match (see adoptable).
func (t *Tracker) reindex(oc *openCall) {
	t.unindex(oc)
	if oc.info.orphan {
		t.orphans[oc] = struct{}{}
		return
	}
	if t.isComplete(oc) {
		t.complete[oc] = struct{}{}
	}
	if oc.info.ended || oc.call.CallerID == "" {
		return
	}
	add := func(user string) {
		k := parentKey{oc.call.CallerID, user}
		if user != "" && !slices.ContainsFunc(oc.parentRefs, func(r parentRef) bool { return r.key == k }) {
			oc.parentRefs = append(oc.parentRefs, parentRef{k, len(t.parents[k])})
			t.parents[k] = append(t.parents[k], oc)
		}
	}
	if oc.call.Answered {
		for _, s := range oc.call.Segments {
			if !s.Ended {
				add(s.Agent)
			}
		}
		return
	}
	add(oc.call.Dialer)
	for _, h := range oc.call.Path {
		add(h.User)
	}
}

func (t *Tracker) unindex(oc *openCall) {
	delete(t.orphans, oc)
	delete(t.complete, oc)
	for _, r := range oc.parentRefs {
		// Move the bucket's last call into oc's place, in O(1): one caller
		// and one agent may share thousands of open calls.
		list := t.parents[r.key]
		last := list[len(list)-1]
		list[r.pos] = last
		for j := range last.parentRefs {
			if last.parentRefs[j].key == r.key {
				last.parentRefs[j].pos = r.pos
			}
		}
		list[len(list)-1] = nil
		if list = list[:len(list)-1]; len(list) == 0 {
			delete(t.parents, r.key)
		} else {
			t.parents[r.key] = list
		}
	}
	oc.parentRefs = oc.parentRefs[:0]
}

// closeCall removes oc from the open calls and returns its Call.
func (t *Tracker) closeCall(oc *openCall, complete bool, now time.Time) Call {
	c := oc.call
	c.Complete = complete
	c.FirstSeen, c.LastSeen = oc.first, oc.last
	t.forget(oc, now)
	t.stats.Emitted++
	if !complete {
		t.stats.Incomplete++
	}
	return c
}

// drop removes oc, whose state cannot be loaded, without emitting it.
func (t *Tracker) drop(oc *openCall) {
	t.forget(oc, t.now())
}

func (t *Tracker) forget(oc *openCall, now time.Time) {
	oc.removed = true
	t.bytes -= oc.bytes
	oc.bytes = 0
	t.unindex(oc)
	delete(t.open, oc.id)
	t.order.Remove(oc.elem)
	if err := t.store.Delete(oc.id); err != nil {
		t.stats.StoreErrors++
	}
	t.remember(oc.id, now)
	for _, a := range oc.aliases {
		delete(t.alias, a)
		t.remember(a, now)
	}
}

// remember records id as emitted, for the quiet period.
func (t *Tracker) remember(id string, now time.Time) {
	until := now.Add(t.quiet)
	key := goneKey(id)
	if key == id {
		key = strings.Clone(id) // keeps no event's text alive
	}
	t.gone[key] = until
	t.goneFIFO = append(t.goneFIFO, goneEntry{key, until})
	for len(t.gone) > t.maxOpen {
		t.popGone()
	}
}

func (t *Tracker) expireGone(now time.Time) {
	for t.goneHead < len(t.goneFIFO) && !now.Before(t.goneFIFO[t.goneHead].until) {
		t.popGone()
	}
}

func (t *Tracker) popGone() {
	e := t.goneFIFO[t.goneHead]
	t.goneFIFO[t.goneHead] = goneEntry{}
	t.goneHead++
	if until, ok := t.gone[e.id]; ok && until.Equal(e.until) {
		delete(t.gone, e.id)
	}
	if t.goneHead >= 1024 && t.goneHead*2 >= len(t.goneFIFO) {
		n := copy(t.goneFIFO, t.goneFIFO[t.goneHead:])
		clear(t.goneFIFO[n:])
		t.goneFIFO = t.goneFIFO[:n]
		t.goneHead = 0
	}
}

// adoptOrphans adopts every orphan it can into another open call; when
// settled, only orphans quiet for the settle time.
func (t *Tracker) adoptOrphans(now time.Time, settled bool) {
	// A parent must match every key of the orphan, so the first will do to
	// find the candidates.
	hasCandidates := func(o *openCall) bool {
		for _, c := range o.info.digitCallers {
			if len(t.parents[parentKey{c, o.info.keys[0].user}]) > 0 {
				return true
			}
		}
		return false
	}
	var orphans []*openCall
	for oc := range t.orphans {
		if oc.dirty || len(oc.info.keys) == 0 || (settled && now.Sub(oc.last) < t.settle) || !hasCandidates(oc) {
			continue
		}
		orphans = append(orphans, oc)
	}
	slices.SortFunc(orphans, func(a, b *openCall) int {
		return cmp.Or(a.first.Compare(b.first), strings.Compare(a.id, b.id))
	})
	for _, o := range orphans {
		var best *openCall
		var bestDist time.Duration
		user := o.info.keys[0].user
		for _, c := range o.info.digitCallers {
			for _, p := range t.parents[parentKey{c, user}] {
				if !adoptable(o, p) {
					continue
				}
				d := p.last.Sub(o.first).Abs()
				if best == nil || d < bestDist || (d == bestDist && p.id < best.id) {
					best, bestDist = p, d
				}
			}
		}
		if best != nil {
			t.merge(best, o)
		}
	}
}

// adoptable reports whether the orphan o may be adopted into p.
func adoptable(o, p *openCall) bool {
	if p.removed || p.dirty || p.info.orphan || p.info.ended || len(p.aliases) >= maxCallAliases ||
		p.call.Direction != o.call.Direction || !slices.Contains(o.info.digitCallers, p.call.CallerID) {
		return false
	}
	for _, k := range o.info.keys {
		if p.call.Answered {
			i, ok := slices.BinarySearchFunc(p.call.Segments, k.seg, func(s Segment, n int) int { return cmp.Compare(s.Number, n) })
			if !ok || p.call.Segments[i].Agent != k.user || p.call.Segments[i].Ended {
				return false
			}
			continue
		}
		if slices.Contains(p.info.endSegs, k.seg) {
			return false
		}
		if k.user != p.call.Dialer && !slices.ContainsFunc(p.call.Path, func(h Hop) bool { return h.User == k.user }) {
			return false
		}
	}
	return true
}

// merge moves the orphan o's events into p.
func (t *Tracker) merge(p, o *openCall) {
	ps, err := t.store.Load(p.id)
	if err != nil || ps == nil {
		t.stats.StoreErrors++
		return
	}
	ost, err := t.store.Load(o.id)
	if err != nil || ost == nil {
		t.stats.StoreErrors++
		return
	}
	pBytes := p.bytes
	var dropped []*Event
	var droppedBytes, overflow, overBudget int64
	for i := range ost.Events {
		ev := &ost.Events[i]
		switch size := eventSize(ev); {
		case len(ps.Events) >= maxCallEvents:
			overflow++
			dropped, droppedBytes = append(dropped, ev), droppedBytes+size
		case pBytes+size > t.maxCallBytes:
			overBudget++
			dropped, droppedBytes = append(dropped, ev), droppedBytes+size
		default:
			ps.Events = append(ps.Events, *ev)
			pBytes += size
		}
	}
	ps.Overflow += int(overflow + overBudget)
	ps.Overflow += ost.Overflow
	ps.Aliases = append(ps.Aliases, o.id)
	ps.Aliases = append(ps.Aliases, ost.Aliases...)
	slices.Sort(ps.Aliases)
	ps.Aliases = slices.Compact(ps.Aliases)
	if ost.FirstSeen.Before(ps.FirstSeen) {
		ps.FirstSeen = ost.FirstSeen
	}
	if ost.LastSeen.After(ps.LastSeen) {
		ps.LastSeen = ost.LastSeen
	}
	if err := t.store.Save(ps); err != nil {
		t.stats.StoreErrors++
		return
	}
	t.stats.Adopted++
	t.stats.Overflow += overflow
	t.stats.OverBudget += overBudget
	for _, ev := range dropped {
		t.reject(ev)
	}
	t.bytes -= droppedBytes
	p.bytes, o.bytes = pBytes, 0
	if o.last.After(p.last) {
		t.order.MoveAfter(p.elem, o.elem)
	}
	p.first, p.last = ps.FirstSeen, ps.LastSeen
	o.removed = true
	t.unindex(o)
	delete(t.open, o.id)
	t.order.Remove(o.elem)
	if err := t.store.Delete(o.id); err != nil {
		t.stats.StoreErrors++
	}
	p.aliases = slices.Clone(ps.Aliases)
	for _, a := range p.aliases {
		t.alias[a] = p.id
	}
	t.markDirty(p)
	t.refresh(p)
}

func sortCalls(calls []Call) {
	slices.SortFunc(calls, func(a, b Call) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.ID, b.ID))
	})
}

// memoryStore is the default TrackerStore.
type memoryStore map[string]*CallState

// Load implements TrackerStore.
func (m memoryStore) Load(id string) (*CallState, error) { return m[id], nil }

// Save implements TrackerStore.
func (m memoryStore) Save(st *CallState) error { m[st.ID] = st; return nil }

// Delete implements TrackerStore.
func (m memoryStore) Delete(id string) error { delete(m, id); return nil }

// cloneEvent copies ev into memory of its own: all of its text in one
// allocation, so that the Tracker holds the bytes eventSize counts and not
// the larger body (or query string) ev's strings may be slices of.
func cloneEvent(ev *Event) Event {
	c := *ev
	fields := textFields(&c)
	keys := slices.Collect(maps.Keys(ev.Extra))
	var b strings.Builder
	b.Grow(int(eventText(ev)))
	for _, f := range fields {
		b.WriteString(*f)
	}
	for _, u := range ev.RecordingURLs {
		b.WriteString(u)
	}
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(ev.Extra[k])
	}
	buf := b.String()
	take := func(s string) string {
		if s == "" {
			return ""
		}
		r := buf[:len(s)]
		buf = buf[len(s):]
		return r
	}
	for _, f := range fields {
		*f = take(*f)
	}
	if ev.RecordingURLs != nil {
		c.RecordingURLs = make([]string, len(ev.RecordingURLs))
		for i, u := range ev.RecordingURLs {
			c.RecordingURLs[i] = take(u)
		}
	}
	if ev.Extra != nil {
		c.Extra = make(map[string]string, len(keys))
		for _, k := range keys {
			v := ev.Extra[k]
			c.Extra[take(k)] = take(v)
		}
	}
	return c
}

// textFields returns the string fields of ev.
func textFields(ev *Event) [9]*string {
	return [9]*string{&ev.Type, &ev.CallerID, &ev.User, &ev.UserType, &ev.DID, &ev.ID, &ev.TransferType, &ev.FinishType, &ev.Title}
}

// eventText is the number of bytes of ev's text.
func eventText(ev *Event) int64 {
	var n int
	for _, f := range textFields(ev) {
		n += len(*f)
	}
	for _, u := range ev.RecordingURLs {
		n += len(u)
	}
	for k, v := range ev.Extra {
		n += len(k) + len(v)
	}
	return int64(n)
}

// The memory an event takes beyond its text: the Event struct, a string
// header per recording URL, and per Extra entry two headers and the map's
// share of a slot (the map's fixed part counted as one more entry).
var (
	eventOverhead = int64(reflect.TypeFor[Event]().Size())
	urlOverhead   = int64(reflect.TypeFor[string]().Size())
	extraOverhead = 3 * urlOverhead
)

// eventSize is what the byte budgets count for ev: about the memory the
// Tracker's copy of it takes.
func eventSize(ev *Event) int64 {
	n := eventOverhead + eventText(ev) + int64(len(ev.RecordingURLs))*urlOverhead
	if ev.Extra != nil {
		n += int64(len(ev.Extra)+1) * extraOverhead
	}
	return n
}

func sameEvent(a, b *Event) bool {
	return a.Type == b.Type && a.ID == b.ID && a.User == b.User && a.CallerID == b.CallerID &&
		a.UserType == b.UserType && a.DID == b.DID && a.TransferType == b.TransferType &&
		a.FinishType == b.FinishType && a.Title == b.Title && a.Transfer == b.Transfer &&
		a.Duration == b.Duration && slices.Equal(a.RecordingURLs, b.RecordingURLs) &&
		maps.Equal(a.Extra, b.Extra)
}

// compareEvents is a total order on distinct events.
func compareEvents(a, b *Event) int {
	if c := cmp.Or(
		strings.Compare(a.Type, b.Type), strings.Compare(a.ID, b.ID),
		strings.Compare(a.User, b.User), strings.Compare(a.CallerID, b.CallerID),
		strings.Compare(a.UserType, b.UserType), strings.Compare(a.DID, b.DID),
		strings.Compare(a.TransferType, b.TransferType), strings.Compare(a.FinishType, b.FinishType),
		strings.Compare(a.Title, b.Title), cmp.Compare(a.Duration, b.Duration),
		slices.Compare(a.RecordingURLs, b.RecordingURLs),
	); c != 0 {
		return c
	}
	if a.Transfer != b.Transfer {
		if a.Transfer {
			return 1
		}
		return -1
	}
	ka, kb := slices.Sorted(maps.Keys(a.Extra)), slices.Sorted(maps.Keys(b.Extra))
	if c := slices.Compare(ka, kb); c != 0 {
		return c
	}
	for _, k := range ka {
		if c := strings.Compare(a.Extra[k], b.Extra[k]); c != 0 {
			return c
		}
	}
	return 0
}

// segmentEvents gathers the events of one segment.
type segmentEvents struct {
	number   int
	starts   []*Event
	end      *Event // of several, the longest, then the least by compareEvents
	recUsers []string
	urls     []string
}

// preAnswerSegment returns the segment a call's ringing and dialing
// events carry before it is answered: 0, as 3CX numbers them; or, when no
// ringing or dialing event is on segment 0, the lowest segment any of its
// events carries, if a ringing or dialing event is on it (the POST-scheme
// table in Creomate's docs gives ringing events the suffix of the first
// answered segment, "-1"); or -1 when there is none: an orphan.
func preAnswerSegment(evs []Event) int {
	lowest, ringsLowest := -1, false
	for i := range evs {
		ev := &evs[i]
		n := ev.Segment()
		if n < 0 {
			continue
		}
		rings := ev.Type == Ringing || ev.Type == Dialing
		if rings && n == 0 {
			return 0
		}
		switch {
		case lowest < 0 || n < lowest:
			lowest, ringsLowest = n, rings
		case n == lowest:
			ringsLowest = ringsLowest || rings
		}
	}
	if ringsLowest {
		return lowest
	}
	return -1
}

// buildCall rebuilds a call from its events. The result depends only on
// the set of events (see Tracker).
func buildCall(st *CallState) (Call, callInfo) {
	c := Call{ID: st.ID, Aliases: slices.Clone(st.Aliases), Direction: "inbound", Events: len(st.Events) + st.Overflow}
	info := callInfo{orphan: true}
	var callers0, callers, dids0, dids, dialers []string
	var segs []*segmentEvents
	recSeg := make(map[string]int) // recording URL → lowest segment carrying it
	endMissed := false
	pre := preAnswerSegment(st.Events)
	for i := range st.Events {
		ev := &st.Events[i]
		n := ev.Segment()
		isPre := pre >= 0 && n == pre
		if ev.Outbound() {
			c.Direction = "outbound"
		}
		if ev.CallerID != "" {
			callers = append(callers, ev.CallerID)
			if isPre {
				callers0 = append(callers0, ev.CallerID)
			}
			if digitsOnly(ev.CallerID) && !slices.Contains(info.digitCallers, ev.CallerID) {
				info.digitCallers = append(info.digitCallers, ev.CallerID)
			}
		}
		if ev.DID != "" {
			dids = append(dids, ev.DID)
			if isPre {
				dids0 = append(dids0, ev.DID)
			}
		}
		if ev.Type == Dialing && ev.User != "" {
			dialers = append(dialers, ev.User)
		}
		if isPre && (ev.Type == Ringing || ev.Type == Dialing) {
			info.orphan = false
		}
		if isPre && ev.Type == Ringing && ev.User != "" {
			c.Path = append(c.Path, Hop{User: ev.User, UserType: ev.UserType})
		}
		if (ev.IsStart() || ev.IsEnd()) && ev.User != "" {
			k := segUser{n, ev.User}
			if !slices.Contains(info.keys, k) {
				info.keys = append(info.keys, k)
			}
		}
		if ev.IsEnd() {
			if ev.FinishType == FinishMissed {
				endMissed = true
			}
			if !slices.Contains(info.endSegs, n) {
				info.endSegs = append(info.endSegs, n)
			}
		}
		for _, u := range ev.RecordingURLs {
			if s, ok := recSeg[u]; !ok || n < s {
				recSeg[u] = n
			}
		}
		if n < 1 || !(ev.IsStart() || ev.IsEnd() || ev.Type == Recording || len(ev.RecordingURLs) > 0) {
			continue
		}
		var s *segmentEvents
		for _, x := range segs {
			if x.number == n {
				s = x
				break
			}
		}
		if s == nil {
			s = &segmentEvents{number: n}
			segs = append(segs, s)
		}
		s.urls = append(s.urls, ev.RecordingURLs...)
		switch {
		case ev.IsStart():
			s.starts = append(s.starts, ev)
		case ev.IsEnd():
			if s.end == nil || ev.Duration > s.end.Duration ||
				(ev.Duration == s.end.Duration && compareEvents(ev, s.end) < 0) {
				s.end = ev
			}
		case ev.Type == Recording && ev.User != "":
			s.recUsers = append(s.recUsers, ev.User)
		}
	}

	if len(callers0) > 0 {
		c.CallerID = mostCommon(callers0)
	} else {
		c.CallerID = mostCommon(callers)
	}
	if len(dids0) > 0 {
		c.DID = mostCommon(dids0)
	} else {
		c.DID = mostCommon(dids)
	}
	c.Dialer = mostCommon(dialers)

	slices.SortFunc(c.Path, func(a, b Hop) int {
		return cmp.Or(cmp.Compare(hopRank(a.UserType), hopRank(b.UserType)),
			strings.Compare(a.User, b.User), strings.Compare(a.UserType, b.UserType))
	})
	c.Path = slices.Compact(c.Path)

	slices.SortFunc(segs, func(a, b *segmentEvents) int { return cmp.Compare(a.number, b.number) })
	info.recorded = true
	for _, s := range segs {
		seg := Segment{Number: s.number}
		users := make([]string, 0, len(s.starts))
		types := make([]string, 0, len(s.starts))
		for _, ev := range s.starts {
			if ev.User != "" {
				users = append(users, ev.User)
			}
			if ev.TransferType != "" {
				types = append(types, ev.TransferType)
			}
		}
		seg.Agent, seg.TransferType = mostCommon(users), mostCommon(types)
		if e := s.end; e != nil {
			seg.FinishType, seg.Transfer, seg.Duration, seg.Ended = e.FinishType, e.Transfer, e.Duration, true
			if seg.Agent == "" {
				seg.Agent = e.User
			}
		}
		if seg.Agent == "" {
			seg.Agent = mostCommon(s.recUsers)
		}
		if len(s.urls) > 0 {
			seg.RecordingURLs = slices.Compact(slices.Sorted(slices.Values(s.urls)))
		}
		if seg.Ended && seg.FinishType == FinishOk && seg.Duration > 0 && len(seg.RecordingURLs) == 0 {
			info.recorded = false
		}
		if (seg.TransferType == Blind || seg.TransferType == Attended) && s.number >= 2 && len(c.Segments) > 0 {
			c.Transfers = append(c.Transfers, Transfer{
				Type: seg.TransferType, From: c.Segments[len(c.Segments)-1].Agent, To: seg.Agent, Segment: s.number,
			})
		}
		c.TalkTime += seg.Duration
		c.Segments = append(c.Segments, seg)
	}
	c.Answered = len(c.Segments) > 0
	c.Missed = !c.Answered && endMissed
	if c.Answered {
		info.ended = c.Segments[len(c.Segments)-1].Ended
	} else {
		info.ended = endMissed
	}

	if len(recSeg) > 0 {
		c.RecordingURLs = slices.SortedFunc(maps.Keys(recSeg), func(a, b string) int {
			return cmp.Or(cmp.Compare(recSeg[a], recSeg[b]), strings.Compare(a, b))
		})
	}
	slices.Sort(info.digitCallers)
	return c, info
}

// hopRank orders the hops of a Path: IVR, queue, extension, anything else.
func hopRank(userType string) int {
	switch userType {
	case "other":
		return 0
	case "queue":
		return 1
	case "ext":
		return 2
	}
	return 3
}

// mostCommon returns the value vals holds most often, the smallest of
// those on a tie, or "" for none.
func mostCommon(vals []string) string {
	best, bestN := "", 0
	for i, v := range vals {
		if v == best {
			continue
		}
		n := 0
		for _, w := range vals[i:] {
			if w == v {
				n++
			}
		}
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
