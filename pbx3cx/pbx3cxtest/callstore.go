package pbx3cxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/pbx3cx"
)

// TestCallStore checks a pbx3cx.CallStore against the contract of its
// methods, as Trackers on several instances rely on it. newStore returns
// an empty store for each subtest (a shared store: under a prefix of its
// own), which it may close with t.Cleanup. The subtests run in parallel,
// and wait for settle times, leases and quiet periods of a few hundred
// milliseconds on the real clock, so that a store with a clock of its own
// (on the same host) passes as well; the suite takes about a second.
//
//	func TestMyStore(t *testing.T) {
//		pbx3cxtest.TestCallStore(t, func(t *testing.T) pbx3cx.CallStore { return mystore.New(t.Name()) })
//	}
func TestCallStore(t *testing.T, newStore func(t *testing.T) pbx3cx.CallStore) {
	t.Helper()
	for _, tt := range []struct {
		name string
		test func(t *testing.T, s *storeTester)
	}{
		{"append", testAppend},
		{"append copies", testAppendCopies},
		{"versions", testVersions},
		{"due and defer", testDue},
		{"claim freezes", testClaim},
		{"lease runs out", testLease},
		{"emitted ids are late", testGone},
		{"merge", testMerge},
		{"merge over budget", testMergeBudget},
		{"evict for the count", testEvict},
		{"evict for the bytes", testEvictBytes},
		{"concurrent claims", testConcurrentClaims},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, &storeTester{t: t, s: newStore(t), ctx: context.Background()})
		})
	}
}

// The settings of the suite: short, but long enough to tell apart on a
// busy machine.
const (
	suiteSettle = 100 * time.Millisecond
	suiteLease  = 200 * time.Millisecond
	suiteQuiet  = 300 * time.Millisecond
)

func suiteLimits() pbx3cx.StoreLimits {
	return pbx3cx.StoreLimits{
		Settle: suiteSettle, Quiet: suiteQuiet, Lease: suiteLease, MaxOpenCalls: 100,
		MaxCallEvents: 256, MaxCallBytes: 64 << 10, MaxBytes: 1 << 20,
	}
}

// storeTester calls a store and fails the test on its errors.
type storeTester struct {
	t   *testing.T
	s   pbx3cx.CallStore
	ctx context.Context
}

func (st *storeTester) append(ev *pbx3cx.Event, lim pbx3cx.StoreLimits) pbx3cx.AppendResult {
	st.t.Helper()
	res, err := st.s.Append(st.ctx, ev, time.Now(), lim)
	if err != nil {
		st.t.Fatalf("Append(%s): %v", ev.ID, err)
	}
	return res
}

func (st *storeTester) read(id string) (pbx3cx.CallRecord, bool) {
	st.t.Helper()
	rec, ok, err := st.s.Read(st.ctx, id)
	if err != nil {
		st.t.Fatalf("Read(%s): %v", id, err)
	}
	return rec, ok
}

// mustRead returns the open call id.
func (st *storeTester) mustRead(id string) pbx3cx.CallRecord {
	st.t.Helper()
	rec, ok := st.read(id)
	if !ok {
		st.t.Fatalf("call %s is not open", id)
	}
	return rec
}

func (st *storeTester) due(all bool) map[string]pbx3cx.DueCall {
	st.t.Helper()
	_, due, err := st.s.Due(st.ctx, time.Now(), all)
	if err != nil {
		st.t.Fatalf("Due: %v", err)
	}
	m := make(map[string]pbx3cx.DueCall, len(due))
	for _, d := range due {
		if _, dup := m[d.ID]; dup {
			st.t.Errorf("Due returned %s twice", d.ID)
		}
		m[d.ID] = d
	}
	return m
}

func (st *storeTester) claim(ref pbx3cx.CallRef) (pbx3cx.Claim, bool) {
	st.t.Helper()
	c, ok, err := st.s.Claim(st.ctx, ref, time.Now(), suiteLimits())
	if err != nil {
		st.t.Fatalf("Claim(%+v): %v", ref, err)
	}
	if ok && (c.ID != ref.ID || c.Version != ref.Version || c.Token == "") {
		st.t.Errorf("Claim(%+v) = %+v: want the call at its version, with a token", ref, c)
	}
	return c, ok
}

func (st *storeTester) ack(c pbx3cx.Claim, lim pbx3cx.StoreLimits) error {
	st.t.Helper()
	err := st.s.Ack(st.ctx, c, time.Now(), lim)
	if err != nil && !errors.Is(err, pbx3cx.ErrClaimLost) {
		st.t.Fatalf("Ack(%+v): %v", c, err)
	}
	return err
}

func (st *storeTester) merge(parent, orphan pbx3cx.CallRef, lim pbx3cx.StoreLimits) pbx3cx.MergeResult {
	st.t.Helper()
	res, err := st.s.Merge(st.ctx, parent, orphan, time.Now(), lim)
	if err != nil {
		st.t.Fatalf("Merge: %v", err)
	}
	return res
}

func (st *storeTester) candidates(callerID, user string) []string {
	st.t.Helper()
	refs, err := st.s.Candidates(st.ctx, callerID, user)
	if err != nil {
		st.t.Fatalf("Candidates: %v", err)
	}
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	return ids
}

func (st *storeTester) usage() pbx3cx.StoreUsage {
	st.t.Helper()
	u, err := st.s.Usage(st.ctx)
	if err != nil {
		st.t.Fatalf("Usage: %v", err)
	}
	return u
}

// ev returns an event of call id (segment 0 unless id has one).
func ev(typ, id, user string) *pbx3cx.Event {
	if !strings.Contains(id, "-") {
		id += "-0"
	}
	return &pbx3cx.Event{Type: typ, CallerID: "05552221133", User: user, ID: id}
}

// events returns copies of evs.
func events(evs ...*pbx3cx.Event) []pbx3cx.Event {
	out := make([]pbx3cx.Event, len(evs))
	for i, e := range evs {
		out[i] = *e
	}
	return out
}

func testAppend(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	ring := ev(pbx3cx.Ringing, "a_1", "800")
	urls := &pbx3cx.Event{Type: pbx3cx.Recording, ID: "a_1-1", User: "202", RecordingURLs: []string{"u1"}, Extra: map[string]string{"chid": "1"}}
	big := &pbx3cx.Event{Type: pbx3cx.Ringing, ID: "b_1-0", Title: string(make([]byte, 2000))}
	withEmpty := func(e *pbx3cx.Event) *pbx3cx.Event {
		c := *e
		c.RecordingURLs, c.Extra = []string{}, map[string]string{}
		return &c
	}
	withExtra := func(e *pbx3cx.Event, v string) *pbx3cx.Event {
		c := *e
		c.Extra = map[string]string{"chid": v}
		return &c
	}
	small := lim
	small.MaxCallEvents, small.MaxCallBytes = 2, 1000
	tests := []struct {
		reason   string
		lim      pbx3cx.StoreLimits
		add      []*pbx3cx.Event
		want     []pbx3cx.AppendOutcome
		kept     []pbx3cx.Event // of call a_1
		overflow int
	}{
		{"a new event opens its call, an equal copy is a duplicate", lim,
			[]*pbx3cx.Event{ring, func() *pbx3cx.Event { c := *ring; return &c }()},
			[]pbx3cx.AppendOutcome{pbx3cx.AppendKept, pbx3cx.AppendDuplicate}, events(ring), 0},
		{"nil and empty RecordingURLs and Extra are equal", lim,
			[]*pbx3cx.Event{ring, withEmpty(ring)},
			[]pbx3cx.AppendOutcome{pbx3cx.AppendKept, pbx3cx.AppendDuplicate}, events(ring), 0},
		{"events differing in one Extra value are both kept, in order of arrival", lim,
			[]*pbx3cx.Event{urls, withExtra(urls, "2"), urls},
			[]pbx3cx.AppendOutcome{pbx3cx.AppendKept, pbx3cx.AppendKept, pbx3cx.AppendDuplicate}, events(urls, withExtra(urls, "2")), 0},
		{"beyond MaxCallEvents an event is counted, not kept, and not a duplicate of the next", small,
			[]*pbx3cx.Event{ring, urls, withExtra(urls, "2"), withExtra(urls, "2")},
			[]pbx3cx.AppendOutcome{pbx3cx.AppendKept, pbx3cx.AppendKept, pbx3cx.AppendOverflow, pbx3cx.AppendOverflow},
			events(ring, urls), 2},
		{"over MaxCallBytes an event is counted, not kept; a smaller one still fits", small,
			[]*pbx3cx.Event{ring, func() *pbx3cx.Event { c := *big; c.ID = "a_1-0"; return &c }(), urls},
			[]pbx3cx.AppendOutcome{pbx3cx.AppendKept, pbx3cx.AppendOverBudget, pbx3cx.AppendKept}, events(ring, urls), 1},
		{"an event over MaxCallBytes on its own opens no call", small,
			[]*pbx3cx.Event{big}, []pbx3cx.AppendOutcome{pbx3cx.AppendTooLarge}, nil, 0},
	}
	for i, tt := range tests {
		suffix := fmt.Sprintf("/%d", i) // a call of its own per case
		var got []pbx3cx.AppendOutcome
		start := time.Now()
		for _, e := range tt.add {
			c := *e
			c.ID = suffix + c.ID
			got = append(got, st.append(&c, tt.lim).Outcome)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: outcomes (-want +got):\n%s", tt.reason, diff)
		}
		rec, ok := st.read(suffix + "a_1")
		var want []pbx3cx.Event
		for _, e := range tt.kept {
			e.ID = suffix + e.ID
			want = append(want, e)
		}
		if diff := cmp.Diff(want, rec.Events, cmpEvents); ok != (len(want) > 0) || diff != "" {
			t.Errorf("%s: open %t, events kept (-want +got):\n%s", tt.reason, ok, diff)
		}
		if ok && (rec.Overflow != tt.overflow || rec.FirstSeen.After(rec.LastSeen) ||
			rec.LastSeen.Before(start.Add(-time.Second)) || rec.LastSeen.After(time.Now().Add(time.Second))) {
			t.Errorf("%s: Overflow %d (want %d), FirstSeen %v, LastSeen %v (appended from %v)",
				tt.reason, rec.Overflow, tt.overflow, rec.FirstSeen, rec.LastSeen, start)
		}
		if _, ok := st.read(suffix + "b_1"); ok {
			t.Errorf("%s: an event over MaxCallBytes opened a call", tt.reason)
		}
	}
	var open int
	var bytes int64
	for i := range tests {
		if rec, ok := st.read(fmt.Sprintf("/%d", i) + "a_1"); ok {
			open++
			for j := range rec.Events {
				bytes += pbx3cx.EventSize(&rec.Events[j])
			}
		}
	}
	if u := st.usage(); u.Open != open || u.Bytes != bytes {
		t.Errorf("Usage %+v, want %d open calls of %d bytes (EventSize of the events kept)", u, open, bytes)
	}
}

// cmpEvents compares events as sameEvent does: nil and empty alike.
var cmpEvents = cmp.Options{
	cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b []string) bool { return true })),
	cmp.FilterValues(func(a, b map[string]string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b map[string]string) bool { return true })),
}

func testAppendCopies(t *testing.T, st *storeTester) {
	e := &pbx3cx.Event{Type: pbx3cx.Recording, ID: "c_1-1", RecordingURLs: []string{"u1"}, Extra: map[string]string{"chid": "1"}}
	want := []pbx3cx.Event{{Type: pbx3cx.Recording, ID: "c_1-1", RecordingURLs: []string{"u1"}, Extra: map[string]string{"chid": "1"}}}
	st.append(e, suiteLimits())
	e.RecordingURLs[0], e.Extra["chid"] = "changed", "changed"
	if diff := cmp.Diff(want, st.mustRead("c_1").Events); diff != "" {
		t.Errorf("the store shares memory with the event given to Append (-appended +read after the caller changed it):\n%s", diff)
	}
}

func testVersions(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	lim.MaxOpenCalls = 1 // one remembered id: the second emission forgets the first
	step := func(reason string, prev uint64, f func(), wantChange bool, id string) uint64 {
		t.Helper()
		f()
		v := st.mustRead(id).Version
		if changed := v != prev; changed != wantChange || v < prev {
			t.Errorf("%s: version %d, then %d; want it %s", reason, prev, v, map[bool]string{true: "to increase", false: "unchanged"}[wantChange])
		}
		return v
	}
	v := st.append(ev(pbx3cx.Dialing, "v_1", "117"), lim).Outcome
	if v != pbx3cx.AppendKept {
		t.Fatalf("Append: %v", v)
	}
	v1 := st.mustRead("v_1").Version
	v2 := step("a new event", v1, func() { st.append(ev(pbx3cx.Outgoing, "v_1", "117"), lim) }, true, "v_1")
	v3 := step("a duplicate", v2, func() { st.append(ev(pbx3cx.Outgoing, "v_1", "117"), lim) }, false, "v_1")
	v4 := step("Defer", v3, func() { _ = st.s.Defer(st.ctx, pbx3cx.CallRef{ID: "v_1", Version: v3}, time.Now().Add(time.Hour)) }, false, "v_1")
	c, ok := st.claim(pbx3cx.CallRef{ID: "v_1", Version: v4})
	if !ok {
		t.Fatal("Claim at the current version refused")
	}
	step("Claim", v4, func() {}, false, "v_1")
	if err := st.ack(c, lim); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	// Emit another call, which pushes v_1 out of the remembered ids, then
	// open v_1 again: its version must not repeat any of the old call's.
	st.append(ev(pbx3cx.Dialing, "w_1", "117"), lim)
	w := st.mustRead("w_1")
	if c, ok := st.claim(w.CallRef); !ok || st.ack(c, lim) != nil {
		t.Fatal("could not emit w_1")
	}
	if got := st.append(ev(pbx3cx.Dialing, "v_1", "117"), lim).Outcome; got != pbx3cx.AppendKept {
		t.Fatalf("v_1 opened again after its id was forgotten: %v, want kept", got)
	}
	if again := st.mustRead("v_1").Version; again <= v4 {
		t.Errorf("v_1 opened again at version %d; the old call reached %d: a Tracker's cache would take one for the other", again, v4)
	}
}

func testDue(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	st.append(ev(pbx3cx.Dialing, "d_1", "117"), lim)
	st.append(ev(pbx3cx.Dialing, "d_2", "117"), lim)
	before := time.Now()
	used, due, err := st.s.Due(st.ctx, before, false)
	if err != nil {
		t.Fatal(err)
	}
	if used.Before(before.Add(-time.Second)) || used.After(time.Now().Add(time.Second)) {
		t.Errorf("Due used the time %v, asked at %v", used, before)
	}
	if len(due) != 0 {
		t.Errorf("calls due before their settle time: %+v", due)
	}
	if all := st.due(true); len(all) != 2 || all["d_1"].Claimed {
		t.Errorf("Due(all) = %+v, want both open calls, unclaimed", all)
	}
	time.Sleep(suiteSettle + 20*time.Millisecond)
	d := st.due(false)
	d1 := st.mustRead("d_1")
	if len(d) != 2 || d["d_1"].CallRef != d1.CallRef || d["d_1"].Claimed {
		t.Fatalf("after the settle time Due = %+v, want both calls at their versions", d)
	}
	if err := st.s.Defer(st.ctx, pbx3cx.CallRef{ID: "d_1", Version: d1.Version}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.s.Defer(st.ctx, pbx3cx.CallRef{ID: "d_2", Version: d["d_2"].Version - 1}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.s.Defer(st.ctx, pbx3cx.CallRef{ID: "d_9", Version: 1}, time.Now().Add(time.Hour)); err != nil {
		t.Errorf("Defer of a call not open: %v, want nothing done", err)
	}
	if d := st.due(false); len(d) != 1 || d["d_2"].ID == "" {
		t.Errorf("after deferring d_1 (and d_2 at a version it is not at) Due = %+v, want d_2 only", d)
	}
	st.append(ev(pbx3cx.Outgoing, "d_1", "117"), lim)
	if _, ok := st.due(false)["d_1"]; ok {
		t.Error("a new event must make the call due at its settle time, not now")
	}
	time.Sleep(suiteSettle + 20*time.Millisecond)
	if _, ok := st.due(false)["d_1"]; !ok {
		t.Error("a new event must make a deferred call due again at its settle time")
	}
}

func testClaim(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	dial := ev(pbx3cx.Dialing, "k_1", "117")
	st.append(dial, lim)
	st.append(&pbx3cx.Event{Type: pbx3cx.Outgoing, CallerID: "05552221133", User: "117", ID: "o_1-0"}, lim)
	rec := st.mustRead("k_1")
	if _, ok := st.claim(pbx3cx.CallRef{ID: "k_1", Version: rec.Version + 1}); ok {
		t.Error("Claim at a version the call is not at succeeded")
	}
	c, ok := st.claim(rec.CallRef)
	if !ok {
		t.Fatal("Claim refused")
	}
	if _, ok := st.claim(rec.CallRef); ok {
		t.Error("a second Claim under a running lease succeeded: two Trackers would emit the call")
	}
	if got := st.append(ev(pbx3cx.Outgoing, "k_1", "117"), lim).Outcome; got != pbx3cx.AppendLate {
		t.Errorf("Append to a claimed call: %v, want late", got)
	}
	if got := st.append(dial, lim).Outcome; got != pbx3cx.AppendLate {
		t.Errorf("Append of a duplicate to a claimed call: %v, want late", got)
	}
	orphan := st.mustRead("o_1")
	if res := st.merge(rec.CallRef, orphan.CallRef, lim); res.Merged {
		t.Error("Merge into a claimed call succeeded")
	}
	if slices.Contains(st.candidates("05552221133", "117"), "k_1") {
		t.Error("Candidates returned a claimed call")
	}
	if _, ok := st.due(true)["k_1"]; ok {
		t.Error("Due(all) returned a call claimed under a running lease")
	}
	after := st.mustRead("k_1")
	if after.Version != rec.Version || len(after.Events) != 1 {
		t.Errorf("a claimed call changed: %+v", after)
	}
	if err := st.ack(c, lim); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if _, ok := st.read("k_1"); ok {
		t.Error("the call is still open after Ack")
	}
	if err := st.ack(c, lim); !errors.Is(err, pbx3cx.ErrClaimLost) {
		t.Errorf("a second Ack: %v, want ErrClaimLost", err)
	}
	if u := st.usage(); u.Open != 1 || u.Bytes != pbx3cx.EventSize(&orphan.Events[0]) {
		t.Errorf("Usage after Ack %+v, want the other call only", u)
	}
}

func testLease(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	st.append(ev(pbx3cx.Dialing, "l_1", "117"), lim)
	rec := st.mustRead("l_1")
	first, ok := st.claim(rec.CallRef)
	if !ok {
		t.Fatal("Claim refused")
	}
	if until := time.Until(first.Until); until <= 0 || until > suiteLease+time.Second {
		t.Errorf("the lease runs out in %v, want about %v", until, suiteLease)
	}
	time.Sleep(suiteLease + 20*time.Millisecond)
	// The claimer died: the call is due, marked claimed, and another
	// Tracker takes it over.
	d, ok := st.due(false)["l_1"]
	if !ok || !d.Claimed || d.CallRef != rec.CallRef {
		t.Fatalf("once the lease ran out Due gave %+v, want l_1 at its version, Claimed", d)
	}
	if _, ok := st.due(true)["l_1"]; !ok {
		t.Error("Due(all) leaves out a call whose lease ran out")
	}
	second, ok := st.claim(rec.CallRef)
	if !ok || second.Token == first.Token {
		t.Fatalf("Claim after the lease ran out: %+v %t, want a new claim", second, ok)
	}
	if err := st.ack(first, lim); !errors.Is(err, pbx3cx.ErrClaimLost) {
		t.Errorf("Ack of the claim that ran out and was taken: %v, want ErrClaimLost", err)
	}
	if err := st.ack(second, lim); err != nil {
		t.Errorf("Ack of the new claim: %v", err)
	}
}

func testGone(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	st.append(ev(pbx3cx.Dialing, "g_1", "117"), lim)
	st.append(&pbx3cx.Event{Type: pbx3cx.Outgoing, CallerID: "05552221133", User: "117", FinishType: pbx3cx.FinishMissed, ID: "g_2-0"}, lim)
	p, o := st.mustRead("g_1"), st.mustRead("g_2")
	if res := st.merge(p.CallRef, o.CallRef, lim); !res.Merged {
		t.Fatal("Merge refused")
	}
	c, ok := st.claim(st.mustRead("g_1").CallRef)
	if !ok || st.ack(c, lim) != nil {
		t.Fatal("could not emit g_1")
	}
	for _, id := range []string{"g_1", "g_2"} {
		if got := st.append(ev(pbx3cx.Ringing, id, "800"), lim).Outcome; got != pbx3cx.AppendLate {
			t.Errorf("an event for %s after its call was emitted: %v, want late", id, got)
		}
	}
	time.Sleep(suiteQuiet + 20*time.Millisecond)
	if got := st.append(ev(pbx3cx.Ringing, "g_1", "800"), lim).Outcome; got != pbx3cx.AppendKept {
		t.Errorf("an event for g_1 after the quiet period: %v, want a new call", got)
	}
}

func testMerge(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	dial := ev(pbx3cx.Dialing, "m_1", "117")
	end := &pbx3cx.Event{Type: pbx3cx.Outgoing, CallerID: "05552221133", User: "117", FinishType: pbx3cx.FinishMissed, ID: "m_2-0"}
	st.append(dial, lim)
	time.Sleep(10 * time.Millisecond)
	st.append(end, lim)
	st.append(&pbx3cx.Event{Type: pbx3cx.Recording, User: "204", ID: "m_2-1", RecordingURLs: []string{"u"}}, lim)
	p, o := st.mustRead("m_1"), st.mustRead("m_2")
	if !slices.Contains(st.candidates("05552221133", "117"), "m_1") {
		t.Error("Candidates(05552221133, 117) leaves out m_1, which dialled from 117")
	}
	if res := st.merge(pbx3cx.CallRef{ID: "m_1", Version: p.Version + 1}, o.CallRef, lim); res.Merged {
		t.Error("Merge into a parent at another version succeeded")
	}
	if res := st.merge(p.CallRef, pbx3cx.CallRef{ID: "m_2", Version: o.Version + 1}, lim); res.Merged {
		t.Error("Merge of an orphan at another version succeeded")
	}
	res := st.merge(p.CallRef, o.CallRef, lim)
	got := st.mustRead("m_1")
	if !res.Merged || res.Version != got.Version || got.Version <= p.Version || len(res.Dropped) != 0 {
		t.Fatalf("Merge = %+v, parent now at %d (was %d)", res, got.Version, p.Version)
	}
	want := p
	want.Version = got.Version
	want.Events = append(slices.Clone(p.Events), o.Events...)
	want.Aliases = []string{"m_2"}
	want.LastSeen = o.LastSeen
	if diff := cmp.Diff(want, got, cmpEvents); diff != "" {
		t.Errorf("the parent after Merge (-want +got):\n%s", diff)
	}
	if _, ok := st.read("m_2"); ok {
		t.Error("the orphan is still open after Merge")
	}
	if !slices.Contains(st.candidates("05552221133", "204"), "m_1") {
		t.Error("after Merge, Candidates leaves out the parent for the User of an adopted event")
	}
	if res := st.append(end, lim).Outcome; res != pbx3cx.AppendDuplicate {
		t.Errorf("the orphan's event again: %v, want a duplicate in the parent", res)
	}
	if res := st.append(&pbx3cx.Event{Type: pbx3cx.Recording, User: "204", ID: "m_2-1", RecordingURLs: []string{"u2"}}, lim).Outcome; res != pbx3cx.AppendKept {
		t.Errorf("a new event for the orphan's id: %v, want it kept in the parent", res)
	}
	if n := len(st.mustRead("m_1").Events); n != 4 {
		t.Errorf("the parent holds %d events, want 4", n)
	}
	if u := st.usage(); u.Open != 1 {
		t.Errorf("Usage %+v, want one call open", u)
	}
}

func testMergeBudget(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	lim.MaxCallEvents = 2
	st.append(ev(pbx3cx.Dialing, "n_1", "117"), lim)
	orphanEvents := []*pbx3cx.Event{
		{Type: pbx3cx.Outgoing, CallerID: "05552221133", User: "117", FinishType: pbx3cx.FinishMissed, ID: "n_2-0"},
		{Type: pbx3cx.Recording, User: "117", ID: "n_2-0", RecordingURLs: []string{"u"}},
		{Type: pbx3cx.Recording, User: "117", ID: "n_2-0", RecordingURLs: []string{"u2"}}, // beyond the orphan's 2
		{Type: pbx3cx.Recording, User: "117", ID: "n_2-0", RecordingURLs: []string{"u3"}}, // beyond the orphan's 2
	}
	for _, e := range orphanEvents {
		st.append(e, lim)
	}
	p, o := st.mustRead("n_1"), st.mustRead("n_2")
	res := st.merge(p.CallRef, o.CallRef, lim)
	if !res.Merged || res.Overflow != 1 {
		t.Fatalf("Merge = %+v, want the orphan's second event dropped beyond MaxCallEvents", res)
	}
	if diff := cmp.Diff(events(orphanEvents[1]), res.Dropped, cmpEvents); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	got := st.mustRead("n_1")
	if len(got.Events) != 2 || got.Overflow != 3 {
		t.Errorf("parent holds %d events, Overflow %d: want 2 kept, and the one dropped plus the orphan's 2 counted", len(got.Events), got.Overflow)
	}
	var bytes int64
	for i := range got.Events {
		bytes += pbx3cx.EventSize(&got.Events[i])
	}
	if u := st.usage(); u.Bytes != bytes {
		t.Errorf("Usage %+v, want %d bytes: what was dropped is no longer counted", u, bytes)
	}
}

func testEvict(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	lim.MaxOpenCalls = 3
	for _, id := range []string{"e_1", "e_2", "e_3"} {
		if res := st.append(ev(pbx3cx.Dialing, id, "117"), lim); len(res.Evict) != 0 {
			t.Fatalf("evicted within the limits: %+v", res.Evict)
		}
		time.Sleep(5 * time.Millisecond)
	}
	st.append(ev(pbx3cx.Outgoing, "e_1", "117"), lim) // e_1 is now the newest
	time.Sleep(5 * time.Millisecond)
	res := st.append(ev(pbx3cx.Dialing, "e_4", "117"), lim)
	if len(res.Evict) != 1 || res.Evict[0].ID != "e_2" || res.Evict[0].Token == "" {
		t.Fatalf("a fourth call evicts %+v, want a claim on e_2, the oldest LastSeen", res.Evict)
	}
	if rec := st.mustRead("e_2"); rec.Version != res.Evict[0].Version {
		t.Errorf("the evicted call moved from the version of its claim: %+v", rec)
	}
	if _, ok := st.claim(res.Evict[0].CallRef); ok {
		t.Error("the evicted call is not claimed: another Claim took it")
	}
	if err := st.ack(res.Evict[0], lim); err != nil {
		t.Fatalf("Ack of the eviction: %v", err)
	}
}

func testEvictBytes(t *testing.T, st *storeTester) {
	lim := suiteLimits()
	lim.MaxBytes, lim.MaxCallBytes = 1500, 1500
	sized := func(id, user string, size int64) *pbx3cx.Event {
		e := ev(pbx3cx.Ringing, id, user)
		e.Title = string(make([]byte, size-pbx3cx.EventSize(e)))
		return e
	}
	for _, id := range []string{"f_4", "f_1", "f_2", "f_3"} {
		if res := st.append(sized(id, "1", 300), lim); len(res.Evict) != 0 {
			t.Fatalf("evicted within the budget: %+v", res.Evict)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// 1200 bytes held, 700 more for f_4: the oldest calls other than f_4,
	// the oldest itself, go until 1500 hold them.
	res := st.append(sized("f_4", "2", 700), lim)
	var ids []string
	for _, c := range res.Evict {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{"f_1", "f_2"}, ids); res.Outcome != pbx3cx.AppendKept || diff != "" {
		t.Errorf("%v; evicted to make room (-want +got, oldest LastSeen first, never the event's own call):\n%s", res.Outcome, diff)
	}
	for _, c := range res.Evict {
		if err := st.ack(c, lim); err != nil {
			t.Errorf("Ack(%s): %v", c.ID, err)
		}
	}
	if u := st.usage(); u.Open != 2 || u.Bytes != 1300 {
		t.Errorf("Usage %+v, want f_3 and f_4, 1300 bytes", u)
	}
}

func testConcurrentClaims(t *testing.T, st *storeTester) {
	const workers, calls = 8, 20
	lim := suiteLimits()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[string]int{}
	for range workers {
		wg.Go(func() {
			for i := range calls {
				id := fmt.Sprintf("x_%d", i)
				if _, err := st.s.Append(st.ctx, ev(pbx3cx.Dialing, id, "117"), time.Now(), lim); err != nil {
					t.Error(err)
					return
				}
				rec, ok, err := st.s.Read(st.ctx, id)
				if err != nil || !ok {
					continue // claimed and emitted by another worker
				}
				c, ok, err := st.s.Claim(st.ctx, rec.CallRef, time.Now(), lim)
				if err != nil || !ok {
					continue
				}
				mu.Lock()
				won[id]++
				mu.Unlock()
				if err := st.s.Ack(st.ctx, c, time.Now(), lim); err != nil {
					t.Errorf("Ack(%s): %v", id, err)
				}
			}
		})
	}
	wg.Wait()
	for i := range calls {
		if id := fmt.Sprintf("x_%d", i); won[id] != 1 {
			t.Errorf("call %s claimed %d times by %d workers appending the same event, want once", id, won[id], workers)
		}
	}
}
