package telhook

import (
	"container/list"
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
// Keys are kept as 64-bit hashes (hash/maphash, with a seed of its own per
// Deduplicator), so an entry takes the same memory however long its key is.
// Two different keys could share a hash, making a new webhook look like a
// duplicate; with n keys remembered the chance for each new key is about
// n/2^64, some 5e-16 for 10000 keys.
//
// The Deduplicator also has the method Forget(ctx, key) error described at
// [Deduplicator]. It is safe for concurrent use; its memory is lost when the
// process ends, so it does not de-duplicate across restarts or replicas.
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
		order: list.New(),
		keys:  make(map[uint64]*list.Element),
		now:   time.Now,
	}
}

// memoryDedup is a FIFO cache of key hashes with one expiry per entry.
// Entries are kept in order of insertion (front: newest), which with one
// ttl for all is also their order of expiry, so expired entries are always
// at the back.
type memoryDedup struct {
	size int
	ttl  time.Duration
	seed maphash.Seed
	now  func() time.Time // time.Now; replaced by tests

	mu    sync.Mutex
	order *list.List               // of *dedupEntry, newest first
	keys  map[uint64]*list.Element // hash → its element in order
}

type dedupEntry struct {
	hash    uint64
	expires time.Time
}

// Seen reports whether key was seen within the ttl, and records it when it
// was not. It never fails; ctx is not used.
func (d *memoryDedup) Seen(_ context.Context, key string) (bool, error) {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if e, ok := d.keys[h]; ok {
		if now.Before(e.Value.(*dedupEntry).expires) {
			return true, nil
		}
		d.remove(e)
	}
	// Drop the expired entries, oldest first.
	for e := d.order.Back(); e != nil && !now.Before(e.Value.(*dedupEntry).expires); e = d.order.Back() {
		d.remove(e)
	}
	expires := now.Add(d.ttl)
	if d.order.Len() >= d.size {
		// Full: reuse the oldest entry for the new key.
		e := d.order.Back()
		ent := e.Value.(*dedupEntry)
		delete(d.keys, ent.hash)
		ent.hash, ent.expires = h, expires
		d.order.MoveToFront(e)
		d.keys[h] = e
		return false, nil
	}
	d.keys[h] = d.order.PushFront(&dedupEntry{hash: h, expires: expires})
	return false, nil
}

// Forget removes key, so that the next Seen for it reports false. It never
// fails.
func (d *memoryDedup) Forget(_ context.Context, key string) error {
	h := maphash.String(d.seed, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.keys[h]; ok {
		d.remove(e)
	}
	return nil
}

func (d *memoryDedup) remove(e *list.Element) {
	delete(d.keys, e.Value.(*dedupEntry).hash)
	d.order.Remove(e)
}

// entries returns the number of entries, expired or not.
func (d *memoryDedup) entries() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}
