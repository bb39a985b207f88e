package pbx3cx

import (
	"fmt"
	"slices"
	"time"

	"github.com/telhook/telhook/internal/tolerant"
)

// memStore returns the Tracker's store, which must be the default.
func memStore(tr *Tracker) *MemoryCallStore {
	return tr.store.(*MemoryCallStore)
}

// record returns a copy of what m holds for the open call id, or nil.
func (m *MemoryCallStore) record(id string) *CallRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[id]
	if c == nil {
		return nil
	}
	r := c.CallRecord
	r.Events = slices.Clone(r.Events)
	return &r
}

// memoryStoreErr reports how m's indexes disagree with its calls, or
// break a budget of lim.
func memoryStoreErr(m *MemoryCallStore, lim StoreLimits) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.order.Len(); n != len(m.calls) || len(m.wake) != n {
		return fmt.Errorf("%d calls in order, %d in the heap, %d open", n, len(m.wake), len(m.calls))
	}
	var prev time.Time
	for e := m.order.Front(); e != nil; e = e.Next() {
		c := e.Value.(*memCall)
		if m.calls[c.ID] != c {
			return fmt.Errorf("call %s in order but not open", c.ID)
		}
		if c.LastSeen.Before(prev) {
			return fmt.Errorf("order not by LastSeen at %s", c.ID)
		}
		prev = c.LastSeen
	}
	for i, c := range m.wake {
		if c.index != i || m.calls[c.ID] != c {
			return fmt.Errorf("call %s at %d in the heap, index %d", c.ID, i, c.index)
		}
		if i > 0 && c.wake.Before(m.wake[(i-1)/2].wake) {
			return fmt.Errorf("heap out of order at %s", c.ID)
		}
	}
	for k, set := range m.pairs {
		for c := range set {
			if m.calls[c.ID] != c || !c.rings || !slices.Contains(c.callers, k.callerID) || !slices.Contains(c.users, k.user) {
				return fmt.Errorf("stale pairs[%v]: %s", k, c.ID)
			}
		}
	}
	var total, claimedBytes int64
	var claimed int
	for id, c := range m.calls {
		if c.ID != id {
			return fmt.Errorf("call %s filed as %s", c.ID, id)
		}
		var n int64
		for i := range c.Events {
			ev := &c.Events[i]
			n += EventSize(ev)
			if tolerant.Digits(ev.CallerID) && !slices.Contains(c.callers, ev.CallerID) || ev.User != "" && !slices.Contains(c.users, ev.User) {
				return fmt.Errorf("call %s: the CallerID or User of %+v not indexed", id, ev)
			}
			if (ev.Type == Ringing || ev.Type == Dialing) && !c.rings {
				return fmt.Errorf("call %s rings but is not marked so", id)
			}
		}
		if c.rings {
			for _, cl := range c.callers {
				for _, u := range c.users {
					if _, ok := m.pairs[pairKey{cl, u}][c]; !ok {
						return fmt.Errorf("call %s not in pairs[%s %s]", id, cl, u)
					}
				}
			}
		}
		if n != c.bytes {
			return fmt.Errorf("call %s holds %d bytes, counted %d", id, n, c.bytes)
		}
		if n > lim.MaxCallBytes || len(c.Events) > lim.MaxCallEvents {
			return fmt.Errorf("call %s holds %d events of %d bytes, over its budget of %d bytes", id, len(c.Events), n, lim.MaxCallBytes)
		}
		for _, a := range c.Aliases {
			if m.alias[a] != id {
				return fmt.Errorf("alias %s of %s not indexed", a, id)
			}
		}
		total += n
		if c.token != "" {
			claimed++
			claimedBytes += n
		}
	}
	for a, id := range m.alias {
		if c := m.calls[id]; c == nil || !slices.Contains(c.Aliases, a) {
			return fmt.Errorf("alias %s of %s, which is not open or does not list it", a, id)
		}
	}
	if claimed != m.claimed.calls || claimedBytes != m.claimed.bytes {
		return fmt.Errorf("%d claimed calls of %d bytes, counted %d of %d", claimed, claimedBytes, m.claimed.calls, m.claimed.bytes)
	}
	if total != m.bytes || total-claimedBytes > lim.MaxBytes {
		return fmt.Errorf("open calls hold %d bytes (%d claimed), counted %d, budget %d", total, claimedBytes, m.bytes, lim.MaxBytes)
	}
	return nil
}
