package telhook

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/telhook/telhook/internal/config"
)

// NewMemoryDeduplicator returns a Deduplicator that keeps, in memory, the
// keys seen in the last ttl, at most size of them. When it is full, the key
// seen first is forgotten to make room (a key that is seen again is not
// moved: its window starts when it was first seen). size <= 0 means 10000
// and ttl <= 0 means 24 hours, which covers the retries of every provider.
//
// It is a [Claimer]: a webhook whose first delivery is still being handled
// is reported [InFlight], and a key released as not handled is forgotten at
// once. It also has the method Forget(ctx, key) error described at
// [Deduplicator].
//
// Keys are kept as 64-bit hashes (hash/maphash, with a seed of its own per
// Deduplicator) in a ring of fixed-size entries without pointers, so an
// entry takes the same memory however long its key is and the garbage
// collector has nothing to walk. Two different keys could share a hash,
// making a new webhook look like a duplicate; with n keys remembered the
// chance for each new key is about n/2^64, some 5e-16 for 10000 keys.
//
// It is safe for concurrent use; its memory is lost when the process ends,
// so it does not de-duplicate across restarts or replicas.
func NewMemoryDeduplicator(size int, ttl time.Duration) Deduplicator {
	if size <= 0 {
		size = config.DefaultDedupSize
	}
	if ttl <= 0 {
		ttl = config.DefaultDedupTTL
	}
	return &memoryDedup{
		size:  size,
		ttl:   ttl,
		seed:  maphash.MakeSeed(),
		index: make(map[uint64]uint32),
		now:   time.Now,
	}
}

// memoryDedup is a FIFO ring of key hashes with one expiry per entry. The
// ring grows to size entries, then reuses the oldest one; with one ttl for
// all, the oldest entry is also the first to expire. A removed entry keeps
// its place in the ring, empty, until its turn comes round.
type memoryDedup struct {
	size int
	ttl  time.Duration
	seed maphash.Seed
	now  func() time.Time // time.Now; replaced by tests

	mu    sync.Mutex
	ring  []dedupEntry      // at most size entries, oldest at next once full
	next  int               // the entry to reuse next, once the ring is full
	index map[uint64]uint32 // hash → its entry in ring
}

type dedupEntry struct {
	hash     uint64
	expires  int64 // Unix nanoseconds; 0: the entry is empty
	inFlight bool  // claimed, not yet released
}

// Seen reports whether key was seen within the ttl (or is in flight), and
// records it as handled when it was not. It never fails; ctx is not used.
func (d *memoryDedup) Seen(_ context.Context, key string) (bool, error) {
	return d.claim(key, false) != Claimed, nil
}

// Claim reports what is known of key: Duplicate when it was handled within
// the ttl, InFlight when a delivery holds it now, and otherwise Claimed,
// holding it for the caller until Release. It never fails.
func (d *memoryDedup) Claim(_ context.Context, key string) (Claim, error) {
	return d.claim(key, true), nil
}

// Release ends the claim on key: handled keeps the key for the rest of its
// window, !handled forgets it so that the provider's retry is handled. It
// never fails.
func (d *memoryDedup) Release(_ context.Context, key string, handled bool) error {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.index[h]
	if !ok || !d.ring[i].inFlight {
		return nil // pushed out of a full ring meanwhile, or released twice
	}
	if handled {
		d.ring[i].inFlight = false
	} else {
		d.remove(i)
	}
	return nil
}

// Forget removes key, so that the next Seen or Claim for it finds nothing.
// It never fails.
func (d *memoryDedup) Forget(_ context.Context, key string) error {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if i, ok := d.index[h]; ok {
		d.remove(i)
	}
	return nil
}

func (d *memoryDedup) claim(key string, inFlight bool) Claim {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now().UnixNano()
	if i, ok := d.index[h]; ok {
		e := &d.ring[i]
		if now < e.expires {
			if e.inFlight {
				return InFlight
			}
			return Duplicate
		}
		d.remove(i)
	}
	e := dedupEntry{hash: h, expires: now + int64(d.ttl), inFlight: inFlight}
	if len(d.ring) < d.size {
		d.index[h] = uint32(len(d.ring))
		d.ring = append(d.ring, e)
		return Claimed
	}
	i := d.next
	d.next = (d.next + 1) % d.size
	if d.ring[i].expires != 0 {
		delete(d.index, d.ring[i].hash)
	}
	d.ring[i] = e
	d.index[h] = uint32(i)
	return Claimed
}

func (d *memoryDedup) remove(i uint32) {
	delete(d.index, d.ring[i].hash)
	d.ring[i] = dedupEntry{}
}

// entries returns the number of keys held, expired or not.
func (d *memoryDedup) entries() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.index)
}
