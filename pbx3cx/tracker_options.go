package pbx3cx

import "time"

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
			t.lim.Settle = d
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
			t.lim.Quiet = d
		}
	}}
}

// WithMaxOpenCalls caps the number of open calls, and of remembered ids of
// emitted calls (default 10000; below 1 keeps the default).
func WithMaxOpenCalls(n int) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if n > 0 {
			t.lim.MaxOpenCalls = n
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
			t.lim.MaxCallBytes = n
		}
	}}
}

// WithMaxBytes caps the bytes the events of all open calls take together
// (default 64 MiB; below 1 keeps the default). When an event would go over
// it, the open calls with the oldest LastSeen are emitted first (see
// Tracker). It bounds the memory of the store, with WithMaxOpenCalls
// bounding the count.
func WithMaxBytes(n int64) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if n > 0 {
			t.lim.MaxBytes = n
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

// WithCallStore keeps the Tracker's open calls in s instead of a
// MemoryCallStore of its own. Trackers that share s share their calls:
// give them all the same options (see Tracker, "Many instances"). Run then
// ends without Flush, leaving the open calls in s for the others. A nil s
// keeps the default.
func WithCallStore(s CallStore) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if s != nil {
			t.store, t.shared = s, true
		}
	}}
}

// WithLease sets how long a Tracker's claim on a call it is emitting lasts
// (default 1m; zero or negative keeps the default): when the Tracker has
// not acknowledged the emission by then, having died or hung in emit,
// another Tracker sharing its store (or the same one) may claim and emit
// the call again. Make it longer than emit may take.
func WithLease(d time.Duration) TrackerOption {
	return TrackerOption{func(t *Tracker) {
		if d > 0 {
			t.lim.Lease = d
		}
	}}
}

// WithLate sets a hook for the events no emitted Call will hold: late
// events, whose call was already emitted (within its quiet period) or is
// being emitted, and events a call could not keep, beyond 256 distinct
// events or over WithMaxCallBytes (see Tracker). Without it they are
// dropped; either way they are counted in TrackerStats (Late, Overflow,
// OverBudget). The hook is called like emit, with the event given to Add,
// or the store's copy of it when it was dropped while adopting an orphan.
func WithLate(late func(*Event)) TrackerOption {
	return TrackerOption{func(t *Tracker) { t.late = late }}
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
