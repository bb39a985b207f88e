package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// The benchmarks of this file run each store of this package beside the
// memory store it replaces, over loopback to the Redis of
// TELHOOK_REDIS_ADDR (the Redis ones skip without it, like the tests).
// The package doc's figures come from
//
//	TELHOOK_REDIS_ADDR=127.0.0.1:6390 go test -run '^$' -bench . -count 5

// BenchmarkDedup is the de-duplication of one webhook, a new key each
// time, as a handler does it: Claim, then Release as handled (a
// Claimer's way), or Seen (a plain Deduplicator's). Building the key is
// one allocation of every operation.
func BenchmarkDedup(b *testing.B) {
	const key = "elks:3:sms33:sf8425555e5d8db61dda7a7b3f1b91bdb:"
	ops := []struct {
		name string
		op   func(ctx context.Context, d telhook.Claimer, key string) error
	}{
		{"claim+release", func(ctx context.Context, d telhook.Claimer, key string) error {
			c, err := d.Claim(ctx, key)
			if err == nil && c != telhook.Claimed {
				err = fmt.Errorf("Claim of a new key = %v", c)
			}
			if err != nil {
				return err
			}
			return d.Release(ctx, key, true)
		}},
		{"seen", func(ctx context.Context, d telhook.Claimer, key string) error {
			seen, err := d.Seen(ctx, key)
			if err == nil && seen {
				err = errors.New("Seen of a new key = true")
			}
			return err
		}},
	}
	stores := []struct {
		name string
		new  func(b *testing.B) telhook.Claimer
	}{
		{"memory", func(*testing.B) telhook.Claimer {
			return telhook.NewMemoryDeduplicator(0, 0).(telhook.Claimer)
		}},
		{"redis", func(b *testing.B) telhook.Claimer {
			c := newClient(b)
			return redisstore.NewDeduplicator(c, redisstore.WithPrefix(newPrefix(b, c)), redisstore.WithTTL(time.Hour))
		}},
	}
	for _, op := range ops {
		for _, s := range stores {
			b.Run(op.name+"/"+s.name, func(b *testing.B) {
				d := s.new(b)
				ctx := context.Background()
				buf := []byte(key)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if err := op.op(ctx, d, string(strconv.AppendInt(buf, int64(i), 10))); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRoundTrip is one PING: the floor of every Redis figure.
func BenchmarkRoundTrip(b *testing.B) {
	c := newClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrackerAppend is Tracker.AddContext of the events of a typical
// call (05-ringgroup-answered: two ringing events, the answer, the end
// and the recording; the first opens the call), each call under a new id,
// so that every event is kept, none a duplicate. Every 200 calls the
// Tracker is flushed with the timer stopped, so that about as many calls
// are open whatever b.N, and none is emitted to make room.
func BenchmarkTrackerAppend(b *testing.B) {
	evs := flowEvents(b, "05-ringgroup-answered")
	const callsPerFlush = 200
	stores := []struct {
		name string
		opts func(b *testing.B) []pbx3cx.TrackerOption
	}{
		{"memory", func(*testing.B) []pbx3cx.TrackerOption { return nil }},
		{"redis", func(b *testing.B) []pbx3cx.TrackerOption {
			c := newClient(b)
			return []pbx3cx.TrackerOption{pbx3cx.WithCallStore(redisstore.NewCallStore(c, redisstore.WithPrefix(newPrefix(b, c))))}
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			tr := pbx3cx.NewTracker(nil, append(s.opts(b), pbx3cx.WithSettle(time.Hour), pbx3cx.WithQuietPeriod(time.Hour))...)
			ctx := context.Background()
			var next []pbx3cx.Event
			calls := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if len(next) == 0 {
					b.StopTimer()
					tr.Flush()
					next = make([]pbx3cx.Event, 0, callsPerFlush*len(evs))
					for range callsPerFlush {
						next = append(next, renamed(evs, calls)...)
						calls++
					}
					b.StartTimer()
				}
				if err := tr.AddContext(ctx, &next[0]); err != nil {
					b.Fatal(err)
				}
				next = next[1:]
			}
			b.StopTimer()
			if st := tr.Stats(); st.Duplicates != 0 || st.Evicted != 0 || st.StoreErrors != 0 {
				b.Fatalf("stats %+v: want no duplicates, evictions or store errors", st)
			}
		})
	}
}
