package pbx3cx

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/internal/testfix"
)

var updateTracker = flag.Bool("update-tracker", false, "rewrite the golden files in testdata/pbx3cx/tracker")

// trackerEpoch is when the fake clock starts.
var trackerEpoch = time.Date(2023, 3, 7, 11, 49, 3, 0, time.UTC)

// trackerClock is a fake clock that is safe for concurrent use.
type trackerClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTrackerClock() *trackerClock { return &trackerClock{now: trackerEpoch} }

func (c *trackerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *trackerClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// trackerSink collects emitted calls and late events.
type trackerSink struct {
	mu    sync.Mutex
	calls []Call
	late  []*Event
}

func (s *trackerSink) emit(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *trackerSink) lateEvent(ev *Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late = append(s.late, ev)
}

// take returns the calls emitted since the last take.
func (s *trackerSink) take() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func newTestTracker(opts ...TrackerOption) (*Tracker, *trackerClock, *trackerSink) {
	clock, sink := newTrackerClock(), &trackerSink{}
	opts = append([]TrackerOption{withClock(clock.Now), WithLate(sink.lateEvent)}, opts...)
	return NewTracker(sink.emit, opts...), clock, sink
}

// trackerFlowNames returns the names of the flow files, without ".txt".
func trackerFlowNames(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "pbx3cx", "flows", "*.txt"))
	if err != nil || len(paths) != 16 {
		t.Fatalf("want 16 flow files, got %d (%v)", len(paths), err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".txt")
	}
	return names
}

// trackerFlow decodes the webhooks of one flow file, one per line.
func trackerFlow(t testing.TB, name string) []*Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pbx3cx", "flows", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []*Event
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		ev, err := Decode([]byte(line))
		if err != nil {
			t.Fatalf("%s line %d: %v", name, i+1, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// feedFlow feeds evs to a fresh Tracker, one per millisecond, sweeps once
// the settle time has passed and again at the quiet period (a call that
// waits for a recording the flow never sends is emitted then), and returns
// what it emitted.
func feedFlow(t testing.TB, evs []*Event, opts ...TrackerOption) []Call {
	t.Helper()
	tr, clock, sink := newTestTracker(opts...)
	for _, ev := range evs {
		clock.Advance(time.Millisecond)
		tr.Add(ev)
	}
	tr.Sweep(clock.Advance(defaultSettle))
	tr.Sweep(clock.Advance(defaultQuiet))
	if n := tr.Len(); n != 0 {
		t.Errorf("%d calls still open after the quiet period", n)
	}
	return sink.take()
}

func withoutTimes(calls []Call) []Call {
	out := make([]Call, len(calls))
	for i, c := range calls {
		c.FirstSeen, c.LastSeen = time.Time{}, time.Time{}
		out[i] = c
	}
	return out
}

func TestTrackerGolden(t *testing.T) {
	for _, name := range trackerFlowNames(t) {
		t.Run(name, func(t *testing.T) {
			calls := withoutTimes(feedFlow(t, trackerFlow(t, name)))
			got, err := json.MarshalIndent(calls, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("..", "testdata", "pbx3cx", "tracker", name+".json")
			if *updateTracker {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestTrackerGolden -update-tracker)", err)
			}
			if !bytes.Equal(got, want) {
				var wantCalls []Call
				if err := json.Unmarshal(want, &wantCalls); err != nil {
					t.Fatal(err)
				}
				t.Errorf("calls differ from %s (-want +got):\n%s", path, cmp.Diff(wantCalls, calls))
			}
		})
	}
}

// callFacts are the facts a person reading the spec table would state.
type callFacts struct {
	ID         string
	Aliases    []string
	Direction  string
	CallerID   string
	Dialer     string
	Path       []string // users
	Answered   bool
	Missed     bool
	Agents     []string // "segment:agent"
	Transfers  []string // "type from→to"
	TalkTime   time.Duration
	Recordings int
	Complete   bool
}

func factsOf(c Call) callFacts {
	f := callFacts{
		ID: c.ID, Aliases: c.Aliases, Direction: c.Direction, CallerID: c.CallerID, Dialer: c.Dialer,
		Answered: c.Answered, Missed: c.Missed, TalkTime: c.TalkTime, Recordings: len(c.RecordingURLs),
		Complete: c.Complete,
	}
	for _, h := range c.Path {
		f.Path = append(f.Path, h.User)
	}
	for _, s := range c.Segments {
		f.Agents = append(f.Agents, fmt.Sprintf("%d:%s", s.Number, s.Agent))
	}
	for _, tr := range c.Transfers {
		f.Transfers = append(f.Transfers, fmt.Sprintf("%s %s→%s", tr.Type, tr.From, tr.To))
	}
	return f
}

func TestTrackerFlowFacts(t *testing.T) {
	ivrQueue := []string{"800", "820"}
	tests := []struct {
		flow   string
		reason string
		want   callFacts
	}{
		{"01-queue-answered", "IVR 800 → queue 820 → 202, who answers and talks 6s; the end and the recording carry id 230307140234_35 and are adopted",
			callFacts{ID: "230307114903_10", Aliases: []string{"230307140234_35"}, Direction: "inbound", CallerID: "05552221133",
				Path: append(ivrQueue, "202"), Answered: true, Agents: []string{"1:202"}, TalkTime: 6 * time.Second, Recordings: 1, Complete: true}},
		{"02-attended-transfer", "117 answers, talks 14s and transfers attended to 204 (ringing 204 on segment 1 is not in Path), who talks 6s",
			callFacts{ID: "230307142318_40", Direction: "inbound", CallerID: "05552221133",
				Path: append(ivrQueue, "117"), Answered: true, Agents: []string{"1:117", "2:204"},
				Transfers: []string{"Attended 117→204"}, TalkTime: 20 * time.Second, Recordings: 2, Complete: true}},
		{"03-blind-transfer", "117 answers and blind-transfers to 204 (4s); segment 1 has a recording but no end, and needs none",
			callFacts{ID: "230307144544_42", Direction: "inbound", CallerID: "05552221133",
				Path: append(ivrQueue, "117"), Answered: true, Agents: []string{"1:117", "2:204"},
				Transfers: []string{"Blind 117→204"}, TalkTime: 4 * time.Second, Recordings: 2, Complete: true}},
		{"04-queue-missed", "rings IVR, queue and 202; nobody answers; the Missed end (User 820) completes it",
			callFacts{ID: "230307115339_12", Direction: "inbound", CallerID: "05552221133",
				Path: append(ivrQueue, "202"), Missed: true, Complete: true}},
		{"05-ringgroup-answered", "IVR then ring group member 117, who answers for 4s",
			callFacts{ID: "230307150805_46", Direction: "inbound", CallerID: "05552221133",
				Path: []string{"800", "117"}, Answered: true, Agents: []string{"1:117"}, TalkTime: 4 * time.Second, Recordings: 1, Complete: true}},
		{"06-ringgroup-missed", "ring group member 117 does not answer",
			callFacts{ID: "230307152031_50", Direction: "inbound", CallerID: "05552221133",
				Path: []string{"800", "117"}, Missed: true, Complete: true}},
		{"07-ringgroup-two-answered", "117 and 204 ring together; 117 answers for 5s",
			callFacts{ID: "230307151412_47", Direction: "inbound", CallerID: "05552221133",
				Path: []string{"800", "117", "204"}, Answered: true, Agents: []string{"1:117"}, TalkTime: 5 * time.Second, Recordings: 1, Complete: true}},
		{"08-ringgroup-two-missed", "117 and 204 ring together; nobody answers",
			callFacts{ID: "230307152319_52", Direction: "inbound", CallerID: "05552221133",
				Path: []string{"800", "117", "204"}, Missed: true, Complete: true}},
		{"09-outbound-answered", "117 dials 05552221133, answered for 5s; the end's id lost its leading 2 and is adopted",
			callFacts{ID: "230307135611_31", Aliases: []string{"30307135611_31"}, Direction: "outbound", CallerID: "05552221133",
				Dialer: "117", Answered: true, Agents: []string{"1:117"}, TalkTime: 5 * time.Second, Recordings: 1, Complete: true}},
		{"10-outbound-unanswered", "117 dials; nobody answers",
			callFacts{ID: "230307140011_32", Direction: "outbound", CallerID: "05552221133", Dialer: "117", Missed: true, Complete: true}},
		{"11-outbound-makecall-answered", `the answer says CallerID "MAKECALL"; the call keeps the dialled number`,
			callFacts{ID: "230307154408_63", Direction: "outbound", CallerID: "05552221133", Dialer: "117",
				Answered: true, Agents: []string{"1:117"}, TalkTime: 4 * time.Second, Recordings: 1, Complete: true}},
		{"12-outbound-hangup-while-dialing", "117 hangs up while dialing; the end (id 230307155409_66) is adopted",
			callFacts{ID: "230307155208_64", Aliases: []string{"230307155409_66"}, Direction: "outbound", CallerID: "05552221133",
				Dialer: "117", Missed: true, Complete: true}},
		{"13-get-queue-answered", "GET scheme: 102 answers; the talk time comes from the title's (0:07); no recording, so emitted at the quiet period",
			callFacts{ID: "230102104542_15", Direction: "inbound", CallerID: "420774852629",
				Path: []string{"800", "804", "102"}, Answered: true, Agents: []string{"1:102"}, TalkTime: 7 * time.Second, Complete: true}},
		{"14-get-queue-missed", "GET scheme: missed in queue 804; the end (id 230102154720_16) is adopted",
			callFacts{ID: "230102104542_15", Aliases: []string{"230102154720_16"}, Direction: "inbound", CallerID: "420774852629",
				Path: []string{"800", "804", "102"}, Missed: true, Complete: true}},
		{"15-get-outbound-answered", "GET scheme: 102 dials; answer, end and the bare-URL recording carry id 230102185935_18 and are adopted",
			callFacts{ID: "230102184431_17", Aliases: []string{"230102185935_18"}, Direction: "outbound", CallerID: "420774852629",
				Dialer: "102", Answered: true, Agents: []string{"1:102"}, TalkTime: 6 * time.Second, Recordings: 1, Complete: true}},
		{"16-get-outbound-unanswered", "GET scheme: 102 dials; nobody answers",
			callFacts{ID: "230102184431_17", Direction: "outbound", CallerID: "420774852629", Dialer: "102", Missed: true, Complete: true}},
	}
	if names := trackerFlowNames(t); len(names) != len(tests) {
		t.Fatalf("%d flow files, %d cases", len(names), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.flow, func(t *testing.T) {
			calls := feedFlow(t, trackerFlow(t, tt.flow))
			if len(calls) != 1 {
				t.Fatalf("%s: emitted %d calls, want 1\n%+v", tt.reason, len(calls), calls)
			}
			if diff := cmp.Diff(tt.want, factsOf(calls[0])); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestTrackerShuffled feeds every flow in 50 random orders, with random
// duplicates and Sweeps in between, and wants the in-order Call each time.
func TestTrackerShuffled(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 0xC0FFEE))
	for _, name := range trackerFlowNames(t) {
		t.Run(name, func(t *testing.T) {
			evs := trackerFlow(t, name)
			want := withoutTimes(feedFlow(t, evs))
			for i := range 50 {
				var feed []*Event
				for _, ev := range evs {
					feed = append(feed, ev)
					for rng.IntN(3) == 0 {
						dup := *ev // an equal copy, not the same pointer
						feed = append(feed, &dup)
					}
				}
				rng.Shuffle(len(feed), func(i, j int) { feed[i], feed[j] = feed[j], feed[i] })
				tr, clock, sink := newTestTracker()
				for _, ev := range feed {
					tr.Add(ev)
					if rng.IntN(4) == 0 {
						tr.Sweep(clock.Now())
					}
					clock.Advance(time.Millisecond)
				}
				checkTrackerIndex(t, tr)
				tr.Sweep(clock.Advance(defaultSettle))
				tr.Sweep(clock.Advance(defaultQuiet))
				checkTrackerIndex(t, tr)
				got := withoutTimes(sink.take())
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("permutation %d (%d events) differs (-in order +shuffled):\n%s", i, len(feed), diff)
				}
				if s := tr.Stats(); s.Duplicates != int64(len(feed)-len(evs)) {
					t.Errorf("permutation %d: %d duplicates counted, want %d", i, s.Duplicates, len(feed)-len(evs))
				}
			}
		})
	}
}

func TestTrackerSettle(t *testing.T) {
	evs := trackerFlow(t, "03-blind-transfer")
	tr, clock, sink := newTestTracker()
	for _, ev := range evs[:len(evs)-1] { // all but segment 1's recording
		tr.Add(ev)
	}
	tr.Sweep(clock.Advance(defaultSettle - time.Millisecond))
	if calls := sink.take(); len(calls) != 0 {
		t.Fatalf("complete call emitted before the settle time: %+v", calls)
	}
	tr.Add(evs[len(evs)-1]) // late, but within the settle window: joins
	tr.Sweep(clock.Advance(defaultSettle - time.Millisecond))
	if calls := sink.take(); len(calls) != 0 {
		t.Fatalf("the settle time must restart with the late event: %+v", calls)
	}
	tr.Sweep(clock.Advance(time.Millisecond))
	calls := sink.take()
	if len(calls) != 1 || len(calls[0].RecordingURLs) != 2 || !calls[0].Complete {
		t.Fatalf("want one complete call with both recordings, got %+v", calls)
	}
	if got, want := calls[0].LastSeen.Sub(calls[0].FirstSeen), defaultSettle-time.Millisecond; got != want {
		t.Errorf("LastSeen - FirstSeen = %v, want %v", got, want)
	}

	// After the emission, the same id is late.
	tr.Add(evs[0])
	if len(sink.late) != 1 || tr.Len() != 0 || tr.Stats().Late != 1 {
		t.Errorf("late event: hook got %d, %d open, stats %+v", len(sink.late), tr.Len(), tr.Stats())
	}
}

func TestTrackerWaitsForRecordings(t *testing.T) {
	evs := trackerFlow(t, "05-ringgroup-answered")
	noRec := evs[:len(evs)-1]

	t.Run("expected", func(t *testing.T) {
		tr, clock, sink := newTestTracker()
		for _, ev := range noRec {
			tr.Add(ev)
		}
		tr.Sweep(clock.Advance(time.Minute))
		if calls := sink.take(); len(calls) != 0 {
			t.Fatalf("emitted before its recording: %+v", calls)
		}
		tr.Sweep(clock.Advance(defaultQuiet - time.Minute))
		calls := sink.take()
		if len(calls) != 1 || !calls[0].Complete || len(calls[0].RecordingURLs) != 0 {
			t.Fatalf("at the quiet period, want one call, Complete (its ends are in), no recording: %+v", calls)
		}
	})
	t.Run("not expected", func(t *testing.T) {
		tr, clock, sink := newTestTracker(WithExpectRecordings(false))
		for _, ev := range noRec {
			tr.Add(ev)
		}
		tr.Sweep(clock.Advance(defaultSettle))
		if calls := sink.take(); len(calls) != 1 || !calls[0].Complete {
			t.Fatalf("want the call at the settle time, Complete: %+v", calls)
		}
	})
	t.Run("GET flow without a recording", func(t *testing.T) {
		// Flow 13 talks 7s (from its title) and sends no recording: the
		// call waits for one until the quiet period, then is Complete.
		tr, clock, sink := newTestTracker()
		for _, ev := range trackerFlow(t, "13-get-queue-answered") {
			tr.Add(ev)
		}
		tr.Sweep(clock.Advance(defaultSettle))
		if calls := sink.take(); len(calls) != 0 {
			t.Fatalf("emitted before the quiet period although a recording is expected: %+v", calls)
		}
		tr.Sweep(clock.Advance(defaultQuiet))
		if calls := sink.take(); len(calls) != 1 || !calls[0].Complete || calls[0].TalkTime != 7*time.Second {
			t.Fatalf("want the call at the quiet period, Complete, 7s: %+v", calls)
		}
	})
}

func TestTrackerQuietPeriod(t *testing.T) {
	evs := trackerFlow(t, "02-attended-transfer")
	tr, clock, sink := newTestTracker(WithQuietPeriod(time.Hour))
	for _, ev := range evs[:5] { // ringing and both answers, no end
		tr.Add(ev)
	}
	tr.Sweep(clock.Advance(time.Hour - time.Nanosecond))
	if calls := sink.take(); len(calls) != 0 {
		t.Fatalf("emitted before the quiet period: %+v", calls)
	}
	tr.Sweep(clock.Advance(time.Nanosecond))
	calls := sink.take()
	if len(calls) != 1 || calls[0].Complete || !calls[0].Answered || len(calls[0].Transfers) != 1 {
		t.Fatalf("want one incomplete, answered call with its transfer: %+v", calls)
	}
	if s := tr.Stats(); s.Emitted != 1 || s.Incomplete != 1 {
		t.Errorf("stats %+v", s)
	}
	// The id stays known for the quiet period, then is forgotten.
	tr.Add(evs[5])
	if tr.Len() != 0 || len(sink.late) != 1 {
		t.Fatalf("event within the quiet period after emission must be late")
	}
	tr.Sweep(clock.Advance(time.Hour))
	tr.Add(evs[6])
	if tr.Len() != 1 || len(sink.late) != 1 {
		t.Fatalf("event after the id was forgotten must open a new call: %d open, %d late", tr.Len(), len(sink.late))
	}
}

func TestTrackerOrphans(t *testing.T) {
	t.Run("never adopted", func(t *testing.T) {
		// The end of flow 12 alone: it looks like a complete missed call,
		// but it has no ringing or dialing, so it waits for its parent.
		evs := trackerFlow(t, "12-outbound-hangup-while-dialing")
		tr, clock, sink := newTestTracker()
		tr.Add(evs[1])
		tr.Sweep(clock.Advance(time.Minute))
		if calls := sink.take(); len(calls) != 0 {
			t.Fatalf("orphan emitted before the quiet period: %+v", calls)
		}
		tr.Sweep(clock.Advance(defaultQuiet))
		calls := sink.take()
		if len(calls) != 1 || calls[0].Complete || calls[0].ID != "230307155409_66" || !calls[0].Missed {
			t.Fatalf("want the orphan alone, missed, not Complete: %+v", calls)
		}
	})
	t.Run("parent arrives later", func(t *testing.T) {
		evs := trackerFlow(t, "12-outbound-hangup-while-dialing")
		tr, clock, sink := newTestTracker()
		tr.Add(evs[1])
		tr.Sweep(clock.Advance(time.Minute))
		tr.Add(evs[0])
		tr.Sweep(clock.Advance(defaultSettle))
		calls := sink.take()
		if len(calls) != 1 || !calls[0].Complete || calls[0].ID != "230307155208_64" {
			t.Fatalf("want the orphan adopted by the later parent: %+v", calls)
		}
	})
	t.Run("events after adoption follow the alias", func(t *testing.T) {
		evs := trackerFlow(t, "01-queue-answered")
		tr, clock, sink := newTestTracker()
		for _, ev := range evs[:5] { // the recording (id _35) comes after the adoption
			tr.Add(ev)
		}
		tr.Sweep(clock.Advance(defaultSettle))
		if calls := sink.take(); len(calls) != 0 || tr.Len() != 1 {
			t.Fatalf("adopted, but must still wait for the recording: %d open, %+v", tr.Len(), calls)
		}
		tr.Add(evs[5])
		tr.Sweep(clock.Advance(defaultSettle))
		calls := sink.take()
		if len(calls) != 1 || !calls[0].Complete || len(calls[0].RecordingURLs) != 1 {
			t.Fatalf("want the call with the alias's recording: %+v", calls)
		}
		tr.Add(evs[5]) // the alias is late too
		if tr.Len() != 0 || len(sink.late) != 1 {
			t.Fatalf("event for an emitted alias must be late")
		}
	})
	t.Run("closest parent wins", func(t *testing.T) {
		// Two calls dialled by 117 to the same number; the orphan end goes
		// to the one last active nearest its arrival.
		tr, clock, sink := newTestTracker()
		dial := func(id string) *Event {
			return &Event{Type: Dialing, CallerID: "05552221133", User: "117", ID: id + "-0"}
		}
		tr.Add(dial("230307155208_64"))
		clock.Advance(time.Second)
		tr.Add(dial("230307155208_65"))
		clock.Advance(time.Second)
		tr.Add(&Event{Type: Outgoing, CallerID: "05552221133", User: "117", FinishType: FinishMissed, ID: "230307155409_66-0"})
		tr.Sweep(clock.Advance(defaultSettle))
		checkTrackerIndex(t, tr)
		calls := sink.take()
		if len(calls) != 1 || calls[0].ID != "230307155208_65" || !calls[0].Missed {
			t.Fatalf("want _65 to adopt the end: %+v", calls)
		}
	})
	t.Run("no match", func(t *testing.T) {
		tr, clock, sink := newTestTracker()
		tr.Add(&Event{Type: Dialing, CallerID: "05552221133", User: "117", ID: "1_1-0"})
		for _, o := range []*Event{
			{Type: Outgoing, CallerID: "05559999999", User: "117", FinishType: FinishMissed, ID: "2_2-0"}, // another number
			{Type: Incoming, CallerID: "05552221133", User: "117", FinishType: FinishMissed, ID: "3_3-0"}, // inbound
			{Type: Outgoing, CallerID: "05552221133", User: "204", FinishType: FinishMissed, ID: "4_4-0"}, // another extension
			{Type: Outgoing, CallerID: "MAKECALL", User: "117", FinishType: FinishMissed, ID: "5_5-0"},    // no number to compare
		} {
			tr.Add(o)
		}
		tr.Sweep(clock.Advance(defaultSettle))
		if n, s := tr.Len(), tr.Stats(); n != 5 || s.Adopted != 0 {
			t.Fatalf("nothing may be adopted: %d open, %+v", n, s)
		}
		tr.Flush()
		calls := sink.take()
		if len(calls) != 5 {
			t.Fatalf("Flush: %d calls, want 5", len(calls))
		}
		for _, c := range calls {
			if c.Complete || len(c.Aliases) != 0 {
				t.Errorf("Flush: an orphan, or a call without its end, emitted as %+v", c)
			}
		}
	})
}

// TestTrackerSharedCaller keeps 200 calls open between one caller and one
// agent, so that they share the index of possible parents, and ends them
// in random order.
func TestTrackerSharedCaller(t *testing.T) {
	flow := trackerFlow(t, "05-ringgroup-answered") // ring, ring, answer, end, recording
	tr, clock, sink := newTestTracker()
	const n = 200
	for i := range n {
		for _, ev := range renamed(flow[:3], fmt.Sprintf("%d/", i)) {
			tr.Add(ev)
		}
		clock.Advance(time.Millisecond)
	}
	tr.Sweep(clock.Now())
	checkTrackerIndex(t, tr)
	rng := rand.New(rand.NewPCG(5, 8))
	order := rng.Perm(n)
	for _, i := range order[:n/2] {
		for _, ev := range renamed(flow[3:], fmt.Sprintf("%d/", i)) {
			tr.Add(ev)
		}
		if rng.IntN(3) == 0 {
			tr.Sweep(clock.Now())
			checkTrackerIndex(t, tr)
		}
	}
	// An end under an unknown id goes to the open call active last.
	clock.Advance(time.Millisecond)
	tr.Add(&Event{Type: Incoming, CallerID: "05552221133", User: "117", FinishType: FinishOk, Duration: time.Second, ID: "x_1-1"})
	tr.Sweep(clock.Advance(defaultSettle))
	checkTrackerIndex(t, tr)
	if calls := sink.take(); len(calls) != n/2 {
		t.Fatalf("%d calls emitted, want the %d ended", len(calls), n/2)
	}
	if s := tr.Stats(); s.Adopted != 1 || tr.Len() != n/2 {
		t.Errorf("%d open, %+v", tr.Len(), s)
	}
	tr.Flush()
	checkTrackerIndex(t, tr)
	adopted := 0
	for _, c := range sink.take() {
		if len(c.Aliases) > 0 {
			adopted++
			if want := fmt.Sprintf("%d/230307150805_46", slices.Max(order[n/2:])); c.ID != want {
				t.Errorf("orphan adopted by %s, want %s (active last)", c.ID, want)
			}
		}
	}
	if adopted != 1 || tr.Len() != 0 {
		t.Errorf("%d calls with aliases, %d open", adopted, tr.Len())
	}
}

func TestTrackerFlush(t *testing.T) {
	tr, clock, sink := newTestTracker()
	for _, ev := range trackerFlow(t, "12-outbound-hangup-while-dialing") {
		tr.Add(ev)
	}
	ring := trackerFlow(t, "04-queue-missed")[:2]
	for _, ev := range ring {
		tr.Add(ev)
	}
	clock.Advance(time.Millisecond)
	tr.Flush() // adopts without waiting for the settle time
	calls := sink.take()
	if len(calls) != 2 || tr.Len() != 0 {
		t.Fatalf("want 2 calls and none open, got %d and %d", len(calls), tr.Len())
	}
	byID := map[string]Call{calls[0].ID: calls[0], calls[1].ID: calls[1]}
	if c := byID["230307155208_64"]; !c.Complete || len(c.Aliases) != 1 {
		t.Errorf("flow 12 after Flush: %+v", c)
	}
	if c := byID["230307115339_12"]; c.Complete || len(c.Path) != 2 {
		t.Errorf("half of flow 4 after Flush: %+v", c)
	}
}

func TestTrackerMaxOpenCalls(t *testing.T) {
	tr, clock, sink := newTestTracker(WithMaxOpenCalls(2))
	ring := func(id string) *Event {
		return &Event{Type: Ringing, CallerID: "1", User: "800", UserType: "other", ID: id + "-0"}
	}
	tr.Add(ring("a"))
	clock.Advance(time.Millisecond)
	tr.Add(ring("b"))
	clock.Advance(time.Millisecond)
	tr.Add(&Event{Type: Ringing, CallerID: "1", User: "820", UserType: "queue", ID: "a-0"}) // a is now the newer
	tr.Add(ring("a"))                                                                       // a duplicate does not count
	clock.Advance(time.Millisecond)
	tr.Add(ring("c"))
	calls := sink.take()
	if len(calls) != 1 || calls[0].ID != "b" || calls[0].Complete {
		t.Fatalf("want b (oldest LastSeen) emitted, incomplete: %+v", calls)
	}
	if tr.Len() != 2 || tr.Stats().Evicted != 1 {
		t.Errorf("%d open, stats %+v", tr.Len(), tr.Stats())
	}
}

func TestTrackerIgnores(t *testing.T) {
	tr, clock, sink := newTestTracker()
	tr.Add(nil)
	tr.Add(&Event{Type: Ringing})
	tr.Add(&Event{Type: Ringing, ID: "-1"})
	tr.Sweep(clock.Advance(time.Hour))
	tr.Flush()
	if tr.Len() != 0 || len(sink.take()) != 0 || tr.Stats().Events != 0 {
		t.Errorf("nil and id-less events must be ignored: %+v", tr.Stats())
	}
}

func TestTrackerDuplicates(t *testing.T) {
	tr, _, sink := newTestTracker()
	a := &Event{Type: Recording, ID: "x_1-1", RecordingURLs: []string{"u1"}, Extra: map[string]string{"chid": "1"}}
	b := &Event{Type: Recording, ID: "x_1-1", RecordingURLs: []string{"u1"}, Extra: map[string]string{"chid": "2"}}
	c := &Event{Type: Recording, ID: "x_1-1", RecordingURLs: []string{"u1", "u2"}, Extra: map[string]string{"chid": "1"}}
	for _, ev := range []*Event{a, a, b, c, c} {
		tr.Add(ev)
	}
	a.RecordingURLs[0] = "changed by the caller" // the Tracker kept a copy
	tr.Flush()
	calls := sink.take()
	if len(calls) != 1 || calls[0].Events != 3 || tr.Stats().Duplicates != 2 {
		t.Fatalf("want 3 distinct events, 2 duplicates: %+v %+v", calls, tr.Stats())
	}
	if diff := cmp.Diff([]string{"u1", "u2"}, calls[0].RecordingURLs); diff != "" {
		t.Errorf("recordings (-want +got):\n%s", diff)
	}
}

func TestTrackerEventCap(t *testing.T) {
	tr, _, sink := newTestTracker()
	for i := range 300 {
		tr.Add(&Event{Type: Ringing, CallerID: "1", User: fmt.Sprint(1000 + i), UserType: "ext", ID: "big_1-0"})
	}
	tr.Add(&Event{Type: Ringing, CallerID: "1", User: "1000", UserType: "ext", ID: "big_1-0"}) // a duplicate of a kept one
	if n := len(memStore(tr).record("big_1").Events); n != maxCallEvents {
		t.Errorf("%d events kept, want %d", n, maxCallEvents)
	}
	tr.Flush()
	calls := sink.take()
	if len(calls) != 1 || calls[0].Events != 300 || len(calls[0].Path) != maxCallEvents {
		t.Fatalf("want Events 300 and a Path of the %d kept: %d calls", maxCallEvents, len(calls))
	}
	if s := tr.Stats(); s.Overflow != 300-maxCallEvents || s.Duplicates != 1 {
		t.Errorf("stats %+v", s)
	}
	if n := len(sink.late); n != 300-maxCallEvents {
		t.Errorf("the hook got %d events, want the %d not kept", n, 300-maxCallEvents)
	}
}

// TestTrackerBounded feeds 100,000 calls through a Tracker capped at 1000.
func TestTrackerBounded(t *testing.T) {
	const maxOpen = 1000
	calls := 20_000 // 20 times the limit; 100,000 in a long run
	if testfix.Long() {
		calls = 100_000
	}
	flow := trackerFlow(t, "05-ringgroup-answered")
	seen := make(map[string]int, calls)
	tr, clock, sink := newTestTracker(WithMaxOpenCalls(maxOpen), WithQuietPeriod(time.Second))
	peak := 0
	for i := range calls {
		for _, ev := range renamed(flow, fmt.Sprintf("%d/", i)) {
			tr.Add(ev)
			clock.Advance(100 * time.Microsecond)
			peak = max(peak, tr.Len())
		}
		if i%5000 == 0 {
			tr.Sweep(clock.Now())
			checkTrackerIndex(t, tr)
		}
		for _, c := range sink.take() {
			seen[c.ID]++
		}
	}
	tr.Flush()
	for _, c := range sink.take() {
		seen[c.ID]++
	}
	if peak > maxOpen {
		t.Errorf("Len peaked at %d, above %d", peak, maxOpen)
	}
	if len(seen) != calls {
		t.Errorf("%d calls emitted, want %d", len(seen), calls)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("call %s emitted %d times", id, n)
		}
	}
	s := tr.Stats()
	m := memStore(tr)
	m.mu.Lock()
	tr.mu.Lock()
	if len(m.gone) > maxOpen || len(m.goneFIFO)-m.goneHead > 2*maxOpen || len(m.alias) != 0 || len(m.calls) != 0 || len(tr.views) != 0 {
		t.Errorf("memory kept: %d gone ids, %d in FIFO, %d aliases, %d stored, %d rebuilt calls cached",
			len(m.gone), len(m.goneFIFO)-m.goneHead, len(m.alias), len(m.calls), len(tr.views))
	}
	tr.mu.Unlock()
	m.mu.Unlock()
	if s.Late != 0 || s.Emitted != int64(calls) || s.Evicted == 0 {
		t.Errorf("stats %+v", s)
	}
}

// checkTrackerIndex fails t unless the Tracker's indexes agree with its
// open calls.
func checkTrackerIndex(t testing.TB, tr *Tracker) {
	t.Helper()
	if err := trackerIndexErr(tr); err != nil {
		t.Fatal(err)
	}
}

func trackerIndexErr(tr *Tracker) error {
	m, ok := tr.store.(*MemoryCallStore)
	if !ok {
		return nil
	}
	return memoryStoreErr(m, tr.lim)
}

// sized returns a ringing event of call id whose EventSize is size.
func sized(t testing.TB, id, user string, size int64) *Event {
	t.Helper()
	ev := &Event{Type: Ringing, CallerID: "05552221133", User: user, UserType: "ext", ID: id + "-0"}
	pad := size - EventSize(ev)
	if pad < 0 {
		t.Fatalf("no event of %d bytes", size)
	}
	ev.Title = strings.Repeat("t", int(pad))
	return ev
}

// Issue 10 item 5: a call kept up to 256 events of up to 64 KiB, so 16
// calls held 258 MiB. A call keeps events up to its byte budget; an event
// over it is counted, handed to the WithLate hook, and not kept.
func TestTrackerByteBudgetPerCall(t *testing.T) {
	tests := []struct {
		reason     string
		opts       []TrackerOption
		sizes      []int64 // of the events of call "c", each with another User
		budget     int64
		kept       int // events kept
		openCalls  int
		callEvents int // Call.Events at Flush; 0 when no call is emitted
	}{
		{"the issue's case: 256 events of about 63 KiB", nil,
			slices.Repeat([]int64{63 << 10}, maxCallEvents), defaultMaxCallBytes, 1, 1, maxCallEvents},
		{"events of 1 KiB fill a 4 KiB budget exactly", []TrackerOption{WithMaxCallBytes(4 << 10)},
			slices.Repeat([]int64{1 << 10}, 10), 4 << 10, 4, 1, 10},
		{"a smaller event still fits after a refused one", []TrackerOption{WithMaxCallBytes(4 << 10)},
			[]int64{3 << 10, 2 << 10, 1 << 10}, 4 << 10, 2, 1, 3},
		{"an event over the budget on its own opens no call", []TrackerOption{WithMaxCallBytes(1 << 10)},
			[]int64{2 << 10}, 1 << 10, 0, 0, 0},
		{"WithMaxCallBytes above WithMaxBytes is WithMaxBytes", []TrackerOption{WithMaxCallBytes(1 << 20), WithMaxBytes(2 << 10)},
			slices.Repeat([]int64{1 << 10}, 3), 2 << 10, 2, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			tr, _, sink := newTestTracker(tt.opts...)
			var refused []*Event
			for i, size := range tt.sizes {
				ev := sized(t, "c", strconv.Itoa(100+i), size)
				before := tr.Stats()
				tr.Add(ev)
				if tr.Stats().OverBudget > before.OverBudget {
					refused = append(refused, ev)
				}
				checkTrackerIndex(t, tr)
			}
			var kept int
			var held int64
			if st := memStore(tr).record("c"); st != nil {
				kept = len(st.Events)
				for i := range st.Events {
					held += EventSize(&st.Events[i])
				}
			}
			s := tr.Stats()
			if kept != tt.kept || held > tt.budget || s.Bytes != held || tr.Len() != tt.openCalls {
				t.Errorf("%d events kept (want %d), %d bytes held (budget %d), Stats.Bytes %d, %d open (want %d)",
					kept, tt.kept, held, tt.budget, s.Bytes, tr.Len(), tt.openCalls)
			}
			if s.OverBudget != int64(len(tt.sizes)-tt.kept) || len(refused) != len(tt.sizes)-tt.kept {
				t.Errorf("OverBudget %d, want %d", s.OverBudget, len(tt.sizes)-tt.kept)
			}
			if diff := cmp.Diff(refused, sink.late); diff != "" {
				t.Errorf("the WithLate hook must get every event not kept (-want +got):\n%s", diff)
			}
			tr.Flush()
			var events []int
			for _, c := range sink.take() {
				events = append(events, c.Events)
			}
			want := []int{tt.callEvents}
			if tt.callEvents == 0 {
				want = nil
			}
			if diff := cmp.Diff(want, events); diff != "" {
				t.Errorf("Call.Events counts the events not kept too (-want +got):\n%s", diff)
			}
		})
	}
}

// Issue 10 item 5: the default 10,000 open calls could hold about 158 GiB.
// When an event would take the open calls over WithMaxBytes, the calls
// with the oldest LastSeen (never the event's own) are emitted first, and
// the event is kept.
func TestTrackerByteBudgetTotal(t *testing.T) {
	type add struct {
		id   string
		size int64
	}
	var many []add
	var manyEvicted []string // 64 MiB hold 1,092 calls of 60 KiB
	for i := range 1100 {
		many = append(many, add{fmt.Sprintf("m%04d", i), 60 << 10})
		if i < 1100-defaultMaxBytes/(60<<10) {
			manyEvicted = append(manyEvicted, many[i].id)
		}
	}
	tests := []struct {
		reason  string
		opts    []TrackerOption
		adds    []add
		budget  int64
		evicted []string // calls emitted early, in order
	}{
		{"the issue's case: 1,100 calls of 60 KiB within the default 64 MiB", nil,
			many, defaultMaxBytes, manyEvicted},
		{"the oldest calls go first, as many as needed", []TrackerOption{WithMaxBytes(4 << 10)},
			[]add{{"a", 1 << 10}, {"b", 1 << 10}, {"c", 2 << 10}, {"d", 3 << 10}}, 4 << 10, []string{"a", "b", "c"}},
		{"never the event's own call, even when it is the oldest", []TrackerOption{WithMaxBytes(4 << 10)},
			[]add{{"a", 1 << 10}, {"b", 1 << 10}, {"c", 1 << 10}, {"d", 1 << 10}, {"a", 1 << 10}}, 4 << 10, []string{"b"}},
		{"within the budget nothing is emitted early", []TrackerOption{WithMaxBytes(4 << 10)},
			[]add{{"a", 1 << 10}, {"b", 1 << 10}, {"a", 2 << 10}}, 4 << 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			tr, clock, sink := newTestTracker(tt.opts...)
			events := make(map[string]int)
			for i, a := range tt.adds {
				clock.Advance(time.Millisecond)
				tr.Add(sized(t, a.id, strconv.Itoa(i), a.size))
				events[a.id]++
				if b := tr.Stats().Bytes; b > tt.budget {
					t.Fatalf("after %d events the open calls hold %d bytes, over %d", i+1, b, tt.budget)
				}
				if i%100 == 0 || i == len(tt.adds)-1 {
					checkTrackerIndex(t, tr)
				}
			}
			var evicted []string
			for _, c := range sink.take() {
				evicted = append(evicted, c.ID)
				if c.Complete {
					t.Errorf("%s emitted early as Complete", c.ID)
				}
			}
			if diff := cmp.Diff(tt.evicted, evicted); diff != "" {
				t.Errorf("calls emitted early (-want +got):\n%s", diff)
			}
			if s := tr.Stats(); s.Evicted != int64(len(tt.evicted)) || s.OverBudget != 0 || len(sink.late) != 0 {
				t.Errorf("stats %+v, %d events to the hook: want %d evicted and every event kept", s, len(sink.late), len(tt.evicted))
			}
			tr.Flush()
			got := make(map[string]int)
			for _, c := range sink.take() {
				got[c.ID] = c.Events
			}
			for _, id := range evicted {
				got[id] = events[id] // emitted above, with its events
			}
			if diff := cmp.Diff(events, got); diff != "" {
				t.Errorf("every call emitted once with all its events (-want +got):\n%s", diff)
			}
			if s := tr.Stats(); s.Bytes != 0 {
				t.Errorf("%d bytes counted after Flush", s.Bytes)
			}
		})
	}
}

// Adopting an orphan keeps the adopting call within its budget: the
// orphan's events that do not fit are counted and handed to the hook.
func TestTrackerByteBudgetAdoption(t *testing.T) {
	evs := trackerFlow(t, "12-outbound-hangup-while-dialing") // a dialing, then an end under another id
	parent, orphan := *evs[0], *evs[1]
	parent.Extra = map[string]string{"pad": strings.Repeat("p", 3000)}
	orphan.Extra = map[string]string{"pad": strings.Repeat("o", 3000)}
	tr, clock, sink := newTestTracker(WithMaxCallBytes(4096))
	tr.Add(&parent)
	tr.Add(&orphan)
	tr.Sweep(clock.Advance(defaultSettle))
	checkTrackerIndex(t, tr)
	s := tr.Stats()
	if s.Adopted != 1 || s.OverBudget != 1 || s.Bytes != EventSize(&parent) || tr.Len() != 1 {
		t.Fatalf("want the orphan adopted, its event refused: %d open, %+v", tr.Len(), s)
	}
	if len(sink.late) != 1 || sink.late[0].ID != orphan.ID {
		t.Errorf("the hook got %d events, want the orphan's end", len(sink.late))
	}
	tr.Flush()
	if calls := sink.take(); len(calls) != 1 || calls[0].Events != 2 || calls[0].ID != parent.CallID() {
		t.Errorf("want one call of 2 events: %+v", calls)
	}
}

// inside reports whether s points into the memory of big.
func inside(s, big string) bool {
	p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(big)))
	return s != "" && p >= start && p < start+uintptr(len(big))
}

// The Tracker keeps copies of the text it counts, not slices of what the
// caller decoded: one short field must not keep a whole body alive,
// neither in an open call nor among the remembered ids of emitted calls.
func TestTrackerCopiesEventText(t *testing.T) {
	body := "id=230307114903_10-0&event=ringing&extra=" + strings.Repeat("x", 64<<10)
	ev := &Event{Type: body[26:33], ID: body[3:20], User: "820",
		RecordingURLs: []string{body[0:2]}, Extra: map[string]string{body[35:40]: body[41:45]}}
	tr, _, _ := newTestTracker()
	tr.Add(ev)
	m := memStore(tr)
	m.mu.Lock()
	st := m.calls["230307114903_10"]
	c := st.Events[0]
	strs := []string{st.ID, c.Type, c.ID, c.RecordingURLs[0]}
	for k, v := range c.Extra {
		strs = append(strs, k, v)
	}
	for id := range maps.Keys(m.calls) {
		strs = append(strs, id)
	}
	m.mu.Unlock()
	if diff := cmp.Diff(*ev, c); diff != "" {
		t.Errorf("the copy differs (-want +got):\n%s", diff)
	}
	// All of the copy's text is in one allocation, which starts with Type.
	copied := unsafe.String(unsafe.StringData(c.Type), eventText(&c))
	tr.Flush()
	m.mu.Lock()
	for id := range m.gone {
		strs = append(strs, id)
		if inside(id, copied) {
			t.Errorf("remembered id %q points into the emitted call's event, keeping it alive", id)
		}
	}
	m.mu.Unlock()
	for _, s := range strs {
		if inside(s, body) {
			t.Errorf("%q points into the 64 KiB body, keeping it alive", s)
		}
	}
}

// An emitted call's id is remembered in a few dozen bytes however long it
// is, and a late event for it is still recognised.
func TestTrackerRemembersLongIDsByHash(t *testing.T) {
	long := strings.Repeat("9", 60<<10) + "_1"
	tr, _, sink := newTestTracker()
	for _, id := range []string{long, "230307114903_10"} {
		tr.Add(&Event{Type: Dialing, User: "202", ID: id + "-0"})
	}
	tr.Flush()
	m := memStore(tr)
	m.mu.Lock()
	var kept int
	for id := range m.gone {
		kept += len(id)
	}
	m.mu.Unlock()
	if kept > 2*maxGoneID {
		t.Errorf("the remembered ids take %d bytes", kept)
	}
	for _, id := range []string{long, "230307114903_10", long + "0"} {
		tr.Add(&Event{Type: Outgoing, User: "202", ID: id + "-0"})
	}
	if s := tr.Stats(); s.Late != 2 || len(sink.late) != 2 || tr.Len() != 1 {
		t.Errorf("want both ids recognised as emitted, the third new: %d open, %+v", tr.Len(), s)
	}
}

// renamed returns copies of evs with prefix put before every id.
func renamed(evs []*Event, prefix string) []*Event {
	out := make([]*Event, len(evs))
	for i, ev := range evs {
		c := *ev
		c.ID = prefix + c.ID
		out[i] = &c
	}
	return out
}

// TestTrackerConcurrent adds flows from many goroutines to one Tracker,
// or alternating between two Trackers sharing a store, while each sweeps
// and another goroutine reads; run it with -race. Every call is emitted
// once, by one of them, complete, every orphan adopted.
func TestTrackerConcurrent(t *testing.T) {
	tests := []struct {
		trackers, perG int
	}{
		{1, 200},
		{2, 100},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("trackers=%d", tt.trackers), func(t *testing.T) {
			const goroutines = 8
			flows := [][]*Event{
				trackerFlow(t, "01-queue-answered"), trackerFlow(t, "02-attended-transfer"),
				trackerFlow(t, "03-blind-transfer"), trackerFlow(t, "09-outbound-answered"),
				trackerFlow(t, "12-outbound-hangup-while-dialing"),
			}
			store := NewMemoryCallStore()
			trs := make([]*Tracker, tt.trackers)
			sinks := make([]*trackerSink, tt.trackers)
			for i := range trs {
				sinks[i] = &trackerSink{}
				trs[i] = NewTracker(sinks[i].emit, WithSettle(time.Nanosecond), WithLate(sinks[i].lateEvent), WithCallStore(store))
			}
			var added sync.WaitGroup
			total := 0
			for g := range goroutines {
				for i := range tt.perG {
					total += len(flows[(g+i)%len(flows)])
				}
				added.Go(func() {
					for i := range tt.perG {
						for j, ev := range renamed(flows[(g+i)%len(flows)], fmt.Sprintf("%d.%d/", g, i)) {
							// Each call its own caller, as in real traffic: with
							// one caller and one agent in many simultaneous
							// calls, an orphan could go to any of them.
							ev.CallerID = fmt.Sprintf("%d%04d", g+1, i) + ev.CallerID
							trs[j%len(trs)].Add(ev)
						}
					}
				})
			}
			ctx, cancel := context.WithCancel(context.Background())
			var others sync.WaitGroup
			for _, tr := range trs {
				others.Go(func() {
					for ctx.Err() == nil {
						tr.Sweep(time.Now())
					}
				})
			}
			var indexErr error
			others.Go(func() {
				for ctx.Err() == nil && indexErr == nil {
					_, _ = trs[0].Len(), trs[0].Stats()
					indexErr = trackerIndexErr(trs[0])
				}
			})
			added.Wait()
			cancel()
			others.Wait()
			if indexErr == nil {
				indexErr = trackerIndexErr(trs[0])
			}
			if indexErr != nil {
				t.Fatal(indexErr)
			}
			trs[len(trs)-1].Flush()

			seen := map[string]int{}
			events, late := 0, 0
			var stats TrackerStats
			for i, tr := range trs {
				for _, c := range sinks[i].take() {
					seen[c.ID]++
					events += c.Events
				}
				late += len(sinks[i].late)
				s := tr.Stats()
				stats.Emitted += s.Emitted
				stats.Incomplete += s.Incomplete
				stats.Adopted += s.Adopted
				t.Logf("Tracker %d: %+v", i, s)
			}
			t.Logf("%d calls emitted, %d late events", len(seen), late)
			for id, n := range seen {
				if n != 1 {
					t.Errorf("call %s emitted %d times", id, n)
				}
			}
			if got := events + late; got != total {
				t.Errorf("%d events in calls + %d late = %d, want %d", events, late, got, total)
			}
			if n := trs[0].Len(); n != 0 || stats.Emitted != int64(goroutines*tt.perG) || stats.Incomplete != 0 ||
				stats.Adopted != int64(3*goroutines*tt.perG/len(flows)) {
				t.Errorf("want every call emitted once, complete, every orphan adopted: %d open, %+v", n, stats)
			}
		})
	}
}

func TestTrackerRun(t *testing.T) {
	emitted := make(chan Call, 4)
	tr := NewTracker(func(c Call) { emitted <- c }, WithSettle(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.Run(ctx); close(done) }()
	for _, ev := range trackerFlow(t, "05-ringgroup-answered") {
		tr.Add(ev)
	}
	select {
	case c := <-emitted:
		if !c.Complete || c.ID != "230307150805_46" {
			t.Errorf("Run emitted %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not emit the complete call")
	}
	tr.Add(trackerFlow(t, "04-queue-missed")[0])
	cancel()
	<-done
	select {
	case c := <-emitted:
		if c.Complete || c.ID != "230307115339_12" {
			t.Errorf("Flush at the end of Run emitted %+v", c)
		}
	default:
		t.Fatal("Run did not Flush when its context ended")
	}
}

// faultyStore is the default store with injectable failures.
type faultyStore struct {
	*MemoryCallStore
	failAppend, failRead func(id string) bool
	ops                  int
}

var errStore = errors.New("store down")

func (s *faultyStore) Append(ctx context.Context, ev *Event, now time.Time, lim StoreLimits) (AppendResult, error) {
	s.ops++
	if s.failAppend != nil && s.failAppend(ev.CallID()) {
		return AppendResult{}, errStore
	}
	return s.MemoryCallStore.Append(ctx, ev, now, lim)
}

func (s *faultyStore) Read(ctx context.Context, id string) (CallRecord, bool, error) {
	s.ops++
	if s.failRead != nil && s.failRead(id) {
		return CallRecord{}, false, errStore
	}
	return s.MemoryCallStore.Read(ctx, id)
}

func TestTrackerStore(t *testing.T) {
	t.Run("used", func(t *testing.T) {
		st := &faultyStore{MemoryCallStore: NewMemoryCallStore()}
		calls := feedFlow(t, trackerFlow(t, "01-queue-answered"), WithCallStore(st))
		if n := len(st.MemoryCallStore.calls); len(calls) != 1 || !calls[0].Complete || st.ops == 0 || n != 0 {
			t.Fatalf("with a custom store: %d calls, %d store calls, %d left", len(calls), st.ops, n)
		}
	})
	t.Run("append fails", func(t *testing.T) {
		st := &faultyStore{MemoryCallStore: NewMemoryCallStore(), failAppend: func(id string) bool { return id == "230307150805_46" }}
		evs := append(trackerFlow(t, "05-ringgroup-answered"), trackerFlow(t, "06-ringgroup-missed")...)
		tr, clock, sink := newTestTracker(WithCallStore(st))
		var errs int
		for _, ev := range evs {
			if err := tr.AddContext(context.Background(), ev); err != nil {
				if !errors.Is(err, errStore) {
					t.Errorf("AddContext: %v, want the store's error", err)
				}
				errs++
			}
		}
		tr.Sweep(clock.Advance(defaultSettle))
		calls := sink.take()
		if len(calls) != 1 || calls[0].ID != "230307152031_50" || !calls[0].Complete {
			t.Fatalf("want only the call the store could keep: %+v", calls)
		}
		if s := tr.Stats(); s.StoreErrors != 5 || errs != 5 {
			t.Errorf("want 5 store errors (one per lost event), each returned by AddContext: %d returned, %+v", errs, s)
		}
	})
	t.Run("read fails", func(t *testing.T) {
		broken := false
		st := &faultyStore{MemoryCallStore: NewMemoryCallStore(), failRead: func(string) bool { return broken }}
		tr, clock, sink := newTestTracker(WithCallStore(st))
		tr.Add(trackerFlow(t, "05-ringgroup-answered")[0])
		broken = true
		tr.Sweep(clock.Advance(defaultSettle))
		tr.Sweep(clock.Advance(defaultQuiet))
		if calls := sink.take(); len(calls) != 0 || tr.Len() != 1 {
			t.Fatalf("an unreadable call must stay in the store, not be emitted: %d open, %+v", tr.Len(), calls)
		}
		if s := tr.Stats(); s.StoreErrors < 2 || s.Emitted != 0 {
			t.Errorf("stats %+v", s)
		}
		broken = false
		tr.Sweep(clock.Now())
		if calls := sink.take(); len(calls) != 1 || calls[0].Complete || tr.Len() != 0 {
			t.Fatalf("once readable, the call is emitted at its quiet period: %d open, %+v", tr.Len(), calls)
		}
	})
}

func TestTrackerOptionDefaults(t *testing.T) {
	tr := NewTracker(nil, WithSettle(-time.Second), WithQuietPeriod(0), WithMaxOpenCalls(0), withClock(nil),
		WithCallStore(nil), WithMaxCallBytes(0), WithMaxBytes(-1), WithLease(-time.Second))
	want := StoreLimits{
		Settle: defaultSettle, Quiet: defaultQuiet, Lease: defaultLease, MaxOpenCalls: defaultMaxOpen,
		MaxCallEvents: maxCallEvents, MaxCallBytes: defaultMaxCallBytes, MaxBytes: defaultMaxBytes,
	}
	if diff := cmp.Diff(want, tr.lim); diff != "" {
		t.Errorf("option defaults (-want +got):\n%s", diff)
	}
	if _, ok := tr.store.(*MemoryCallStore); !ok || tr.shared || tr.now == nil {
		t.Errorf("want a memory store of its own and a clock: %+v", tr)
	}
	tr.Add(&Event{Type: Dialing, ID: "a_1-0"})
	tr.Flush() // a nil emit discards
	if tr.Stats().Emitted != 1 {
		t.Errorf("stats %+v", tr.Stats())
	}
}

func BenchmarkTrackerAdd(b *testing.B) {
	var flows [][]*Event
	for _, name := range trackerFlowNames(b) {
		flows = append(flows, trackerFlow(b, name))
	}
	clock := newTrackerClock()
	tr := NewTracker(func(Call) {}, withClock(clock.Now))
	var batch []*Event
	next, call := 0, 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if next == len(batch) {
			b.StopTimer()
			tr.Sweep(clock.Now())
			batch, next = batch[:0], 0
			for range 1024 {
				batch = append(batch, renamed(flows[call%len(flows)], fmt.Sprintf("%d/", call))...)
				call++
			}
			b.StartTimer()
		}
		clock.Advance(time.Millisecond)
		tr.Add(batch[next])
		next++
	}
}

func BenchmarkTrackerSweep(b *testing.B) {
	setup := func(b *testing.B, orphans int) (*Tracker, time.Time) {
		clock := newTrackerClock()
		tr := NewTracker(func(Call) {}, withClock(clock.Now))
		ring := trackerFlow(b, "05-ringgroup-answered")[:3] // rings and answer, no end
		end := trackerFlow(b, "01-queue-answered")[4]       // an end nobody will adopt
		for i := range 10000 {
			if i < orphans {
				tr.Add(renamed([]*Event{end}, fmt.Sprintf("%d/", i))[0])
				continue
			}
			for _, ev := range renamed(ring, fmt.Sprintf("%d/", i)) {
				tr.Add(ev)
			}
		}
		now := clock.Advance(defaultSettle) // settled, yet nothing is due
		tr.Sweep(now)
		if tr.Len() != 10000 {
			b.Fatalf("%d open", tr.Len())
		}
		return tr, now
	}
	b.Run("open=10000", func(b *testing.B) {
		tr, now := setup(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			tr.Sweep(now)
		}
	})
	b.Run("open=10000/all-changed", func(b *testing.B) {
		// Every call got an event since the last Sweep: each is rebuilt.
		tr, now := setup(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			m := memStore(tr)
			m.mu.Lock()
			for _, c := range m.calls {
				c.Version = m.next() // as an event would
				c.wake = time.Time{}
			}
			heap.Init(&m.wake)
			m.mu.Unlock()
			b.StartTimer()
			tr.Sweep(now)
		}
	})
	b.Run("open=10000/orphans=1000", func(b *testing.B) {
		tr, now := setup(b, 1000)
		b.ReportAllocs()
		for b.Loop() {
			tr.Sweep(now)
		}
	})
}

// TestTrackerRingingOnFirstAnsweredSegment: the POST-scheme table in
// Creomate's docs gives ringing events the suffix of the first answered
// segment ("-1") where every other source gives "-0". Such a call is
// rebuilt as the same call, Complete, and emitted at its settle time, not
// left to its quiet period as an orphan.
func TestTrackerRingingOnFirstAnsweredSegment(t *testing.T) {
	for _, name := range []string{"01-queue-answered", "05-ringgroup-answered", "09-outbound-answered"} {
		t.Run(name, func(t *testing.T) {
			flow := trackerFlow(t, name)
			want := withoutTimes(feedFlow(t, flow))
			var variant []*Event
			for _, ev := range flow {
				c := cloneEvent(ev)
				if (c.Type == Ringing || c.Type == Dialing) && c.Segment() == 0 {
					c.ID = c.CallID() + "-1"
				}
				variant = append(variant, &c)
			}
			tr, clock, sink := newTestTracker()
			for _, ev := range variant {
				clock.Advance(time.Millisecond)
				tr.Add(ev)
			}
			tr.Sweep(clock.Advance(defaultSettle))
			got := withoutTimes(sink.take())
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("emitted at the settle time (-the flow as 3CX numbers it +ringing on -1):\n%s", diff)
			}
		})
	}
}
