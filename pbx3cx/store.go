package pbx3cx

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"
)

// CallStore holds the open calls of one or more Trackers: their events,
// which calls are due, which are being emitted, and the ids of the calls
// already emitted. It is the state Trackers on several instances share
// (github.com/telhook/telhook/redisstore keeps it in Redis); the default,
// [NewMemoryCallStore], keeps it in the process. Every method is safe for
// concurrent use by any number of Trackers, and every method that changes
// the store is one atomic step, so that a shared store can do each in one
// round trip (a Redis store in one Lua script). Due and Candidates, which
// only read and may list every open call, need not be one snapshot: a
// shared store may read them in bounded steps (redisstore does, 500 calls
// a script), so that a call that changes meanwhile may be missing, to be
// due at the next Sweep, or listed at its newer version; the Tracker acts
// on a call only at the version it read.
//
// A Tracker rebuilds each call from all of its events in the store (see
// [BuildCall]); what it keeps itself is a cache of the calls it rebuilt
// (see Tracker). A call is emitted exactly once per claim and at least
// once overall: Claim is a lease, and a call whose claimer dies before
// Ack is claimed again when the lease runs out, by whichever Tracker
// sweeps next. Consumers of a shared store de-duplicate on Call.ID.
//
// The times given to a method are the Tracker's clock. A store may use a
// clock of its own instead (a shared store should, since the clocks of
// instances disagree); it must then use it in every method, and Due
// returns the time it used. Every time a store returns, FirstSeen and
// LastSeen included, is on the clock it uses.
//
// A call's Version increases whenever its events, overflow count, aliases
// or LastSeen change, and never repeats for the same call id within a
// store, even after the call was emitted and the id opened again (a
// counter shared by the store's calls will do). Claim, Defer and Ack do
// not change it. Methods given a CallRef act only when the call is still
// at that version, so that a Tracker never acts on events it has not seen.
//
// A claimed call is frozen: Append reports an event for it as late,
// Merge, Defer and Candidates leave it alone, until Ack removes it.
//
// Errors are the store's own (a network, a timeout): a call that is not
// there, a version that moved, a claim held by another are answers, not
// errors. The Tracker counts errors in TrackerStats.StoreErrors.
// [github.com/telhook/telhook/pbx3cx/pbx3cxtest.TestCallStore] checks a
// store against this contract.
type CallStore interface {
	// Append takes ev into its call, ev.CallID() or the call that adopted
	// that id (see Merge), at now, in this order:
	//   - the call is open and claimed: AppendLate;
	//   - the call is open and holds an event equal to ev (sameEvent: every
	//     field, nil and empty RecordingURLs or Extra alike): AppendDuplicate;
	//   - the call is open and holds lim.MaxCallEvents events, or EventSize(ev)
	//     would take it over lim.MaxCallBytes: AppendOverflow or
	//     AppendOverBudget; ev is counted in the call's Overflow, not kept;
	//   - the call is open: ev is kept (AppendKept), a copy that shares no
	//     memory with ev;
	//   - the id is among those of emitted calls (see Ack): AppendLate;
	//   - EventSize(ev) is over lim.MaxCallBytes: AppendTooLarge, no call opens;
	//   - otherwise a call opens with ev (AppendKept).
	// Only AppendKept, AppendOverflow and AppendOverBudget change the call:
	// LastSeen becomes now if later, the version moves, and the call is
	// due at LastSeen + lim.Settle.
	//
	// Before it keeps ev, Append claims (see Claim) the unclaimed open
	// calls other than ev's own with the oldest LastSeen, as few as it
	// takes for a new call to leave at most lim.MaxOpenCalls open and for
	// the events of the unclaimed calls to take at most lim.MaxBytes with
	// ev's; and returns the claims in Evict, oldest first, for the Tracker
	// to emit and Ack.
	Append(ctx context.Context, ev *Event, now time.Time, lim StoreLimits) (AppendResult, error)

	// Due returns the time it used (now, or the store's own clock) and
	// the calls due at that time: open and unclaimed with a due time not
	// after it, or claimed with a lease that ran out. With all it returns
	// every open call except those claimed under a lease still running.
	Due(ctx context.Context, now time.Time, all bool) (time.Time, []DueCall, error)

	// Read returns the call id, or false when no such call is open. An id
	// adopted by another call is not open (see Merge).
	Read(ctx context.Context, id string) (CallRecord, bool, error)

	// Defer makes the call due at until instead, if it is still open,
	// unclaimed and at ref.Version; else it does nothing.
	Defer(ctx context.Context, ref CallRef, until time.Time) error

	// Claim leases the call for emission until now + lim.Lease, if it is
	// still open at ref.Version and not claimed under a lease still
	// running; else it returns false. Claiming a call whose lease ran out
	// takes it from its claimer, whose Ack then fails.
	Claim(ctx context.Context, ref CallRef, now time.Time, lim StoreLimits) (Claim, bool, error)

	// Ack reports the claimed call emitted: the store removes it and
	// remembers its id and its aliases as those of an emitted call until
	// now + lim.Quiet, at most lim.MaxOpenCalls such ids (the oldest are
	// forgotten first). It returns ErrClaimLost when c is no longer the
	// call's claim.
	Ack(ctx context.Context, c Claim, now time.Time, lim StoreLimits) error

	// Merge moves the events of the orphan into parent, if both are still
	// open, unclaimed and at their versions; else it returns Merged false.
	// The orphan's events are kept in parent within lim.MaxCallEvents and
	// lim.MaxCallBytes, in the orphan's order; those that do not fit are
	// counted in parent's Overflow and returned in Dropped. The orphan's
	// Overflow is added to parent's, the orphan's id and aliases join
	// parent's Aliases (an event for any of them now goes to parent), its
	// FirstSeen and LastSeen widen parent's, and parent is due at its
	// LastSeen + lim.Settle. The orphan is no longer open, and its id is
	// not remembered as emitted.
	Merge(ctx context.Context, parent, orphan CallRef, now time.Time, lim StoreLimits) (MergeResult, error)

	// Candidates returns, each at the version it read, at least every call
	// open and unclaimed throughout that has a ringing or dialing event, an
	// event whose CallerID is callerID, and an event whose User is user:
	// the calls that could adopt an orphan. It may return more (the
	// Tracker checks each). The Tracker asks only for callerIDs made of
	// digits.
	Candidates(ctx context.Context, callerID, user string) ([]CallRef, error)

	// Usage returns the number of open calls and the EventSize of their
	// events, claimed calls included.
	Usage(ctx context.Context) (StoreUsage, error)
}

// StoreLimits are the settings of a Tracker that its CallStore applies.
// Trackers sharing a store should share their settings.
type StoreLimits struct {
	Settle        time.Duration // a call is due this long after its LastSeen (WithSettle)
	Quiet         time.Duration // the ids of emitted calls are late this long (WithQuietPeriod)
	Lease         time.Duration // a claim lasts this long (WithLease)
	MaxOpenCalls  int           // open calls, and remembered ids of emitted calls (WithMaxOpenCalls)
	MaxCallEvents int           // distinct events kept per call (256)
	MaxCallBytes  int64         // EventSize of the events kept per call (WithMaxCallBytes)
	MaxBytes      int64         // EventSize of the events of the unclaimed open calls (WithMaxBytes)
}

// CallRef names one version of an open call.
type CallRef struct {
	ID      string
	Version uint64
}

// DueCall is a call Due returns.
type DueCall struct {
	CallRef
	// Claimed reports that a Tracker claimed the call and its lease ran
	// out before it acknowledged the emission: the call is to be emitted,
	// Complete as computed, by whoever claims it next.
	Claimed bool
}

// CallRecord is what a CallStore holds for one open call.
type CallRecord struct {
	CallRef
	Aliases   []string // call ids adopted into this call, sorted
	Events    []Event  // the distinct events kept, in order of arrival
	Overflow  int      // distinct events counted but not kept (see Append)
	FirstSeen time.Time
	LastSeen  time.Time
}

// Claim is a lease on a call for its emission.
type Claim struct {
	CallRef
	Token string    // unique to this claim
	Until time.Time // when the lease runs out, on the store's clock
}

// AppendOutcome says what a CallStore did with an event (see Append).
type AppendOutcome uint8

// What Append did with an event.
const (
	AppendKept       AppendOutcome = iota + 1 // taken into its call
	AppendDuplicate                           // equal to an event of its call: ignored
	AppendLate                                // its call is claimed or was emitted
	AppendOverflow                            // its call holds MaxCallEvents events: counted, not kept
	AppendOverBudget                          // over its call's MaxCallBytes: counted, not kept
	AppendTooLarge                            // over MaxCallBytes on its own: no call opened
)

// AppendResult is the answer of Append.
type AppendResult struct {
	Outcome AppendOutcome
	// Evict are the calls claimed to make room, oldest LastSeen first,
	// for the Tracker to emit and Ack.
	Evict []Claim
}

// MergeResult is the answer of Merge.
type MergeResult struct {
	Merged  bool
	Version uint64 // the parent's, after the merge
	// Dropped are the orphan's events that did not fit in the parent:
	// Overflow of them beyond MaxCallEvents, the rest over MaxCallBytes.
	Dropped  []Event
	Overflow int
}

// StoreUsage is what a CallStore holds.
type StoreUsage struct {
	Open  int   // open calls
	Bytes int64 // EventSize of their events
}

// ErrClaimLost is returned by Ack when the claim ran out and another
// Tracker claimed the call: the call was, or will be, emitted again.
var ErrClaimLost = errors.New("pbx3cx: the claim on the call ran out and was taken")

// maxGoneID: longer ids of emitted calls are remembered by their hash.
const maxGoneID = 64

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
