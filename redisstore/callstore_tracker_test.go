package redisstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// The settings of the Trackers of TestCallStoreTrackers, on the real
// clock: every event of a flow is added well within the settle time.
const (
	flowSettle = 200 * time.Millisecond
	flowQuiet  = 400 * time.Millisecond
)

// flowNames returns the names of the 3CX flows of the module's testdata.
func flowNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "pbx3cx", "flows", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no flow files (%v)", err)
	}
	for i, p := range paths {
		paths[i] = strings.TrimSuffix(filepath.Base(p), ".txt")
	}
	return paths
}

// flowEvents decodes the webhooks of one flow, one per line.
func flowEvents(t testing.TB, name string) []*pbx3cx.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pbx3cx", "flows", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []*pbx3cx.Event
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		ev, err := pbx3cx.Decode([]byte(line))
		if err != nil {
			t.Fatalf("%s line %d: %v", name, i+1, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// renamed returns copies of the events of a flow as those of call n:
// every call id of the flow with "n_" before it, segments kept.
func renamed(evs []*pbx3cx.Event, n int) []pbx3cx.Event {
	out := make([]pbx3cx.Event, len(evs))
	for i, ev := range evs {
		out[i] = *ev
		out[i].ID = strconv.Itoa(n) + "_" + ev.ID
	}
	return out
}

// sink collects what a Tracker emits.
type sink struct {
	mu    sync.Mutex
	calls []pbx3cx.Call
	late  int
}

func (s *sink) emit(c pbx3cx.Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *sink) lateEvent(*pbx3cx.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late++
}

// comparable returns calls without their times (on different clocks),
// sorted by id.
func comparable(calls []pbx3cx.Call) []pbx3cx.Call {
	out := slices.Clone(calls)
	for i := range out {
		out[i].FirstSeen, out[i].LastSeen = time.Time{}, time.Time{}
	}
	slices.SortStableFunc(out, func(a, b pbx3cx.Call) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// settleAndSweep sweeps with each Tracker of sweepers once the settle
// time has passed, and again at the quiet period.
func settleAndSweep(sweepers ...*pbx3cx.Tracker) {
	for _, wait := range []time.Duration{flowSettle + 50*time.Millisecond, flowQuiet} {
		time.Sleep(wait)
		for _, tr := range sweepers {
			tr.Sweep(time.Now())
		}
	}
}

// TestCallStoreTrackers replays every 3CX flow of testdata through two
// Trackers, each on a CallStore of its own on one Redis and prefix (two
// instances of a receiver), the events alternating between them and some
// sent to both (a retry that reached the other instance). Taken together
// they emit what one Tracker on the memory store emits for the same
// events, each call once.
func TestCallStoreTrackers(t *testing.T) {
	c := newClient(t)
	type step struct {
		to    int  // the Tracker the event goes to
		both  bool // an equal copy goes to the other Tracker too
		sweep int  // -1, or the Tracker that sweeps after this event
	}
	tests := []struct {
		reason string
		plan   func(i int) step
		final  []int // the Trackers that sweep at the settle time and the quiet period
	}{
		{"alternating, every third event to both, both sweep",
			func(i int) step { return step{to: i % 2, both: i%3 == 0, sweep: -1} }, []int{0, 1}},
		{"alternating, every event to both, only the second sweeps",
			func(i int) step { return step{to: i % 2, both: true, sweep: -1} }, []int{1}},
		{"alternating, every other event to both, each sweeps while events arrive",
			func(i int) step { return step{to: (i + 1) % 2, both: i%2 == 0, sweep: i % 2} }, []int{1, 0}},
	}
	opts := []pbx3cx.TrackerOption{pbx3cx.WithSettle(flowSettle), pbx3cx.WithQuietPeriod(flowQuiet)}
	names := flowNames(t)
	flows := make([][]*pbx3cx.Event, len(names))
	for i, name := range names {
		flows[i] = flowEvents(t, name)
	}
	// run is one flow replayed through one Tracker and through two.
	type run struct {
		one    sink
		ref    *pbx3cx.Tracker
		prefix string
		sinks  [2]sink
		stores [2]*redisstore.CallStore
		trs    [2]*pbx3cx.Tracker
		dups   int
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			t.Parallel()
			// Every flow is fed to Trackers of its own, in a few
			// milliseconds; then all of them sweep together, at the
			// settle time and at the quiet period.
			runs := make([]*run, len(flows))
			var sweepers []*pbx3cx.Tracker
			for f, evs := range flows {
				r := &run{prefix: newPrefix(t, c)}
				runs[f] = r
				r.ref = pbx3cx.NewTracker(r.one.emit, append(opts, pbx3cx.WithLate(r.one.lateEvent))...)
				for i := range r.trs {
					r.stores[i] = redisstore.NewCallStore(c, redisstore.WithPrefix(r.prefix))
					r.trs[i] = pbx3cx.NewTracker(r.sinks[i].emit,
						append(opts, pbx3cx.WithLate(r.sinks[i].lateEvent), pbx3cx.WithCallStore(r.stores[i]))...)
				}
				for i, ev := range evs {
					r.ref.Add(ev)
					s := tt.plan(i)
					if err := r.trs[s.to].AddContext(context.Background(), ev); err != nil {
						t.Fatalf("%s event %d: %v", names[f], i, err)
					}
					if s.both {
						dup := *ev
						if err := r.trs[1-s.to].AddContext(context.Background(), &dup); err != nil {
							t.Fatalf("%s event %d, the copy: %v", names[f], i, err)
						}
						r.dups++
					}
					if s.sweep >= 0 {
						r.trs[s.sweep].Sweep(time.Now())
					}
				}
				sweepers = append(sweepers, r.ref)
				for _, k := range tt.final {
					sweepers = append(sweepers, r.trs[k])
				}
			}
			settleAndSweep(sweepers...)
			for f, r := range runs {
				t.Run(names[f], func(t *testing.T) {
					want := comparable(r.one.calls)
					if len(want) == 0 || r.ref.Len() != 0 {
						t.Fatalf("one Tracker emitted %d calls, %d still open", len(want), r.ref.Len())
					}
					got := comparable(append(slices.Clone(r.sinks[0].calls), r.sinks[1].calls...))
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("the two Trackers' calls differ from one Tracker's (-one +two):\n%s", diff)
					}
					var stats pbx3cx.TrackerStats
					for _, tr := range r.trs {
						s := tr.Stats()
						stats.Duplicates += s.Duplicates
						stats.Emitted += s.Emitted
						stats.Late += s.Late
						stats.StoreErrors += s.StoreErrors
					}
					if stats.Duplicates != int64(r.dups) || stats.Emitted != int64(len(want)) || stats.Late != 0 || stats.StoreErrors != 0 {
						t.Errorf("stats together %+v: want %d duplicates, %d emitted, none late, no store errors", stats, r.dups, len(want))
					}
					if u, err := r.stores[0].Usage(context.Background()); err != nil || u != (pbx3cx.StoreUsage{}) {
						t.Errorf("Usage after every call was emitted: %+v, %v; want nothing open", u, err)
					}
					keys, err := keysUnder(context.Background(), c, r.prefix)
					if err != nil {
						t.Fatal(err)
					}
					for _, k := range keys {
						if !strings.HasPrefix(k, r.prefix+"{tracker}:") {
							t.Errorf("key %q is not under the hash tag {tracker}: a Cluster would put it in another slot", k)
						}
					}
				})
			}
		})
	}
}
