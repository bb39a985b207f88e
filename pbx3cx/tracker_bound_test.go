package pbx3cx

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/telhook/telhook/internal/testfix"
)

// TestTrackerMillionCallsBounded feeds one million calls (ringing, then
// missed) through a Tracker limited to 10,000 open calls, sweeping as a
// Run loop would. Open calls never exceed the limit, every call is emitted
// exactly once, and the heap after a million calls is no bigger than after
// the first hundred thousand (give or take the runtime's slack).
func TestTrackerMillionCallsBounded(t *testing.T) {
	testfix.SkipUnlessLong(t)
	const calls, limit = 1_000_000, 10_000
	now := time.Date(2023, 3, 7, 0, 0, 0, 0, time.UTC)
	emitted := 0
	tr := NewTracker(func(Call) { emitted++ },
		WithMaxOpenCalls(limit), WithSettle(time.Second), WithQuietPeriod(time.Minute),
		withClock(func() time.Time { return now }))
	heapAt := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var heap100k uint64
	ring := &Event{Type: Ringing, CallerID: "05552221133", User: "820", UserType: "queue"}
	end := &Event{Type: Incoming, CallerID: "05552221133", User: "820", FinishType: FinishMissed}
	for i := range calls {
		id := "230307114903_" + strconv.Itoa(i) + "-0"
		r, e := *ring, *end
		r.ID, e.ID = id, id
		tr.Add(&r)
		tr.Add(&e)
		now = now.Add(time.Millisecond)
		if i%1000 == 999 {
			tr.Sweep(now)
		}
		if n := tr.Len(); n > limit {
			t.Fatalf("after %d calls %d are open, over the limit of %d", i+1, n, limit)
		}
		if i == 100_000 {
			heap100k = heapAt()
		}
	}
	tr.Flush()
	if emitted != calls {
		t.Errorf("%d calls emitted, want each of the %d exactly once", emitted, calls)
	}
	heap1m := heapAt()
	t.Logf("heap after 100k calls %d KiB, after 1M %d KiB", heap100k>>10, heap1m>>10)
	if heap1m > heap100k+16<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB between 100k and 1M calls: memory is not bounded", heap100k>>10, heap1m>>10)
	}
}
