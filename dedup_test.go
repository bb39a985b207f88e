package telhook

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/internal/config"
)

// forgetter is the optional method a handler looks for on a Deduplicator.
type forgetter interface {
	Forget(ctx context.Context, key string) error
}

// newTestDedup returns a memory deduplicator on a clock that only moves
// when the returned function is called.
func newTestDedup(t testing.TB, size int, ttl time.Duration) (*memoryDedup, func(time.Duration)) {
	t.Helper()
	d, ok := NewMemoryDeduplicator(size, ttl).(*memoryDedup)
	if !ok {
		t.Fatalf("NewMemoryDeduplicator returned %T", d)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	return d, func(dt time.Duration) { now = now.Add(dt) }
}

// step is one operation on a deduplicator: Seen(key) when forget and
// advance are zero, Forget(key) when forget is set, a clock move when
// advance is set.
type step struct {
	key     string
	forget  bool
	advance time.Duration
}

func seen(key string) step         { return step{key: key} }
func forget(key string) step       { return step{key: key, forget: true} }
func advance(d time.Duration) step { return step{advance: d} }
func steps(s ...step) []step       { return s }
func results(b ...bool) []bool     { return b }
func repeat(n int, s step) (out []step) {
	for range n {
		out = append(out, s)
	}
	return out
}

func TestMemoryDeduplicator(t *testing.T) {
	const ttl = time.Hour
	long := strings.Repeat("x", 1<<16)
	tests := []struct {
		reason string
		size   int
		steps  []step
		want   []bool // the results of the Seen steps, in order
	}{
		{reason: "first seen false, then true", size: 10,
			steps: steps(seen("a"), seen("a"), seen("a")),
			want:  results(false, true, true)},
		{reason: "keys are independent", size: 10,
			steps: steps(seen("a"), seen("b"), seen("a"), seen("b"), seen("c")),
			want:  results(false, false, true, true, false)},
		{reason: "empty and long keys", size: 10,
			steps: steps(seen(""), seen(long), seen(""), seen(long), seen(long[1:])),
			want:  results(false, false, true, true, false)},
		{reason: "seen just before the ttl ends", size: 10,
			steps: steps(seen("a"), advance(ttl-time.Nanosecond), seen("a")),
			want:  results(false, true)},
		{reason: "expired at the ttl", size: 10,
			steps: steps(seen("a"), advance(ttl), seen("a"), seen("a")),
			want:  results(false, false, true)},
		{reason: "a hit does not refresh the expiry", size: 10,
			steps: steps(seen("a"), advance(ttl/2), seen("a"), advance(ttl/2), seen("a")),
			want:  results(false, true, false)},
		{reason: "expired key is recorded again with a new window", size: 10,
			steps: steps(seen("a"), advance(2*ttl), seen("a"), advance(ttl-time.Second), seen("a")),
			want:  results(false, false, true)},
		{reason: "evicts the least recently inserted when full", size: 2,
			steps: steps(seen("a"), seen("b"), seen("c"), seen("c"), seen("b"), seen("a")),
			want:  results(false, false, false, true, true, false)},
		{reason: "a hit does not save a key from eviction", size: 2,
			steps: steps(seen("a"), seen("b"), seen("a"), seen("c"), seen("b"), seen("a")),
			want:  results(false, false, true, false, true, false)},
		{reason: "size one", size: 1,
			steps: steps(seen("a"), seen("a"), seen("b"), seen("a"), seen("a")),
			want:  results(false, true, false, false, true)},
		{reason: "forget makes the key new", size: 10,
			steps: steps(seen("a"), forget("a"), seen("a"), seen("a")),
			want:  results(false, false, true)},
		{reason: "forget keeps other keys", size: 10,
			steps: steps(seen("a"), seen("b"), forget("a"), seen("b"), seen("a")),
			want:  results(false, false, true, false)},
		{reason: "forget unknown key is a no-op", size: 10,
			steps: steps(forget("x"), seen("a"), forget("b"), seen("a")),
			want:  results(false, true)},
		{reason: "forget frees room", size: 2,
			steps: steps(seen("a"), seen("b"), forget("a"), seen("c"), seen("b")),
			want:  results(false, false, false, true)},
		{reason: "many repeats of one key", size: 3,
			steps: append(steps(seen("a")), repeat(5, seen("a"))...),
			want:  results(false, true, true, true, true, true)},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			d, move := newTestDedup(t, tc.size, ttl)
			ctx := context.Background()
			var got []bool
			for _, s := range tc.steps {
				switch {
				case s.advance != 0:
					move(s.advance)
				case s.forget:
					if err := d.Forget(ctx, s.key); err != nil {
						t.Fatalf("Forget(%.10q): %v", s.key, err)
					}
				default:
					ok, err := d.Seen(ctx, s.key)
					if err != nil {
						t.Fatalf("Seen(%.10q): %v", s.key, err)
					}
					got = append(got, ok)
				}
				if n := d.entries(); n > tc.size {
					t.Fatalf("%d entries, more than size %d", n, tc.size)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Seen results mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMemoryDeduplicatorBounded checks that the number of entries never
// exceeds size, that the ring and the index agree, and that expired
// entries, kept until their place in the ring comes round, count as new.
func TestMemoryDeduplicatorBounded(t *testing.T) {
	tests := []struct {
		reason      string
		size        int
		inserts     int
		advance     time.Duration // before the last insert
		wantEntries int
	}{
		{reason: "fewer keys than size", size: 100, inserts: 40, wantEntries: 40},
		{reason: "exactly size keys", size: 100, inserts: 100, wantEntries: 100},
		{reason: "ten times size", size: 100, inserts: 1000, wantEntries: 100},
		{reason: "expired entries stay until reused, bounded", size: 100, inserts: 50, advance: 2 * time.Minute, wantEntries: 50},
		{reason: "expired entries reused when full", size: 100, inserts: 500, advance: 2 * time.Minute, wantEntries: 100},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			d, move := newTestDedup(t, tc.size, time.Minute)
			ctx := context.Background()
			for i := range tc.inserts {
				if i == tc.inserts-1 {
					move(tc.advance)
				}
				if ok, _ := d.Seen(ctx, fmt.Sprintf("call-%d", i)); ok {
					t.Fatalf("key %d reported seen", i)
				}
				if n := d.entries(); n > tc.size {
					t.Fatalf("after %d inserts: %d entries, more than size %d", i+1, n, tc.size)
				}
			}
			type state struct{ Ring, Index int }
			d.mu.Lock()
			got := state{Ring: len(d.ring), Index: len(d.index)}
			d.mu.Unlock()
			if diff := cmp.Diff(state{Ring: min(tc.inserts, tc.size), Index: tc.wantEntries}, got); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
			if tc.advance > 0 {
				if ok, _ := d.Seen(ctx, fmt.Sprintf("call-%d", tc.inserts-2)); ok {
					t.Errorf("an expired key is reported seen (%s)", tc.reason)
				}
			}
		})
	}
}

func TestMemoryDeduplicatorDefaults(t *testing.T) {
	type settings struct {
		Size int
		TTL  time.Duration
	}
	tests := []struct {
		reason    string
		size      int
		ttl       time.Duration
		want      settings
		wantForgt bool
	}{
		{reason: "zero values mean defaults", size: 0, ttl: 0, want: settings{config.DefaultDedupSize, config.DefaultDedupTTL}},
		{reason: "negative values mean defaults", size: -1, ttl: -time.Second, want: settings{10000, 24 * time.Hour}},
		{reason: "size default only", size: 0, ttl: time.Minute, want: settings{10000, time.Minute}},
		{reason: "ttl default only", size: 5, ttl: 0, want: settings{5, 24 * time.Hour}},
		{reason: "explicit values kept", size: 7, ttl: 90 * time.Minute, want: settings{7, 90 * time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			dd := NewMemoryDeduplicator(tc.size, tc.ttl)
			if _, ok := dd.(forgetter); !ok {
				t.Errorf("%T has no Forget method", dd)
			}
			d := dd.(*memoryDedup)
			if diff := cmp.Diff(tc.want, settings{d.size, d.ttl}); diff != "" {
				t.Errorf("settings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMemoryDeduplicatorConcurrent runs many goroutines on shared keys:
// each key must be reported new exactly once. Run it with -race.
func TestMemoryDeduplicatorConcurrent(t *testing.T) {
	const (
		goroutines = 32
		keys       = 500
	)
	d := NewMemoryDeduplicator(keys, time.Hour)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		fresh = make([]int, keys)
		wg    sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			local := make([]int, keys)
			for i := range keys {
				k := (i + g*7) % keys // different orders per goroutine
				ok, err := d.Seen(ctx, fmt.Sprintf("msg-%d", k))
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					local[k]++
				}
			}
			mu.Lock()
			for k, n := range local {
				fresh[k] += n
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	want := make([]int, keys)
	for i := range want {
		want[i] = 1
	}
	if diff := cmp.Diff(want, fresh); diff != "" {
		t.Errorf("times each key was new (-want +got):\n%s", diff)
	}

	// Seen, Forget and eviction racing on a small deduplicator.
	small := NewMemoryDeduplicator(16, time.Hour)
	f := small.(forgetter)
	for g := range goroutines {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprintf("k-%d", (i*g)%40)
				if _, err := small.Seen(ctx, key); err != nil {
					t.Error(err)
				}
				if i%3 == 0 {
					if err := f.Forget(ctx, key); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if n := small.(*memoryDedup).entries(); n > 16 {
		t.Errorf("%d entries, more than size 16", n)
	}
}

func BenchmarkMemoryDeduplicator(b *testing.B) {
	ctx := context.Background()
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("sms-%016x", i*2654435761)
	}
	b.Run("distinct", func(b *testing.B) {
		d := NewMemoryDeduplicator(0, 0)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			// Keys come back after 65536 calls, long after eviction.
			if ok, _ := d.Seen(ctx, keys[i&(len(keys)-1)]); ok {
				b.Fatal("distinct key reported seen")
			}
			i++
		}
	})
	b.Run("repeated", func(b *testing.B) {
		d := NewMemoryDeduplicator(0, 0)
		_, _ = d.Seen(ctx, keys[0])
		b.ReportAllocs()
		for b.Loop() {
			if ok, _ := d.Seen(ctx, keys[0]); !ok {
				b.Fatal("repeated key reported new")
			}
		}
	})
	b.Run("distinct-parallel", func(b *testing.B) {
		d := NewMemoryDeduplicator(0, 0)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_, _ = d.Seen(ctx, keys[i&(len(keys)-1)])
				i++
			}
		})
	})
}

// TestMemoryDeduplicatorClaims follows keys through Claim and Release.
func TestMemoryDeduplicatorClaims(t *testing.T) {
	type op struct {
		claim   string // Claim(key)
		release string // Release(key, handled)
		handled bool
		seen    string // Seen(key)
	}
	claim := func(k string) op { return op{claim: k} }
	done := func(k string) op { return op{release: k, handled: true} }
	failed := func(k string) op { return op{release: k} }
	tests := []struct {
		reason string
		size   int
		ops    []op
		want   []string // results of the Claim and Seen ops
	}{
		{"a new key is claimed, then in flight until released", 10,
			[]op{claim("a"), claim("a"), {seen: "a"}}, []string{"claimed", "in_flight", "true"}},
		{"released as handled: a duplicate from then on", 10,
			[]op{claim("a"), done("a"), claim("a"), {seen: "a"}}, []string{"claimed", "duplicate", "true"}},
		{"released as not handled: free again for the retry", 10,
			[]op{claim("a"), failed("a"), claim("a")}, []string{"claimed", "claimed"}},
		{"a second release changes nothing", 10,
			[]op{claim("a"), done("a"), failed("a"), claim("a")}, []string{"claimed", "duplicate"}},
		{"release of a key never claimed is a no-op", 10,
			[]op{failed("x"), done("y"), claim("y")}, []string{"claimed"}},
		{"a key seen is not in flight", 10,
			[]op{{seen: "a"}, claim("a"), failed("a"), claim("a")}, []string{"false", "duplicate", "duplicate"}},
		{"an in-flight key pushed out of a full ring is free; its release is a no-op", 1,
			[]op{claim("a"), claim("b"), done("a"), claim("a")}, []string{"claimed", "claimed", "claimed"}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			d, _ := newTestDedup(t, tc.size, time.Hour)
			ctx := context.Background()
			var got []string
			for _, o := range tc.ops {
				switch {
				case o.claim != "":
					c, err := d.Claim(ctx, o.claim)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, c.String())
				case o.release != "":
					if err := d.Release(ctx, o.release, o.handled); err != nil {
						t.Fatal(err)
					}
				default:
					s, _ := d.Seen(ctx, o.seen)
					got = append(got, fmt.Sprint(s))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMemoryDeduplicatorIsClaimer: the built-in deduplicator keeps the
// in-flight rule itself.
func TestMemoryDeduplicatorIsClaimer(t *testing.T) {
	if _, ok := NewMemoryDeduplicator(0, 0).(Claimer); !ok {
		t.Fatal("NewMemoryDeduplicator does not return a Claimer")
	}
}
